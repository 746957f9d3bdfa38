#include "ir/shape_infer.h"

#include <fmt/format.h>

#include "core/error.h"

namespace fb {
namespace {

[[noreturn]] void node_error(const Node& n, const std::string& what) {
  throw Error(fmt::format("{}: {}", n.name, what));
}

const Shape& in_shape(const Graph& g, const Node& n, size_t i) { return g.value(n.inputs.at(i)).shape; }

void require_rank(const Node& n, const Shape& s, size_t rank, const char* what) {
  if (s.size() != rank)
    node_error(n, fmt::format("{} expects a rank-{} {} input, got {}", op_name(n.op), rank, what, shape_str(s)));
}

// Checked product so absurd shapes are refused instead of overflowing.
Shape checked(const Node& n, Shape s) {
  int64_t total = 1;
  for (int64_t d : s) {
    if (d <= 0) node_error(n, fmt::format("output shape {} has a non-positive dimension", shape_str(s)));
    if (total > k_max_tensor_elements / d)
      node_error(n, fmt::format("output shape {} exceeds the limit of {} elements", shape_str(s),
                                k_max_tensor_elements));
    total *= d;
  }
  return s;
}

// One spatial output extent, PyTorch's formula; ceil mode drops a window that starts in the right padding.
int64_t window_out(const Node& n, const char* axis, int64_t in, int64_t k, int64_t stride, int64_t pad_lo,
                   int64_t pad_hi, int64_t dilation, bool ceil_mode) {
  if (k <= 0 || stride <= 0 || dilation <= 0)
    node_error(n, fmt::format("kernel, stride and dilation along {} must be positive (got {}, {}, {})", axis, k,
                              stride, dilation));
  if (pad_lo < 0 || pad_hi < 0) node_error(n, fmt::format("negative padding along {}", axis));
  const int64_t eff = dilation * (k - 1) + 1;
  const int64_t span = in + pad_lo + pad_hi - eff;
  if (span < 0)
    node_error(n, fmt::format("kernel extent {} along {} is larger than the padded input {}", eff, axis,
                              in + pad_lo + pad_hi));
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad_lo) --out;
  return out;
}

std::vector<Shape> infer_conv(const Graph& g, const Node& n) {
  const Shape& x = in_shape(g, n, 0);
  require_rank(n, x, 4, "NCHW");
  const auto& a = n.attr<Conv2dAttrs>();
  if (a.groups <= 0) node_error(n, fmt::format("groups must be positive, got {}", a.groups));
  if (a.out_channels <= 0) node_error(n, fmt::format("out_channels must be positive, got {}", a.out_channels));
  if (x[1] % a.groups != 0)
    node_error(n, fmt::format("input has {} channels but groups={} does not divide it", x[1], a.groups));
  if (a.out_channels % a.groups != 0)
    node_error(n, fmt::format("out_channels={} is not divisible by groups={}", a.out_channels, a.groups));
  int64_t oh = window_out(n, "height", x[2], a.kernel_h, a.stride_h, a.pad_top, a.pad_bottom, a.dilation_h, false);
  int64_t ow = window_out(n, "width", x[3], a.kernel_w, a.stride_w, a.pad_left, a.pad_right, a.dilation_w, false);
  return {checked(n, {x[0], a.out_channels, oh, ow})};
}

std::vector<Shape> infer_pool(const Graph& g, const Node& n) {
  const Shape& x = in_shape(g, n, 0);
  require_rank(n, x, 4, "NCHW");
  const auto& a = n.attr<PoolAttrs>();
  // PyTorch requires padding <= half the kernel; a larger pad would make windows of padding only.
  if (a.pad_top * 2 > a.kernel_h || a.pad_bottom * 2 > a.kernel_h || a.pad_left * 2 > a.kernel_w ||
      a.pad_right * 2 > a.kernel_w)
    node_error(n, fmt::format("padding must be at most half the kernel ({}x{})", a.kernel_h, a.kernel_w));
  int64_t oh = window_out(n, "height", x[2], a.kernel_h, a.stride_h, a.pad_top, a.pad_bottom, 1, a.ceil_mode);
  int64_t ow = window_out(n, "width", x[3], a.kernel_w, a.stride_w, a.pad_left, a.pad_right, 1, a.ceil_mode);
  return {checked(n, {x[0], x[1], oh, ow})};
}

// Numpy broadcasting of two shapes (Add, Mul): SE gates multiply [N,C,H,W] by [N,C,1,1].
Shape broadcast(const Node& n, const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()));
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1)
      node_error(n, fmt::format("cannot broadcast {} with {}", shape_str(a), shape_str(b)));
    out[i] = std::max(da, db);
  }
  return out;
}

int64_t norm_axis(const Node& n, int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) node_error(n, fmt::format("axis {} is out of range for rank {}", axis, r));
  return axis < 0 ? axis + r : axis;
}

std::vector<Shape> infer_concat(const Graph& g, const Node& n) {
  if (n.inputs.empty()) node_error(n, "Concat needs at least one input");
  Shape out = in_shape(g, n, 0);
  int64_t axis = norm_axis(n, n.attr<AxisAttrs>().axis, out.size());
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    const Shape& s = in_shape(g, n, i);
    if (s.size() != out.size())
      node_error(n, fmt::format("input {} has rank {} but input 0 has rank {}", i, s.size(), out.size()));
    for (size_t d = 0; d < s.size(); ++d) {
      if (static_cast<int64_t>(d) == axis) continue;
      if (s[d] != out[d])
        node_error(n, fmt::format("input {} is {} but input 0 is {}: they differ outside axis {}", i,
                                  shape_str(s), shape_str(in_shape(g, n, 0)), axis));
    }
    out[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
  }
  return {checked(n, out)};
}

