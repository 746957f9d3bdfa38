#pragma once
// Latency statistics, computed after the run from the raw samples (never incrementally), so every reported
// number can be recomputed from `samples_ms`. Definitions (docs/measure.md):
//  - percentile p: linear interpolation between closest ranks on the sorted samples (Hyndman-Fan type 7,
//    NumPy's default): h = (n - 1) p / 100, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
//    The median is p = 50, so an even count gives the mean of the two middle samples.
//  - stddev: sample standard deviation (n - 1 denominator).
//  - 95% CI of the median: distribution-free, from order statistics. The lower bound is x_(l) (1-based) for
//    the largest l with P(Binomial(n, 1/2) <= l - 1) <= 0.025, the upper bound x_(n - l + 1); its exact
//    coverage 1 - 2 P(Bin <= l - 1) is >= 95%. Fewer than 6 samples cannot give 95%: no interval.
#include <cstddef>
#include <optional>
#include <vector>

namespace fb::measure {

double percentile_sorted(const std::vector<double>& sorted, double p);  // sorted ascending, non-empty, p in [0,100]
// The median (type 7) of non-empty `v`; sorts `v` in place (callers that resample reuse their buffer).
double median_in_place(std::vector<double>& v);

struct MedianCi {
  double low = 0, high = 0;
  size_t low_rank = 0, high_rank = 0;  // 1-based order statistics
  double coverage = 0;                 // exact confidence level (>= 0.95)
};
// The 95% (or `level`) interval of the median from sorted samples; nullopt when n is too small.
std::optional<MedianCi> median_ci_sorted(const std::vector<double>& sorted, double level = 0.95);
// The order-statistic ranks alone (1-based), for n samples; nullopt when n is too small.
std::optional<std::pair<size_t, size_t>> median_ci_ranks(size_t n, double level = 0.95);

struct LatencyStats {
  size_t n = 0;
  double min = 0, median = 0, mean = 0, p90 = 0, p99 = 0, max = 0;
  std::optional<double> stddev;  // needs n >= 2
  std::optional<MedianCi> ci;    // needs n >= 6
};
LatencyStats compute_stats(std::vector<double> samples);  // throws fb::Error when empty

}  // namespace fb::measure
