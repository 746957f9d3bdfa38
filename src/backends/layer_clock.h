#pragma once
// The clock of a per-layer profile (Executable::profile_layers): times each step of every profiled run and
// the run as a whole. A step's time is its mean over the central runs, those whose whole time lies in the
// middle half (all runs when fewer than four): on a shared host a run is often preempted inside one step,
// and a mean over all runs would hand that slice to the step, while a per-step median would make the steps
// add up to less than a typical run. So the steps plus the time outside them (the Overhead entry) add up to
// a typical profiled run.
#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

namespace fb {

class LayerClock {
 public:
  LayerClock(size_t steps, int runs) : samples_(steps) {
    for (auto& s : samples_) s.reserve(static_cast<size_t>(std::max(runs, 1)));
  }
  void begin_run() { run_start_ = clock::now(); }
  void begin_step() { step_start_ = clock::now(); }
  void end_step(size_t i) { samples_[i].push_back(ms_since(step_start_)); }
  void end_run() {
    totals_.push_back(ms_since(run_start_));
    for (auto& s : samples_) s.resize(totals_.size(), 0.0);  // a step a run skipped took no time in it
  }
  double step_ms(size_t i) const { return central_mean(samples_[i]); }
  double overhead_ms() const {
    std::vector<double> outside(totals_.size());
    for (size_t r = 0; r < totals_.size(); ++r) {
      double steps = 0;
      for (const auto& s : samples_) steps += s[r];
      outside[r] = std::max(0.0, totals_[r] - steps);
    }
    return central_mean(outside);
  }

 private:
  using clock = std::chrono::steady_clock;
  static double ms_since(clock::time_point t) { return std::chrono::duration<double, std::milli>(clock::now() - t).count(); }
  // The mean of v over the central runs.
  double central_mean(const std::vector<double>& v) const {
    if (totals_.empty()) return 0;
    std::vector<size_t> order(totals_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return totals_[a] < totals_[b]; });
    const size_t cut = order.size() >= 4 ? order.size() / 4 : 0;
    double sum = 0;
    for (size_t k = cut; k < order.size() - cut; ++k) sum += v[order[k]];
    return sum / static_cast<double>(order.size() - 2 * cut);
  }
  std::vector<std::vector<double>> samples_;  // step, run
  std::vector<double> totals_;                // run
  clock::time_point run_start_, step_start_;
};

}  // namespace fb
