// formbench doctor: what this machine and this build can measure, and what they cannot (and why).
#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "command.h"
#include "core/table.h"
#include "measure/cachesim.h"
#include "measure/ceilings.h"
#include "measure/core_round_trip.h"
#include "measure/counters.h"
#include "measure/affinity.h"
#include "measure/runner.h"
#include "measure/machine.h"

namespace fb::cli {
namespace {

struct Options {
  int threads = 1;
  bool json = false;
  bool no_ceilings = false;
  bool refresh = false;
};

// Left-aligned "key   value" lines (TextTable right-aligns numbers, which reads badly for facts).
struct KeyValues {
  std::vector<std::pair<std::string, std::string>> rows;
  void add_row(std::vector<std::string> r) { rows.emplace_back(r.at(0), r.at(1)); }
  std::string str() const {
    size_t w = 0;
    for (const auto& [k, v] : rows) w = std::max(w, k.size());
    std::string out;
    for (const auto& [k, v] : rows) out += fmt::format("  {:<{}}  {}\n", k, w, v);
    return out;
  }
};

int run_doctor(const Options& o) {
  if (o.threads < 1) fail("--threads must be >= 1, got {}", o.threads);
  const measure::MachineFacts m = measure::collect_machine_facts();
  nlohmann::json j;
  j["machine"] = m.to_json();

  nlohmann::json backends = nlohmann::json::array();
  std::vector<std::string> warnings;
  CompileOptions opt;
  opt.threads = o.threads;
  for (const BackendAvailability& a : backend_availability()) {
    nlohmann::json b = {{"name", a.name}, {"built", a.built}, {"reason", a.reason}};
    if (a.built) {
      try {
        nlohmann::json d = make_backend(a.name)->diagnostics(opt);
        b["diagnostics"] = d;
        if (d.is_object() && d.contains("warnings") && d["warnings"].is_array())
          for (const auto& w : d["warnings"]) warnings.push_back(fmt::format("{}: {}", a.name, w.is_string() ? w.get<std::string>() : w.dump()));
      } catch (const std::exception& e) {
        b["diagnostics"] = {{"error", e.what()}};
        warnings.push_back(fmt::format("{}: diagnostics failed: {}", a.name, e.what()));
      }
    }
    backends.push_back(b);
  }
  j["backends"] = backends;

  auto perf = measure::make_linux_perf_sys();
  const measure::CounterResult c = measure::probe_counters(*perf);
  j["counters"] = {{"available", c.source == "hardware"}, {"reason", c.reason ? nlohmann::json(*c.reason) : nlohmann::json(nullptr)}};
  const auto vg = measure::valgrind_version();
  j["valgrind"] = vg ? nlohmann::json(*vg) : nlohmann::json(nullptr);
  const auto host = measure::host_cache_geometry();
  j["cache_sim_default_ll"] = host.ll ? nlohmann::json(host.ll->str()) : nlohmann::json(nullptr);
  // Where the threads sit: 20 round trips 100 ms apart (2 s), against the placement gate's default.
  const std::vector<int> cpus = measure::current_affinity();
  std::vector<double> trips;
  for (int i = 0; i < 20 && cpus.size() >= 2; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (auto ns = measure::thread_round_trip_ns(cpus)) trips.push_back(*ns);
  }
  std::sort(trips.begin(), trips.end());
  const double gate = measure::RunSettings{}.max_round_trip_ns;
  const auto far = std::count_if(trips.begin(), trips.end(), [&](double x) { return x > gate; });
  j["round_trip_ns"] = trips.empty() ? nlohmann::json(nullptr)
                                     : nlohmann::json{{"cpus", {cpus[0], cpus[1]}},
                                                      {"min", trips.front()},
                                                      {"median", trips[trips.size() / 2]},
                                                      {"max", trips.back()},
                                                      {"above_gate", far},
                                                      {"probes", trips.size()},
                                                      {"gate", gate}};
  std::optional<measure::Ceilings> ceil;
  if (!o.no_ceilings) ceil = measure::get_ceilings(o.threads, o.refresh);
  j["ceilings"] = ceil ? ceil->to_json() : nlohmann::json(nullptr);
  j["ceilings_cache"] = measure::cache_dir() + "/ceilings.json";
  j["warnings"] = warnings;

  for (const auto& w : warnings) std::cerr << "formbench: WARNING: " << w << "\n";
  if (o.json) {
    std::cout << j.dump(2) << "\n";
    return k_exit_ok;
  }
  std::string caches;
  for (const auto& l : m.caches)
    caches += fmt::format("{}L{} {} {} KiB {}-way", caches.empty() ? "" : "; ", l.level, l.type, l.size_bytes / 1024, l.ways);
  KeyValues t;
  t.add_row({"cpu", m.cpu_model});
  t.add_row({"cores / cpus / sockets", fmt::format("{} / {} / {}", m.physical_cores, m.logical_cpus, m.sockets)});
  t.add_row({"isa", fmt::format("{}", fmt::join(m.isa, " "))});
  t.add_row({"caches", caches});
  t.add_row({"memory", fmt::format("{:.1f} GiB", m.memory_bytes / 1073741824.0)});
  t.add_row({"os / kernel", m.os + " / " + m.kernel});
  t.add_row({"compiler", m.compiler});
  for (const auto& [k, v] : m.libraries.items()) t.add_row({"library " + k, v.is_string() ? v.get<std::string>() : v.dump()});
  t.add_row({"formbench", m.formbench_version + " (" + m.git_revision + ")"});
  std::cout << "machine\n" << t.str() << "\n";

  TextTable bt({"backend", "built", "why / diagnostics"});
  for (const auto& b : backends) {
    std::string info = b["reason"].get<std::string>();
    if (b.contains("diagnostics") && !b["diagnostics"].empty()) info += "; " + b["diagnostics"].dump();
    bt.add_row({b["name"].get<std::string>(), b["built"].get<bool>() ? "yes" : "no", info});
  }
  std::cout << bt.str() << "\n";
  std::cout << "hardware counters: "
            << (c.source == "hardware" ? "available" + (c.reason ? " (partly: " + *c.reason + ")" : std::string())
                                       : "UNAVAILABLE: " + c.reason.value_or("unknown"))
            << "\n";
  std::cout << "cache simulation: "
            << (vg ? *vg + " found; default simulated LL " + (host.ll ? host.ll->str() : std::string("unknown (pass --cache-sim-ll)"))
                   : std::string("valgrind not found: --cache-sim unavailable"))
            << "\n";
  if (trips.empty())
    std::cout << "threads' placement: one CPU only (no round trip to measure)\n";
  else
    std::cout << fmt::format("threads' placement: CPUs {} and {} answer each other in {:.0f}-{:.0f} ns (median {:.0f}) over "
                             "2 s; {} of {} probes above the {:.0f} ns gate{}{}\n",
                             cpus[0], cpus[1], trips.front(), trips.back(), trips[trips.size() / 2], far, trips.size(),
                             gate, trips.size() < 20 ? fmt::format(" ({} gave no answer within 50 ms: busy CPUs)", 20 - trips.size()) : "", far ? " (the CPUs sat on distant cores then: 2-thread rounds are set aside, docs/measure.md)" : "");
  if (ceil)
    std::cout << fmt::format("ceilings on {} thread(s){}: fp32 FMA peak {:.1f} GFLOP/s ({}), triad {:.1f} GB/s, GEMM {}\n",
                             o.threads, ceil->from_cache ? " (cached " + ceil->measured_at + ")" : "", ceil->fma_peak_gflops,
                             ceil->fma_isa, ceil->triad_gbps,
                             ceil->gemm_gflops ? fmt::format("{:.1f} GFLOP/s ({})", *ceil->gemm_gflops, ceil->gemm_note)
                                               : "n/a: " + ceil->gemm_note);
  if (!warnings.empty()) {
    std::cout << "\n";
    for (const auto& w : warnings) std::cout << "WARNING: " << w << "\n";
  }
  return k_exit_ok;
}

CommandRegistrar reg(90, [](CLI::App& app) {
  auto* sub = app.add_subcommand("doctor", "Machine facts, which backends and counters work (and why not), ceilings");
  auto o = std::make_shared<Options>();
  sub->add_option("-t,--threads", o->threads, "threads for diagnostics and ceilings")->capture_default_str();
  sub->add_flag("--json", o->json, "JSON output");
  sub->add_flag("--no-ceilings", o->no_ceilings, "skip the measured ceilings");
  sub->add_flag("--refresh-ceilings", o->refresh, "re-measure the ceilings instead of using the cache");
  return [o]() { return run_doctor(*o); };
});

}  // namespace
}  // namespace fb::cli
