#include "measure/timing_flags.h"

namespace fb::measure {

const std::vector<TimingFlag>& timing_flags() {
  static const std::vector<TimingFlag> flags = {
      {"--warmup", "warmup", "warm-up runs (at least)", &RunSettings::warmup_runs},
      {"--warmup-time", "warmup_ms", "warm-up time in ms (at least)", &RunSettings::warmup_ms},
      {"--min-runs", "repetitions", "timed runs (at least)", &RunSettings::min_runs},
      {"--min-time", "min_time_ms", "timed phase in ms (at least)", &RunSettings::min_time_ms},
      {"--max-runs", "max_repetitions", "timed runs (at most)", &RunSettings::max_runs},
      {"--max-time", "max_time_ms", "timed phase in ms (at most)", &RunSettings::max_time_ms},
      {"--target-ci", "target_ci_pct", "stop early once the 95% CI of the median is within +-PCT% (0: off)",
       &RunSettings::target_ci_pct},
      {"--max-round-trip", "max_round_trip_ns",
       "interleaved rounds with 2+ threads count only while two CPUs answer within NS (0: off)",
       &RunSettings::max_round_trip_ns},
  };
  return flags;
}

}  // namespace fb::measure
