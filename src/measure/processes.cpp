#include "measure/processes.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "core/table.h"
#include "measure/ceilings.h"
#include "measure/report.h"
#include "measure/speedup.h"
#include "measure/stats.h"
#include "measure/two_level.h"

namespace fb::measure {
namespace {

constexpr const char* k_ci_method =
    "two-level: latency = median over processes of each process's median; speedup = median over processes of "
    "each process's median per-round paired ratio; 95% CIs from a hierarchical bootstrap (processes, then "
    "timed runs or rounds within each), 2000 resamples";


std::vector<double> doubles(const nlohmann::json& a) {
  std::vector<double> v;
  if (a.is_array())
    for (const auto& x : a)
      if (x.is_number()) v.push_back(x.get<double>());
  return v;
}

const nlohmann::json* entry_of(const nlohmann::json& process, const std::string& backend) {
  for (const auto& b : process["backends"])
    if (b.value("backend", "") == backend) return &b;
  return nullptr;
}

nlohmann::json process_evidence(const nlohmann::json& p, size_t index) {
  double timed_ms = 0;  // every backend's timed runs in this process
  for (const auto& b : p["backends"])
    for (double x : doubles(b.value("samples_ms", nlohmann::json()))) timed_ms += x;
  double steal_sum = 0, load_max = 0;
  int steal_n = 0;
  std::vector<double> probes;
  int64_t switches = 0;
  bool load_seen = false;
  for (const auto& r : p.value("rounds", nlohmann::json::array())) {
    if (r.value("steal_pct", nlohmann::json()).is_number()) {
      steal_sum += r["steal_pct"].get<double>();
      ++steal_n;
    }
    if (r.value("load1", nlohmann::json()).is_number()) {
      load_max = std::max(load_max, r["load1"].get<double>());
      load_seen = true;
    }
    // Per second of the timed runs that count: a round the placement gate set aside is not in samples_ms, so
    // its switches are not either (counting them inflated the rate of a process that waited out a far
    // placement, up to 30x, and excluded it as preempted).
    if (r.value("kept", true)) switches += r.value("involuntary_switches", int64_t{0});
    if (r.value("probe_gflops", nlohmann::json()).is_number() && r["probe_gflops"].get<double>() > 0)
      probes.push_back(r["probe_gflops"].get<double>());
  }
  return {{"index", index},
          {"rounds", p.value("rounds", nlohmann::json::array())},
          {"steal_pct_mean", steal_n ? nlohmann::json(steal_sum / steal_n) : nlohmann::json(nullptr)},
          {"involuntary_switches", switches},
          {"timed_s", timed_ms / 1000},
          {"switches_per_s", timed_ms > 0 ? nlohmann::json(static_cast<double>(switches) / (timed_ms / 1000)) : nlohmann::json(nullptr)},
          {"load1_max", load_seen ? nlohmann::json(load_max) : nlohmann::json(nullptr)},
          {"probe_gflops_median", probes.empty() ? nlohmann::json(nullptr) : nlohmann::json(median_in_place(probes))},
          {"beside_other_measurement", p.value("beside_other_measurement", false)},
          {"placement", p.value("placement", nlohmann::json(nullptr))}};
}

std::optional<std::string> disturbance_of(const nlohmann::json& ev, double threads, const StabilityRule& rule) {
  const nlohmann::json s = ev.value("steal_pct_mean", nlohmann::json());
  if (s.is_number() && s.get<double>() > rule.steal_pct)
    return fmt::format("process {} lost {:.1f}% of the machine to steal (limit {}%)", ev.value("index", 0),
                       s.get<double>(), rule.steal_pct);
  const nlohmann::json sw = ev.value("switches_per_s", nlohmann::json());
  const double limit = rule.switches_per_thread_s * std::max(1.0, threads);
  if (sw.is_number() && sw.get<double>() > limit)
    return fmt::format("process {} was preempted {:.0f} times a second (limit {:.0f} for {} threads): another program "
                       "competed for the CPUs",
                       ev.value("index", 0), sw.get<double>(), limit, threads);
  if (ev.value("beside_other_measurement", false))
    return fmt::format("process {} ran beside another measurement", ev.value("index", 0));
  const nlohmann::json& pl = ev["placement"];
  if (pl.is_object() && pl.value("unmet", false))
    return fmt::format("process {} ran with its threads on distant cores: {} of {} rounds had CPUs answering each other "
                       "slower than {} ns, too few passed",
                       ev.value("index", 0), pl.value("rounds_rejected", 0), ev["rounds"].size(),
                       pl.value("max_round_trip_ns", nlohmann::json(0)).dump());
  return std::nullopt;
}

}  // namespace

std::optional<std::string> disturbance(const nlohmann::json& process, const StabilityRule& rule) {
  return disturbance_of(process_evidence(process, 0), process.value("threads", 1.0), rule);
}

nlohmann::json combine_processes(const std::vector<nlohmann::json>& ps, const StabilityRule& rule) {
  if (ps.empty()) fail("no process results to combine");
  for (const auto& p : ps)
    if (!p.is_object() || p.value("schema", "") != "formbench.compare/2")
      fail("process result is not a formbench.compare/2 object");
  const nlohmann::json& first = ps.front();
  for (const auto& p : ps)
    for (const char* k : {"model", "native", "threads", "batch", "precision", "device", "block"})
      if (p.value(k, nlohmann::json()) != first.value(k, nlohmann::json()))
        fail("process results differ in '{}' ({} vs {}): not one measurement", k, p.value(k, nlohmann::json()).dump(),
             first.value(k, nlohmann::json()).dump());

  // Disturbed processes stay out of the figures while two undisturbed ones remain (never silently: listed).
  nlohmann::json evidence = nlohmann::json::array(), excluded = nlohmann::json::array();
  std::vector<size_t> calm;
  for (size_t i = 0; i < ps.size(); ++i) {
    evidence.push_back(process_evidence(ps[i], i));
    const auto why = disturbance_of(evidence.back(), first.value("threads", 1.0), rule);
    evidence.back()["excluded"] = nullptr;
    if (why) evidence.back()["disturbed"] = *why;
    else calm.push_back(i);
  }
  std::vector<size_t> used = calm;
  if (used.size() < std::min<size_t>(2, ps.size())) {
    used.clear();
    for (size_t i = 0; i < ps.size(); ++i) used.push_back(i);
  }
  for (auto& ev : evidence)
    if (ev.contains("disturbed") && used.size() < ps.size()) {
      ev["excluded"] = ev["disturbed"];
      excluded.push_back({{"index", ev["index"]}, {"reason", ev["disturbed"]}});
    }

  nlohmann::json c;
  c["schema"] = "formbench.compare.processes/1";
  for (const char* k : {"model", "model_name", "native", "device", "precision", "threads", "malloc", "batch",
                        "input_shape", "block", "macs", "flops", "params", "weight_bytes", "peak_activation_bytes",
                        "peak_gflops", "ceilings", "machine", "affinity_cpus", "pinned"})
    if (first.contains(k)) c[k] = first[k];
  std::vector<double> overheads;
  bool beside = false;
  for (size_t i : used) {
    const nlohmann::json& p = ps[i];
    if (p.value("timer_overhead_ns", nlohmann::json()).is_number()) overheads.push_back(p["timer_overhead_ns"].get<double>());
    beside = beside || p.value("beside_other_measurement", false);
  }
  c["timer_overhead_ns"] = overheads.empty() ? nlohmann::json(nullptr) : nlohmann::json(median_in_place(overheads));
  c["beside_other_measurement"] = beside;
  c["processes"] = used.size();
  c["excluded_processes"] = excluded.size();
  c["excluded"] = excluded;
  // The placement gate over every process, excluded ones included (runner.h).
  int64_t set_aside = 0, unmet = 0;
  for (const auto& p : ps) {
    const nlohmann::json pl = p.value("placement", nlohmann::json());
    if (!pl.is_object()) continue;
    set_aside += pl.value("rounds_rejected", int64_t{0});
    unmet += pl.value("unmet", false) ? 1 : 0;
  }
  c["rounds_set_aside"] = set_aside;
  c["processes_placement_unmet"] = unmet;
  c["ci_method"] = k_ci_method;
  const double flops = first.value("flops", 0.0);
  const nlohmann::json peak = first.value("peak_gflops", nlohmann::json());

  c["backends"] = nlohmann::json::array();
  for (const auto& fb_entry : first["backends"]) {
    const std::string name = fb_entry.value("backend", "");
    std::vector<const nlohmann::json*> es, every;  // the processes combined; all of them (check, simulation)
    std::string error;
    for (size_t i = 0; i < ps.size(); ++i) {
      const nlohmann::json* e = entry_of(ps[i], name);
      if (!e) fail("process results differ in their backends ('{}' missing)", name);
      if (e->value("error", nlohmann::json()).is_string() && error.empty()) error = (*e)["error"].get<std::string>();
      every.push_back(e);
      if (std::find(used.begin(), used.end(), i) != used.end()) es.push_back(e);
    }
    if (!error.empty()) {
      c["backends"].push_back({{"backend", name}, {"error", error}});
      continue;
    }
    std::vector<std::vector<double>> samples;
    std::vector<double> pooled, compile, first_ms;
    for (const nlohmann::json* e : es) {
      samples.push_back(doubles((*e)["samples_ms"]));
      pooled.insert(pooled.end(), samples.back().begin(), samples.back().end());
      compile.push_back(e->value("compile_ms", 0.0));
      first_ms.push_back(e->value("first_inference_ms", 0.0));
    }
    const TwoLevel lat = two_level(samples);
    const LatencyStats st = compute_stats(pooled);
    nlohmann::json b = {{"backend", name},
                        {"error", nullptr},
                        {"samples", st.n},
                        {"median_ms", lat.estimate},
                        {"ci95_low_ms", lat.low},
                        {"ci95_high_ms", lat.high},
                        {"process_medians_ms", lat.process_medians},
                        {"next_process_low_ms", nullptr},
                        {"next_process_high_ms", nullptr},
                        {"min_ms", st.min},
                        {"mean_ms", st.mean},
                        {"stddev_ms", st.stddev ? nlohmann::json(*st.stddev) : nlohmann::json(nullptr)},
                        {"p90_ms", st.p90},
                        {"p99_ms", st.p99},
                        {"max_ms", st.max},
                        {"throughput_ips", 1000.0 / lat.estimate},
                        {"images_per_s", 1000.0 / lat.estimate * first.value("batch", 1.0)},
                        {"compile_ms", median_in_place(compile)},
                        {"first_inference_ms", median_in_place(first_ms)}};
    if (lat.process_medians.size() >= 2) {
      const Bounds next = next_process_interval(lat);
      b["next_process_low_ms"] = next.low;
      b["next_process_high_ms"] = next.high;
    }
    const double gflops = flops / (lat.estimate * 1e6);
    b["achieved_gflops"] = gflops;
    b["peak_gflops"] = peak;
    int64_t fast_convs = 0;  // a process may have timed its way to Winograd where another did not
    for (const nlohmann::json* e : es)
      fast_convs = std::max(fast_convs, e->value("describe", nlohmann::json::object()).value("fast_algorithm_convs", int64_t{0}));
    put_pct_of_peak(b, gflops, peak, first.value("precision", "fp32"), first.value("device", "cpu"), fast_convs);
    for (const char* k : {"timer", "host_transfers", "describe", "hardware_counters"})
      if (es.front()->contains(k)) b[k] = (*es.front())[k];
    // The simulation and the check ran in one process (the first that has them).
    b["counters"] = es.front()->value("counters", nlohmann::json());
    b["cache_sim"] = nullptr;
    b["agreement"] = nullptr;
    for (const nlohmann::json* e : every) {
      if (b["cache_sim"].is_null() && e->value("cache_sim", nlohmann::json()).is_object()) {
        b["cache_sim"] = (*e)["cache_sim"];
        b["counters"] = (*e)["counters"];
      }
      if (b["agreement"].is_null() && e->value("agreement", nlohmann::json()).is_object()) b["agreement"] = (*e)["agreement"];
    }
    // The per-layer profile and the speedup's attribution: from the one process that profiled (a study
    // profiles the first), kept or left out as disturbed, for every backend alike.
    for (const nlohmann::json* e : every)
      if (e->contains("per_layer_supported")) {
        for (const char* k : {"per_layer_supported", "layers"}) b[k] = (*e)[k];
        if (e->value("attribution", nlohmann::json()).is_object()) b["attribution"] = (*e)["attribution"];
        break;
      }
    b["samples_ms_by_process"] = samples;
    // Not `name == c["native"]`: nlohmann 3.11.3 under C++20 (Debian 13) has no string == json.
    if (c["native"].is_string() && name == c["native"].get_ref<const std::string&>()) {
      b["speedup"] = 1.0;
      b["speedup_ci95_low"] = b["speedup_ci95_high"] = nullptr;
    } else {
      std::vector<std::vector<double>> ratios;
      for (const nlohmann::json* e : es) ratios.push_back(doubles(e->value("round_ratios", nlohmann::json())));
      if (std::any_of(ratios.begin(), ratios.end(), [](const auto& r) { return r.empty(); })) {
        b["speedup"] = b["speedup_ci95_low"] = b["speedup_ci95_high"] = nullptr;  // the native backend failed
      } else {
        const TwoLevel sp = two_level(ratios);
        b["speedup"] = sp.estimate;
        b["speedup_ci95_low"] = sp.low;
        b["speedup_ci95_high"] = sp.high;
        b["process_speedups"] = sp.process_medians;
        if (sp.process_medians.size() >= 2) {
          const Bounds next = next_process_interval(sp);
          b["speedup_next_process_low"] = next.low;
          b["speedup_next_process_high"] = next.high;
        }
        b["rounds"] = sp.values;
        b["round_ratios_by_process"] = ratios;
      }
    }
    c["backends"].push_back(std::move(b));
  }
  c["process_evidence"] = std::move(evidence);
  return c;
}

namespace {

bool ci_wider_than(const nlohmann::json& b, const char* est, const char* lo, const char* hi, double pct) {
  if (!b.value(est, nlohmann::json()).is_number() || !b.value(lo, nlohmann::json()).is_number()) return false;
  const double e = b[est].get<double>();
  return b[lo].get<double>() < e * (1 - pct / 100) || b[hi].get<double>() > e * (1 + pct / 100);
}

}  // namespace

std::optional<std::string> instability(const nlohmann::json& c, const StabilityRule& rule) {
  // A disturbance first: it is the cause of whatever else looks wrong.
  for (const auto& p : c.value("process_evidence", nlohmann::json::array())) {
    if (p.value("excluded", nlohmann::json()).is_string()) continue;  // left out of the figures
    if (auto why = disturbance_of(p, c.value("threads", 1.0), rule)) return why;
  }
  for (const auto& b : c["backends"]) {
    if (!b.value("error", nlohmann::json()).is_null()) continue;
    if (ci_wider_than(b, "speedup", "speedup_ci95_low", "speedup_ci95_high", rule.speedup_ci_pct))
      return fmt::format("{}: speedup {:.3f}x has a 95% CI [{:.3f}, {:.3f}] wider than +-{}%", b.value("backend", ""),
                         b["speedup"].get<double>(), b["speedup_ci95_low"].get<double>(),
                         b["speedup_ci95_high"].get<double>(), rule.speedup_ci_pct);
  }
  return std::nullopt;
}

std::optional<std::string> wants_more_processes(const std::vector<nlohmann::json>& results, int k,
                                                const StabilityRule& rule) {
  if (results.empty()) return "no process measured yet";
  const nlohmann::json c = combine_processes(results, rule);
  const int calm = static_cast<int>(results.size()) - c.value("excluded_processes", 0);
  if (c.value("excluded_processes", 0) > 0 && calm < k)
    return fmt::format("{} of {} processes were disturbed ({})", c["excluded_processes"].get<int>(), results.size(),
                       c["excluded"][0]["reason"].get<std::string>());
  if (auto why = instability(c, rule)) return why;
  for (const auto& b : c["backends"]) {
    if (!b.value("error", nlohmann::json()).is_null()) continue;
    if (ci_wider_than(b, "median_ms", "ci95_low_ms", "ci95_high_ms", rule.latency_ci_pct))
      return fmt::format("{}: median {:.3f} ms has a 95% CI [{:.3f}, {:.3f}] wider than +-{}%", b.value("backend", ""),
                         b["median_ms"].get<double>(), b["ci95_low_ms"].get<double>(), b["ci95_high_ms"].get<double>(),
                         rule.latency_ci_pct);
  }
  return std::nullopt;
}

nlohmann::json backend_record(const nlohmann::json& c, const std::string& backend) {
  nlohmann::json r = nlohmann::json::object();
  for (const auto& [k, v] : c.items())
    if (k != "backends") r[k] = v;
  for (const auto& b : c["backends"])
    if (b.value("backend", "") == backend) {
      for (const auto& [k, v] : b.items()) r[k] = v;
      r["schema"] = "formbench.point/2";
      return r;
    }
  fail("backend '{}' is not in the combined result", backend);
}

std::string combined_table(const nlohmann::json& c) {
  std::string out = fmt::format("{}: {} thread(s), batch {}, {} ({}), {} processes, interleaved rounds of {}\n",
                                c.value("model", ""), c.value("threads", 0), c.value("batch", 0),
                                c.value("precision", ""), c.value("device", ""), c.value("processes", 0),
                                c.value("block", 0));
  // "a later process": where one more process's median should land (95%), wider than the CI by sqrt(k + 1).
  TextTable t({"backend", "samples", "median ms", "95% CI (2-level)", "a later process", "process medians ms",
               "speedup vs " + c.value("native", std::string()), "speedup 95% CI", "process speedups", "agreement"});
  auto list = [](const nlohmann::json& a, bool ms) {
    std::vector<std::string> v;
    for (const auto& x : a) v.push_back(ms ? fmt_ms(x.get<double>()) : fmt::format("{:.3f}", x.get<double>()));
    return fmt::format("{}", fmt::join(v, " "));
  };
  for (const auto& b : c["backends"]) {
    if (!b.value("error", nlohmann::json()).is_null()) {
      t.add_row({b.value("backend", ""), "0", "failed: " + b["error"].get<std::string>(), "", "", "", "", "", "", ""});
      continue;
    }
    const bool has_speedup = b["speedup"].is_number() && b["speedup_ci95_low"].is_number();
    std::string agree = "-";
    if (b["agreement"].is_object())
      agree = fmt::format("{} {:.1e}", b["agreement"].value("passed", false) ? "ok" : "FAIL",
                          b["agreement"].value("rel_max_error", 0.0));
    t.add_row({b.value("backend", ""), std::to_string(b.value("samples", 0)), fmt_ms(b["median_ms"].get<double>()),
               fmt::format("[{}, {}]", fmt_ms(b["ci95_low_ms"].get<double>()), fmt_ms(b["ci95_high_ms"].get<double>())),
               b.value("next_process_low_ms", nlohmann::json()).is_number()
                   ? fmt::format("[{}, {}]", fmt_ms(b["next_process_low_ms"].get<double>()),
                                 fmt_ms(b["next_process_high_ms"].get<double>()))
                   : "-",
               list(b["process_medians_ms"], true),
               b["speedup"].is_number() ? fmt::format("{:.3f}x", b["speedup"].get<double>()) : "-",
               has_speedup ? fmt::format("[{:.3f}, {:.3f}]", b["speedup_ci95_low"].get<double>(),
                                         b["speedup_ci95_high"].get<double>())
                           : "",
               b.contains("process_speedups") ? list(b["process_speedups"], false) : "", agree});
  }
  out += t.str();
  if (auto why = instability(c)) out += fmt::format("  UNSTABLE: {}\n", *why);
  for (const auto& p : c["process_evidence"])
    out += fmt::format("  process {}: steal {} (mean over rounds), {} involuntary switches ({}/s), load up to {}, "
                       "FMA probe {} GFLOP/s{}{}\n",
                       p.value("index", 0),
                       p["steal_pct_mean"].is_number() ? fmt::format("{:.2f}%", p["steal_pct_mean"].get<double>()) : "n/a",
                       p.value("involuntary_switches", 0),
                       p["switches_per_s"].is_number() ? fmt::format("{:.0f}", p["switches_per_s"].get<double>()) : "n/a",
                       p["load1_max"].is_number() ? fmt::format("{:.2f}", p["load1_max"].get<double>()) : "n/a",
                       p.value("probe_gflops_median", nlohmann::json()).is_number()
                           ? fmt::format("{:.0f}", p["probe_gflops_median"].get<double>())
                           : "n/a",
                       p["placement"].is_object() && p["placement"].value("rounds_rejected", 0) > 0
                           ? fmt::format(", {} of {} rounds set aside (threads on distant cores)",
                                         p["placement"].value("rounds_rejected", 0), p["rounds"].size())
                           : "",
                       p.value("excluded", nlohmann::json()).is_string() ? " -- EXCLUDED (disturbed)" : "");
  out += fmt::format("{}\n", c.value("ci_method", ""));
  return out;
}

}  // namespace fb::measure
