#include "ir/cost.h"

#include <algorithm>

#include "core/error.h"

namespace fb {
namespace {

int64_t value_bytes(const Graph& g, ValueId v) {
  return shape_numel(g.value(v).shape) * dtype_size(g.value(v).dtype);
}

}  // namespace

double NodeCost::arithmetic_intensity() const {
  const int64_t bytes = weight_bytes + activation_in_bytes + activation_out_bytes;
  return bytes > 0 && flops > 0 ? static_cast<double>(flops) / static_cast<double>(bytes) : 0.0;
}

NodeCost node_cost(const Graph& g, const Node& n) {
  NodeCost c;
  for (ValueId v : n.inputs) c.activation_in_bytes += value_bytes(g, v);
  for (ValueId v : n.outputs) c.activation_out_bytes += value_bytes(g, v);
  for (const Param& p : n.params) {
    if (!p.buffer) c.params += p.tensor.numel();
    c.weight_bytes += p.tensor.numel() * dtype_size(p.tensor.dtype());
  }
  const int64_t out_elems = n.outputs.empty() ? 0 : shape_numel(g.value(n.outputs[0]).shape);
  switch (n.op) {
    case Op::Conv2d: {
      const auto& a = n.attr<Conv2dAttrs>();
      const int64_t cin = g.value(n.inputs[0]).shape[1];
      c.macs = out_elems * (cin / a.groups) * a.kernel_h * a.kernel_w;
      c.flops = 2 * c.macs + (a.bias ? out_elems : 0);
      break;
    }
    case Op::Linear: {
      const Shape& x = g.value(n.inputs[0]).shape;
      const auto& a = n.attr<LinearAttrs>();
      c.macs = x[0] * x[1] * a.out_features;
      c.flops = 2 * c.macs + (a.bias ? out_elems : 0);
      break;
    }
    case Op::BatchNorm: case Op::Relu: case Op::Relu6: case Op::Sigmoid: case Op::HardSigmoid:
    case Op::Silu: case Op::HardSwish: case Op::Add: case Op::Mul: case Op::Softmax:
      c.flops = out_elems;
      break;
    case Op::MaxPool: case Op::AvgPool: {
      const auto& a = n.attr<PoolAttrs>();
      c.flops = out_elems * a.kernel_h * a.kernel_w;
      break;
    }
    case Op::GlobalAvgPool:
      c.flops = shape_numel(g.value(n.inputs[0]).shape);
      break;
    case Op::Concat: case Op::Split: case Op::ChannelShuffle: case Op::Flatten: case Op::Identity:
    case Op::Dropout:
      break;
  }
  return c;
}

GraphCost graph_cost(const Graph& g) {
  GraphCost gc;
  gc.per_node.reserve(g.nodes.size());
  for (const Node& n : g.nodes) {
    NodeCost c = node_cost(g, n);
    gc.total.macs += c.macs;
    gc.total.flops += c.flops;
    gc.total.params += c.params;
    gc.total.weight_bytes += c.weight_bytes;
    gc.total.activation_in_bytes += c.activation_in_bytes;
    gc.total.activation_out_bytes += c.activation_out_bytes;
    gc.per_node.push_back(c);
  }

  // Liveness over the node order: last_use[v] is the index of the last node reading v.
  const auto num_nodes = static_cast<int>(g.nodes.size());
  std::vector<int> last_use(g.values.size(), -1);
  for (int i = 0; i < num_nodes; ++i)
    for (ValueId v : g.nodes[static_cast<size_t>(i)].inputs) last_use[static_cast<size_t>(v)] = i;
  for (ValueId v : g.outputs) last_use[static_cast<size_t>(v)] = num_nodes;

  int64_t live = 0;
  for (ValueId v : g.inputs) live += value_bytes(g, v);
  for (const Value& v : g.values) gc.total_activation_bytes += shape_numel(v.shape) * dtype_size(v.dtype);
  gc.peak_activation_bytes = live;
  for (int i = 0; i < num_nodes; ++i) {
    const Node& n = g.nodes[static_cast<size_t>(i)];
    for (ValueId v : n.outputs) live += value_bytes(g, v);
    // While a node runs, its inputs and outputs are all alive.
    gc.peak_activation_bytes = std::max(gc.peak_activation_bytes, live);
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const ValueId v = n.inputs[k];
      // A node may read the same value twice (x + x): free it once.
      const bool seen_before = std::find(n.inputs.begin(), n.inputs.begin() + static_cast<long>(k), v) !=
                               n.inputs.begin() + static_cast<long>(k);
      if (!seen_before && last_use[static_cast<size_t>(v)] == i) live -= value_bytes(g, v);
    }
    for (ValueId v : n.outputs)
      if (last_use[static_cast<size_t>(v)] == -1) live -= value_bytes(g, v);  // dead output
  }
  return gc;
}

GraphCost at_storage_bytes(GraphCost c, int bytes) {
  if (bytes < 1 || bytes > 4) fail("cost model: {} bytes per stored element (1 to 4)", bytes);
  auto scale = [bytes](int64_t& b) { b = b * bytes / 4; };
  auto scale_node = [&](NodeCost& n) {
    scale(n.weight_bytes);
    scale(n.activation_in_bytes);
    scale(n.activation_out_bytes);
  };
  scale_node(c.total);
  for (NodeCost& n : c.per_node) scale_node(n);
  scale(c.peak_activation_bytes);
  scale(c.total_activation_bytes);
  return c;
}

}  // namespace fb
