#include "ir/builder.h"

#include <algorithm>

#include <fmt/format.h>

#include "ir/shape_infer.h"

namespace fb {

GraphBuilder::GraphBuilder(std::string graph_name) { g_.name = std::move(graph_name); }

GraphBuilder::Scope::Scope(GraphBuilder& b, std::string name) : b_(b) { b_.scopes_.push_back(std::move(name)); }
GraphBuilder::Scope::~Scope() { b_.scopes_.pop_back(); }

std::string GraphBuilder::qualified(const std::string& name) {
  std::string full;
  for (const std::string& s : scopes_) {
    if (s.empty()) continue;
    full += s;
    full += '.';
  }
  full += name;
  // Linear scan is fine: names are checked once per node and graphs have at most a few thousand.
  std::string unique = full;
  for (int i = 1; std::find(used_names_.begin(), used_names_.end(), unique) != used_names_.end(); ++i)
    unique = fmt::format("{}_{}", full, i);
  used_names_.push_back(unique);
  return unique;
}

ValueId GraphBuilder::input(std::string name, Shape shape) {
  for (int64_t d : shape)
    if (d <= 0) fail("input '{}' has shape {}: dimensions must be positive", name, shape_str(shape));
  ValueId v = g_.add_value(qualified(name), std::move(shape));
  g_.inputs.push_back(v);
  return v;
}

void GraphBuilder::output(ValueId v) { g_.outputs.push_back(v); }

Graph GraphBuilder::finish() {
  validate(g_);
  return std::move(g_);
}

std::vector<ValueId> GraphBuilder::add_node(Op op, Attrs attrs, std::vector<ValueId> inputs, std::string name,
                                            int num_outputs, float init_scale) {
  Node n;
  n.name = qualified(name);
  n.op = op;
  n.attrs = std::move(attrs);
  n.inputs = std::move(inputs);
  n.init_scale = init_scale;
  // Outputs must exist before inference so that Split can check its arity.
  for (int i = 0; i < num_outputs; ++i) n.outputs.push_back(-1);
  std::vector<Shape> shapes = infer_output_shapes(g_, n);
  n.params = expected_params(g_, n);
  const auto id = static_cast<NodeId>(g_.nodes.size());
  for (size_t i = 0; i < shapes.size(); ++i) {
    std::string vname = shapes.size() == 1 ? n.name : fmt::format("{}:{}", n.name, i);
    n.outputs[i] = g_.add_value(vname, shapes[i]);
    g_.value(n.outputs[i]).producer = id;
  }
  std::vector<ValueId> outs = n.outputs;
  g_.nodes.push_back(std::move(n));
  return outs;
}

ValueId GraphBuilder::unary(Op op, ValueId x, std::string name, Attrs attrs) {
  return add_node(op, std::move(attrs), {x}, std::move(name))[0];
}

ValueId GraphBuilder::conv(ValueId x, const ConvSpec& s, std::string name) {
  Conv2dAttrs a;
  a.out_channels = s.out;
  a.kernel_h = s.kh > 0 ? s.kh : s.k;
  a.kernel_w = s.kw > 0 ? s.kw : s.k;
  a.stride_h = a.stride_w = s.stride;
  a.dilation_h = a.dilation_w = s.dilation;
  int64_t ph = s.pad_h >= 0 ? s.pad_h : (s.pad >= 0 ? s.pad : s.dilation * (a.kernel_h - 1) / 2);
  int64_t pw = s.pad_w >= 0 ? s.pad_w : (s.pad >= 0 ? s.pad : s.dilation * (a.kernel_w - 1) / 2);
  a.pad_top = a.pad_bottom = ph;
  a.pad_left = a.pad_right = pw;
  a.groups = s.groups;
  a.bias = s.bias;
  return conv2d(x, a, std::move(name));
}

ValueId GraphBuilder::conv2d(ValueId x, const Conv2dAttrs& a, std::string name) {
  return unary(Op::Conv2d, x, std::move(name), a);
}

ValueId GraphBuilder::batch_norm(ValueId x, std::string name, float init_scale, float eps) {
  return add_node(Op::BatchNorm, BatchNormAttrs{eps}, {x}, std::move(name), 1, init_scale)[0];
}

ValueId GraphBuilder::relu(ValueId x, std::string name) { return unary(Op::Relu, x, std::move(name)); }
ValueId GraphBuilder::relu6(ValueId x, std::string name) { return unary(Op::Relu6, x, std::move(name)); }
ValueId GraphBuilder::sigmoid(ValueId x, std::string name) { return unary(Op::Sigmoid, x, std::move(name)); }
ValueId GraphBuilder::hard_sigmoid(ValueId x, std::string name, HardSigmoidAttrs a) {
  return unary(Op::HardSigmoid, x, std::move(name), a);
}
ValueId GraphBuilder::silu(ValueId x, std::string name) { return unary(Op::Silu, x, std::move(name)); }
ValueId GraphBuilder::hard_swish(ValueId x, std::string name) { return unary(Op::HardSwish, x, std::move(name)); }
ValueId GraphBuilder::add(ValueId a, ValueId b, std::string name) {
  return add_node(Op::Add, NoAttrs{}, {a, b}, std::move(name))[0];
}
ValueId GraphBuilder::mul(ValueId a, ValueId b, std::string name) {
  return add_node(Op::Mul, NoAttrs{}, {a, b}, std::move(name))[0];
}
ValueId GraphBuilder::concat(const std::vector<ValueId>& xs, std::string name) {
  return add_node(Op::Concat, AxisAttrs{1}, xs, std::move(name))[0];
}
std::vector<ValueId> GraphBuilder::split(ValueId x, const std::vector<int64_t>& sizes, std::string name) {
  return add_node(Op::Split, SplitAttrs{sizes}, {x}, std::move(name), static_cast<int>(sizes.size()));
}
ValueId GraphBuilder::channel_shuffle(ValueId x, int64_t groups, std::string name) {
  return unary(Op::ChannelShuffle, x, std::move(name), ChannelShuffleAttrs{groups});
}

static PoolAttrs pool_attrs(const PoolSpec& s) {
  PoolAttrs a;
  a.kernel_h = a.kernel_w = s.k;
  a.stride_h = a.stride_w = s.stride > 0 ? s.stride : s.k;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = s.pad;
  a.ceil_mode = s.ceil_mode;
  a.count_include_pad = s.count_include_pad;
  return a;
}

ValueId GraphBuilder::max_pool(ValueId x, const PoolSpec& s, std::string name) {
  return unary(Op::MaxPool, x, std::move(name), pool_attrs(s));
}
ValueId GraphBuilder::avg_pool(ValueId x, const PoolSpec& s, std::string name) {
  return unary(Op::AvgPool, x, std::move(name), pool_attrs(s));
}
ValueId GraphBuilder::global_avg_pool(ValueId x, std::string name) {
  return unary(Op::GlobalAvgPool, x, std::move(name));
}
ValueId GraphBuilder::flatten(ValueId x, std::string name) { return unary(Op::Flatten, x, std::move(name), AxisAttrs{1}); }
ValueId GraphBuilder::linear(ValueId x, int64_t out_features, std::string name, bool bias) {
  return unary(Op::Linear, x, std::move(name), LinearAttrs{out_features, bias});
}
ValueId GraphBuilder::softmax(ValueId x, std::string name) { return unary(Op::Softmax, x, std::move(name), AxisAttrs{1}); }
ValueId GraphBuilder::identity(ValueId x, std::string name) { return unary(Op::Identity, x, std::move(name)); }
ValueId GraphBuilder::dropout(ValueId x, std::string name) { return unary(Op::Dropout, x, std::move(name)); }

}  // namespace fb
