#pragma once
// How close a quantized network stays to fp32 over many inputs: the int8 bound (docs/int8_design.md).
// One input's maximum error says little about int8, whose errors are many and small, and random weights make
// a single arg-max fragile; so the check runs N deterministic inputs (seeds 1..N, none of them a calibration
// input) and asks two things of the first output: the mean cosine similarity to the fp32 reference, and,
// for a classifier ([rows, K], K > 1), the share of rows whose top-1 class agrees.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"

namespace fb {

struct Accuracy {
  int inputs = 0;
  double mean_cosine = 0, min_cosine = 0;
  int rows = 0, top1_agree = 0;  // rows 0: not a classifier, top-1 not judged
  // Why top-1 can be fragile: how far the reference's output moves from one input to the next (mean
  // |ref_i+1 - ref_i| / |ref_i|) against the error (mean |out_i - ref_i| / |ref_i|). With random weights the
  // logits barely depend on the input, and an error as large as that movement decides the arg-max.
  double input_spread = 0, mean_error = 0;
  double min_mean_cosine = 0, min_top1 = 0;  // the bounds it was judged by

  double top1_share() const { return rows ? static_cast<double>(top1_agree) / rows : 1.0; }
  bool passed() const { return mean_cosine >= min_mean_cosine && top1_share() >= min_top1; }
  // "ok accuracy over 100 inputs: cosine 0.9987 (min 0.9950; bound 0.99), top-1 98/100 agree (bound 95%);
  // error 4.1% of the output, which moves 9.0% between inputs"
  std::string summary() const;
  nlohmann::json to_json() const;
};

// Cosine similarity of two tensors of equal size (1 when both are zero, 0 when one is).
double cosine_similarity(const Tensor& a, const Tensor& b);

// The accuracy of `out` against `ref`, one tensor per input, judged by `p`'s bounds (precision table).
Accuracy judge_accuracy(const std::vector<Tensor>& ref, const std::vector<Tensor>& out, const PrecisionInfo& p);

// The inputs the check runs (seeds 1..n) and the reference backend's first output on each (fp32).
std::vector<std::vector<Tensor>> accuracy_inputs(const Graph& g, int n);
std::vector<Tensor> reference_first_outputs(const Graph& g, const std::vector<std::vector<Tensor>>& inputs);
// `exe`'s first output on each input.
std::vector<Tensor> first_output_of_each(Executable& exe, const std::vector<std::vector<Tensor>>& inputs);

}  // namespace fb
