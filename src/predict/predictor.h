#pragma once
// A latency predictor: per backend, a kernel model (model.h) and the time a run spends outside its kernels
// (a + b x kernels). Fitted from results databases whose points carry per-layer profiles (a study with
// `explain = true`, `predictor sample`); it predicts a network it has never run from the kernels its backend
// compiles for it (Executable::kernels(): the backend's own fusion and layout decisions; nothing runs,
// except what a backend itself times while compiling, e.g. onednn's winograd=auto).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "predict/model.h"
#include "report/results_db.h"

namespace fb::predict {

// A run's time outside its kernels: a + b x kernels + c x (the kernels' time). The last term is the part of a
// profiled kernel's time that an unprofiled run does not spend (or spends more, c > 0): without it the
// per-kernel term absorbs the networks' sizes. Fitted on relative error, as predictions are judged.
struct BackendModel {
  KernelModel kernels;
  double overhead_ms = 0, overhead_ms_per_kernel = 0, overhead_share = 0;
  int networks = 0, kernel_samples = 0;
  double outside_kernels_ms(int kernels, double kernels_ms) const {
    return overhead_ms + overhead_ms_per_kernel * kernels + overhead_share * kernels_ms;
  }
};

// What the data was measured with: a prediction holds for that machine, those library versions, threads,
// precision and batch.
struct FittedFor {
  std::string cpu_model;
  int logical_cpus = 0;
  nlohmann::json libraries = nlohmann::json::object();  // {"libtorch": "1.13.0", "onednn": "2.6.3", ...}
  int threads = 0, batch = 1;
  std::string precision = "fp32";
};

struct Predictor {
  FittedFor fitted_for;
  std::map<std::string, BackendModel> backends;
  std::vector<std::string> sources;  // one line per database: its path and what was taken from it
  nlohmann::json to_json() const;
  static Predictor from_json(const nlohmann::json& j);  // throws fb::Error on a malformed file
  void save(const std::string& path) const;
  static Predictor load(const std::string& path);       // throws fb::Error naming the file
  static Predictor parse(const std::string& text, const std::string& origin);  // the file's bytes
};

struct FitOptions {
  std::vector<std::string> backends;  // empty: every backend with per-layer profiles
  std::optional<int> threads;         // empty: the one thread count the profiles have (else an error)
  std::string precision = "fp32";
  int batch = 1;
  int min_class_samples = k_min_class_samples;  // a kernel class with fewer is not fitted
};

// Fits from the databases' measured points of `opt`'s settings that carry per-layer profiles (backends run
// with options, e.g. onednn[fuse=off], are not the backend and are left out). Throws fb::Error when nothing
// qualifies, or the databases come from different machines or thread counts.
Predictor fit_predictor(const std::vector<std::string>& dbs, const FitOptions& opt);

struct KernelPrediction {
  Kernel kernel;
  double ms = 0;
};

struct Prediction {
  std::string backend;
  double total_ms = 0, kernels_ms = 0, overhead_ms = 0;
  std::vector<KernelPrediction> kernels;
};

// Compiles `g` (with weights) on the backend with the predictor's threads and precision and predicts each of
// its kernels. Throws fb::Error when the predictor has no model for the backend, the backend cannot list its
// kernels, or a kernel's class was never seen (naming the kernel).
Prediction predict(const Predictor& p, const Graph& g, const std::string& backend,
                   const std::map<std::string, std::string>& backend_options = {});

// Whether a results database's point can fit a predictor or check one for these settings: measured on the
// CPU with a median, without backend options, its outputs agreeing with the reference (else it measured
// something else), at this precision and batch, and at `threads` when given. The fit and the check both ask.
bool usable_point(const report::Record& r, const std::string& precision, int batch, std::optional<int> threads);

// The graphs of results databases' model references at their points' batches, each built once.
class GraphCache {
 public:
  explicit GraphCache(bool with_weights) : with_weights_(with_weights) {}
  const Graph& at(const std::string& ref, int64_t batch);  // throws fb::Error when the reference does not load

 private:
  bool with_weights_;
  std::map<std::pair<std::string, int64_t>, Graph> graphs_;
};

// Where the current machine or binary differs from what the predictor was fitted for, one line each.
std::vector<std::string> mismatches(const FittedFor& fitted, const nlohmann::json& machine_facts, int threads);

}  // namespace fb::predict
