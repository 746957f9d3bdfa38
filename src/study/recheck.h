#pragma once
// `study recheck`: an A/A check of a finished study. Reruns a deterministic sample of its measured comparison
// groups exactly as they were measured (same spec, same k processes, in passes) and asks whether each rerun value falls
// inside the first run's 95% CI and inside its rerun interval (measure/two_level.h): with 3 processes about 89%
// and 94% should; far less means the intervals ignore a level of variation. The reruns are stored (table
// `rechecks`); the report shows the coverage.
#include <cstdint>
#include <optional>
#include <string>

#include "measure/measurement_lock.h"

namespace fb::study {

struct RecheckOptions {
  std::string db_path;
  int sample = 10;     // comparison groups
  uint64_t seed = 1;   // which ones
  std::string exe = "/proc/self/exe";
  // What threads = "cores" meant when the study ran; unset: the value under which the spec expands to the
  // database's measured points (a cluster task's --cores, or its node's cores), not this machine's.
  std::optional<int64_t> cores;
  measure::LockMode lock_mode = measure::LockMode::Wait;
};

struct RecheckSummary {
  int groups = 0;
  int medians = 0, medians_inside = 0, medians_inside_rerun = 0;
  int speedups = 0, speedups_inside = 0, speedups_inside_rerun = 0;
};

RecheckSummary recheck_study(const RecheckOptions& opt);

}  // namespace fb::study
