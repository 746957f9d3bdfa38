#pragma once
// One measurement: a model on a backend with T threads. Loads and compiles (timed), runs once (the first
// inference, timed separately), then warm-up and timed rounds with their noise evidence and the placement
// gate, exactly as `compare` measures several backends (compare_run.h: bench is that session with one
// backend), and hardware counters in runs of their own; statistics are computed afterwards from the raw
// samples. Optionally checks the outputs against the reference backend, and simulates the cache (cachesim.h).
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

struct BenchResult {
  BenchSettings settings;
  std::string model_name;
  Shape input_shape;
  int64_t batch = 1;
  RunResult run;
  LatencyStats stats;
  double compile_ms = 0;
  double first_inference_ms = 0;
  double timer_overhead_ns = 0;
  GraphCost cost;
  std::optional<Ceilings> ceilings;
  std::string ceilings_reason;  // when absent
  CounterResult counters;
  std::optional<CacheSimResult> cache_sim;
  std::optional<Agreement> agreement;
  double agreement_tol = 0;
  Description describe;
  MachineFacts machine;
  std::vector<int> affinity;  // CPUs the process ran on (granted)
  bool pinned = false;
  bool beside_other_measurement = false;  // set by the caller when the measurement lock was not held
  std::optional<std::string> malloc_not_applied;  // why the heap policy could not be applied (malloc_policy.h)
  TimingMode timing;
  int block = 5;                 // timed runs per round
  std::vector<RoundLog> rounds;  // every round's noise evidence and whether it counted (runner.h)
  PlacementOutcome placement;

  double throughput_ips() const { return 1000.0 / stats.median; }
  double achieved_gflops() const;  // flops / median
  std::optional<double> peak_gflops() const;
  std::optional<double> pct_of_peak() const;
  nlohmann::json to_json() const;  // docs/bench_json.md
};

// Loads the model a settings object names, with weights and the requested batch.
Graph load_bench_graph(const BenchSettings& s);

// load_bench_graph, and what every result (bench, compare) reports about the model: name, batch, input, cost.
template <class Result>
Graph load_and_record(const BenchSettings& s, Result& r) {
  Graph g = load_bench_graph(s);
  r.model_name = g.name;
  r.batch = g.batch();
  r.input_shape = g.value(g.inputs[0]).shape;
  r.cost = graph_cost(g);
  return g;
}

// Throws fb::Error naming the option when a scoped one names a backend that is not in `backends`: a typo, or a
// backend left out, would otherwise measure something other than what was asked for without a word.
void check_option_scopes(const std::map<std::string, std::string>& options, const std::vector<std::string>& backends);
// What `backend` is compiled with: threads, precision, device and its own resolved options.
CompileOptions compile_options(const BenchSettings& s, const std::string& backend);

// The whole measurement. `progress` (may be null) receives one-line updates for a terminal.
BenchResult run_bench(const BenchSettings& s, const std::function<void(const std::string&)>& progress = nullptr);

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