std::vector<Shape> infer_split(const Graph& g, const Node& n) {
  const Shape& x = in_shape(g, n, 0);
  if (x.size() < 2) node_error(n, "Split expects at least a rank-2 input");
  const auto& a = n.attr<SplitAttrs>();
  if (a.sizes.empty()) node_error(n, "Split needs at least one output size");
  int64_t total = 0;
  std::vector<Shape> outs;
  for (int64_t s : a.sizes) {
    if (s <= 0) node_error(n, fmt::format("split sizes must be positive, got {}", s));
    total += s;
    Shape o = x;
    o[1] = s;
    outs.push_back(o);
  }
  if (total != x[1])
    node_error(n, fmt::format("split sizes add up to {} but the input has {} channels", total, x[1]));
  if (outs.size() != n.outputs.size())
    node_error(n, fmt::format("Split has {} sizes but {} outputs", outs.size(), n.outputs.size()));
  return outs;
}

std::vector<Shape> infer_one(const Graph& g, const Node& n) {
  switch (n.op) {
    case Op::Conv2d: return infer_conv(g, n);
    case Op::BatchNorm: {
      const Shape& x = in_shape(g, n, 0);
      if (x.size() < 2) node_error(n, fmt::format("BatchNorm expects an N,C,... input, got {}", shape_str(x)));
      if (n.attr<BatchNormAttrs>().eps <= 0) node_error(n, "BatchNorm eps must be positive");
      return {x};
    }
    case Op::Relu: case Op::Relu6: case Op::Sigmoid: case Op::HardSigmoid: case Op::Silu: case Op::HardSwish:
    case Op::Identity: case Op::Dropout:
      return {in_shape(g, n, 0)};
    case Op::Add: case Op::Mul: return {broadcast(n, in_shape(g, n, 0), in_shape(g, n, 1))};
    case Op::Concat: return infer_concat(g, n);
    case Op::Split: return infer_split(g, n);
    case Op::ChannelShuffle: {
      const Shape& x = in_shape(g, n, 0);
      require_rank(n, x, 4, "NCHW");
      int64_t groups = n.attr<ChannelShuffleAttrs>().groups;
      if (groups <= 0 || x[1] % groups != 0)
        node_error(n, fmt::format("input has {} channels but groups={} does not divide it", x[1], groups));
      return {x};
    }
    case Op::MaxPool: case Op::AvgPool: return infer_pool(g, n);
    case Op::GlobalAvgPool: {
      const Shape& x = in_shape(g, n, 0);
      require_rank(n, x, 4, "NCHW");
      return {{x[0], x[1], 1, 1}};
    }
    case Op::Flatten: {
      const Shape& x = in_shape(g, n, 0);
      int64_t axis = n.attr<AxisAttrs>().axis;
      if (axis < 0 || axis > static_cast<int64_t>(x.size()))
        node_error(n, fmt::format("flatten axis {} is out of range for rank {}", axis, x.size()));
      int64_t lead = 1, rest = 1;
      for (size_t i = 0; i < x.size(); ++i) (static_cast<int64_t>(i) < axis ? lead : rest) *= x[i];
      return {{lead, rest}};
    }
    case Op::Linear: {
      const Shape& x = in_shape(g, n, 0);
      require_rank(n, x, 2, "[batch, features]");
      const auto& a = n.attr<LinearAttrs>();
      if (a.out_features <= 0) node_error(n, fmt::format("out_features must be positive, got {}", a.out_features));
      return {checked(n, {x[0], a.out_features})};
    }
    case Op::Softmax: {
      const Shape& x = in_shape(g, n, 0);
      norm_axis(n, n.attr<AxisAttrs>().axis, x.size());
      return {x};
    }
  }
  node_error(n, "unknown op");
}

}  // namespace

std::vector<Shape> infer_output_shapes(const Graph& g, const Node& n) {
  const OpInfo& info = op_info(n.op);
  if (info.num_inputs >= 0 && static_cast<int>(n.inputs.size()) != info.num_inputs)
    node_error(n, fmt::format("{} takes {} input(s), got {}", info.name, info.num_inputs, n.inputs.size()));
  for (ValueId v : n.inputs)
    if (v < 0 || v >= static_cast<ValueId>(g.values.size()))
      node_error(n, fmt::format("input refers to value #{} which does not exist", v));
  return infer_one(g, n);
}

std::vector<Param> expected_params(const Graph& g, const Node& n) {
  std::vector<Param> p;
  switch (n.op) {
    case Op::Conv2d: {
      const auto& a = n.attr<Conv2dAttrs>();
      int64_t cin = in_shape(g, n, 0).at(1);
      p.push_back({"weight", Tensor::placeholder({a.out_channels, cin / a.groups, a.kernel_h, a.kernel_w})});
      if (a.bias) p.push_back({"bias", Tensor::placeholder({a.out_channels})});
      break;
    }
    case Op::BatchNorm: {
      int64_t c = in_shape(g, n, 0).at(1);
      for (const char* name : {"weight", "bias"}) p.push_back({name, Tensor::placeholder({c})});
      for (const char* name : {"running_mean", "running_var"}) p.push_back({name, Tensor::placeholder({c}), true});
      break;
    }
    case Op::Linear: {
      const auto& a = n.attr<LinearAttrs>();
      int64_t in = in_shape(g, n, 0).at(1);
      p.push_back({"weight", Tensor::placeholder({a.out_features, in})});
      if (a.bias) p.push_back({"bias", Tensor::placeholder({a.out_features})});
      break;
    }
    default: break;
  }
  return p;
}

}  // namespace fb
