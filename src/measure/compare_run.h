#pragma once
// `formbench compare`: several backends on one model, compiled side by side and timed ALTERNATELY in one
// run (round-robin blocks, runner.h), so drifts of the machine (clock, load, temperature) hit all alike.
// Speedups are against the native backend (torch when it is in the list, else the first) with a bootstrap
// CI (speedup.h). Agreement is with one reference-backend run on the same graph and inputs.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "measure/bench.h"
#include "measure/speedup.h"

namespace fb::measure {

struct CompareSettings {
  BenchSettings base;  // model, threads, batch, precision, run settings, check, ceilings, pin
  std::vector<std::string> backends;
  int block = 5;             // timed runs per backend per round
  bool per_layer = false;
  int per_layer_iterations = 10;
};

struct CompareEntry {
  std::string backend;
  double compile_ms = 0, first_inference_ms = 0;
  RunResult run;
  LatencyStats stats;
  std::optional<SpeedupCi> speedup;  // absent for the native backend itself
  std::optional<Agreement> agreement;
  Description describe;
  std::vector<LayerTime> layers;  // --per-layer; empty when unsupported
  bool layers_supported = false;
  TimingMode timing;
};

struct CompareResult {
  CompareSettings settings;
  std::string native;
  std::string model_name;
  int64_t batch = 1;
  Shape input_shape;
  GraphCost cost;
  double timer_overhead_ns = 0;
  double agreement_tol = 0;
  std::optional<Ceilings> ceilings;
  std::vector<CompareEntry> entries;
  MachineFacts machine;
  std::vector<int> affinity;
  bool pinned = false;
  nlohmann::json to_json() const;
  std::string table() const;
  std::string csv() const;
};

std::string pick_native(const std::vector<std::string>& backends);
CompareResult run_compare(const CompareSettings& s, const std::function<void(const std::string&)>& progress = nullptr);

}  // namespace fb::measure
