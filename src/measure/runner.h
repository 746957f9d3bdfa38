#pragma once
// The timing loop, and nothing else: warm-up, then timed rounds until the stopping rule says enough. It knows
// no backend, only the steps to time (one for `bench`, several for `compare`), so the rules are testable
// with fake steps and a fake clock.
//
// Warm-up: runs until both `warmup_runs` and `warmup_ms` are reached (or `max_warmup_runs`).
// Timed:   runs until both `min_runs` and `min_time_ms` are reached, or `max_runs`, or `max_time_ms`
//          (after at least one run). With `target_ci_pct` > 0 it also stops as soon as at least `min_runs`
//          samples exist and the 95% CI of the median lies within median x (1 +- target_ci_pct / 100).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "measure/clock.h"
#include "measure/noise.h"

namespace fb::measure {

struct RunSettings {
  int warmup_runs = 3;
  double warmup_ms = 200;
  int max_warmup_runs = 1000;
  int min_runs = 10;
  double min_time_ms = 1000;
  int max_runs = 10000;
  double max_time_ms = 60000;
  double target_ci_pct = 0;  // 0: off
  // Interleaved rounds of two or more threads count only while two of the process's CPUs answer each other
  // within this round trip (core_round_trip.h; same-L3 cores answer in 50-150 ns, other dies in 300+). 0: off.
  double max_round_trip_ns = 250;
  void validate() const;     // throws fb::Error naming the bad setting
};

enum class StopReason { MinReached, MaxRuns, MaxTime, CiTarget };
const char* stop_reason_name(StopReason r);

struct RunResult {
  int warmup_runs = 0;
  double warmup_ms = 0;
  std::vector<double> samples_ms;  // in run order
  double timed_ms = 0;             // wall time of the timed phase, clock reads included
  StopReason stop = StopReason::MinReached;
};

// Steps measured alternately in one run (one step for `bench`, several for `compare` and study points): each
// is warmed up in turn,
// then rounds run `block` timed runs of every step, the steps in a random order drawn anew each round from
// `order_seed` (randomized multiple interleaved trials: slow drift hits every step alike, and no step always
// follows the same one). Round r of every step holds its samples [r*block, (r+1)*block). Noise evidence
// (noise.h) is read around each round, outside the timed runs. Stops when every step has >= min_runs
// samples and >= min_time_ms of timed runs, or when any reaches max_runs, or the timed phase exceeds
// max_time_ms x steps, or (target_ci_pct > 0) when every step has >= min_runs samples and a CI within the
// target. All results share the stop reason.
//
// `keep_round`, when set, decides from a round's noise evidence whether the round counts (the placement gate,
// core_round_trip.h). A rejected round stays in the log with kept = false; its samples are set aside and do
// not count toward min_runs or min_time, while the caps (max_runs, max_time) count every round. When the caps
// end the run before the kept rounds reach the minimum, `gate_unmet` is set; with fewer than two kept rounds
// every round is used then (all marked kept), so a result always exists and says how it was made.
struct InterleaveSettings {
  int block = 5;
  uint64_t order_seed = 1;
  std::function<bool(const NoiseEvidence&)> keep_round;  // nullptr: every round counts
};
struct RoundLog {
  std::vector<size_t> order;  // step indices in the order they ran
  NoiseEvidence noise;
  bool kept = true;           // its samples are in the runs
};
struct Interleaved {
  std::vector<RunResult> runs;  // one per step, kept rounds only, in round order
  std::vector<RoundLog> rounds;
  bool gate_unmet = false;
  size_t rejected_rounds = 0;  // rounds keep_round rejected (also when the fallback used them after all)
};
// What the placement gate did in one run, as results and tables report it: the round trip it allowed
// (nullopt: off, one thread, or a device backend), the rounds it set aside, and whether the caps ended the
// run before enough rounds passed.
struct PlacementOutcome {
  std::optional<double> max_round_trip_ns;
  size_t rounds_rejected = 0;
  bool unmet = false;
  nlohmann::json to_json() const;
  std::string note(size_t rounds) const;  // a table line when rounds were set aside, else empty
};
Interleaved run_interleaved(const std::vector<std::function<void()>>& steps, const RunSettings& s,
                            const InterleaveSettings& how, Clock& clock = steady_clock(),
                            const std::function<void(size_t)>& on_round = nullptr);

// True when the 95% CI of the median of `samples` is within +-pct% of the median.
bool ci_within(const std::vector<double>& samples, double pct);

}  // namespace fb::measure
