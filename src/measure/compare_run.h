#pragma once
// `formbench compare` and every study point: several backends on one model, compiled side by side in one
// process and timed ALTERNATELY (interleaved rounds in a random order, runner.h), so drifts of the machine
// (clock, load, neighbours) hit all alike. Speedups against the native backend (torch when it is in the
// list, else the first) come from the per-round paired ratios (speedup.h). Agreement is with one
// reference-backend run on the same graph and inputs. Several processes of this are combined by
// processes.h.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "measure/attribution.h"
#include "measure/bench.h"
#include "measure/speedup.h"

namespace fb::measure {

struct CompareSettings {
  BenchSettings base;  // model, threads, batch, precision, run settings, check, ceilings, pin
  std::vector<std::string> backends;
  int block = 5;             // timed runs per backend per round
  uint64_t order_seed = 1;   // the rounds' random order
  bool keep_going = false;   // a backend that fails to compile or run is reported (entry.error), the rest measured
  bool per_layer = false;
  int per_layer_iterations = 10;  // profiled runs per backend, in up to 5 rounds that alternate the backends
};

struct CompareEntry {
  std::string backend;
  double compile_ms = 0, first_inference_ms = 0;
  RunResult run;
  LatencyStats stats;
  std::string error;                 // keep_going: why this backend was not measured (then nothing else is set)
  std::optional<SpeedupCi> speedup;  // absent for the native backend itself
  std::vector<double> round_ratios;  // native / this backend, per round (absent for the native backend)
  CounterResult counters;            // hardware counters over a separate run after the interleaved rounds
  std::optional<CacheSimResult> cache_sim;
  std::optional<Agreement> agreement;
  Description describe;
  std::vector<LayerTime> layers;  // --per-layer; empty when unsupported
  bool layers_supported = false;
  double profile_phase_ms = 0;  // --per-layer: median latency of unprofiled runs between the profiles
  std::optional<Attribution> attribution;  // --per-layer, not the native backend: its gain split (attribution.h)
  TimingMode timing;
};

struct CompareResult {
  CompareSettings settings;
  std::string native;
  std::string model_name;
  bool beside_other_measurement = false;  // set by the caller when the measurement lock was not held
  int64_t batch = 1;
  Shape input_shape;
  GraphCost cost;
  double timer_overhead_ns = 0;
  double agreement_tol = 0;
  std::optional<Ceilings> ceilings;
  std::vector<CompareEntry> entries;
  std::vector<RoundLog> rounds;  // the order and the noise evidence of every interleaved round
  PlacementOutcome placement;    // what the placement gate did (runner.h)
  MachineFacts machine;
  std::vector<int> affinity;
  bool pinned = false;
  std::optional<std::string> malloc_not_applied;  // why the heap policy could not be applied (malloc_policy.h)
  nlohmann::json to_json() const;
  std::string table() const;
  std::string csv() const;
};

// A latency's statistics as bench's and compare's JSON write them (docs/bench_json.md).
nlohmann::json stats_json(const LatencyStats& st);

std::string pick_native(const std::vector<std::string>& backends);
CompareResult run_compare(const CompareSettings& s, const std::function<void(const std::string&)>& progress = nullptr);

}  // namespace fb::measure
