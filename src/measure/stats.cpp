#include "measure/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace fb::measure {
namespace {

// P(Binomial(n, 1/2) <= k), summed in log space so n in the hundreds of thousands stays accurate.
double binom_half_cdf(size_t n, size_t k) {
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  const double ln = std::lgamma(static_cast<double>(n) + 1);
  double sum = 0;
  for (size_t i = 0; i <= k && i <= n; ++i) {
    const double log_c = ln - std::lgamma(static_cast<double>(i) + 1) - std::lgamma(static_cast<double>(n - i) + 1);
    sum += std::exp(log_c + log_half_n);
  }
  return std::min(sum, 1.0);
}

}  // namespace

double percentile_sorted(const std::vector<double>& s, double p) {
  FB_ASSERT(!s.empty() && p >= 0 && p <= 100);
  const double h = (static_cast<double>(s.size()) - 1) * p / 100.0;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= s.size()) return s.back();
  return s[lo] + (h - static_cast<double>(lo)) * (s[lo + 1] - s[lo]);
}

std::optional<std::pair<size_t, size_t>> median_ci_ranks(size_t n, double level) {
  const double tail = (1 - level) / 2;
  if (n == 0 || binom_half_cdf(n, 0) > tail) return std::nullopt;
  // Largest l with P(Bin <= l - 1) <= tail. The CDF grows with l, so walk up from l = 1; start near the
  // normal approximation for large n to keep this cheap.
  size_t l = 1;
  if (n > 200) {
    const double approx = static_cast<double>(n) / 2 - 2.2 * std::sqrt(static_cast<double>(n)) / 2;
    l = static_cast<size_t>(std::max(1.0, approx));
    while (l > 1 && binom_half_cdf(n, l - 1) > tail) --l;
  }
  while (l + 1 <= n / 2 && binom_half_cdf(n, l) <= tail) ++l;
  return std::make_pair(l, n - l + 1);
}

std::optional<MedianCi> median_ci_sorted(const std::vector<double>& s, double level) {
  auto ranks = median_ci_ranks(s.size(), level);
  if (!ranks) return std::nullopt;
  MedianCi ci;
  ci.low_rank = ranks->first;
  ci.high_rank = ranks->second;
  ci.low = s[ci.low_rank - 1];
  ci.high = s[ci.high_rank - 1];
  ci.coverage = 1 - 2 * binom_half_cdf(s.size(), ci.low_rank - 1);
  return ci;
}

double median_in_place(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  return percentile_sorted(v, 50);
}

LatencyStats compute_stats(std::vector<double> samples) {
  if (samples.empty()) fail("no timed samples to compute statistics from");
  std::sort(samples.begin(), samples.end());
  LatencyStats st;
  st.n = samples.size();
  st.min = samples.front();
  st.max = samples.back();
  st.median = percentile_sorted(samples, 50);
  st.p90 = percentile_sorted(samples, 90);
  st.p99 = percentile_sorted(samples, 99);
  st.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(st.n);
  if (st.n >= 2) {
    double ss = 0;
    for (double x : samples) ss += (x - st.mean) * (x - st.mean);
    st.stddev = std::sqrt(ss / static_cast<double>(st.n - 1));
  }
  st.ci = median_ci_sorted(samples);
  return st;
}

}  // namespace fb::measure
