#pragma once
// `study run`: measures every point of a spec that the database does not hold yet. A point's backends (its
// comparison group) are measured together, interleaved in one child process, and that in k independent
// processes (measure.processes), combined with two-level statistics (measure/processes.h); more processes
// are added while the result is unstable, up to measure.max_processes, and a point still unstable then is
// flagged. One transaction per group. The database is locked for the run; the machine-wide measurement lock
// is held while it measures.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "measure/measurement_lock.h"
#include "study/point.h"
#include "study/spec.h"

namespace fb::study {

struct RunOptions {
  std::string db_path;
  std::optional<std::pair<int, int>> shard;  // {i, N}, 1-based
  bool retry_failed = false;                 // redo points recorded as failed
  std::optional<double> timeout_s;           // overrides the spec's measure.timeout_s
  std::string exe = "/proc/self/exe";        // the formbench binary that measures (`bench --json`)
  int progress = -1;                         // 1 bar, 0 log lines, -1 bar when stderr is a terminal
  std::string progress_file;                 // also kept up to date there (progress_file.h); empty: none
  measure::LockMode lock_mode = measure::LockMode::Wait;  // beside another measurement on this machine
};

struct RunSummary {
  int points = 0;    // in this shard
  int skipped = 0;   // already in the database
  int measured = 0;  // this run
  int failed = 0;    // this run
};

inline constexpr double k_default_timeout_s = 600;

RunSummary run_study(const Spec& spec, const std::vector<Point>& points, const RunOptions& opt);

}  // namespace fb::study
