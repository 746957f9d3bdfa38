#pragma once
// The onednn backend's internal program: a list of steps over the (BN-folded) graph. A step starts as one
// node; fusion passes merge later nodes into it as oneDNN post-ops, so fusions never need new IR ops.
#include <string>
#include <vector>

#include <dnnl.hpp>

#include "backends/onednn/dnnl_compat.h"
#include "ir/graph.h"
#include "ir/passes/pass.h"

namespace fb::onednn {

using Eltwise = compat::Eltwise;

// The eltwise chain computing an activation node (HardSigmoid needs two: linear then clip).
std::vector<Eltwise> eltwise_chain(const Node& n);

struct PostOp {
  enum class Kind { Eltwise, Sum, Depthwise };
  Kind kind = Kind::Eltwise;
  Eltwise eltwise;           // Kind::Eltwise
  ValueId sum_operand = -1;  // Kind::Sum: the tensor accumulated into (dst = op(...) + operand)
  NodeId dw_node = -1;       // Kind::Depthwise: the 3x3 depthwise conv node
};

struct Step {
  NodeId node = -1;               // the node this step computes (its op, attrs and params)
  std::vector<ValueId> inputs;    // the node's inputs
  std::vector<ValueId> outputs;   // what the step writes: the last fused node's outputs
  std::vector<PostOp> post_ops;   // in application order
  std::string label;              // "conv1+bn1+relu" for describe()
  std::vector<std::string> covers;  // names of the original IR nodes it computes, its own first (per-layer profiles)
  bool removed = false;           // merged into another step
  bool flatten_input = false;     // a Linear reading the 4-D tensor before a Flatten it absorbed
};

struct Plan {
  Graph g;  // after the generic passes
  std::vector<Step> steps;
  passes::PassReport report;  // fusions applied / declined, generic passes included

  // Index of the live step that writes value v, or -1 for graph inputs.
  int producer_step(ValueId v) const;
  // Live steps that read v (post-op operands included), in order.
  std::vector<int> consumer_steps(ValueId v) const;
  bool is_graph_output(ValueId v) const;
  const Node& node_of(const Step& s) const { return g.node(s.node); }
};

// One step per node of the graph.
Plan make_plan(Graph g, passes::PassReport generic);

// Fusion passes over the plan (each records applied and declined candidates in plan.report).
void fuse_sum(Plan& p);        // Add(conv(x), y) -> conv(x) with a sum post-op accumulating into y
void fuse_eltwise(Plan& p);    // activation after conv/linear/add/mul -> eltwise post-op; ReLU after BatchNorm -> fuse_norm_relu
void fuse_flatten_linear(Plan& p);  // Flatten -> Linear: the inner product reads the 4-D tensor directly
// 1x1 conv -> dw 3x3 conv: depthwise post-op (force: also when oneDNN only chains the two kernels).
void fuse_depthwise(Plan& p, const dnnl::engine& eng, bool force);

}  // namespace fb::onednn
