// The precision ladder (issue: precision as a study axis): for every point measured in more than one
// precision, its speedup over native in each precision side by side, and what each side gains from its own
// fp32 to bf16 and int8; then the same as geometric means per pattern. Rows are sorted by pattern, width
// and depth, so a pattern's ladder reads along depth and along width.
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "backends/backend.h"
#include "report/report.h"

namespace fb::report {
namespace {

// A point apart from its precision.
using Key = std::tuple<std::string, int64_t, int64_t, int64_t, int64_t, std::string, std::string, int64_t, int64_t>;
// pattern or model, width, depth, resolution, machine, device, backend, batch, threads
Key key_of(const Speedup& s) {
  const Record& r = *s.accel;
  return {r.pattern.value_or(r.model), r.width.value_or(-1), r.depth.value_or(-1), r.resolution,
          context_of(s).machine, r.device, r.backend, r.batch, r.threads};  // a pending point: its native twin's machine
}

// The precisions present, in the precision table's order, fp32 first.
std::vector<std::string> present(const Analysis& a) {
  std::set<std::string> seen;
  for (const Speedup& s : a.speedups) seen.insert(s.accel->precision);
  std::vector<std::string> out;
  for (const PrecisionInfo& p : precisions())
    if (seen.count(p.name)) out.push_back(p.name);
  return out;
}

std::optional<double> ratio(const Record* fp32, const Record* other) {
  if (!fp32 || !other || !fp32->median_ms || !other->median_ms || *other->median_ms <= 0) return std::nullopt;
  return *fp32->median_ms / *other->median_ms;
}

std::string setting(const Record& r) {
  return fmt::format("{} · {} · batch {} · {} thread{}",
                     r.machine_id ? fmt::format("machine {}", *r.machine_id) : "machine ?", r.device, r.batch,
                     r.threads, r.threads == 1 ? "" : "s");
}

}  // namespace

std::vector<Table> precision_tables(const Analysis& a) {
  const std::vector<std::string> order = present(a);
  if (order.size() < 2) return {};
  std::map<Key, std::map<std::string, const Speedup*>> by_point;
  for (const Speedup& s : a.speedups) by_point[key_of(s)][s.accel->precision] = &s;

  Table t{"precision_ladder", "Speedup by precision, per point",
          fmt::format("Each point's speedup over {} measured in each precision (native and accelerated in the same "
                      "precision, paired), then each side's gain from its own fp32: fp32 median / that precision's "
                      "median (points measured apart: a ratio of medians). int8 on torch is PyTorch's eager static "
                      "quantization; a point that missed its precision's accuracy bound is a failed point (n/a, with the reason).",
                      a.native)};
  t.columns = {"pattern / model", "width", "depth", "res", "backend"};
  for (const std::string& p : order) t.columns.push_back("speedup " + p);
  for (const std::string& p : order)
    if (p != "fp32") t.columns.push_back("accelerated " + p + " / fp32"), t.columns.push_back("native " + p + " / fp32");
  t.columns.push_back("setting");

  // Per pattern (or "zoo") and backend and precision: speedups and own gains, for the geometric means.
  std::map<std::tuple<std::string, std::string, std::string>, std::map<std::string, std::vector<double>>> pooled;
  for (const auto& [key, by_p] : by_point) {
    if (by_p.size() < 2) continue;
    const Record& any = *by_p.begin()->second->accel;
    const std::string scope = any.pattern ? *any.pattern : "zoo networks";
    std::vector<Cell> row = {Cell::str(std::get<0>(key)),
                             any.width ? Cell::integer(static_cast<double>(*any.width)) : Cell::str("-"),
                             any.depth ? Cell::integer(static_cast<double>(*any.depth)) : Cell::str("-"),
                             Cell::integer(static_cast<double>(any.resolution)), Cell::str(any.backend)};
    for (const std::string& p : order) {
      const auto it = by_p.find(p);
      if (it == by_p.end()) {
        row.push_back(Cell::na("not measured in " + p));
        continue;
      }
      row.push_back(Cell::opt(it->second->value, 2, it->second->why_missing));
      if (it->second->value) pooled[{scope, any.backend, setting(any)}]["speedup " + p].push_back(*it->second->value);
    }
    const auto fp32 = by_p.find("fp32");
    for (const std::string& p : order) {
      if (p == "fp32") continue;
      const auto it = by_p.find(p);
      const bool both = fp32 != by_p.end() && it != by_p.end();
      const std::optional<double> accel = both ? ratio(fp32->second->accel, it->second->accel) : std::nullopt;
      const std::optional<double> native = both ? ratio(fp32->second->native, it->second->native) : std::nullopt;
      const std::string why = both ? "a median is missing" : "fp32 and " + p + " not both measured";
      row.push_back(Cell::opt(accel, 2, why));
      row.push_back(Cell::opt(native, 2, why));
      if (accel) pooled[{scope, any.backend, setting(any)}]["accelerated " + p + " / fp32"].push_back(*accel);
      if (native) pooled[{scope, any.backend, setting(any)}]["native " + p + " / fp32"].push_back(*native);
    }
    row.push_back(Cell::str(setting(any)));
    t.rows.push_back(std::move(row));
  }

  Table m{"precision_by_pattern", "Speedup by form and precision",
          "Geometric means over the points of each pattern (and over the zoo networks) measured in more than one "
          "precision: the speedup over native in each precision, and each side's gain from its own fp32."};
  m.columns = {"pattern", "backend"};
  for (size_t c = 5; c + 1 < t.columns.size(); ++c) m.columns.push_back(t.columns[c]);
  m.columns.push_back("points");
  m.columns.push_back("setting");
  for (const auto& [k, cols] : pooled) {
    std::vector<Cell> row = {Cell::str(std::get<0>(k)), Cell::str(std::get<1>(k))};
    size_t n = 0;
    for (size_t c = 2; c + 2 < m.columns.size(); ++c) {
      const auto it = cols.find(m.columns[c]);
      if (it == cols.end() || it->second.empty()) {
        row.push_back(Cell::na("no point with this value"));
        continue;
      }
      row.push_back(Cell::num(stats::geomean(it->second), 2));
      n = std::max(n, it->second.size());
    }
    row.push_back(Cell::integer(static_cast<double>(n)));
    row.push_back(Cell::str(std::get<2>(k)));
    m.rows.push_back(std::move(row));
  }
  return {m, t};
}

}  // namespace fb::report
