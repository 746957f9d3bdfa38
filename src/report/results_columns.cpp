#include "report/results_columns.h"

#include <fmt/format.h>

namespace fb::report {

const std::vector<Column>& measurement_columns() {
  using T = ColumnType;
  using S = ColumnSource;
  // Order is the table's: databases written since schema 2 have exactly these, in this order (study merge
  // copies rows by name; the order only keeps the DDL readable).
  static const std::vector<Column> cols = {
      {"point_id", T::Text, S::PointId, "", "PRIMARY KEY REFERENCES points(id)"},
      {"machine_id", T::Integer, S::MachineId, "", "NOT NULL REFERENCES machines(id)"},
      {"finished_at", T::Text, S::FinishedAt, "", "NOT NULL"},
      {"median_ms", T::Real, S::Key, "median_ms", ""},
      {"mean_ms", T::Real, S::Key, "mean_ms", ""},
      {"min_ms", T::Real, S::Key, "min_ms", ""},
      {"max_ms", T::Real, S::Key, "max_ms", ""},
      {"stddev_ms", T::Real, S::Key, "stddev_ms", ""},
      {"p90_ms", T::Real, S::Key, "p90_ms", ""},
      {"p99_ms", T::Real, S::Key, "p99_ms", ""},
      {"ci95_low_ms", T::Real, S::Key, "ci95_low_ms", ""},
      {"ci95_high_ms", T::Real, S::Key, "ci95_high_ms", ""},
      {"samples", T::Integer, S::Key, "samples", ""},
      {"throughput_ips", T::Real, S::Key, "throughput_ips", ""},
      {"compile_ms", T::Real, S::Key, "compile_ms", ""},
      {"first_inference_ms", T::Real, S::Key, "first_inference_ms", ""},
      {"macs", T::Integer, S::Key, "macs", ""},
      {"flops", T::Integer, S::Key, "flops", ""},
      {"params", T::Integer, S::Key, "params", ""},
      {"peak_activation_bytes", T::Integer, S::Key, "peak_activation_bytes", ""},
      {"achieved_gflops", T::Real, S::Key, "achieved_gflops", ""},
      {"peak_gflops", T::Real, S::Key, "peak_gflops", ""},
      {"pct_of_peak", T::Real, S::Key, "pct_of_peak", ""},
      {"counters_source", T::Text, S::Counters, "source", ""},
      {"counters_reason", T::Text, S::Counters, "reason", ""},
      {"ll_references_per_inference", T::Real, S::Counters, "ll_references_per_inference", ""},
      {"ll_misses_per_inference", T::Real, S::Counters, "ll_misses_per_inference", ""},
      {"ll_miss_rate", T::Real, S::Counters, "ll_miss_rate", ""},
      {"agreement_rel_error", T::Real, S::Agreement, "rel_max_error", ""},
      {"agreement_passed", T::Integer, S::Agreement, "passed", ""},
      {"processes", T::Integer, S::Key, "processes", ""},
      {"rounds", T::Integer, S::Key, "rounds", ""},
      {"remeasured", T::Integer, S::Key, "remeasured", ""},
      {"speedup", T::Real, S::Key, "speedup", ""},
      {"speedup_ci95_low", T::Real, S::Key, "speedup_ci95_low", ""},
      {"speedup_ci95_high", T::Real, S::Key, "speedup_ci95_high", ""},
      {"native_point_id", T::Text, S::Key, "native_point_id", ""},
      {"unstable", T::Text, S::Key, "unstable", ""},
      {"steal_pct_max", T::Real, S::Key, "steal_pct_max", ""},
      {"beside_other_measurement", T::Integer, S::Key, "beside_other_measurement", ""},
      {"excluded_processes", T::Integer, S::Key, "excluded_processes", ""},
      {"describe_json", T::Text, S::JsonText, "describe", ""},
      {"result_json", T::Text, S::Record, "", ""},
  };
  return cols;
}

const char* sql_type_name(ColumnType t) {
  switch (t) {
    case ColumnType::Real: return "REAL";
    case ColumnType::Integer: return "INTEGER";
    case ColumnType::Text: return "TEXT";
  }
  return "TEXT";
}

std::string measurements_ddl() {
  std::string out = "CREATE TABLE IF NOT EXISTS measurements (\n";
  const auto& cols = measurement_columns();
  for (size_t i = 0; i < cols.size(); ++i) {
    const Column& c = cols[i];
    out += fmt::format("  {} {}{}{}{}\n", c.name, sql_type_name(c.type), *c.constraint ? " " : "", c.constraint,
                       i + 1 < cols.size() ? "," : "");
  }
  return out + ");\n";
}

}  // namespace fb::report
