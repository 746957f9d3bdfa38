#pragma once
// What a measurement is given (BenchSettings) and what every measurement session uses: the model loaded with
// its batch, each backend's compile options, the timed step (device timers, resident inputs), the check
// against the reference backend and the cache-simulation child. The session itself, one or several backends
// timed in interleaved rounds, is compare_run.h; `bench`'s one-backend result is bench_result.h.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "backends/options.h"
#include "backends/compare.h"
#include "ir/cost.h"
#include "measure/cachesim.h"
#include "measure/malloc_policy.h"
#include "measure/ceilings.h"
#include "measure/counters.h"
#include "measure/machine.h"
#include "measure/runner.h"
#include "measure/stats.h"

namespace fb::measure {

struct BenchSettings {
  std::string model;
  std::string backend;
  int threads = 1;
  int64_t batch = 0;  // 0: the model's own
  Precision precision = Precision::F32;
  std::string device = "cpu";
  // Backend options as given (`--opt [BACKEND:]KEY=VALUE`): key "KEY" for every backend, "BACKEND:KEY" for one.
  // compile_options(s, backend) resolves what one backend gets.
  std::map<std::string, std::string> extra;
  uint64_t seed = 1;
  RunSettings run;
  bool check = false;            // compare outputs with the reference backend
  std::optional<double> check_tol;  // default: tolerance_for(precision)
  bool counters = true;          // hardware counters (perf_event_open)
  bool ceilings = true;          // peak_gflops / pct_of_peak from the cached ceilings
  std::optional<CacheSimSettings> cache_sim;
  std::vector<int> pin;          // CPUs to pin to (empty: no pinning)
  bool with_transfers = false;   // device-resident backends: include host transfers in every timed run
  MallocPolicy malloc = MallocPolicy::Retain;  // heap policy of the whole process (malloc_policy.h)
};

// How one backend's runs were timed (device backends: resident inputs and device events, see backend.h).
struct TimingMode {
  bool resident = false;       // inputs uploaded once; the timed step had no host transfers
  bool device_timer = false;   // samples are device-measured times (CUDA events), not the host clock
  std::string timer() const { return device_timer ? "device_events" : "host_clock"; }
  std::string transfers() const { return resident ? "excluded" : "included"; }
};

// The step to time for `exe` and, after timing, the samples to keep: device times replace host times when
// the backend measures them (one per run; the last `n` belong to the timed runs, the rest to warm-up).
struct TimedStep {
  TimingMode mode;
  std::function<void()> step;
  std::vector<double> device_ms;
  void adopt_device_samples(RunResult& r);
};
// `exe`, `inputs` and `outputs` must outlive the returned step.
std::unique_ptr<TimedStep> make_timed_step(Executable& exe, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs,
                                           bool with_transfers);

double tolerance_for(Precision p);  // relative max error allowed vs the reference

// Loads the model a settings object names, with weights and the requested batch.
Graph load_bench_graph(const BenchSettings& s);

// load_bench_graph, and what every result (bench, compare) reports about the model: name, batch, input, cost
// (its bytes in the precision that runs).
template <class Result>
Graph load_and_record(const BenchSettings& s, Result& r) {
  Graph g = load_bench_graph(s);
  r.model_name = g.name;
  r.batch = g.batch();
  r.input_shape = g.value(g.inputs[0]).shape;
  r.cost = at_storage_bytes(graph_cost(g), precision_info(s.precision).storage_bytes);
  return g;
}

// Throws fb::Error naming the option when a scoped one names a backend that is not in `backends`: a typo, or a
// backend left out, would otherwise measure something other than what was asked for without a word.
void check_option_scopes(const std::map<std::string, std::string>& options, const std::vector<std::string>& backends);
// What `backend` is compiled with: threads, precision, device and its own resolved options.
CompileOptions compile_options(const BenchSettings& s, const std::string& backend);

// The simulated cache of `backend` on the settings' model (s.cache_sim must be set), in a valgrind child.
CacheSimResult simulate_cache(const BenchSettings& s, const std::string& backend, int64_t batch);
// That child's arguments after the program path: `backend` alone, with only its own options, resolved.
std::vector<std::string> cachesim_child_args(const BenchSettings& s, const std::string& backend, int64_t batch,
                                             int iterations);
// The `counters` object of a result: hardware counters when they work, else the simulation when one ran
// (marked "simulated"), else "unavailable" with the reason.
nlohmann::json counters_json(const CounterResult& counters, const std::optional<CacheSimResult>& cache_sim);

// Runs `g` once on the reference backend and compares output 0 with `out`.
Agreement check_against_reference(const Graph& g, const std::vector<Tensor>& inputs, const Tensor& out, double tol);
// The reference backend's outputs of one run (at least one), for checking several backends against one run.
std::vector<Tensor> reference_outputs(const Graph& g, const std::vector<Tensor>& inputs);

// The hidden `_cachesim-child` body: load, compile, one unsimulated run, one simulated warm-up run, then
// `iterations` counted runs (see cachesim.h). Returns 0.
int run_cachesim_child(const BenchSettings& s, int iterations);

// Prints the counters' unavailability reason to stderr once per process.
void note_counters_once(const CounterResult& c);

}  // namespace fb::measure
