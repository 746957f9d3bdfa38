// The per-layer convolution decision (plan.h): which algorithm, and whether the fused call is used.
#include <fmt/format.h>

#include "backends/cudnn/plan.h"
#include "core/error.h"

namespace fb::cudnn {

ConvDecision decide_conv(const std::vector<AlgoResult>& results, bool relu, bool has_bias, bool has_residual,
                         double epilogue_ms_each, int64_t workspace_limit) {
  // Measured results: the smallest time; heuristic results (ms < 0): the first usable one.
  auto cost = [&](size_t i) { return results[i].ms >= 0 ? static_cast<double>(results[i].ms) : static_cast<double>(i) * 1e-6; };
  int best = -1, precomp = -1;
  for (size_t i = 0; i < results.size(); ++i) {
    const AlgoResult& r = results[i];
    if (!r.ok || r.workspace > workspace_limit) continue;
    if (best < 0 || cost(i) < cost(static_cast<size_t>(best))) best = static_cast<int>(i);
    if (r.algo == k_algo_implicit_precomp_gemm && (precomp < 0 || cost(i) < cost(static_cast<size_t>(precomp))))
      precomp = static_cast<int>(i);
  }
  if (best < 0) fail("cudnn backend: no convolution algorithm fits the workspace limit of {} bytes", workspace_limit);
  const AlgoResult& b = results[static_cast<size_t>(best)];
  if (relu) return {best, true, fmt::format("{} with bias+relu in the fused call", b.name)};
  const int epilogues = (has_bias ? 1 : 0) + (has_residual ? 1 : 0);
  if (epilogues == 0) return {best, false, fmt::format("{} (no epilogue)", b.name)};
  if (precomp >= 0) {
    const AlgoResult& p = results[static_cast<size_t>(precomp)];
    const double separate = cost(static_cast<size_t>(best)) + epilogues * epilogue_ms_each;
    if (precomp == best || cost(static_cast<size_t>(precomp)) <= separate)
      return {precomp, true, fmt::format("{} fused (identity activation needs it; best alone: {})", p.name, b.name)};
  }
  return {best, false, fmt::format("{} + {} separate addition(s) (faster than the fused call's algorithm)", b.name, epilogues)};
}

}  // namespace fb::cudnn
