#pragma once
// k independent processes of one measurement, combined. Each process is a `compare --json` result
// (formbench.compare/2) of the same model and backends; together they give every backend's latency and every
// speedup a 95% CI over both levels of variation, processes and rounds (two_level.h), and the evidence the
// stability rule below reads. `bench --processes K`, `compare --processes K` and every study point use it.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fb::measure {

// A result is stable when it tells one story. Latencies move between processes by up to 2x on these guests
// even when nothing else runs (the same speed shift hits both backends of a process, which pairing cancels),
// so the rule asks the speedups for more than the latencies.
struct StabilityRule {
  double speedup_ci_pct = 5;  // every speedup's 95% CI within +-5% of the estimate
  // A process is disturbed when it lost more than 5% of the machine to steal (mean over its rounds), was
  // preempted more than 75 times a second per thread during its timed runs, or ran beside another
  // measurement. On the 2-vCPU guest quiet processes see 40-70 involuntary switches a second (2 threads);
  // processes beside a competing program 250-500, with torch eager up to 200x slower (its OpenMP barriers
  // wait for a descheduled thread). A process whose placement gate went unmet (too few rounds with its
  // threads on nearby cores before --max-time, runner.h) is disturbed too.
  double steal_pct = 5;
  double switches_per_thread_s = 75;
  double latency_ci_pct = 25;  // a latency's 95% CI wider than +-25% asks for more processes, but is no flag
};

// Why one process (a formbench.compare/2 result) was disturbed by the rule, or nullopt when it was not.
std::optional<std::string> disturbance(const nlohmann::json& process, const StabilityRule& rule = {});

// The combined result (formbench.compare.processes/1), shaped like one compare result so its readers need
// no second code path: per backend median_ms / ci95_*_ms (two-level over processes x timed runs),
// speedup / speedup_ci95_* (two-level over processes x rounds), pooled percentiles, process_medians_ms,
// process_speedups; agreement and the cache simulation from the process that ran them; and
// "process_evidence": every process's evidence (steal, involuntary switches, load of every round).
// Disturbed processes are left out of the figures and listed in "excluded" (index and reason), as long as
// at least two undisturbed ones remain; with fewer, all are combined and `instability` names the
// disturbance. Throws fb::Error when the inputs do not describe the same measurement.
nlohmann::json combine_processes(const std::vector<nlohmann::json>& processes, const StabilityRule& rule = {});

// Why `combined` is unstable by the rule (a speedup whose processes disagree, a disturbed process among
// those combined), or nullopt. A wide latency CI alone is not instability: the machine's speed drifts
// between processes, the CI says so honestly, and flagging it marked most points of a quiet study.
std::optional<std::string> instability(const nlohmann::json& combined, const StabilityRule& rule = {});

// Why another process should be measured after `results` when k are wanted: fewer than k undisturbed
// processes, instability, or a latency CI wider than the rule's bound; nullopt when the result stands.
std::optional<std::string> wants_more_processes(const std::vector<nlohmann::json>& results, int k,
                                                const StabilityRule& rule = {});

// One backend of a combined result as a point record: the top-level facts (model, cost, machine...) with that
// backend's figures on top, the shape of a `bench --json` object for the results store.
nlohmann::json backend_record(const nlohmann::json& combined, const std::string& backend);

// A human table of a combined result.
std::string combined_table(const nlohmann::json& combined);

}  // namespace fb::measure
