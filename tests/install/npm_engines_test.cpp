// Every npm package in package-lock.json runs on Debian 12's own Node.js (18), not only on the Node.js of
// the machine that runs the tests: each package's `engines.node` range must admit Debian 12's 18.19.0. A
// dependency bumped to a release that needs Node 20 fails here, in CI, instead of on a user's clean install
// (docs/install.md). The range syntax is npm's (semver): `||`, comparators, ^, ~, x-ranges, hyphen ranges.
#include <array>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fb {
namespace {

// Debian 12's nodejs: 18.19.0 in the point releases, 18.20.x from the security archive.
constexpr std::array<int, 3> k_debian12_node = {18, 19, 0};

using Version = std::array<int, 3>;

struct Partial {
  std::array<int, 3> v{0, 0, 0};
  int given = 0;  // how many leading parts were numbers (the rest were missing, x or *)
};

std::optional<Partial> parse_partial(std::string s) {
  if (!s.empty() && (s[0] == 'v' || s[0] == '=')) s.erase(0, 1);
  Partial p;
  std::stringstream in(s);
  std::string part;
  int i = 0;
  bool wild = false;
  while (std::getline(in, part, '.')) {
    if (i == 3) return std::nullopt;
    if (part == "x" || part == "X" || part == "*") {
      wild = true;
    } else {
      if (wild || part.empty()) return std::nullopt;
      for (char c : part)
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      p.v[i] = std::stoi(part);
      p.given = i + 1;
    }
    ++i;
  }
  if (i == 0) return std::nullopt;
  return p;
}

// One comparator set (space-separated comparators, all must hold); nullopt when it does not parse.
std::optional<bool> satisfies_set(const std::string& set, const Version& v) {
  std::vector<std::string> tokens;
  std::stringstream in(set);
  for (std::string t; in >> t;) {
    // npm allows a space between an operator and its version (">= 10").
    if (!tokens.empty() && (tokens.back() == ">=" || tokens.back() == "<=" || tokens.back() == ">" ||
                            tokens.back() == "<" || tokens.back() == "=" || tokens.back() == "^" || tokens.back() == "~"))
      tokens.back() += t;
    else
      tokens.push_back(t);
  }
  if (tokens.size() == 3 && tokens[1] == "-") {  // hyphen range: A - B
    const auto a = parse_partial(tokens[0]), b = parse_partial(tokens[2]);
    if (!a || !b) return std::nullopt;
    Version hi = b->v;
    if (b->given < 3) {  // 1.2 - 2.3 means < 2.4.0
      if (b->given == 0) return v >= a->v;
      hi[b->given - 1] += 1;
      return v >= a->v && v < hi;
    }
    return v >= a->v && v <= hi;
  }
  for (const std::string& t : tokens) {
    size_t n = 0;
    while (n < t.size() && std::string("<>=^~").find(t[n]) != std::string::npos) ++n;
    const std::string op = t.substr(0, n);
    const auto p = parse_partial(t.substr(n));
    if (!p) return std::nullopt;
    Version lo = p->v, hi = p->v;  // [lo, hi) for x-ranges, ^ and ~
    bool ok = false;
    if (op.empty() || op == "=") {
      if (p->given == 0) {
        ok = true;
      } else if (p->given == 3) {
        ok = v == lo;
      } else {
        hi[p->given - 1] += 1;
        ok = v >= lo && v < hi;
      }
    } else if (op == ">=") {
      ok = v >= lo;
    } else if (op == "<") {
      ok = v < lo;
    } else if (op == ">") {
      if (p->given == 3) {
        ok = v > lo;
      } else if (p->given == 0) {
        ok = false;
      } else {
        hi[p->given - 1] += 1;
        ok = v >= hi;
      }
    } else if (op == "<=") {
      if (p->given == 3 || p->given == 0) {
        ok = p->given == 0 || v <= lo;
      } else {
        hi[p->given - 1] += 1;
        ok = v < hi;
      }
    } else if (op == "^") {
      const int first = lo[0] != 0 || p->given == 1 ? 0 : lo[1] != 0 || p->given == 2 ? 1 : 2;
      hi = {0, 0, 0};
      for (int i = 0; i < first; ++i) hi[i] = lo[i];
      hi[first] = lo[first] + 1;
      ok = v >= lo && v < hi;
    } else if (op == "~") {
      const int keep = p->given >= 2 ? 1 : 0;  // ~1.2.3 and ~1.2: < 1.3.0; ~1: < 2.0.0
      hi = {0, 0, 0};
      for (int i = 0; i < keep; ++i) hi[i] = lo[i];
      hi[keep] = lo[keep] + 1;
      ok = v >= lo && v < hi;
    } else {
      return std::nullopt;
    }
    if (!ok) return false;
  }
  return true;
}

// Whether version v satisfies an npm range; nullopt when the range does not parse.
std::optional<bool> satisfies(const std::string& range, const Version& v) {
  bool any = false;
  size_t start = 0;
  while (true) {
    const size_t bar = range.find("||", start);
    const auto r = satisfies_set(range.substr(start, bar == std::string::npos ? std::string::npos : bar - start), v);
    if (!r) return std::nullopt;
    any = any || *r;
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  return any;
}

TEST(NpmEngines, RangesAreReadAsNpmReadsThem) {
  const Version v = {18, 19, 0};
  for (const char* yes : {">=18", ">= 10", ">=0.10.0", "6.* || 8.* || >= 10.*", "^18.0.0", "18.x", "~18.19.0", "18",
                          "^16 || ^18 || >=20", "16 - 18", "*", ">17", "<=18", ">=18.19.0 <19"})
    EXPECT_EQ(satisfies(yes, v), std::optional<bool>(true)) << yes;
  for (const char* no : {">=20", ">=18.20", "^20.19.0 || ^22.12.0 || >=23", "^18.20.0", "~18.20", ">18", "<18",
                         "19.x", "16 - 17", ">=22"})
    EXPECT_EQ(satisfies(no, v), std::optional<bool>(false)) << no;
  for (const char* bad : {"latest", ">=18.a", "1.2.3.4"}) EXPECT_FALSE(satisfies(bad, v).has_value()) << bad;
}

TEST(NpmEngines, EveryLockedPackageRunsOnDebian12sNodejs) {
  std::ifstream f(std::string(FORMBENCH_SOURCE_DIR) + "/package-lock.json");
  ASSERT_TRUE(f) << "package-lock.json not found in the source tree";
  const nlohmann::json lock = nlohmann::json::parse(f);
  const std::string node = std::to_string(k_debian12_node[0]) + "." + std::to_string(k_debian12_node[1]) + "." +
                           std::to_string(k_debian12_node[2]);
  int checked = 0;
  for (const auto& [path, pkg] : lock.at("packages").items()) {
    if (!pkg.contains("engines") || !pkg["engines"].is_object() || !pkg["engines"].contains("node")) continue;
    const std::string range = pkg["engines"]["node"].get<std::string>();
    const std::string name = path.empty() ? "package.json" : path + "@" + pkg.value("version", "?");
    const auto ok = satisfies(range, k_debian12_node);
    ASSERT_TRUE(ok.has_value()) << name << ": cannot read engines.node '" << range << "'";
    EXPECT_TRUE(*ok) << name << " needs Node.js '" << range << "', but Debian 12 has " << node
                     << " (pick a release that supports it; docs/install.md)";
    ++checked;
  }
  EXPECT_GT(checked, 10);  // the lock really lists engines (playwright-core, vega-lite, ...)
}

}  // namespace
}  // namespace fb
