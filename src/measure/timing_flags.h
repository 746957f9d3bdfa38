#pragma once
// The timing settings of a measurement, one row each: the command-line flag of `bench` and `compare`, the key
// of a study spec's [measure] table, and the RunSettings field it sets. `bench`/`compare` register their
// flags from this table and a study point's `compare` command line is written from it, so each setting's
// flag is written once. (`--block`, compare's runs per backend per round, is compare's own.)
#include <variant>
#include <vector>

#include "measure/runner.h"

namespace fb::measure {

struct TimingFlag {
  const char* flag;      // "--min-time"
  const char* spec_key;  // "min_time_ms": the [measure] key, and the key in a point's settings_json
  const char* help;
  std::variant<int RunSettings::*, double RunSettings::*> field;
};

const std::vector<TimingFlag>& timing_flags();

}  // namespace fb::measure
