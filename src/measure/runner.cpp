#include "measure/runner.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "core/error.h"
#include "core/rng.h"
#include "measure/stats.h"

namespace fb::measure {

void RunSettings::validate() const {
  if (warmup_runs < 0) fail("--warmup must be >= 0, got {}", warmup_runs);
  if (warmup_ms < 0) fail("--warmup-time must be >= 0 ms, got {}", warmup_ms);
  if (min_runs < 1) fail("--min-runs must be >= 1, got {}", min_runs);
  if (max_runs < min_runs) fail("--max-runs ({}) must be >= --min-runs ({})", max_runs, min_runs);
  if (min_time_ms < 0) fail("--min-time must be >= 0 ms, got {}", min_time_ms);
  if (max_time_ms <= 0) fail("--max-time must be > 0 ms, got {}", max_time_ms);
  if (target_ci_pct < 0) fail("--target-ci must be >= 0 %, got {}", target_ci_pct);
  if (!(max_round_trip_ns >= 0)) fail("--max-round-trip must be >= 0 ns (0: off), got {}", max_round_trip_ns);
}

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::MinReached: return "min_runs_and_time";
    case StopReason::MaxRuns: return "max_runs";
    case StopReason::MaxTime: return "max_time";
    case StopReason::CiTarget: return "ci_target";
  }
  return "?";
}

bool ci_within(const std::vector<double>& samples, double pct) {
  std::vector<double> s = samples;
  std::sort(s.begin(), s.end());
  auto ci = median_ci_sorted(s);
  if (!ci) return false;
  const double m = percentile_sorted(s, 50);
  return ci->low >= m * (1 - pct / 100) && ci->high <= m * (1 + pct / 100);
}

Interleaved run_interleaved(const std::vector<std::function<void()>>& steps, const RunSettings& s,
                            const InterleaveSettings& how, Clock& clock, const std::function<void(size_t)>& on_round) {
  s.validate();
  if (how.block < 1) fail("--block must be >= 1, got {}", how.block);
  if (steps.empty()) fail("nothing to measure");
  const size_t m = steps.size();
  Interleaved out;
  std::vector<RunResult>& rs = out.runs;
  rs.resize(m);
  for (size_t i = 0; i < m; ++i) {
    RunResult& r = rs[i];
    const int64_t w0 = clock.now_ns();
    while (r.warmup_runs < s.max_warmup_runs) {
      if (r.warmup_runs >= s.warmup_runs && static_cast<double>(clock.now_ns() - w0) / 1e6 >= s.warmup_ms) break;
      steps[i]();
      ++r.warmup_runs;
    }
    r.warmup_ms = static_cast<double>(clock.now_ns() - w0) / 1e6;
  }
  Rng rng(how.order_seed);
  std::vector<size_t> order(m);
  std::vector<double> spent_ms(m, 0);               // kept rounds' time per step
  std::vector<std::vector<double>> every(m);        // every round's samples, for the gate's fallback
  std::vector<double> spent_all_ms(m, 0);
  std::vector<double> block_ms(m);
  const int64_t t_start = clock.now_ns();
  StopReason stop = StopReason::MinReached;
  for (size_t round = 0;; ++round) {
    std::iota(order.begin(), order.end(), size_t{0});
    for (size_t k = m; k > 1; --k) std::swap(order[k - 1], order[rng.next_u64() % k]);  // Fisher-Yates
    const NoiseSnapshot before = noise_snapshot();
    for (size_t i : order) {
      const int64_t b0 = clock.now_ns();
      for (int k = 0; k < how.block; ++k) {
        const int64_t t0 = clock.now_ns();
        steps[i]();
        every[i].push_back(static_cast<double>(clock.now_ns() - t0) / 1e6);
      }
      block_ms[i] = static_cast<double>(clock.now_ns() - b0) / 1e6;
    }
    RoundLog log{order, noise_since(before)};
    log.kept = !how.keep_round || how.keep_round(log.noise);
    for (size_t i = 0; i < m; ++i) {
      spent_all_ms[i] += block_ms[i];
      if (!log.kept) continue;
      rs[i].samples_ms.insert(rs[i].samples_ms.end(), every[i].end() - how.block, every[i].end());
      spent_ms[i] += block_ms[i];
    }
    if (!log.kept) ++out.rejected_rounds;
    out.rounds.push_back(std::move(log));
    if (on_round) on_round(round + 1);
    bool all_min = true, any_max = false, all_ci = s.target_ci_pct > 0;
    for (size_t i = 0; i < m; ++i) {
      const int n = static_cast<int>(rs[i].samples_ms.size());
      all_min = all_min && n >= s.min_runs && spent_ms[i] >= s.min_time_ms;
      any_max = any_max || static_cast<int>(every[i].size()) >= s.max_runs;
      all_ci = all_ci && n >= s.min_runs && ci_within(rs[i].samples_ms, s.target_ci_pct);
    }
    const double elapsed = static_cast<double>(clock.now_ns() - t_start) / 1e6;
    if (any_max || elapsed >= s.max_time_ms * static_cast<double>(m)) {
      stop = any_max ? StopReason::MaxRuns : StopReason::MaxTime;
      out.gate_unmet = out.rejected_rounds > 0 && !all_min;
      break;
    }
    if (all_min) { stop = StopReason::MinReached; break; }
    if (all_ci) { stop = StopReason::CiTarget; break; }
  }
  const size_t kept = out.rounds.size() - out.rejected_rounds;
  if (out.gate_unmet && kept < 2) {
    for (size_t i = 0; i < m; ++i) {
      rs[i].samples_ms = every[i];
      spent_ms[i] = spent_all_ms[i];
    }
    for (RoundLog& r : out.rounds) r.kept = true;
  }
  for (size_t i = 0; i < m; ++i) {
    rs[i].stop = stop;
    rs[i].timed_ms = spent_ms[i];
  }
  return out;
}

nlohmann::json PlacementOutcome::to_json() const {
  return {{"max_round_trip_ns", max_round_trip_ns ? nlohmann::json(*max_round_trip_ns) : nlohmann::json(nullptr)},
          {"rounds_rejected", rounds_rejected},
          {"unmet", unmet}};
}

std::string PlacementOutcome::note(size_t rounds) const {
  if (!max_round_trip_ns || rounds_rejected == 0) return "";
  return fmt::format("  note: {} of {} rounds set aside: two CPUs answered each other slower than {:.0f} ns (the "
                     "vCPUs sat on distant host cores){}\n",
                     rounds_rejected, rounds, *max_round_trip_ns,
                     unmet ? "; too few rounds passed before --max-time, so this result is flagged" : "");
}

}  // namespace fb::measure
