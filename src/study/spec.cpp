#include "study/spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "backends/backend.h"
#include "core/error.h"

namespace fb::study {
namespace {

constexpr const char* k_int_axis_help = "expected a positive integer, a list of positive integers or a range \"1..32\"";
constexpr const char* k_options_help =
    "expected a string or a list of strings, each of space-separated [BACKEND:]KEY=VALUE items (\"\" for none)";

std::string where(const toml::node& n) {
  const auto& s = n.source();
  return s.begin.line ? fmt::format(" (line {})", s.begin.line) : "";
}

[[noreturn]] void bad(const std::string& origin, const std::string& path, const toml::node& n, const std::string& what) {
  fail("{}: {}: {}{}", origin, path, what, where(n));
}

bool parse_int(const std::string& s, int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// A key-value reader for one TOML table that remembers which keys were read, so unknown keys are errors.
class TableReader {
 public:
  TableReader(const std::string& origin, std::string path, const toml::table& t)
      : origin_(origin), path_(std::move(path)), t_(t) {}

  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const toml::node* get(const std::string& key) {
    used_.insert(key);
    return t_.get(key);
  }

  std::optional<std::string> string(const std::string& key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) bad(origin_, key_path(key), *n, "expected a string");
    return n->value<std::string>();
  }

  std::optional<std::vector<std::string>> strings(const std::string& key, const std::string& what) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    std::vector<std::string> out;
    auto take = [&](const toml::node& e) {
      if (!e.is_string() || e.value<std::string>()->empty())
        bad(origin_, key_path(key), *n, fmt::format("expected {} (a string or a list of strings)", what));
      out.push_back(*e.value<std::string>());
    };
    if (const toml::array* a = n->as_array()) {
      for (const toml::node& e : *a) take(e);
      if (out.empty()) bad(origin_, key_path(key), *n, fmt::format("expected {}, got an empty list", what));
    } else {
      take(*n);
    }
    return out;
  }

  // `allow_cores`: the string "cores" stands for this machine's physical core count (stored as 0).
  std::optional<std::vector<int64_t>> ints(const std::string& key, bool allow_cores = false) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    std::vector<int64_t> out;
    const std::string help = allow_cores ? std::string(k_int_axis_help) + " or \"cores\"" : k_int_axis_help;
    auto take = [&](const toml::node& e) {
      if (auto v = e.value_exact<int64_t>()) {
        if (*v <= 0) bad(origin_, key_path(key), *n, help);
        out.push_back(*v);
      } else if (allow_cores && e.value_exact<std::string>() == "cores") {
        out.push_back(0);
      } else if (e.is_string()) {
        try {
          for (int64_t v2 : parse_range(*e.value<std::string>())) out.push_back(v2);
        } catch (const Error&) {
          bad(origin_, key_path(key), *n, help);
        }
      } else {
        bad(origin_, key_path(key), *n, help);
      }
    };
    if (const toml::array* a = n->as_array()) {
      for (const toml::node& e : *a) take(e);
      if (out.empty()) bad(origin_, key_path(key), *n, help);
    } else {
      take(*n);
    }
    std::set<int64_t> seen;
    for (int64_t v : out)
      if (!seen.insert(v).second) bad(origin_, key_path(key), *n, fmt::format("{} is listed twice", v));
    return out;
  }

  std::optional<double> number(const std::string& key, bool allow_zero) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    std::optional<double> v = n->is_integer() ? std::optional<double>(static_cast<double>(*n->value<int64_t>()))
                                              : n->value_exact<double>();
    if (!v || *v < 0 || (!allow_zero && *v == 0))
      bad(origin_, key_path(key), *n, allow_zero ? "expected a number >= 0" : "expected a number > 0");
    return v;
  }

  std::optional<int64_t> count(const std::string& key, bool allow_zero) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto v = n->value_exact<int64_t>();
    if (!v || *v < 0 || (!allow_zero && *v == 0))
      bad(origin_, key_path(key), *n, allow_zero ? "expected an integer >= 0" : "expected an integer > 0");
    return v;
  }

  std::optional<bool> boolean(const std::string& key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) bad(origin_, key_path(key), *n, "expected true or false");
    return n->value<bool>();
  }

  const toml::table* table(const std::string& key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (!n->is_table()) bad(origin_, key_path(key), *n, "expected a table");
    return n->as_table();
  }

  void check_all_used() const {
    std::vector<std::string> valid(used_.begin(), used_.end());
    for (const auto& [k, v] : t_)
      if (!used_.count(std::string(k.str())))
        bad(origin_, key_path(std::string(k.str())), v,
            fmt::format("unknown key (valid here: {})", fmt::join(valid, ", ")));
  }

 private:
  const std::string& origin_;
  std::string path_;
  const toml::table& t_;
  std::set<std::string> used_;
};

