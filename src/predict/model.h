#pragma once
// A kernel latency model: per kernel class, least squares on the logarithm of the time over the regressors of
// features.h (standardised, with a small ridge so a regressor that never varies in a class gets no weight).
// Small and inspectable: a class is a handful of coefficients, stored in the predictor file. Why not trees:
// they cannot extrapolate, and a network a user brings has layers larger than any sample (docs/predict.md).
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "predict/features.h"

namespace fb::predict {

// The regressors a kernel's time is fitted on, from its features: logarithms of the sizes, their squares and
// products (throughput rises with size, then saturates) and the shape terms.
std::vector<double> regressors(const KernelFeatures& f);
const std::vector<std::string>& regressor_names();

inline const int k_min_class_samples = 2 * (static_cast<int>(regressor_names().size()) + 1);

struct Sample {
  KernelFeatures features;
  double ms = 0;
};

struct ClassModel {
  std::vector<double> mean, scale;  // standardisation of each regressor
  std::vector<double> coef;         // intercept first, then one per regressor (on standardised values)
  int samples = 0;
  double rms_log_error = 0;         // on its own samples, per degree of freedom: exp() of it is the typical factor off
  double min_ms = 0, max_ms = 0;    // the range of times it saw
  double predict_ms(const KernelFeatures& f) const;
};

class KernelModel {
 public:
  // Fits one model per class present in `samples` with at least `min_samples` of them (default: two per
  // coefficient); samples with a non-positive time are skipped (a step too short for the clock).
  static KernelModel fit(const std::vector<Sample>& samples, int min_samples = k_min_class_samples, double ridge = 1e-3);
  bool knows(const std::string& cls) const { return classes_.count(cls) > 0; }
  // Throws fb::Error naming the class when the model has never seen it: a prediction never guesses.
  double predict_ms(const KernelFeatures& f) const;
  const std::map<std::string, ClassModel>& classes() const { return classes_; }
  nlohmann::json to_json() const;
  static KernelModel from_json(const nlohmann::json& j);  // throws fb::Error on a malformed model

 private:
  std::map<std::string, ClassModel> classes_;
};

// A count in a predictor file: `j[key]` must be an integer in 0..INT_MAX (a float such as 2e53 would make
// nlohmann's get<int>() undefined behaviour; fuzzing found it). Throws fb::Error naming the key.
int count_field(const nlohmann::json& j, const char* key);

// Least squares with a ridge on every coefficient but the first (the intercept): the solution of
// (X'X + ridge * n * D) b = X'y with D = diag(0, 1, ..., 1). Rows of x are samples. For tests and the fits.
std::vector<double> ridge_least_squares(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                        double ridge);

}  // namespace fb::predict
