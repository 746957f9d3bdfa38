#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>
#include <set>

#include <fmt/format.h>

#include "backends/calibrate.h"
#include "backends/options.h"
#include "core/error.h"
#include "formbench/version.h"
#include "measure/machine.h"
#include "measure/processes.h"
#include "measure/point_flags.h"
#include "measure/timing_flags.h"
#include "study/point.h"

namespace fb::study {
namespace {

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// "cores" in a spec: the physical cores of the machine that expands it (so the identity holds the real count).
int64_t physical_cores() {
  static const int64_t n = [] {
    const int c = measure::collect_machine_facts().physical_cores;
    return c > 0 ? int64_t{c} : int64_t{std::max(1u, std::thread::hardware_concurrency())};
  }();
  return n;
}

std::string fmt_number(double v) { return fmt::format("{}", v); }

std::string make_ref(const Group& g, const std::string& name, std::optional<int64_t> depth,
                     std::optional<int64_t> width, int64_t res) {
  if (g.kind == Group::Kind::Model && name.size() > 5 && name.ends_with(".onnx")) return name;
  // Fixed key order, so the same settings always give the same text (and identity).
  std::vector<std::string> kv;
  if (depth) kv.push_back(fmt::format("depth={}", *depth));
  if (width) kv.push_back(fmt::format("width={}", *width));
  kv.push_back(fmt::format("res={}", res));
  for (const auto& [k, v] : g.params) kv.push_back(k + "=" + v);  // std::map: sorted
  return fmt::format("{}{}?{}", g.kind == Group::Kind::Pattern ? "pattern:" : "", name, fmt::join(kv, "&"));
}

// The points a group names before duplicates go, without expanding them; a double, since eight axes of up to
// 100000 values each overflow int64.
double points_named(const Spec& spec, const Group& g) {
  auto size = [](const auto& own, const auto& top) { return static_cast<double>((own ? *own : top).size()); };
  const bool is_pattern = g.kind == Group::Kind::Pattern;
  double names = 0;
  for (const std::string& name : g.names)
    names += !is_pattern && name.ends_with(".onnx") ? 1 : size(g.resolutions, spec.resolutions);
  double n = names * size(g.batches, spec.batches) * size(g.threads, spec.threads) * size(g.backends, spec.backends) *
             size(g.precisions, spec.precisions) * size(g.devices, spec.devices) * size(g.options, spec.options);
  if (is_pattern) n *= static_cast<double>(g.depths.size()) * static_cast<double>(g.widths.size());
  return n;
}

// A scoped option for a backend the group does not measure would be refused by the child (compare) at every
// point: say so before anything is built.
void check_scopes(const Spec& spec, const Group& g) {
  const auto& backends = g.backends ? *g.backends : spec.backends;
  for (const OptionSet& set : g.options ? *g.options : spec.options)
    for (const auto& [key, value] : set) {
      const std::string scope = option_scope(key);
      if (scope.empty()) continue;
      if (std::find(backends.begin(), backends.end(), scope) == backends.end())
        fail("{}: {}: '{}={}' names backend '{}', which {} does not measure (backend: {})", spec.origin,
             g.options ? g.path + ".options" : std::string("options"), key, value, scope, g.path,
             fmt::format("{}", fmt::join(backends, ", ")));
    }
}

}  // namespace

std::string options_text(const OptionSet& options) {
  std::vector<std::string> items;
  for (const auto& [key, value] : options) items.push_back(key + "=" + value);
  return fmt::format("{}", fmt::join(items, " "));
}

nlohmann::json Point::settings_json() const {
  nlohmann::json j = nlohmann::json::object();
  auto put = [&](const char* key, const auto& v) {
    if (v) j[key] = *v;
  };
  put("warmup", measure.warmup);
  put("warmup_ms", measure.warmup_ms);
  put("repetitions", measure.repetitions);
  put("min_time_ms", measure.min_time_ms);
  put("max_repetitions", measure.max_repetitions);
  put("max_time_ms", measure.max_time_ms);
  put("target_ci_pct", measure.target_ci_pct);
  put("counters", measure.counters);
  put("ceilings", measure.ceilings);
  put("check", measure.check);
  put("cache_sim", measure.cache_sim);
  put("block", measure.block);
  put("max_round_trip_ns", measure.max_round_trip_ns);
  if (!options.empty()) j["options"] = options;
  j["processes"] = processes_of(measure);  // always: it decides what the CIs cover
  j["measured_with"] = "compare";          // the point's backends together, interleaved
  return j;
}

int64_t processes_of(const MeasureSettings& m) { return m.processes.value_or(k_default_processes); }

std::string group_key(const std::vector<const Point*>& group) {
  std::string key;
  for (const Point* p : group) key += (key.empty() ? "" : ",") + p->id;
  return key;
}
int64_t max_processes_of(const MeasureSettings& m) { return m.max_processes.value_or(2 * processes_of(m)); }
measure::StabilityRule stability_rule_of(const MeasureSettings& m) {
  measure::StabilityRule r;
  if (m.max_preemptions_per_thread_s) r.switches_per_thread_s = *m.max_preemptions_per_thread_s;
  return r;
}

std::vector<std::string> group_args(const std::vector<const Point*>& group, int process) {
  if (group.empty()) fail("a comparison group without points");
  const Point& p = *group.front();
  std::vector<std::string> backends;
  for (const Point* q : group) backends.push_back(q->backend);
  std::vector<std::string> a = {"compare", p.model, "--backends", fmt::format("{}", fmt::join(backends, ","))};
  // What is measured, written from one table (measure/point_flags.h); seed and heap policy are the defaults.
  measure::BenchSettings what;
  what.threads = p.threads;
  what.batch = p.batch;
  what.precision = parse_precision(p.precision);
  what.device = p.device;
  for (std::string& arg : measure::point_flag_args(what)) a.push_back(std::move(arg));
  a.insert(a.end(), {"--json", "--keep-going", "--order-seed", std::to_string(process + 1), "--processes", "1"});
  // Timing settings by their spec keys, as the point's identity records them (measure/timing_flags.h).
  const nlohmann::json settings = p.settings_json();
  for (const measure::TimingFlag& t : measure::timing_flags())
    if (settings.contains(t.spec_key)) a.insert(a.end(), {t.flag, fmt_number(settings[t.spec_key].get<double>())});
  if (p.measure.block) a.insert(a.end(), {"--block", std::to_string(*p.measure.block)});
  if (!p.measure.counters.value_or(true)) a.push_back("--no-counters");
  if (!p.measure.ceilings.value_or(true)) a.push_back("--no-ceilings");
  if (process > 0 || !p.measure.check.value_or(false)) a.push_back("--no-check");
  if (process == 0 && p.measure.cache_sim.value_or(false)) a.push_back("--cache-sim");
  // Per-layer profiles after the timed rounds, in the first process only: the attribution needs one.
  if (process == 0 && p.measure.explain.value_or(false)) a.push_back("--per-layer");
  // A scoped option goes only where its backend is measured: the runner measures a backend alone after its
  // group's process crashed, and compare refuses an option for a backend it does not measure.
  for (const auto& [key, value] : p.options) {
    const std::string scope = option_scope(key);
    if (scope.empty() || std::find(backends.begin(), backends.end(), scope) != backends.end())
      a.insert(a.end(), {"--opt", key + "=" + value});
  }
  return a;
}

std::string Point::label() const {
  std::string s = fmt::format("{} {} t={} b={}", model, backend, threads, batch);
  if (precision != "fp32") s += " " + precision;
  if (device != "cpu") s += " " + device;
  if (!options.empty()) s += " (" + options_text(options) + ")";
  return s;
}

std::string point_id(const Point& p) {
  // Canonical: nlohmann::json objects are key-sorted, numbers printed exactly.
  nlohmann::json j = {{"identity", "formbench.point/1"},
                      {"version", FORMBENCH_VERSION},
                      {"model", p.model},
                      {"backend", p.backend},
                      {"threads", p.threads},
                      {"batch", p.batch},
                      {"precision", p.precision},
                      {"device", p.device},
                      {"settings", p.settings_json()}};
  return fmt::format("{:016x}", fnv1a64(j.dump()));
}

std::vector<Point> expand(const Spec& spec, const ModelResolver& resolve) {
  double total = 0;
  for (const Group& g : spec.groups) {
    check_scopes(spec, g);
    total += points_named(spec, g);
    if (total > k_max_points)
      fail("{}: {}: the spec expands to {:.3g} points or more, above the limit of {:.0f}; narrow its axes", spec.origin,
           g.path, total, k_max_points);
  }
  std::vector<Point> out;
  std::set<std::string> seen;
  std::map<std::string, ModelInfo> infos;
  int64_t group_index = 0;
  for (const Group& g : spec.groups) {
    const MeasureSettings m = spec.measure.merged(g.measure);
    const auto& resolutions = g.resolutions ? *g.resolutions : spec.resolutions;
    const auto& batches = g.batches ? *g.batches : spec.batches;
    const auto& threads = g.threads ? *g.threads : spec.threads;
    const auto& backends = g.backends ? *g.backends : spec.backends;
    const auto& precisions = g.precisions ? *g.precisions : spec.precisions;
    const auto& devices = g.devices ? *g.devices : spec.devices;
    const auto& option_sets = g.options ? *g.options : spec.options;
    const bool is_pattern = g.kind == Group::Kind::Pattern;
    const std::vector<std::optional<int64_t>> none{std::nullopt};
    std::vector<std::optional<int64_t>> depths(g.depths.begin(), g.depths.end()), widths(g.widths.begin(), g.widths.end());
    if (!is_pattern) depths = widths = none;
    for (const std::string& name : g.names) {
      const bool is_file = !is_pattern && name.ends_with(".onnx");
      for (const auto& depth : depths)
        for (const auto& width : widths)
          for (size_t ri = 0; ri < (is_file ? 1 : resolutions.size()); ++ri) {
            const std::string ref = make_ref(g, name, depth, width, resolutions[ri]);
            auto it = infos.find(ref);
            if (it == infos.end()) {
              ModelInfo info;
              try {
                info = resolve(ref, is_pattern);
              } catch (const Error& e) {
                fail("{}: {}.{}: {}", spec.origin, g.path, is_pattern ? "pattern" : "model", e.what());
              }
              it = infos.emplace(ref, info).first;
            }
            const ModelInfo& info = it->second;
            for (int64_t batch : batches)
              for (const std::string& precision : precisions)
                for (const std::string& device : devices)
                  for (int64_t t_spec : threads) {
                    const int64_t t = t_spec == 0 ? spec.cores.value_or(physical_cores()) : t_spec;
                    for (const OptionSet& options : option_sets) {  // one comparison group per entry
                      bool new_group = true;
                      for (const std::string& backend : backends) {
                        Point p;
                        p.model = ref;
                        p.family = info.family;
                        if (is_pattern) {
                          p.pattern = name;
                          p.depth = depth;
                          p.width = width;
                        }
                        p.resolution = is_file ? info.resolution : resolutions[ri];
                        p.batch = batch;
                        p.threads = t;
                        p.backend = backend;
                        p.precision = precision;
                        p.device = device;
                        p.options = options;
                        p.gmacs = info.gmacs * static_cast<double>(batch);
                        p.measure = m;
                        // Simulation costs ~50x a native run: only where the spec says it is affordable.
                        if (m.cache_sim.value_or(false) && m.cache_sim_max_gmacs && p.gmacs > *m.cache_sim_max_gmacs)
                          p.measure.cache_sim = false;
                        p.id = point_id(p);
                        if (!seen.insert(p.id).second) continue;
                        if (new_group) ++group_index;
                        new_group = false;
                        p.group = group_index - 1;
                        p.seq = static_cast<int64_t>(out.size());
                        out.push_back(std::move(p));
                      }
                    }
                  }
          }
    }
  }
  std::map<int64_t, int64_t> sizes;
  for (const Point& p : out) ++sizes[p.group];
  for (Point& p : out) p.group_size = sizes[p.group];
  return out;
}

double estimate_seconds(const Point& p) {
  // Nominal fp32 GFLOP/s per thread; deliberately round numbers (an estimate, not a measurement).
  static const std::map<std::string, double> speed = {{"reference", 1},  {"torch", 25},  {"torchscript", 25},
                                                      {"onednn", 40},    {"cudnn", 2000}};
  // Process start-up, model build and compile; loading LibTorch dominates where it is loaded.
  const double startup_s = p.backend == "torch" || p.backend == "torchscript" ? 1.5 : 0.5;
  auto it = speed.find(p.backend);
  const double gflops = (it == speed.end() ? 20.0 : it->second) * (p.device == "cuda" ? 1 : static_cast<double>(p.threads));
  const double latency_s = 2 * p.gmacs / gflops;
  // bench's defaults: >= 3 warm-up runs and 200 ms; >= 10 timed runs and 1 s, at most 60 s.
  const double warmup = std::max(static_cast<double>(p.measure.warmup.value_or(3)) * latency_s,
                                 p.measure.warmup_ms.value_or(200) / 1000);
  double timed = std::max(static_cast<double>(p.measure.repetitions.value_or(10)) * latency_s,
                          p.measure.min_time_ms.value_or(1000) / 1000);
  if (p.measure.max_repetitions) timed = std::min(timed, std::max(latency_s, static_cast<double>(*p.measure.max_repetitions) * latency_s));
  timed = std::min(timed, std::max(latency_s, p.measure.max_time_ms.value_or(60000) / 1000));
  // Every process starts, warms up and times again; the check and the simulation run in the first only.
  double t = static_cast<double>(processes_of(p.measure)) * (startup_s + warmup + latency_s + timed);
  // One reference run (~1 GFLOP/s) for the whole comparison group, shared among its points; a precision with an
  // accuracy bound (int8) runs its inputs on the reference too.
  const PrecisionInfo* prec = find_precision(p.precision);
  const double reference_s = 2 * p.gmacs / 1.0;
  if (p.measure.check.value_or(false))
    t += reference_s * (1 + (prec ? prec->accuracy_inputs : 0)) / static_cast<double>(std::max<int64_t>(1, p.group_size));
  // int8 calibrates on the reference backend at every compile, so in every process.
  if (prec && prec->precision == Precision::I8)
    t += static_cast<double>(processes_of(p.measure)) * CalibrationOptions{}.inputs * reference_s;
  // Under valgrind (one thread): start-up, then a warm-up and k = 1 runs, far slower than native. Fitted to
  // the first cache-simulated groups of studies/paper_full.toml on the 2-vCPU Xeon guest (2026-12-07; 0.02 to
  // 0.7 GMAC, 91 to 575 s per group of 3 backends): about 24 s + 240 s per GMAC for each backend.
  if (p.measure.cache_sim.value_or(false)) t += 24 + 240 * p.gmacs;
  // Per-layer profiles: 10 runs per backend, each at roughly the latency (the timers add little).
  if (p.measure.explain.value_or(false)) t += 10 * latency_s;
  return t;
}

std::pair<int, int> parse_shard(const std::string& text) {
  int i = 0, n = 0;
  char slash = 0;
  if (std::sscanf(text.c_str(), "%d%c%d", &i, &slash, &n) != 3 || slash != '/' || n < 1 || i < 1 || i > n ||
      text != fmt::format("{}/{}", i, n))
    fail("--shard '{}': expected i/N with 1 <= i <= N (e.g. 1/4 ... 4/4)", text);
  return {i, n};
}

bool in_shard(const Point& p, std::pair<int, int> shard) { return p.group % shard.second == shard.first - 1; }

}  // namespace fb::study
