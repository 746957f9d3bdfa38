#include "report/table.h"

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
  std::vector<std::string> out;
  for (size_t i = 0; i < row.size(); ++i)
    if (row[i].missing) out.push_back(fmt::format("{}: {}", i < columns.size() ? columns[i] : "?", *row[i].missing));
  return out;
}

std::string to_markdown(const Table& t) {
  std::string o = fmt::format("### {}\n\n", md_escape(t.title));
  if (!t.note.empty()) o += md_escape(t.note) + "\n\n";
  if (t.rows.empty()) return o + "_No data._\n\n";
  const auto h = t.header();
  o += "|";
  for (const auto& c : h) o += " " + md_escape(c) + " |";
  o += "\n|";
  for (size_t i = 0; i < h.size(); ++i) o += "---|";
  o += "\n";
  const bool extra = t.has_missing();
  for (const auto& r : t.rows) {
    o += "|";
    for (const auto& c : r) o += " " + md_escape(c.text) + " |";
    if (extra) {
      std::string m;
      for (const auto& s : t.missing_text(r)) m += (m.empty() ? "" : "; ") + s;
      o += " " + md_escape(m) + " |";
    }
    o += "\n";
  }
  return o + "\n";
}

std::string to_csv(const Table& t) {
  std::string o;
  const auto h = t.header();
  for (size_t i = 0; i < h.size(); ++i) o += (i ? "," : "") + csv_field(h[i]);
  o += "\n";
  const bool extra = t.has_missing();
  for (const auto& r : t.rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      const Cell& c = r[i];
      std::string v = c.missing ? "" : c.value ? fmt::format("{}", *c.value) : c.text;
      o += (i ? "," : "") + csv_field(v);
    }
    if (extra) {
      std::string m;
      for (const auto& s : t.missing_text(r)) m += (m.empty() ? "" : "; ") + s;
      o += "," + csv_field(m);
    }
    o += "\n";
  }
  return o;
}

}  // namespace fb::report
