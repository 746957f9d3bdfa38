#include "measure/two_level.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "measure/stats.h"

namespace fb::measure {
namespace {

}  // namespace

double student_t_975(int dof) {
  // Two-sided 95% quantiles of Student's t (one-sided 0.975), dof 1..30; beyond, the normal's 1.96.
  static const double q[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                             2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                             2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof < 1) fail("Student's t needs >= 1 degree of freedom");
  return dof <= 30 ? q[dof - 1] : 1.96;
}

namespace {
double log_sd(const std::vector<double>& values) {  // sample standard deviation of the logs (k >= 2)
  const size_t k = values.size();
  double mean = 0;
  for (double x : values) mean += std::log(x);
  mean /= static_cast<double>(k);
  double ss = 0;
  for (double x : values) ss += (std::log(x) - mean) * (std::log(x) - mean);
  return std::sqrt(ss / static_cast<double>(k - 1));
}
}  // namespace

double between_process_half_width(const std::vector<double>& process_values) {
  const size_t k = process_values.size();
  if (k < 2) return 0;
  return student_t_975(static_cast<int>(k) - 1) * log_sd(process_values) / std::sqrt(static_cast<double>(k));
}

Bounds next_process_interval(double estimate, const std::vector<double>& process_values) {
  const size_t k = process_values.size();
  if (k < 2) fail("a prediction interval needs at least 2 processes, got {}", k);
  if (!(estimate > 0)) fail("a prediction interval needs a positive estimate, got {}", estimate);
  for (double x : process_values)
    if (!(x > 0)) fail("a prediction interval needs positive process values, got {}", x);
  const double half = student_t_975(static_cast<int>(k) - 1) * log_sd(process_values) *
                      std::sqrt(1.0 + 1.0 / static_cast<double>(k));
  return {estimate * std::exp(-half), estimate * std::exp(half)};
}

Bounds next_process_interval(const TwoLevel& t) {
  const Bounds b = next_process_interval(t.estimate, t.process_medians);
  return {std::min(b.low, t.low), std::max(b.high, t.high)};
}

Bounds rerun_interval(double estimate, double ci_low, double ci_high) {
  if (!(estimate > 0 && ci_low > 0 && ci_high > 0 && ci_low <= estimate && estimate <= ci_high))
    fail("a rerun interval needs 0 < low <= estimate <= high, got {} in [{}, {}]", estimate, ci_low, ci_high);
  const double r = std::sqrt(2.0);
  return {estimate * std::pow(ci_low / estimate, r), estimate * std::pow(ci_high / estimate, r)};
}

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
  // With few processes the percentile bootstrap covers far too little (the median of 3 resampled process
  // values never leaves their range): widen to the Student-t interval over the processes' values.
  if (t.processes >= 2 && t.estimate > 0 &&
      std::all_of(t.process_medians.begin(), t.process_medians.end(), [](double x) { return x > 0; })) {
    const double half = between_process_half_width(t.process_medians);
    t.low = std::min(t.low, t.estimate * std::exp(-half));
    t.high = std::max(t.high, t.estimate * std::exp(half));
  }
  return t;
}

}  // namespace fb::measure
