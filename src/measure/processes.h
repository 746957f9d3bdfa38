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

// The combined result (formbench.compare.processes/1), shaped like one compare result so its readers need
// no second code path: per backend median_ms / ci95_*_ms (two-level over processes x timed runs),
// speedup / speedup_ci95_* (two-level over processes x rounds), pooled percentiles, process_medians_ms,
// process_speedups; agreement from the process that checked; and "processes": the per-process evidence
// (steal, involuntary switches, load of every round). Throws fb::Error when the inputs do not describe the
// same measurement.
nlohmann::json combine_processes(const std::vector<nlohmann::json>& processes);

// A result is stable when it tells one story. Latencies move between processes by up to 2x on these guests
// even when nothing else runs (the same speed shift hits both backends of a process, which pairing cancels),
// so the rule asks the speedups for more than the latencies.
struct StabilityRule {
  double speedup_ci_pct = 5;    // every speedup's 95% CI within +-5% of the estimate...
  double steal_pct = 5;         // ...and no process lost more than 5% of the machine to steal (mean over rounds)...
  double switches_per_s = 500;  // ...or was preempted more than 500 times a second of timed runs (another
                                // program competing for the CPUs: quiet processes here see about 50)
  double latency_ci_pct = 25;   // a latency's 95% CI wider than +-25% asks for more processes, but is no flag
};
// Why `combined` is unstable by the rule (a speedup whose processes disagree, a disturbed process), or
// nullopt. A wide latency CI alone is not instability: the machine's speed drifts between processes, the CI
// says so honestly, and flagging it marked most points of a quiet study.
std::optional<std::string> instability(const nlohmann::json& combined, const StabilityRule& rule = {});
// Why more processes should be measured: instability, or a latency CI wider than the rule's bound.
std::optional<std::string> wants_more_processes(const nlohmann::json& combined, const StabilityRule& rule = {});

// One backend of a combined result as a point record: the top-level facts (model, cost, machine...) with that
// backend's figures on top, the shape of a `bench --json` object for the results store.
nlohmann::json backend_record(const nlohmann::json& combined, const std::string& backend);

// A human table of a combined result.
std::string combined_table(const nlohmann::json& combined);

}  // namespace fb::measure
