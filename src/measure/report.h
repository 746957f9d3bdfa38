#pragma once
// Reporters: the same results as a human table, JSON (docs/bench_json.md) or CSV (the flat JSON fields).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "measure/bench_result.h"

namespace fb::measure {

std::string bench_table(const BenchResult& r);
// CSV columns: the flat scalar fields of bench --json, in this order (nested objects flattened with '.').
const std::vector<std::string>& bench_csv_columns();
std::string csv_header(const std::vector<std::string>& columns);
std::string csv_row(const nlohmann::json& j, const std::vector<std::string>& columns);  // null -> empty cell
std::string csv_escape(const std::string& s);
std::string fmt_ms(double ms);  // 3 significant decimals that suit the magnitude

}  // namespace fb::measure
