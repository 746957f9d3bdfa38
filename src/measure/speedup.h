#pragma once
// Speedup of a backend over the native one: ratio of medians, native / other (> 1: faster than native).
// Its 95% confidence interval is a percentile bootstrap: both sample sets are resampled with replacement
// (independently, `resamples` times, deterministic seed), the ratio of the two resampled medians is taken
// each time, and the 2.5th and 97.5th percentiles of those ratios bound it.
#include <cstdint>
#include <vector>

namespace fb::measure {

struct SpeedupCi {
  double speedup = 0;  // median(native) / median(other)
  double low = 0, high = 0;
  int resamples = 0;
};

SpeedupCi speedup_ci(const std::vector<double>& native_ms, const std::vector<double>& other_ms,
                     int resamples = 2000, uint64_t seed = 12345);

}  // namespace fb::measure
