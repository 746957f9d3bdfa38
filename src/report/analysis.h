#pragma once
// The report's analyses over a results database (docs/report.md states every method):
//  - speedup of each accelerated backend over the native one, point by point, with a 95% CI: the paired
//    two-level figures the study recorded (schema 2), else (older databases) the ratio of medians with MOVER
//    on the log scale from the two medians' CIs; per-pattern and overall arithmetic and geometric means;
//  - Pearson and Spearman correlations (Fisher-z CIs) along depth and along width;
//  - latency-vs-FLOPs least-squares fits (slope -> effective GFLOP/s, efficiency vs measured peak);
//  - roofline coordinates; the paper's headline values beside ours.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/results_db.h"
#include "report/stats.h"

namespace fb::report {

struct AnalysisOptions {
  std::string native = "torch";  // the native backend (on each device)
  bool cost_model = true;        // derive arithmetic intensity by building the model (roofline)
};

// The measurement conditions two records must share to be compared or pooled.
struct Context {
  int64_t machine = -1;  // -1: unknown (a pending point)
  std::string device, precision;
  int64_t batch = 0, threads = 0;
  std::string label() const;  // "machine 1 · cpu · batch 1 · 2 threads · fp32"
  auto operator<=>(const Context&) const = default;
};
Context context_of(const Record& r);

struct Speedup;
// A speedup's context: the accelerated point's, or the native twin's while the former is not measured yet.
Context context_of(const Speedup& s);

struct Speedup {
  const Record* native = nullptr;  // null: no native point with the same settings
  const Record* accel = nullptr;
  // Paired (results schema 2): the median per-round ratio of the two measured together, CI over processes
  // and rounds. Otherwise (older databases): native median / accelerated median, CI by MOVER.
  std::optional<double> value;
  std::optional<stats::Interval> ci95;
  bool paired = false;
  std::string why_missing;         // for value, or for ci95 when only it is missing
};

struct Average {
  std::string scope;  // a pattern name, "all patterns" or "all networks"
  std::string backend;
  Context context;
  int n = 0, n_missing = 0;  // points with / without a speedup
  std::optional<double> mean, geomean, min, max;
  std::string why_missing;
};

struct CorrelationRow {
  std::string pattern, backend, axis;  // axis: "depth" or "width"
  std::string fixed;                   // the other axis's value, e.g. "width=64"
  Context context;
  int64_t resolution = 0;
  std::string x, y;
  int points = 0;  // points in the sweep (n in the correlations counts those with both values)
  stats::Correlation pearson, spearman;
  std::string why_missing;  // why some points lack a value (first reason)
  std::string short_missing;  // e.g. "LL misses at 8 of 10 points": the summary table's terse form
};

struct Fit {
  std::string pattern, backend;
  Context context;
  int64_t resolution = 0;
  std::optional<stats::LinearFit> fit;  // latency_ms = intercept + slope * GFLOPs
  std::optional<double> effective_gflops, peak_gflops, efficiency_pct;
  std::string why_missing;
};

struct RooflinePoint {
  const Record* record = nullptr;
  std::optional<double> achieved_gflops;
  std::optional<double> bytes;              // cost model: weights + every layer's activations in and out
  std::optional<double> intensity;          // flops / bytes
  std::optional<double> dram_intensity;     // flops / (LL misses x LL line bytes), where counters exist
  std::string why_no_intensity, why_no_dram;
};

// A profiled layer on the roofline (cost model FLOPs and bytes of the nodes it names).
struct RooflineLayer {
  const Record* record = nullptr;
  std::string layer, op;
  double ms = 0, flops = 0, bytes = 0;
  double achieved_gflops() const { return flops / (ms * 1e6); }
  double intensity() const { return flops / bytes; }
};

struct MachineCeilings {
  // Per (machine, threads): medians over the measurements (peak_gflops; result_json.ceilings.triad_gbps),
  // else the machine facts.
  std::optional<double> peak_gflops;
  std::optional<double> bandwidth_gbps;
  double ll_line_bytes = 64;  // the last-level cache's line size from the facts ("caches"), else 64
  std::string why_no_peak, why_no_bandwidth;
};

struct Headline {
  std::string finding, paper, backend, ours, note;
  std::optional<double> paper_value, our_value;
};

struct Analysis {
  std::vector<const Record*> records;  // one per distinct point setting and backend (latest outcome wins)
  std::vector<Speedup> speedups;       // one per accelerated record
  std::map<const Record*, size_t> speedup_index;  // accelerated record -> its entry in speedups
  std::vector<Average> averages;
  std::vector<CorrelationRow> correlations;
  std::vector<Fit> fits;
  std::vector<RooflinePoint> roofline;
  std::vector<RooflineLayer> roofline_layers;  // from per-layer profiles, where recorded
  int unmatched_layers = 0;                    // profiled layers whose names the cost model does not know
  std::map<std::pair<int64_t, int64_t>, MachineCeilings> ceilings;  // (machine, threads)
  std::vector<Headline> headline;
  const Record* fastest = nullptr;  // fastest measured non-pattern network (any backend)
  bool several_contexts = false;
  std::string native;
};

// The Analysis points into `db`, which must outlive it.
Analysis analyze(const ResultsDb& db, const AnalysisOptions& opt = {});
Analysis analyze(ResultsDb&& db, const AnalysisOptions& opt = {}) = delete;

// Looks for the fp32 peak (a number whose key has "peak" and "gflops") and memory bandwidth (key has
// "bandwidth" or "triad", read as GB/s) anywhere in a JSON object (machine facts, bench ceilings).
std::optional<double> facts_peak_gflops(const nlohmann::json& facts);
std::optional<double> facts_bandwidth_gbps(const nlohmann::json& facts);

// The paper's headline values (Abbasi et al. 2021, arXiv:2107.04144), for reference beside ours.
inline constexpr double k_paper_overall_speedup = 3.8;
inline constexpr double k_paper_depthwise_bottleneck_speedup = 5.5;
inline constexpr double k_paper_darts_speedup = 12.0;
inline constexpr double k_paper_fastest_ms = 2.4;  // MobileNet-V2

}  // namespace fb::report
