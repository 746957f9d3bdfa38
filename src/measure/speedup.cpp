#include "measure/speedup.h"

#include <algorithm>

#include "core/error.h"
#include "core/rng.h"
#include "measure/stats.h"

namespace fb::measure {
namespace {

double median_of(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  return percentile_sorted(v, 50);
}

}  // namespace

SpeedupCi speedup_ci(const std::vector<double>& native_ms, const std::vector<double>& other_ms, int resamples,
                     uint64_t seed) {
  if (native_ms.empty() || other_ms.empty()) fail("speedup needs samples from both backends");
  if (resamples < 1) fail("speedup bootstrap needs >= 1 resamples");
  SpeedupCi r;
  r.resamples = resamples;
  std::vector<double> a = native_ms, b = other_ms;
  r.speedup = median_of(a) / median_of(b);
  Rng rng(seed);
  std::vector<double> ratios, ra(a.size()), rb(b.size());
  ratios.reserve(static_cast<size_t>(resamples));
  for (int i = 0; i < resamples; ++i) {
    for (auto& x : ra) x = a[rng.next_u64() % a.size()];
    for (auto& x : rb) x = b[rng.next_u64() % b.size()];
    ratios.push_back(median_of(ra) / median_of(rb));
  }
  std::sort(ratios.begin(), ratios.end());
  r.low = percentile_sorted(ratios, 2.5);
  r.high = percentile_sorted(ratios, 97.5);
  return r;
}

}  // namespace fb::measure
