#pragma once
// A report table: typed cells that render to Markdown, CSV and HTML alike. A missing cell carries the
// reason; every renderer shows "n/a" in the cell and the reasons in a trailing "missing" column, so a
// missing value is never mistaken for zero.
#include <optional>
#include <string>
#include <vector>

namespace fb::report {

struct Cell {
  std::string text;                  // as displayed
  std::optional<double> value;       // for numeric cells: the unrounded value (CSV writes this)
  std::optional<std::string> missing;  // set: the cell is missing for this reason

  static Cell str(std::string s) { return {std::move(s), std::nullopt, std::nullopt}; }
  static Cell num(double v, int decimals);
  static Cell integer(double v);  // with thousands separators
  static Cell na(std::string reason) { return {"n/a", std::nullopt, std::move(reason)}; }
  // num(*v) when present, else na(reason)
  static Cell opt(const std::optional<double>& v, int decimals, const std::string& reason);
};

struct Table {
  Table() = default;
  Table(std::string id_, std::string title_, std::string note_ = "")
      : id(std::move(id_)), title(std::move(title_)), note(std::move(note_)) {}
  std::string id;     // file stem of its CSV and HTML anchor: [a-z0-9_]
  std::string title;
  std::string note;   // one paragraph under the title (method, units)
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;

  bool has_missing() const;
  // Header and rows with the "missing" column appended when any cell is missing.
  std::vector<std::string> header() const;
  std::vector<std::string> missing_text(const std::vector<Cell>& row) const;  // the reasons of one row
};

// The missing column's text for one row.
std::string joined_missing(const Table& t, const std::vector<Cell>& row);

// Tables longer than this are linked to their CSV instead of written out.
inline constexpr size_t k_markdown_max_rows = 1200;
std::string to_markdown(const Table& t);
std::string to_csv(const Table& t);  // RFC 4180; missing cells empty, reasons in the "missing" column

}  // namespace fb::report