MeasureSettings read_measure(const std::string& origin, const std::string& path, const toml::table& t) {
  TableReader r(origin, path, t);
  MeasureSettings m;
  m.warmup = r.count("warmup", true);
  m.warmup_ms = r.number("warmup_ms", true);
  m.repetitions = r.count("repetitions", false);
  m.min_time_ms = r.number("min_time_ms", true);
  m.max_repetitions = r.count("max_repetitions", false);
  m.max_time_ms = r.number("max_time_ms", false);
  m.target_ci_pct = r.number("target_ci_pct", true);
  m.counters = r.boolean("counters");
  m.ceilings = r.boolean("ceilings");
  m.check = r.boolean("check");
  m.cache_sim = r.boolean("cache_sim");
  m.cache_sim_max_gmacs = r.number("cache_sim_max_gmacs", false);
  m.explain = r.boolean("explain");
  m.processes = r.count("processes", false);
  m.max_processes = r.count("max_processes", false);
  m.block = r.count("block", false);
  m.max_round_trip_ns = r.number("max_round_trip_ns", true);
  m.timeout_s = r.number("timeout_s", false);
  m.max_preemptions_per_thread_s = r.number("max_preemptions_per_thread_s", false);
  r.check_all_used();
  if (m.processes && m.max_processes && *m.max_processes < *m.processes)
    bad(origin, path + ".max_processes", *t.get("max_processes"), fmt::format("must be >= processes ({})", *m.processes));
  if (m.repetitions && m.max_repetitions && *m.max_repetitions < *m.repetitions)
    bad(origin, path + ".max_repetitions", *t.get("max_repetitions"),
        fmt::format("must be >= repetitions ({})", *m.repetitions));
  return m;
}

void check_precisions(const std::string& origin, const std::string& key_path, const toml::node& n,
                      const std::vector<std::string>& v) {
  // Canonical names only (no aliases): the name is part of a point's identity.
  std::set<std::string> valid;
  std::string names;
  for (const PrecisionInfo& i : precisions()) {
    valid.insert(i.name);
    names += (names.empty() ? "" : ", ") + std::string(i.name);
  }
  for (const std::string& p : v)
    if (!valid.count(p)) bad(origin, key_path, n, fmt::format("unknown precision '{}' (valid: {})", p, names));
}

void check_devices(const std::string& origin, const std::string& key_path, const toml::node& n,
                   const std::vector<std::string>& v) {
  for (const std::string& d : v)
    if (d != "cpu" && d != "cuda") bad(origin, key_path, n, fmt::format("unknown device '{}' (valid: cpu, cuda)", d));
}

void check_identifiers(const std::string& origin, const std::string& key_path, const toml::node& n,
                       const std::vector<std::string>& v, const char* what) {
  for (const std::string& s : v)
    for (char c : s)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
        bad(origin, key_path, n, fmt::format("'{}' is not a valid {} name (letters, digits and _)", s, what));
}

