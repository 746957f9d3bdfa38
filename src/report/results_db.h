#pragma once
// Reads a results database (docs/results_schema.md) into memory, read-only. Every point becomes one
// Record: measured (its measurement row), failed (its failure row) or pending (neither yet).
// Missing values stay std::nullopt; nothing is ever read as 0.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fb::report {

struct Machine {
  int64_t id = 0;
  std::string fingerprint;
  nlohmann::json facts;  // the `machine` object of bench --json
};

enum class Status { Measured, Failed, Pending };
const char* status_name(Status s);

// One layer's time from a per-layer profile in result_json ("layers": [{"name", "op", "ms", "kind", "nodes"}]):
// the IR nodes the step computes; older databases have no nodes, and a fused group is then named "a+b+c".
struct LayerTiming {
  std::string name, op;
  double ms = 0;
  std::string kind = "compute";    // compute, copy, reorder or overhead
  std::vector<std::string> nodes;  // empty in older databases
};

// Where a speedup comes from (result_json.attribution.parts_ms, measure/attribution.h): the gain over the
// native point split into parts that add up to it.
struct AttributionParts {
  double gain_ms = 0, overhead_ms = 0, fusion_ms = 0, layout_ms = 0, kernels_ms = 0, unmapped_ms = 0, residual_ms = 0;
  double drift_ms = 0;  // absent in a result from before it was split from the residual: 0
};

struct Record {
  // the point
  std::string point_id;
  int64_t study_id = 0, seq = 0;
  std::string model, family;
  std::optional<std::string> pattern;
  std::optional<int64_t> depth, width;
  int64_t resolution = 0, batch = 0, threads = 0;
  // The backend as analysed and shown: where the point's comparison group had backend options
  // (settings_json.options), with them, so it never mixes with the plain backend: "onednn[fuse=off]", and
  // "torch[onednn:fuse=off]" for the torch point measured beside it (results_db.cpp; docs/report.md).
  // plain_backend() gives the backend that ran.
  std::string backend;
  std::string options;  // the group's options entry as the spec writes it ("onednn:fuse=off"); "" for none
  std::string precision;
  std::string device;  // points.device, else settings_json.device, else result_json.device, else "cuda" for
                       // cuda/cudnn backends, else "cpu"
  // the outcome
  Status status = Status::Pending;
  std::optional<int64_t> machine_id;
  std::string finished_at;
  std::optional<double> median_ms, ci95_low_ms, ci95_high_ms, mean_ms, stddev_ms;
  std::optional<int64_t> samples;
  std::optional<double> macs, flops, params, peak_activation_bytes;
  std::optional<double> achieved_gflops, peak_gflops, pct_of_peak;
  std::string peak_reason;  // result_json.peak_reason: why pct_of_peak is null (bf16, int8, Winograd, no peak)
  std::vector<LayerTiming> layers;       // result_json.layers, when the measurement profiled layers
  std::optional<AttributionParts> attribution;  // result_json.attribution, when the study explained its speedups
  std::optional<double> bandwidth_gbps;  // result_json.ceilings (the measured triad bandwidth), when recorded
  std::string counters_source, counters_reason;
  std::optional<double> ll_references, ll_misses, ll_miss_rate;
  std::optional<double> agreement_rel_error;
  std::optional<bool> agreement_passed;
  std::string failure_kind, failure_reason;  // when Failed
  // Results schema 2 (the point's backends measured together in k processes); absent in older databases.
  std::optional<int64_t> processes, rounds, remeasured;  // processes combined; paired rounds; processes added
  std::optional<int64_t> excluded_processes;             // processes left out as disturbed
  std::optional<double> paired_speedup, paired_ci95_low, paired_ci95_high;  // vs native_point_id, same processes
  std::string native_point_id;
  std::string unstable;                 // why the stability rule still failed at the process limit
  std::optional<double> steal_pct_max;  // the worst process's mean steal over its rounds
  bool beside_other_measurement = false;
  // The placement gate (result_json; absent before it existed): rounds set aside because the threads sat on
  // distant cores, and processes that could not gather enough rounds on nearby ones.
  std::optional<int64_t> rounds_set_aside, processes_placement_unmet;

  // Why a latency is absent, in words ("failed (crash: ...)", "not measured yet", "median is NULL").
  std::string why_no_latency() const;
  // Why LL-cache figures are absent (counters_reason or the source).
  std::string why_no_counters() const;
};

struct Study {
  int64_t id = 0;
  std::string name, created_at;
};

// A/A reruns of `study recheck`: was the rerun inside the first run's 95% CI, and inside its rerun interval
// (counted over the reruns that recorded that verdict: rechecks from before it existed have none)?
struct RecheckCoverage {
  int medians = 0, medians_inside = 0, speedups = 0, speedups_inside = 0;
  int medians_judged_rerun = 0, medians_inside_rerun = 0, speedups_judged_rerun = 0, speedups_inside_rerun = 0;
};

struct ResultsDb {
  std::string path;
  RecheckCoverage rechecks;
  std::vector<Machine> machines;
  std::vector<Study> studies;
  std::vector<Record> records;
  const Machine* machine(int64_t id) const;
};

// The backend that ran, from a Record's backend: "onednn[fuse=off]" -> "onednn".
std::string plain_backend(const std::string& backend);

// Opens `path` read-only; throws fb::Error naming the file and the problem (missing file, not SQLite,
// a table or column of the schema missing).
ResultsDb load_results(const std::string& path);

}  // namespace fb::report
