#include "measure/two_level.h"

#include <algorithm>

#include "core/error.h"
#include "core/rng.h"
#include "measure/stats.h"

namespace fb::measure {
namespace {

double median_in_place(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  return percentile_sorted(v, 50);
}

}  // namespace

double TwoLevel::process_spread() const {
  if (process_medians.empty()) return 1;
  const auto [lo, hi] = std::minmax_element(process_medians.begin(), process_medians.end());
  return *lo > 0 ? *hi / *lo : 1;
}

TwoLevel two_level(const std::vector<std::vector<double>>& per_process, int resamples, uint64_t seed) {
  if (per_process.empty()) fail("two-level statistics need at least one process");
  for (const auto& p : per_process)
    if (p.empty()) fail("two-level statistics: a process has no values");
  if (resamples < 1) fail("two-level bootstrap needs >= 1 resamples");
  TwoLevel t;
  t.processes = static_cast<int>(per_process.size());
  t.resamples = resamples;
  for (const auto& p : per_process) {
    std::vector<double> v = p;
    t.process_medians.push_back(median_in_place(v));
    t.values += p.size();
  }
  std::vector<double> meds = t.process_medians;
  t.estimate = median_in_place(meds);

  Rng rng(seed);
  const size_t k = per_process.size();
  std::vector<double> estimates, drawn(k), scratch;
  estimates.reserve(static_cast<size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    for (size_t j = 0; j < k; ++j) {
      const std::vector<double>& p = per_process[rng.next_u64() % k];
      scratch.resize(p.size());
      for (double& x : scratch) x = p[rng.next_u64() % p.size()];
      drawn[j] = median_in_place(scratch);
    }
    estimates.push_back(median_in_place(drawn));
  }
  std::sort(estimates.begin(), estimates.end());
  t.low = percentile_sorted(estimates, 2.5);
  t.high = percentile_sorted(estimates, 97.5);
  return t;
}

}  // namespace fb::measure
