#include "core/table.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace fb {
namespace {

bool looks_numeric(const std::string& s) {
  if (s.empty()) return false;
  const char c = s[0];
  return std::isdigit(static_cast<unsigned char>(c)) || ((c == '-' || c == '.') && s.size() > 1);
}

}  // namespace

std::string TextTable::str() const {
  std::vector<size_t> w(header_.size(), 0);
  for (size_t i = 0; i < header_.size(); ++i) w[i] = header_[i].size();
  for (const auto& r : rows_)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r, bool is_header) {
    std::string out;
    for (size_t i = 0; i < w.size(); ++i) {
      const std::string cell = i < r.size() ? r[i] : "";
      const bool right = !is_header && looks_numeric(cell);
      out += right ? fmt::format("{:>{}}", cell, w[i]) : fmt::format("{:<{}}", cell, w[i]);
      if (i + 1 < w.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string sep;
  for (size_t i = 0; i < w.size(); ++i) sep += std::string(w[i], '-') + (i + 1 < w.size() ? "  " : "");
  std::string out = line(header_, true) + sep + "\n";
  for (const auto& r : rows_) out += r.empty() ? sep + "\n" : line(r, false);
  return out;
}

std::string with_commas(int64_t v) {
  // The magnitude in unsigned arithmetic: -v overflows for INT64_MIN (a results database can hold it).
  const uint64_t magnitude = v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string si(double v, const char* unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T", "P"};
  int p = 0;
  while (std::fabs(v) >= 1000.0 && p < 5) {
    v /= 1000.0;
    ++p;
  }
  return fmt::format("{:.3f} {}{}", v, prefixes[p], unit);
}

}  // namespace fb