// One `options` entry: "fuse=off onednn:layout=plain" -> {fuse: off, onednn:layout: plain}. Messages quote the
// item, never the whole string, which may hold line breaks (an error is one line).
OptionSet parse_option_set(const std::string& origin, const std::string& key_path, const toml::node& n,
                           const std::string& text) {
  auto is_name = [](const std::string& v) {
    return !v.empty() &&
           std::all_of(v.begin(), v.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  };
  OptionSet out;
  std::istringstream in(text);
  std::string item;
  while (in >> item) {
    const size_t eq = item.find('=');
    const std::string key = eq == std::string::npos ? "" : item.substr(0, eq);
    const size_t colon = key.find(':');
    const std::string name = colon == std::string::npos ? key : key.substr(colon + 1);
    if (name.empty() || name.find(':') != std::string::npos ||
        (colon != std::string::npos && !is_name(key.substr(0, colon))))
      bad(origin, key_path, n, fmt::format("'{}' is not [BACKEND:]KEY=VALUE (e.g. fuse=off or onednn:fuse=off)", item));
    if (!out.emplace(key, item.substr(eq + 1)).second)
      bad(origin, key_path, n, fmt::format("'{}' is set twice in one entry", key));
  }
  return out;
}

// The `options` axis: a string or a list of strings, "" meaning the backends' defaults.
std::optional<std::vector<OptionSet>> read_options(const std::string& origin, TableReader& r) {
  const toml::node* n = r.get("options");
  if (!n) return std::nullopt;
  const std::string path = r.key_path("options");
  std::vector<OptionSet> out;
  auto take = [&](const toml::node& e) {
    if (!e.is_string()) bad(origin, path, *n, k_options_help);
    OptionSet set = parse_option_set(origin, path, *n, *e.value<std::string>());
    if (auto same = std::find(out.begin(), out.end(), set); same != out.end())
      bad(origin, path, *n, fmt::format("entries {} and {} are the same options", same - out.begin(), out.size()));
    out.push_back(std::move(set));
  };
  if (const toml::array* a = n->as_array()) {
    for (const toml::node& e : *a) take(e);
    if (out.empty()) bad(origin, path, *n, std::string(k_options_help) + ", got an empty list");
  } else {
    take(*n);
  }
  return out;
}

// Axes shared by the top level and the groups.
struct Axes {
  std::optional<std::vector<int64_t>> resolutions, batches, threads;
  std::optional<std::vector<std::string>> backends, precisions, devices;
  std::optional<std::vector<OptionSet>> options;
};

Axes read_axes(const std::string& origin, TableReader& r) {
  Axes a;
  a.resolutions = r.ints("resolution");
  a.batches = r.ints("batch");
  a.threads = r.ints("threads", /*allow_cores=*/true);
  a.backends = r.strings("backend", "backend names");
  if (a.backends) check_identifiers(origin, r.key_path("backend"), *r.get("backend"), *a.backends, "backend");
  a.precisions = r.strings("precision", "precisions");
  if (a.precisions) check_precisions(origin, r.key_path("precision"), *r.get("precision"), *a.precisions);
  a.devices = r.strings("device", "devices");
  if (a.devices) check_devices(origin, r.key_path("device"), *r.get("device"), *a.devices);
  a.options = read_options(origin, r);
  return a;
}

Group read_group(const std::string& origin, Group::Kind kind, const std::string& path, const toml::table& t) {
  TableReader r(origin, path, t);
  Group g;
  g.kind = kind;
  g.path = path;
  const char* name_key = kind == Group::Kind::Pattern ? "pattern" : "model";
  auto names = r.strings(name_key, kind == Group::Kind::Pattern ? "pattern names" : "zoo model names or .onnx files");
  if (!names) fail("{}: {}: missing '{}' (the {} to measure){}", origin, path, name_key,
                   kind == Group::Kind::Pattern ? "pattern names" : "zoo model names or .onnx files", where(t));
  g.names = *names;
  if (kind == Group::Kind::Pattern) {
    check_identifiers(origin, r.key_path(name_key), *r.get(name_key), g.names, "pattern");
    auto d = r.ints("depth");
    if (!d) fail("{}: {}: missing 'depth' ({}){}", origin, path, k_int_axis_help, where(t));
    g.depths = *d;
    auto w = r.ints("width");
    if (!w) fail("{}: {}: missing 'width' ({}){}", origin, path, k_int_axis_help, where(t));
    g.widths = *w;
  }
  if (const toml::table* p = r.table("params")) {
    for (const auto& [k, v] : *p) {
      std::string key(k.str());
      if (key == "depth" || key == "width" || key == "res" || key == "batch")
        bad(origin, r.key_path("params." + key), v, "set this with its own axis key, not in params");
      if (auto s = v.value_exact<std::string>()) g.params[key] = *s;
      else if (auto i = v.value_exact<int64_t>()) g.params[key] = std::to_string(*i);
      else if (auto b = v.value_exact<bool>()) g.params[key] = *b ? "1" : "0";
      else if (auto f = v.value_exact<double>()) g.params[key] = fmt::format("{}", *f);
      else bad(origin, r.key_path("params." + key), v, "expected a string, a number or a boolean");
    }
  }
  Axes a = read_axes(origin, r);
  g.resolutions = a.resolutions;
  g.batches = a.batches;
  g.threads = a.threads;
  g.backends = a.backends;
  g.precisions = a.precisions;
  g.devices = a.devices;
  g.options = a.options;
  if (const toml::table* m = r.table("measure")) g.measure = read_measure(origin, r.key_path("measure"), *m);
  r.check_all_used();
  return g;
}

}  // namespace

