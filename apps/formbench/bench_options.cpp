#include "bench_options.h"

#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <iostream>

#include "core/error.h"
#include "measure/affinity.h"
#include "measure/point_flags.h"
#include "measure/timing_flags.h"

namespace fb::cli {

measure::BenchSettings BenchFlags::resolve() const {
  measure::BenchSettings r = s;
  for (const measure::PointFlag& p : measure::point_flags())
    if (const auto it = point_values.find(p.flag); it != point_values.end()) p.read(r, it->second);
  for (const std::string& kv : opts) {
    // [BACKEND:]KEY=VALUE; kept as "BACKEND:KEY" (measure::compile_options resolves it per backend).
    const auto eq = kv.find('=');
    const std::string key = eq == std::string::npos ? "" : kv.substr(0, eq);
    const auto colon = key.find(':');
    const bool ok = !key.empty() && colon != 0 && colon + 1 != key.size() &&
                    (colon == std::string::npos || key.find(':', colon + 1) == std::string::npos);
    if (!ok) fail("bad --opt '{}': expected [BACKEND:]KEY=VALUE (e.g. fuse=off or onednn:fuse=off)", kv);
    r.extra[key] = kv.substr(eq + 1);
  }
  if (!pin.empty()) r.pin = measure::parse_cpu_list(pin);
  r.counters = !no_counters;
  r.ceilings = !no_ceilings;
  if (check_tol > 0) r.check_tol = check_tol;
  if (cache_sim || !cache_sim_ll.empty() || !cache_sim_d1.empty() || !cache_sim_i1.empty()) {
    measure::CacheSimSettings c;
    if (!cache_sim_i1.empty()) c.i1 = measure::parse_cache_geometry(cache_sim_i1, "--cache-sim-i1");
    if (!cache_sim_d1.empty()) c.d1 = measure::parse_cache_geometry(cache_sim_d1, "--cache-sim-d1");
    if (!cache_sim_ll.empty()) c.ll = measure::parse_cache_geometry(cache_sim_ll, "--cache-sim-ll");
    c.iterations = cache_sim_iterations;
    r.cache_sim = c;
  }
  r.run.validate();
  return r;
}

void add_point_flags(CLI::App* sub, BenchFlags& f) {
  // Kept as given and read in resolve(); numbers are checked here, as CLI11 checks every numeric flag.
  for (const measure::PointFlag& p : measure::point_flags()) {
    const std::string flag = p.flag;
    CLI::Option* o = nullptr;
    switch (p.type) {
      case measure::PointFlag::Type::Int:
        o = sub->add_option_function<int64_t>(
            p.names, [&f, flag](const int64_t& v) { f.point_values[flag] = std::to_string(v); }, p.help);
        break;
      case measure::PointFlag::Type::UInt:
        o = sub->add_option_function<uint64_t>(
            p.names, [&f, flag](const uint64_t& v) { f.point_values[flag] = std::to_string(v); }, p.help);
        break;
      case measure::PointFlag::Type::Text:
        o = sub->add_option_function<std::string>(
            p.names, [&f, flag](const std::string& v) { f.point_values[flag] = v; }, p.help);
        break;
    }
    if (p.show_default) o->default_str(p.write(measure::BenchSettings{}));
  }
  sub->add_option("--opt", f.opts,
                  "backend option [BACKEND:]KEY=VALUE (repeatable): KEY=VALUE goes to every backend, "
                  "BACKEND:KEY=VALUE to that one only (and wins over KEY=VALUE there)");
}

void add_timing_flags(CLI::App* sub, BenchFlags& f) {
  auto& r = f.s.run;
  for (const measure::TimingFlag& t : measure::timing_flags())
    std::visit([&](auto field) { sub->add_option(t.flag, r.*field, t.help)->capture_default_str(); }, t.field);
  sub->add_option("--pin", f.pin, "pin to these CPUs, e.g. 0,1 or 0-3 (what was granted is recorded)");
  sub->add_flag("--no-counters", f.no_counters, "do not try hardware counters");
  sub->add_flag("--no-ceilings", f.no_ceilings, "do not measure/read the machine's FMA peak (no % of peak)");
  sub->add_flag("--with-transfers", f.s.with_transfers,
                "device backends: time host<->device input/output copies too (default: inputs stay on the device)");
}

void add_check_flags(CLI::App* sub, BenchFlags& f) {
  sub->add_flag("--check", f.s.check, "compare outputs with the reference backend (run once)");
  sub->add_option("--check-tol", f.check_tol, "relative tolerance for --check (default by precision: fp32 1e-3)");
}

void add_cache_sim_flags(CLI::App* sub, BenchFlags& f) {
  sub->add_flag("--cache-sim", f.cache_sim, "also simulate the caches under valgrind (callgrind's cache simulator; the loop runs ~50x slower)");
  sub->add_option("--cache-sim-ll", f.cache_sim_ll, "simulated LL cache SIZE,ASSOC,LINE (default: the host's)");
  sub->add_option("--cache-sim-d1", f.cache_sim_d1, "simulated D1 cache SIZE,ASSOC,LINE (default: the host's)");
  sub->add_option("--cache-sim-i1", f.cache_sim_i1, "simulated I1 cache SIZE,ASSOC,LINE (default: the host's)");
  sub->add_option("--cache-sim-iterations", f.cache_sim_iterations,
                  "k: the simulation runs k and 2k inferences and reports the difference / k")
      ->capture_default_str();
}

namespace {
bool g_progress_shown = false;
}

std::function<void(const std::string&)> terminal_progress() {
  if (!isatty(STDERR_FILENO)) return nullptr;
  return [](const std::string& m) {
    std::fprintf(stderr, "\r\033[K%s", m.c_str());
    std::fflush(stderr);
    g_progress_shown = true;
  };
}

void note_line(const std::string& line) { std::fprintf(stderr, "formbench: note: %s\n", line.c_str()); }

void end_progress() {
  if (g_progress_shown) std::fprintf(stderr, "\r\033[K");
  g_progress_shown = false;
}

bool all_agree(const measure::CompareResult& r, const std::string& then) {
  bool ok = true;
  for (const auto& e : r.entries)
    if (e.agreement && !e.agreement->passed(r.agreement_tol)) {
      std::cerr << "formbench: error: " << e.backend << " disagrees with the reference backend: " << e.agreement->summary()
                << (then.empty() ? "" : " (" + then + ")") << "\n";
      ok = false;
    }
  return ok;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}

}  // namespace fb::cli
