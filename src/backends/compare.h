#pragma once
// The one tolerance policy for comparing a backend's outputs with the reference's.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "backends/accuracy.h"
#include "core/tensor.h"

namespace fb {

struct Agreement {
  double max_abs_error = 0;
  double ref_max_magnitude = 0;
  double rel_max_error = 0;      // max |out - ref| / max |ref|
  bool has_nan = false;          // NaN or Inf in the output where the reference has none
  // Classifier outputs ([N, K], K > 1): rows whose arg-max agrees, and mean top-5 overlap (0..1).
  bool is_classifier = false;
  int rows = 0;
  int top1_agree = 0;
  int top1_ambiguous = 0;  // disagreeing rows whose two largest reference logits are within the tolerance
  double top5_overlap = 1.0;
  // A quantized precision's bound over many inputs (backends/accuracy.h), where the precision has one.
  std::optional<Accuracy> accuracy;

  // rel_max_error <= tol, every top-1 disagreement is ambiguous, and the accuracy bound holds.
  bool passed(double tol) const;
  std::string summary() const;
  nlohmann::json to_json() const;
};

// `tol` decides which top-1 disagreements count as ambiguous (gap < tol * max |ref|).
Agreement compare_outputs(const Tensor& ref, const Tensor& out, double tol);

}  // namespace fb
