#pragma once
// A plain text table for terminals: columns padded to their widest cell, numbers right-aligned.
#include <string>
#include <vector>

namespace fb {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void add_separator() { rows_.emplace_back(); }
  std::string str() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;  // empty row = separator
};

// 11689512 -> "11,689,512"
std::string with_commas(int64_t v);
// 1814083944 -> "1.814 G"; SI prefixes, three decimals.
std::string si(double v, const char* unit = "");

}  // namespace fb
