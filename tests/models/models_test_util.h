#pragma once
// Shared by the models tests: run a graph on the reference backend and check its outputs are finite.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/backend.h"
#include "models/model_ref.h"

namespace fb::test {

// Runs `g` (weights materialised) on the reference backend; returns "" or what went wrong.
inline std::string run_reference_finite(const Graph& g) {
  auto backend = make_backend("reference");
  auto exe = backend->compile(g, CompileOptions{});
  std::vector<Tensor> outs;
  exe->run(make_inputs(g, 7), outs);
  if (outs.size() != g.outputs.size()) return "wrong number of outputs";
  for (size_t o = 0; o < outs.size(); ++o) {
    if (outs[o].shape() != g.value(g.outputs[o]).shape) return "output shape differs from shape inference";
    double sum_abs = 0;
    for (int64_t i = 0; i < outs[o].numel(); ++i) {
      if (!std::isfinite(outs[o][i])) return "non-finite output at index " + std::to_string(i);
      sum_abs += std::fabs(outs[o][i]);
    }
    if (sum_abs == 0) return "output is all zeros";
  }
  return "";
}

}  // namespace fb::test
