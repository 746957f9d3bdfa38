#include "report/table.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/table.h"

namespace fb::report {
namespace {

std::string md_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|' || c == '\\' || c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '<' ||
        c == '>')
      o += '\\';
    if (c == '\n' || c == '\r')
      o += ' ';
    else
      o += c;
  }
  return o;
}

}  // namespace

std::string joined_missing(const Table& t, const std::vector<Cell>& row) {
  std::string m;
  for (const auto& s : t.missing_text(row)) m.append(m.empty() ? "" : "; ").append(s);
  return m;
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

}  // namespace

Cell Cell::num(double v, int decimals) { return {fmt::format("{:.{}f}", v, decimals), v, std::nullopt}; }

Cell Cell::integer(double v) { return {with_commas(static_cast<int64_t>(std::llround(v))), v, std::nullopt}; }

Cell Cell::opt(const std::optional<double>& v, int decimals, const std::string& reason) {
  return v ? num(*v, decimals) : na(reason);
}

bool Table::has_missing() const {
  for (const auto& r : rows)
    for (const auto& c : r)
      if (c.missing) return true;
  return false;
}

std::vector<std::string> Table::header() const {
  std::vector<std::string> h = columns;
  if (has_missing()) h.push_back("missing");
  return h;
}

std::vector<std::string> Table::missing_text(const std::vector<Cell>& row) const {
  // Columns missing for the same reason share one entry: "backend ms, speedup: onednn failed (...)".
  std::vector<std::pair<std::string, std::string>> groups;  // reason -> columns
  for (size_t i = 0; i < row.size(); ++i) {
    if (!row[i].missing) continue;
    const std::string col = i < columns.size() ? columns[i] : "?";
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == *row[i].missing; });
    if (it == groups.end())
      groups.emplace_back(*row[i].missing, col);
    else
      it->second.append(", ").append(col);
  }
  std::vector<std::string> out;
  for (const auto& [reason, cols] : groups) out.push_back(fmt::format("{}: {}", cols, reason));
  return out;
}

// (Built with append: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.)
std::string to_markdown(const Table& t) {
  std::string o = fmt::format("### {}\n\n", md_escape(t.title));
  if (!t.note.empty()) o.append(md_escape(t.note)).append("\n\n");
  if (t.rows.empty()) return o.append("_No data._\n\n");
  if (t.rows.size() > k_markdown_max_rows)  // keep report.md readable (and renderable) on GitHub
    return o.append(fmt::format("_{} rows: see [{}.csv]({}.csv)._\n\n", t.rows.size(), t.id, t.id));
  const auto h = t.header();
  o += "|";
  for (const auto& c : h) o.append(" ").append(md_escape(c)).append(" |");
  o += "\n|";
  for (size_t i = 0; i < h.size(); ++i) o += "---|";
  o += "\n";
  const bool extra = t.has_missing();
  for (const auto& r : t.rows) {
    o += "|";
    for (const auto& c : r) o.append(" ").append(md_escape(c.text)).append(" |");
    if (extra) o.append(" ").append(md_escape(joined_missing(t, r))).append(" |");
    o += "\n";
  }
  return o.append("\n");
}

std::string to_csv(const Table& t) {
  std::string o;
  const auto h = t.header();
  for (size_t i = 0; i < h.size(); ++i) o.append(i ? "," : "").append(csv_field(h[i]));
  o += "\n";
  const bool extra = t.has_missing();
  for (const auto& r : t.rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      const Cell& c = r[i];
      const std::string v = c.missing ? "" : c.value ? fmt::format("{}", *c.value) : c.text;
      o.append(i ? "," : "").append(csv_field(v));
    }
    if (extra) o.append(",").append(csv_field(joined_missing(t, r)));
    o += "\n";
  }
  return o;
}

}  // namespace fb::report
