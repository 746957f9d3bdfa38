#pragma once
// Why one backend is faster than another on a network: the end-to-end gain (native minus accelerated median,
// measured interleaved) split into what each side's per-layer profile shows:
//   overhead  the time between steps removed (the profiles' Overhead entries),
//   fusion    native passes the accelerated side no longer runs: nodes it folded into another kernel
//             (BatchNorm, activation, add/mul, flatten) or does not run at all (an in-place concatenation,
//             a removed identity),
//   layout    layout conversions the accelerated side added (its Reorder entries, a cost),
//   kernels   the same nodes computed faster (native time of the nodes both sides run, minus the
//             accelerated kernels covering them),
//   unmapped  profiled steps that name no IR node of the graph,
//   residual  what the profiles do not explain: the gain of unprofiled runs timed between the profiles
//             minus the profiled gain (profiling perturbs what it measures, so it is shown, never spread
//             over the parts),
//   drift     the timed rounds' gain minus that of the unprofiled runs between the profiles: the machine's
//             speed moved between the two phases.
// The parts add up to the end-to-end gain (of the timed rounds) exactly. Steps are matched by the IR node names they cover, over the
// coarsest partition of the nodes on which both sides' steps agree (a fused kernel and the native calls for
// the same nodes land in one block).
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "ir/graph.h"

namespace fb::measure {

enum class OpClass { Conv1x1, ConvKxK, Depthwise, Grouped, BatchNorm, Activation, AddMul, ConcatCopy, Pooling, Linear, Other };
inline constexpr int k_num_op_classes = 11;
const char* op_class_name(OpClass c);
OpClass op_class(const Node& n);

struct ClassRow {
  OpClass cls = OpClass::Other;
  int nodes = 0;             // nodes of this class in the graph
  double native_ms = 0;      // native time of those nodes
  double accel_ms = 0;       // accelerated kernels whose first node is of this class
  int accel_steps = 0;
  int eliminated = 0;        // nodes of this class the accelerated side runs no pass for
  double eliminated_ms = 0;  // their native time
  double kernel_gain_ms = 0; // native time of the nodes both run minus the accelerated kernels (by first node)
};

struct FusedGroup {
  std::string step;                // the accelerated step's name
  std::vector<std::string> nodes;  // the IR nodes it covers, its own first
  double native_ms = 0, accel_ms = 0;
};

struct Contributor {
  std::string part;  // overhead, fusion, layout, kernels, unmapped, residual, drift
  OpClass cls = OpClass::Other;
  bool has_class = false;
  int count = 0;
  double ms = 0;  // gain (negative: a cost)
  std::string sentence;
};

struct Attribution {
  std::string native, accelerated;
  double native_ms = 0, accel_ms = 0;                    // end-to-end medians
  double native_profiled_ms = 0, accel_profiled_ms = 0;  // sums of the per-layer profiles
  double native_phase_ms = 0, accel_phase_ms = 0;       // unprofiled runs between the profiles
  double overhead_ms = 0, fusion_ms = 0, layout_ms = 0, kernels_ms = 0, unmapped_ms = 0, residual_ms = 0, drift_ms = 0;
  int reorders = 0;
  std::vector<ClassRow> classes;  // classes present on either side, in enum order
  std::vector<FusedGroup> groups; // accelerated steps covering more than one node
  std::vector<Contributor> top;   // the largest parts by |ms|, with one sentence each
  double gain_ms() const { return native_ms - accel_ms; }
  nlohmann::json to_json() const;
  std::string table() const;
};

// One backend's side: its per-layer profile of graph g, the median of its timed rounds, and the median of its
// unprofiled runs between the profiles (<= 0: not measured, taken as the timed median: no drift).
struct ProfiledSide {
  std::string backend;
  const std::vector<LayerTime>& layers;
  double timed_ms = 0;
  double phase_ms = 0;
};

Attribution attribute(const Graph& g, const ProfiledSide& native, const ProfiledSide& accel, size_t top_n = 5);

}  // namespace fb::measure
