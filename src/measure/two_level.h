#pragma once
// Estimates and 95% CIs over two levels of variation: independent processes, and repeated values (timed
// runs, or per-round ratios) inside each process. A process's values are correlated (its memory layout,
// thread placement and neighbours hold for its whole life), so a CI from one process's values says nothing
// about the next process; the between-process level has to be resampled too (Kalibera and Jones, "Rigorous
// Benchmarking in Reasonable Time", ISMM 2013).
//
//   estimate = median over processes of each process's median
//   CI       = the wider of two intervals:
//              - a hierarchical percentile bootstrap: draw k processes with replacement; within each drawn
//                process draw its n values with replacement; take the estimate of that resample; the 2.5th
//                and 97.5th percentiles (type 7) of `resamples` such estimates;
//              - a Student-t interval over the processes (k >= 2): estimate x exp(+-t(k-1) s / sqrt k), s the
//                standard deviation of the logs of the process medians. With 3 processes the bootstrap alone
//                held only 35% of a rerun's speedups (its resampled median never leaves the 3 values' range).
// With one process it is the ordinary bootstrap of that process's median (it covers rounds only: say so).
// Deterministic: a fixed seed gives the same interval for the same values.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fb::measure {

struct TwoLevel {
  double estimate = 0;
  double low = 0, high = 0;
  int processes = 0;
  size_t values = 0;                    // over all processes
  std::vector<double> process_medians;  // in process order
  int resamples = 0;
  // Largest / smallest process median: 1 when the processes agree. What the remeasure rule looks at.
  double process_spread() const;
};

// Two-sided 95% quantile of Student's t with `dof` degrees of freedom (table to 30, then 1.96).
double student_t_975(int dof);
// t(k-1) s / sqrt(k) on the log scale for k positive values (0 for k < 2).
double between_process_half_width(const std::vector<double>& process_values);

// Where a rerun's estimate (the same k processes, measured again) should land: the CI's log distances from
// the estimate times sqrt(2), because the difference of two independent estimates has twice the variance of
// one. A correct 95% CI holds a rerun's estimate less often than 95%, since the rerun has an error of its
// own. Simulated with normal process effects and this estimator (median of process medians, Student-t width):
// 3 processes: the CI holds the true value 95% of the time, a rerun 89%, the rerun interval a rerun 94%;
// 5 processes: 94%, 83%, 93%. Judge an A/A recheck by those figures, not by 95% in the CI.
struct Bounds {
  double low = 0, high = 0;
};
Bounds rerun_interval(double estimate, double ci_low, double ci_high);

// Where one later process's median should land (a 95% prediction interval): estimate x exp(+-t(k-1) s
// sqrt(1 + 1/k)), s the standard deviation of the logs of the k process medians. What a user rerunning a
// single `bench` asks for; sqrt(k + 1) times the Student-t part of the CI. Needs k >= 2.
Bounds next_process_interval(double estimate, const std::vector<double>& process_values);
// The same for a two-level result (k >= 2), widened to its CI where that is wider: a later process carries
// the estimate's error as well as its own.
Bounds next_process_interval(const TwoLevel& t);

// `per_process`: one non-empty vector of values per process. Throws fb::Error when there is nothing to use.
TwoLevel two_level(const std::vector<std::vector<double>>& per_process, int resamples = 2000, uint64_t seed = 12345);

}  // namespace fb::measure
