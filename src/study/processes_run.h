#pragma once
// One measurement in k independent processes: runs a `compare --json` command line k times, each in a fresh
// child process of `exe` (one after the other, never side by side), and combines them with two-level
// statistics (measure/processes.h). While fewer than k processes were undisturbed, or the combination is
// unstable or its latency CI wide by the rule, it adds processes, up to k_max; a result still unstable then
// says why. Used by every study point and by `bench`/`compare
// --processes K`.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "measure/processes.h"
#include "study/store.h"

namespace fb::study {

struct ProcessesRun {
  std::optional<nlohmann::json> combined;  // formbench.compare.processes/1
  std::optional<FailureRecord> failure;    // the first process that failed (then nothing is combined)
  int remeasured = 0;                      // processes added by the stability rule
  std::optional<std::string> unstable;     // still unstable at k_max: why
  double seconds = 0;
};

// `args_for(i)`: the arguments (after the program) of process i, 0-based. `done`: processes measured
// earlier (a study's earlier passes); `on_process(i, result)` sees each new one as it finishes.
ProcessesRun run_processes(const std::string& exe, const std::function<std::vector<std::string>(int)>& args_for, int k,
                           int k_max, double timeout_s, std::vector<nlohmann::json> done = {},
                           const std::function<void(int, const nlohmann::json&)>& on_process = nullptr,
                           const measure::StabilityRule& rule = {});

}  // namespace fb::study
