#include "measure/bench.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "measure/point_flags.h"
#include "models/model_ref.h"

namespace fb::measure {
namespace {

// The running binary itself, for the cache-simulation child: through /proc/PID/exe, not the path it was
// started from, so a rebuild during a long study cannot hand the child other code (or a half-written file).
std::string self_exe() {
  const std::string link = fmt::format("/proc/{}/exe", static_cast<long>(getpid()));
  if (access(link.c_str(), X_OK) != 0)
    fail("cannot reach this program's binary ({}) for the cache simulation child: {}", link, std::strerror(errno));
  return link;
}

}  // namespace

double tolerance_for(Precision p) { return precision_info(p).tolerance; }

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
  BenchSettings child = s;
  child.batch = batch;
  std::vector<std::string> a = {"_cachesim-child", s.model, "--backend", backend, "--iterations", std::to_string(iterations)};
  for (std::string& arg : point_flag_args(child)) a.push_back(std::move(arg));
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

}  // namespace fb::measure