MeasureSettings MeasureSettings::merged(const MeasureSettings& o) const {
  MeasureSettings m = *this;
  auto take = [](auto& mine, const auto& theirs) {
    if (theirs) mine = theirs;
  };
  take(m.warmup, o.warmup);
  take(m.warmup_ms, o.warmup_ms);
  take(m.repetitions, o.repetitions);
  take(m.min_time_ms, o.min_time_ms);
  take(m.max_repetitions, o.max_repetitions);
  take(m.max_time_ms, o.max_time_ms);
  take(m.target_ci_pct, o.target_ci_pct);
  take(m.counters, o.counters);
  take(m.ceilings, o.ceilings);
  take(m.check, o.check);
  take(m.cache_sim, o.cache_sim);
  take(m.cache_sim_max_gmacs, o.cache_sim_max_gmacs);
  take(m.explain, o.explain);
  take(m.processes, o.processes);
  take(m.max_processes, o.max_processes);
  take(m.block, o.block);
  take(m.max_round_trip_ns, o.max_round_trip_ns);
  take(m.timeout_s, o.timeout_s);
  take(m.max_preemptions_per_thread_s, o.max_preemptions_per_thread_s);
  return m;
}

std::vector<int64_t> parse_range(const std::string& text) {
  const std::string s = trim(text);
  const size_t dots = s.find("..");
  if (dots == std::string::npos) fail("'{}' is not a range like \"1..32\" or \"1..32:4\"", text);
  std::string lo_s = trim(s.substr(0, dots)), rest = s.substr(dots + 2);
  std::string hi_s = rest, step_s = "1";
  if (size_t colon = rest.find(':'); colon != std::string::npos) {
    hi_s = rest.substr(0, colon);
    step_s = rest.substr(colon + 1);
  }
  int64_t lo = 0, hi = 0, step = 0;
  if (!parse_int(lo_s, lo) || !parse_int(trim(hi_s), hi) || !parse_int(trim(step_s), step) || lo <= 0 ||
      hi < lo || step <= 0 || (hi - lo) / step >= 100000)
    fail("'{}' is not a range like \"1..32\" or \"1..32:4\" (positive, low <= high)", text);
  std::vector<int64_t> v;
  for (int64_t x = lo; x <= hi; x += step) v.push_back(x);
  return v;
}

Spec parse_spec(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    fail("{}: line {}, column {}: {}", origin, e.source().begin.line, e.source().begin.column, e.description());
  }
  Spec s;
  s.origin = origin;
  s.source_text = toml_text;
  TableReader r(origin, "", root);
  auto name = r.string("name");
  if (!name || name->empty()) fail("{}: name: missing (every study needs a name, e.g. name = \"quick\")", origin);
  s.name = *name;
  s.description = r.string("description").value_or("");
  Axes a = read_axes(origin, r);
  if (a.resolutions) s.resolutions = *a.resolutions;
  if (a.batches) s.batches = *a.batches;
  if (a.threads) s.threads = *a.threads;
  if (a.backends) s.backends = *a.backends;
  if (a.precisions) s.precisions = *a.precisions;
  if (a.devices) s.devices = *a.devices;
  if (a.options) s.options = *a.options;
  if (const toml::table* m = r.table("measure")) s.measure = read_measure(origin, "measure", *m);
  for (auto [key, kind] : {std::pair{"patterns", Group::Kind::Pattern}, std::pair{"models", Group::Kind::Model}}) {
    const toml::node* n = r.get(key);
    if (!n) continue;
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables())
      bad(origin, key, *n, fmt::format("expected an array of tables ([[{}]])", key));
    for (size_t i = 0; i < arr->size(); ++i)
      s.groups.push_back(read_group(origin, kind, fmt::format("{}[{}]", key, i), *arr->get(i)->as_table()));
  }
  r.check_all_used();
  if (s.groups.empty()) fail("{}: nothing to measure: add [[patterns]] or [[models]] tables", origin);
  for (const Group& g : s.groups)
    if (!g.backends && s.backends.empty())
      fail("{}: {}: no backend: set 'backend' here or at the top level (e.g. backend = [\"torch\", \"onednn\"])",
           origin, g.path);
  return s;
}

Spec load_spec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read study spec '{}'", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_spec(ss.str(), path);
}

}  // namespace fb::study

namespace fb::study {

bool Spec::uses_cores() const {
  auto has = [](const std::vector<int64_t>& v) { return std::find(v.begin(), v.end(), 0) != v.end(); };
  for (const Group& g : groups)
    if (has(g.threads ? *g.threads : threads)) return true;
  return false;
}

}  // namespace fb::study
