#include "measure/bench.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "measure/compare_run.h"
#include "models/model_ref.h"

namespace fb::measure {
namespace {

nlohmann::json opt_num(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

// The running binary itself, for the cache-simulation child: through /proc/PID/exe, not the path it was
// started from, so a rebuild during a long study cannot hand the child other code (or a half-written file).
std::string self_exe() {
  const std::string link = fmt::format("/proc/{}/exe", static_cast<long>(getpid()));
  if (access(link.c_str(), X_OK) != 0)
    fail("cannot reach this program's binary ({}) for the cache simulation child: {}", link, std::strerror(errno));
  return link;
}

}  // namespace

double tolerance_for(Precision p) {
  switch (p) {
    case Precision::F32: return 1e-3;
    case Precision::TF32: return 1e-2;
    case Precision::BF16:
    case Precision::F16: return 5e-2;
  }
  return 1e-3;
}

Graph load_bench_graph(const BenchSettings& s) {
  if (s.batch < 0) fail("--batch must be >= 1, got {}", s.batch);
  Graph g = load_model(s.model, /*with_weights=*/true);
  if (s.batch > 0 && g.batch() != s.batch) set_batch(g, s.batch);
  return g;
}

void check_option_scopes(const std::map<std::string, std::string>& options, const std::vector<std::string>& backends) {
  for (const auto& [key, value] : options) {
    const std::string scope = option_scope(key);
    if (scope.empty()) continue;
    if (std::find(backends.begin(), backends.end(), scope) == backends.end())
      fail("--opt '{}={}': backend '{}' is not measured here (backends: {})", key, value, scope,
           fmt::format("{}", fmt::join(backends, ", ")));
  }
}

CompileOptions compile_options(const BenchSettings& s, const std::string& backend) {
  if (s.threads < 1) fail("--threads must be >= 1, got {}", s.threads);
  CompileOptions o;
  o.threads = s.threads;
  o.precision = s.precision;
  o.device = s.device;
  o.extra = options_for(s.extra, backend);
  return o;
}

std::vector<Tensor> reference_outputs(const Graph& g, const std::vector<Tensor>& inputs) {
  auto ref = make_backend("reference");
  CompileOptions o;
  auto exe = ref->compile(g, o);
  std::vector<Tensor> ref_out;
  exe->run(inputs, ref_out);
  if (ref_out.empty()) fail("the reference backend produced no output for '{}'", g.name);
  return ref_out;
}

Agreement check_against_reference(const Graph& g, const std::vector<Tensor>& inputs, const Tensor& out, double tol) {
  return compare_outputs(reference_outputs(g, inputs)[0], out, tol);
}

void note_counters_once(const CounterResult& c) {
  static bool said = false;
  if (said || c.source != "unavailable") return;
  said = true;
  std::fprintf(stderr, "formbench: note: hardware counters unavailable: %s\n",
               c.reason ? c.reason->c_str() : "unknown reason");
}

int run_cachesim_child(const BenchSettings& s, int iterations) {
  if (iterations < 1) fail("--iterations must be >= 1, got {}", iterations);
  (void)apply_malloc_policy(s.malloc);  // the simulation counts accesses; the parent's result records the policy
  auto backend = make_backend(s.backend);
  Graph g = load_bench_graph(s);
  auto exe = backend->compile(g, compile_options(s, s.backend));
  const std::vector<Tensor> inputs = make_inputs(g, s.seed);
  std::vector<Tensor> outputs;
  run_simulated_loop([&] { exe->run(inputs, outputs); }, iterations);
  return 0;
}

std::vector<std::string> cachesim_child_args(const BenchSettings& s, const std::string& backend, int64_t batch,
                                             int iterations) {
  std::vector<std::string> a = {"_cachesim-child", s.model, "--backend", backend, "--threads",
                                std::to_string(s.threads), "--batch", std::to_string(batch), "--precision",
                                precision_name(s.precision), "--device", s.device, "--seed", std::to_string(s.seed),
                                "--iterations", std::to_string(iterations), "--malloc", malloc_policy_name(s.malloc)};
  // Resolved here: the child compiles one backend, and another backend's scoped option would be an error there.
  for (const auto& [k, v] : options_for(s.extra, backend)) {
    a.push_back("--opt");
    a.push_back(k + "=" + v);
  }
  return a;
}

CacheSimResult simulate_cache(const BenchSettings& s, const std::string& backend, int64_t batch) {
  const std::string exe_path = self_exe();
  auto argv_for = [&](int iterations) {
    std::vector<std::string> a = cachesim_child_args(s, backend, batch, iterations);
    a.insert(a.begin(), exe_path);
    return a;
  };
  return run_cache_sim(argv_for, cache_sim_child_env(), *s.cache_sim);
}

nlohmann::json counters_json(const CounterResult& counters, const std::optional<CacheSimResult>& cache_sim) {
  // Hardware counters when they work; otherwise the simulation when one ran (marked "simulated");
  // otherwise "unavailable" with the reason.
  if (!cache_sim || counters.source == "hardware") return counters.to_json();
  return {{"source", "simulated"},
          {"reason", fmt::format("simulated cache (valgrind, LL {}), hardware counters: {}", cache_sim->ll.str(),
                                 counters.reason.value_or("not requested"))},
          {"ll_references_per_inference", cache_sim->ll_refs},
          {"ll_misses_per_inference", cache_sim->ll_misses},
          {"ll_miss_rate", cache_sim->ll_refs > 0 ? nlohmann::json(cache_sim->ll_miss_rate()) : nlohmann::json(nullptr)},
          {"cycles_per_inference", nullptr},
          {"instructions_per_inference", cache_sim->instructions}};
}

std::unique_ptr<TimedStep> make_timed_step(Executable& exe, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs,
                                           bool with_transfers) {
  auto t = std::make_unique<TimedStep>();
  t->mode.resident = exe.resident() && !with_transfers;
  if (t->mode.resident) exe.upload(inputs);
  TimedStep* self = t.get();
  t->step = [self, &exe, &inputs, &outputs] {
    if (self->mode.resident) exe.run_resident();
    else exe.run(inputs, outputs);
    const double d = exe.last_device_ms();
    if (d >= 0) self->device_ms.push_back(d);
  };
  return t;
}

void TimedStep::adopt_device_samples(RunResult& r) {
  const size_t n = r.samples_ms.size();
  if (n == 0 || device_ms.size() < n) return;  // no device timer (or not on every run): keep the host clock
  r.samples_ms.assign(device_ms.end() - static_cast<std::ptrdiff_t>(n), device_ms.end());
  mode.device_timer = true;
}

double BenchResult::achieved_gflops() const { return static_cast<double>(cost.total.flops) / (stats.median * 1e6); }

std::optional<double> BenchResult::peak_gflops() const {
  if (!ceilings) return std::nullopt;
  return ceilings->fma_peak_gflops;
}

std::optional<double> BenchResult::pct_of_peak() const {
  auto p = peak_gflops();
  if (!p || *p <= 0) return std::nullopt;
  return 100.0 * achieved_gflops() / *p;
}

nlohmann::json BenchResult::to_json() const {
  nlohmann::json j;
  j["schema"] = "formbench.bench/1";
  j["model"] = settings.model;
  j["model_name"] = model_name;
  j["backend"] = settings.backend;
  j["device"] = settings.device;
  j["precision"] = precision_name(settings.precision);
  j["threads"] = settings.threads;
  j["malloc"] = malloc_policy_name(settings.malloc);
  j["malloc_not_applied"] = malloc_not_applied ? nlohmann::json(*malloc_not_applied) : nlohmann::json(nullptr);
  j["batch"] = batch;
  j["input_shape"] = input_shape;
  j["samples"] = stats.n;
  j["samples_ms"] = run.samples_ms;
  j["warmup_runs"] = run.warmup_runs;
  j["warmup_ms"] = run.warmup_ms;
  j["timed_ms"] = run.timed_ms;
  j["stop_reason"] = stop_reason_name(run.stop);
  j["timer"] = timing.timer();
  j["host_transfers"] = timing.transfers();
  j["min_ms"] = stats.min;
  j["median_ms"] = stats.median;
  j["mean_ms"] = stats.mean;
  j["stddev_ms"] = opt_num(stats.stddev);
  j["p90_ms"] = stats.p90;
  j["p99_ms"] = stats.p99;
  j["max_ms"] = stats.max;
  j["ci95_low_ms"] = stats.ci ? nlohmann::json(stats.ci->low) : nlohmann::json(nullptr);
  j["ci95_high_ms"] = stats.ci ? nlohmann::json(stats.ci->high) : nlohmann::json(nullptr);
  j["ci95_coverage"] = stats.ci ? nlohmann::json(stats.ci->coverage) : nlohmann::json(nullptr);
  j["ci95_reason"] = stats.ci ? nlohmann::json(nullptr) : nlohmann::json("fewer than 6 samples");
  j["throughput_ips"] = throughput_ips();
  j["images_per_s"] = throughput_ips() * static_cast<double>(batch);
  j["compile_ms"] = compile_ms;
  j["first_inference_ms"] = first_inference_ms;
  j["timer_overhead_ns"] = timer_overhead_ns;
  j["macs"] = cost.total.macs;
  j["flops"] = cost.total.flops;
  j["params"] = cost.total.params;
  j["weight_bytes"] = cost.total.weight_bytes;
  j["peak_activation_bytes"] = cost.peak_activation_bytes;
  j["achieved_gflops"] = achieved_gflops();
  j["peak_gflops"] = opt_num(peak_gflops());
  j["pct_of_peak"] = opt_num(pct_of_peak());
  j["peak_reason"] = ceilings ? nlohmann::json(nullptr) : nlohmann::json(ceilings_reason);
  j["ceilings"] = ceilings ? ceilings->to_json() : nlohmann::json(nullptr);
  j["counters"] = counters_json(counters, cache_sim);
  j["hardware_counters"] = counters.to_json();
  j["cache_sim"] = cache_sim ? cache_sim->to_json() : nlohmann::json(nullptr);
  j["agreement"] = agreement ? agreement->to_json() : nlohmann::json(nullptr);
  if (agreement) {
    j["agreement"]["tolerance"] = agreement_tol;
    j["agreement"]["passed"] = agreement->passed(agreement_tol);
  }
  j["describe"] = describe.to_json();
  j["pinned"] = pinned;
  j["affinity_cpus"] = affinity;
  j["beside_other_measurement"] = beside_other_measurement;
  j["block"] = block;
  j["rounds"] = nlohmann::json::array();
  for (const RoundLog& round : rounds) {
    nlohmann::json o = round.noise.to_json();
    o["kept"] = round.kept;
    j["rounds"].push_back(o);
  }
  j["placement"] = placement.to_json();
  j["settings"] = {{"warmup_runs", settings.run.warmup_runs},  {"warmup_ms", settings.run.warmup_ms},
                   {"min_runs", settings.run.min_runs},        {"min_time_ms", settings.run.min_time_ms},
                   {"max_runs", settings.run.max_runs},        {"max_time_ms", settings.run.max_time_ms},
                   {"target_ci_pct", settings.run.target_ci_pct}, {"seed", settings.seed},
                   {"options", options_for(settings.extra, settings.backend)}};
  j["machine"] = machine.to_json();
  return j;
}

BenchResult run_bench(const BenchSettings& s, const std::function<void(const std::string&)>& progress) {
  // One backend's measurement session: the same rounds, noise evidence and placement gate as `compare`, so a
  // plain `bench` and one process of `bench --processes K` measure the same thing.
  CompareSettings cs;
  cs.base = s;
  cs.backends = {s.backend};
  CompareResult c = run_compare(cs, progress);
  CompareEntry& e = c.entries.front();
  BenchResult r;
  r.settings = s;
  r.model_name = c.model_name;
  r.input_shape = c.input_shape;
  r.batch = c.batch;
  r.run = std::move(e.run);
  r.stats = e.stats;
  r.compile_ms = e.compile_ms;
  r.first_inference_ms = e.first_inference_ms;
  r.timer_overhead_ns = c.timer_overhead_ns;
  r.cost = c.cost;
  r.ceilings = c.ceilings;
  if (!s.ceilings) r.ceilings_reason = "not requested (--no-ceilings)";
  r.counters = e.counters;
  r.cache_sim = e.cache_sim;
  r.agreement = e.agreement;
  r.agreement_tol = c.agreement_tol;
  r.describe = e.describe;
  r.machine = c.machine;
  r.affinity = c.affinity;
  r.pinned = c.pinned;
  r.malloc_not_applied = c.malloc_not_applied;
  r.timing = e.timing;
  r.block = cs.block;
  r.rounds = std::move(c.rounds);
  r.placement = c.placement;
  return r;
}

}  // namespace fb::measure
