#include "ir/graph.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/rng.h"
#include "ir/shape_infer.h"

namespace fb {

bool Node::has_param(std::string_view n) const {
  for (const Param& p : params)
    if (p.name == n) return true;
  return false;
}

const Tensor& Node::param(std::string_view n) const {
  for (const Param& p : params)
    if (p.name == n) return p.tensor;
  fail("{}: {} has no param '{}'", name, op_name(op), n);
}

Tensor& Node::param(std::string_view n) {
  return const_cast<Tensor&>(static_cast<const Node&>(*this).param(n));
}

ValueId Graph::add_value(std::string value_name, Shape shape, DType dtype) {
  values.push_back(Value{std::move(value_name), std::move(shape), dtype, k_no_producer});
  return static_cast<ValueId>(values.size() - 1);
}

std::vector<std::vector<NodeId>> Graph::consumers() const {
  std::vector<std::vector<NodeId>> c(values.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    for (ValueId v : nodes[i].inputs) c.at(static_cast<size_t>(v)).push_back(static_cast<NodeId>(i));
  return c;
}

bool Graph::is_output(ValueId id) const { return std::find(outputs.begin(), outputs.end(), id) != outputs.end(); }

int64_t Graph::batch() const {
  if (inputs.empty() || value(inputs[0]).shape.empty()) return 1;
  return value(inputs[0]).shape[0];
}

void validate(Graph& g) {
  const auto num_values = static_cast<ValueId>(g.values.size());
  if (g.inputs.empty()) fail("graph '{}' has no inputs", g.name);
  if (g.outputs.empty()) fail("graph '{}' has no outputs", g.name);
  std::vector<bool> defined(g.values.size(), false);
  for (ValueId v : g.inputs) {
    if (v < 0 || v >= num_values) fail("graph '{}': input refers to value #{} which does not exist", g.name, v);
    defined[static_cast<size_t>(v)] = true;
    for (int64_t d : g.value(v).shape)
      if (d <= 0) fail("graph input '{}' has shape {}: dimensions must be positive", g.value(v).name,
                       shape_str(g.value(v).shape));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (n.name.empty()) n.name = fmt::format("{}_{}", op_name(n.op), i);
    if (!names.insert(n.name).second) fail("{}: two nodes have this name", n.name);
    for (ValueId v : n.inputs) {
      if (v < 0 || v >= num_values) fail("{}: input refers to value #{} which does not exist", n.name, v);
      if (!defined[static_cast<size_t>(v)])
        fail("{}: reads '{}' before it is computed (the graph is not in topological order, or has a cycle)",
             n.name, g.value(v).name);
    }
    std::vector<Shape> shapes = infer_output_shapes(g, n);
    if (shapes.size() != n.outputs.size())
      fail("{}: {} produces {} output(s) but the node lists {}", n.name, op_name(n.op), shapes.size(),
           n.outputs.size());
    for (size_t k = 0; k < shapes.size(); ++k) {
      ValueId v = n.outputs[k];
      if (v < 0 || v >= num_values) fail("{}: output refers to value #{} which does not exist", n.name, v);
      if (defined[static_cast<size_t>(v)]) fail("{}: writes '{}', which is already defined", n.name, g.value(v).name);
      defined[static_cast<size_t>(v)] = true;
      g.value(v).shape = shapes[k];
      g.value(v).producer = static_cast<NodeId>(i);
    }
    std::vector<Param> want = expected_params(g, n);
    for (const Param& p : want) {
      if (!n.has_param(p.name)) fail("{}: {} is missing its '{}' param", n.name, op_name(n.op), p.name);
      const Shape& have = n.param(p.name).shape();
      if (have != p.tensor.shape())
        fail("{}: param '{}' has shape {} but the op needs {}", n.name, p.name, shape_str(have),
             shape_str(p.tensor.shape()));
    }
    if (n.params.size() != want.size())
      fail("{}: {} has {} params but expects {}", n.name, op_name(n.op), n.params.size(), want.size());
  }
  for (ValueId v : g.outputs) {
    if (v < 0 || v >= num_values) fail("graph '{}': output refers to value #{} which does not exist", g.name, v);
    if (!defined[static_cast<size_t>(v)]) fail("graph output '{}' is never computed", g.value(v).name);
  }
}

void set_batch(Graph& g, int64_t batch) {
  if (batch <= 0) fail("batch must be a positive integer, got {}", batch);
  for (ValueId v : g.inputs) {
    Shape& s = g.value(v).shape;
    if (!s.empty()) s[0] = batch;
  }
  validate(g);
}

namespace {

// PyTorch-like initialisation, but chosen so deep stacks stay well-scaled: Kaiming-normal (fan_out, ReLU
// gain) for conv, as torchvision's ResNet/MobileNet inits do; Linear uniform(+-1/sqrt(fan_in));
// BatchNorm with non-trivial statistics so that folding it is actually tested.
void init_param(const Node& n, Param& p, uint64_t seed) {
  Rng rng(hash_name(p.name, hash_name(n.name, seed ^ 0x5bd1e995ULL)));
  Tensor t(p.tensor.shape());
  float* d = t.data();
  const int64_t count = t.numel();
  if (n.op == Op::Conv2d && p.name == "weight") {
    const Shape& s = t.shape();
    const double fan_out = static_cast<double>(s[0]) * s[2] * s[3] / n.attr<Conv2dAttrs>().groups;
    const double fan_in = static_cast<double>(s[1]) * s[2] * s[3];
    // Geometric mean of fan_in and fan_out keeps both expanding and reducing convs near unit gain.
    const float std = static_cast<float>(std::sqrt(2.0 / std::sqrt(fan_in * fan_out)));
    for (int64_t i = 0; i < count; ++i) d[i] = rng.normal() * std;
  } else if (n.op == Op::Linear && p.name == "weight") {
    const float bound = 1.0f / std::sqrt(static_cast<float>(t.shape()[1]));
    for (int64_t i = 0; i < count; ++i) d[i] = rng.uniform(-bound, bound);
  } else if (n.op == Op::BatchNorm && p.name == "weight") {
    for (int64_t i = 0; i < count; ++i) d[i] = rng.uniform(0.7f, 1.3f) * n.init_scale;
  } else if (n.op == Op::BatchNorm && p.name == "running_var") {
    for (int64_t i = 0; i < count; ++i) d[i] = rng.uniform(0.6f, 1.6f);
  } else if (n.op == Op::BatchNorm) {  // bias (beta) and running_mean
    for (int64_t i = 0; i < count; ++i) d[i] = rng.uniform(-0.2f, 0.2f);
  } else {  // conv and linear biases
    for (int64_t i = 0; i < count; ++i) d[i] = rng.uniform(-0.1f, 0.1f);
  }
  p.tensor = std::move(t);
}

}  // namespace

void materialize_weights(Graph& g, uint64_t seed) {
  for (Node& n : g.nodes)
    for (Param& p : n.params)
      if (!p.tensor.has_data()) init_param(n, p, seed);
}

bool weights_materialized(const Graph& g) {
  for (const Node& n : g.nodes)
    for (const Param& p : n.params)
      if (!p.tensor.has_data()) return false;
  return true;
}

}  // namespace fb
