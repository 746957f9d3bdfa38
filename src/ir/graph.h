#pragma once
// The graph IR: values (tensors flowing between nodes) and nodes (ops), kept in a topological order.
// Graph inputs are values with no producer; weights live on the node that owns them as named params
// (PyTorch's names: Conv2d "weight" [O, I/groups, kh, kw] and "bias" [O]; BatchNorm "weight" (gamma),
// "bias" (beta), "running_mean", "running_var"; Linear "weight" [out, in] and "bias" [out]).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "ir/attrs.h"
#include "ir/op_table.h"

namespace fb {

using ValueId = int;
using NodeId = int;
inline constexpr NodeId k_no_producer = -1;

struct Value {
  std::string name;
  Shape shape;
  DType dtype = DType::F32;
  NodeId producer = k_no_producer;
};

struct Param {
  std::string name;
  Tensor tensor;
  // A buffer (BatchNorm running statistics) is stored and read but not trained: it counts towards
  // weight_bytes, not towards the parameter count (torchvision's convention).
  bool buffer = false;
};

struct Node {
  std::string name;  // hierarchical, e.g. "layer2.0.conv1"
  Op op;
  Attrs attrs;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::vector<Param> params;
  // Weight-initialisation hint: scales BatchNorm gamma (residual branch ends use < 1, as torchvision's
  // zero_init_residual does, so activations stay finite through hundreds of blocks).
  float init_scale = 1.0f;

  template <typename A>
  const A& attr() const {
    return std::get<A>(attrs);
  }
  template <typename A>
  A& attr() {
    return std::get<A>(attrs);
  }
  bool has_param(std::string_view name) const;
  const Tensor& param(std::string_view name) const;  // throws fb::Error naming the node if missing
  Tensor& param(std::string_view name);
};

class Graph {
 public:
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;  // topological order
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;

  ValueId add_value(std::string name, Shape shape = {}, DType dtype = DType::F32);
  const Value& value(ValueId id) const { return values.at(static_cast<size_t>(id)); }
  Value& value(ValueId id) { return values.at(static_cast<size_t>(id)); }
  const Node& node(NodeId id) const { return nodes.at(static_cast<size_t>(id)); }
  Node& node(NodeId id) { return nodes.at(static_cast<size_t>(id)); }

  // For each value, the nodes that read it (recomputed on demand; graphs are small).
  std::vector<std::vector<NodeId>> consumers() const;
  int64_t batch() const;  // the leading dimension of the first input
  bool is_output(ValueId id) const;
};

// Re-runs shape inference over the whole graph and checks its structure (ids in range, topological order,
// unique names, param shapes). Throws fb::Error naming the first bad node.
void validate(Graph& g);

// Sets the batch (leading) dimension of every graph input and re-infers all shapes.
void set_batch(Graph& g, int64_t batch);

// Fills every param that has no data yet, deterministically from the seed and the node/param names,
// PyTorch-like: Kaiming-normal conv/linear weights, small biases, BatchNorm with non-trivial statistics.
void materialize_weights(Graph& g, uint64_t seed = 0);
bool weights_materialized(const Graph& g);

}  // namespace fb
