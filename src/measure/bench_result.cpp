#include "measure/bench_result.h"

#include "measure/ceilings.h"

namespace fb::measure {
namespace {

nlohmann::json opt_num(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

}  // namespace

BenchResult run_bench(const BenchSettings& s, const std::function<void(const std::string&)>& progress) {
  // One backend's measurement session: the same rounds, noise evidence and placement gate as `compare`, so a
  // plain `bench` and one process of `bench --processes K` measure the same thing.
  CompareSettings cs;
  cs.base = s;
  cs.backends = {s.backend};
  return BenchResult{run_compare(cs, progress)};
}

double BenchResult::achieved_gflops() const {
  return static_cast<double>(session.cost.total.flops) / (entry().stats.median * 1e6);
}

std::optional<double> BenchResult::peak_gflops() const {
  if (!session.ceilings) return std::nullopt;
  return session.ceilings->fma_peak_gflops;
}

std::optional<double> BenchResult::pct_of_peak() const {
  const nlohmann::json p = pct_of_fma_peak(achieved_gflops(), peak_gflops() ? nlohmann::json(*peak_gflops()) : nlohmann::json(),
                                           precision_name(settings().precision), settings().device,
                                           entry().describe.fast_algorithm_convs);
  if (p.is_null()) return std::nullopt;
  return p.get<double>();
}

std::string BenchResult::ceilings_reason() const {
  if (session.ceilings)
    return why_no_pct_of_peak(session.ceilings->fma_peak_gflops, precision_name(settings().precision), settings().device,
                              entry().describe.fast_algorithm_convs);
  return settings().ceilings ? "unavailable on this machine" : "not requested (--no-ceilings)";
}

nlohmann::json BenchResult::to_json() const {
  const BenchSettings& s = settings();
  const CompareEntry& e = entry();
  const LatencyStats& stats = e.stats;
  nlohmann::json j;
  j["schema"] = "formbench.bench/1";
  j["model"] = s.model;
  j["model_name"] = session.model_name;
  j["backend"] = s.backend;
  j["device"] = s.device;
  j["precision"] = precision_name(s.precision);
  j["threads"] = s.threads;
  j["malloc"] = malloc_policy_name(s.malloc);
  j["malloc_not_applied"] = session.malloc_not_applied ? nlohmann::json(*session.malloc_not_applied) : nlohmann::json(nullptr);
  j["batch"] = session.batch;
  j["input_shape"] = session.input_shape;
  j.update(stats_json(stats));  // samples, min/median/mean/stddev/p90/p99/max, ci95 bounds, throughput_ips
  j["samples_ms"] = e.run.samples_ms;
  j["warmup_runs"] = e.run.warmup_runs;
  j["warmup_ms"] = e.run.warmup_ms;
  j["timed_ms"] = e.run.timed_ms;
  j["stop_reason"] = stop_reason_name(e.run.stop);
  j["timer"] = e.timing.timer();
  j["host_transfers"] = e.timing.transfers();
  j["ci95_coverage"] = stats.ci ? nlohmann::json(stats.ci->coverage) : nlohmann::json(nullptr);
  j["ci95_reason"] = stats.ci ? nlohmann::json(nullptr) : nlohmann::json("fewer than 6 samples");
  j["images_per_s"] = throughput_ips() * static_cast<double>(session.batch);
  j["compile_ms"] = e.compile_ms;
  j["first_inference_ms"] = e.first_inference_ms;
  j["timer_overhead_ns"] = session.timer_overhead_ns;
  j["macs"] = session.cost.total.macs;
  j["flops"] = session.cost.total.flops;
  j["params"] = session.cost.total.params;
  j["weight_bytes"] = session.cost.total.weight_bytes;
  j["peak_activation_bytes"] = session.cost.peak_activation_bytes;
  j["achieved_gflops"] = achieved_gflops();
  j["peak_gflops"] = opt_num(peak_gflops());
  j["pct_of_peak"] = opt_num(pct_of_peak());
  // Why there is no percentage: no ceilings, or a peak that does not bound this run (bf16, int8, Winograd).
  j["peak_reason"] = pct_of_peak() ? nlohmann::json(nullptr) : nlohmann::json(ceilings_reason());
  j["ceilings"] = session.ceilings ? session.ceilings->to_json() : nlohmann::json(nullptr);
  j["counters"] = counters_json(e.counters, e.cache_sim);
  j["hardware_counters"] = e.counters.to_json();
  j["cache_sim"] = e.cache_sim ? e.cache_sim->to_json() : nlohmann::json(nullptr);
  j["agreement"] = e.agreement ? e.agreement->to_json() : nlohmann::json(nullptr);
  if (e.agreement) {
    j["agreement"]["tolerance"] = session.agreement_tol;
    j["agreement"]["passed"] = e.agreement->passed(session.agreement_tol);
  }
  j["describe"] = e.describe.to_json();
  j["pinned"] = session.pinned;
  j["affinity_cpus"] = session.affinity;
  j["beside_other_measurement"] = session.beside_other_measurement;
  j["block"] = session.settings.block;
  j["rounds"] = nlohmann::json::array();
  for (const RoundLog& round : session.rounds) {
    nlohmann::json o = round.noise.to_json();
    o["kept"] = round.kept;
    j["rounds"].push_back(o);
  }
  j["placement"] = session.placement.to_json();
  j["settings"] = {{"warmup_runs", s.run.warmup_runs},      {"warmup_ms", s.run.warmup_ms},
                   {"min_runs", s.run.min_runs},            {"min_time_ms", s.run.min_time_ms},
                   {"max_runs", s.run.max_runs},            {"max_time_ms", s.run.max_time_ms},
                   {"target_ci_pct", s.run.target_ci_pct}, {"seed", s.seed},
                   {"options", options_for(s.extra, s.backend)}};
  j["machine"] = session.machine.to_json();
  return j;
}

}  // namespace fb::measure
