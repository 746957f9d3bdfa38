#pragma once
// `bench`'s result: compare's measurement session (compare_run.h) with its one backend. The session is the
// only record of what was measured; this names its one entry and writes it as bench's flat JSON
// (docs/bench_json.md), so a field that `compare` gains is not copied into a second result type.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "measure/compare_run.h"

namespace fb::measure {

struct BenchResult {
  CompareResult session;  // exactly one entry, measured (bench does not keep going past an error)

  const BenchSettings& settings() const { return session.settings.base; }
  const CompareEntry& entry() const { return session.entries.front(); }
  double throughput_ips() const { return 1000.0 / entry().stats.median; }
  double achieved_gflops() const;  // flops / median
  std::optional<double> peak_gflops() const;
  std::optional<double> pct_of_peak() const;
  std::string ceilings_reason() const;  // why peak_gflops is absent ("" when present)
  nlohmann::json to_json() const;       // docs/bench_json.md
};

// The whole measurement. `progress` (may be null) receives one-line updates for a terminal.
BenchResult run_bench(const BenchSettings& s, const std::function<void(const std::string&)>& progress = nullptr);

}  // namespace fb::measure
