#include "backends/torch/eager_ops.h"

#include <limits>

namespace fb::torch_be {
namespace {

// Pads, then crops what ceil mode would have kept from the explicit padding (PyTorch drops a last window
// that starts in the right padding, which explicit padding turns into input).
at::Tensor crop(const Graph& g, const at::Tensor& y, const Node& n) {
  const Shape& out = g.value(n.outputs[0]).shape;
  return y.narrow(2, 0, out[2]).narrow(3, 0, out[3]);
}

}  // namespace

EagerStep prepare_eager(const Graph& g, const Node& n, bool inplace, const Target& target) {
  const auto param = [&](const Node& node, const char* name) { return to_at(node.param(name), target, true); };
  EagerStep s;
  s.node = &n;
  s.inplace = inplace;
  switch (n.op) {
    case Op::Conv2d:
      s.w = {param(n, "weight")};
      if (n.has_param("bias")) s.bias = param(n, "bias");
      s.calls = symmetric(n.attr<Conv2dAttrs>()) ? 1 : 2;
      break;
    case Op::BatchNorm:
      s.w = {param(n, "weight"), param(n, "bias"), param(n, "running_mean"), param(n, "running_var")};
      break;
    case Op::Linear:
      s.w = {param(n, "weight")};
      if (n.has_param("bias")) s.bias = param(n, "bias");
      break;
    case Op::MaxPool: s.calls = symmetric(n.attr<PoolAttrs>()) ? 1 : 3; break;
    case Op::AvgPool:
      if (!symmetric(n.attr<PoolAttrs>())) {
        const Shape& x = g.value(n.inputs[0]).shape;
        const Shape& y = g.value(n.outputs[0]).shape;
        s.divisor = avg_pool_divisor(n.attr<PoolAttrs>(), x[2], x[3], y[2], y[3]).to(target.device, target.dtype);
        s.calls = 4;
      }
      break;
    case Op::HardSigmoid: s.calls = is_torch_hardsigmoid(n.attr<HardSigmoidAttrs>()) ? 1 : 3; break;
    case Op::ChannelShuffle: s.calls = 4; break;
    case Op::Identity: s.calls = 0; break;
    default: break;
  }
  return s;
}

void execute_eager(const Graph& g, const EagerStep& s, std::vector<at::Tensor>& v) {
  const Node& n = *s.node;
  const at::Tensor& x = v[static_cast<size_t>(n.inputs[0])];
  at::Tensor y;
  switch (n.op) {
    case Op::Conv2d: {
      const auto& a = n.attr<Conv2dAttrs>();
      if (symmetric(a)) {
        y = at::conv2d(x, s.w[0], s.bias, {a.stride_h, a.stride_w}, {a.pad_top, a.pad_left},
                       {a.dilation_h, a.dilation_w}, a.groups);
      } else {  // as TensorFlow-ported models do it in PyTorch: F.pad, then an unpadded conv
        at::Tensor p = at::constant_pad_nd(x, {a.pad_left, a.pad_right, a.pad_top, a.pad_bottom}, 0);
        y = at::conv2d(p, s.w[0], s.bias, {a.stride_h, a.stride_w}, at::IntArrayRef{0, 0}, {a.dilation_h, a.dilation_w},
                       a.groups);
      }
      break;
    }
    case Op::BatchNorm:
      y = at::batch_norm(x, s.w[0], s.w[1], s.w[2], s.w[3], /*training=*/false, /*momentum=*/0.1,
                         n.attr<BatchNormAttrs>().eps, /*cudnn_enabled=*/true);
      break;
    case Op::Relu: y = s.inplace ? at::relu_(v[static_cast<size_t>(n.inputs[0])]) : at::relu(x); break;
    case Op::Relu6:
      y = s.inplace ? at::hardtanh_(v[static_cast<size_t>(n.inputs[0])], 0.0, 6.0) : at::hardtanh(x, 0.0, 6.0);
      break;
    case Op::Sigmoid: y = at::sigmoid(x); break;
    case Op::HardSigmoid: {
      const auto& a = n.attr<HardSigmoidAttrs>();
      y = is_torch_hardsigmoid(a) ? at::hardsigmoid(x) : at::add(at::mul(x, a.alpha), a.beta).clamp_(0.0, 1.0);
      break;
    }
    case Op::Silu: y = s.inplace ? at::silu_(v[static_cast<size_t>(n.inputs[0])]) : at::silu(x); break;
    case Op::HardSwish: y = s.inplace ? at::hardswish_(v[static_cast<size_t>(n.inputs[0])]) : at::hardswish(x); break;
    case Op::Add: {
      const at::Tensor& b = v[static_cast<size_t>(n.inputs[1])];
      y = s.inplace ? v[static_cast<size_t>(n.inputs[0])].add_(b) : at::add(x, b);
      break;
    }
    case Op::Mul: y = at::mul(x, v[static_cast<size_t>(n.inputs[1])]); break;
    case Op::Concat: {
      std::vector<at::Tensor> xs;
      for (ValueId id : n.inputs) xs.push_back(v[static_cast<size_t>(id)]);
      y = at::cat(xs, n.attr<AxisAttrs>().axis);
      break;
    }
    case Op::Split: {
      auto parts = at::split_with_sizes(x, n.attr<SplitAttrs>().sizes, 1);
      for (size_t i = 0; i < parts.size(); ++i) v[static_cast<size_t>(n.outputs[i])] = parts[i];
      return;
    }
    case Op::ChannelShuffle: {  // torchvision's shufflenetv2.channel_shuffle
      const int64_t g = n.attr<ChannelShuffleAttrs>().groups;
      const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
      y = at::transpose(x.reshape({b, g, c / g, h, w}), 1, 2).contiguous().view({b, -1, h, w});
      break;
    }
    case Op::MaxPool: {
      const auto& a = n.attr<PoolAttrs>();
      if (symmetric(a)) {
        y = at::max_pool2d(x, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {a.pad_top, a.pad_left}, {1, 1},
                           a.ceil_mode);
      } else {
        at::Tensor p = at::constant_pad_nd(x, {a.pad_left, a.pad_right, a.pad_top, a.pad_bottom},
                                           -std::numeric_limits<double>::infinity());
        y = crop(g, at::max_pool2d(p, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {0, 0}, {1, 1}, a.ceil_mode),
                 n);
      }
      break;
    }
    case Op::AvgPool: {
      const auto& a = n.attr<PoolAttrs>();
      if (symmetric(a)) {
        y = at::avg_pool2d(x, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {a.pad_top, a.pad_left}, a.ceil_mode,
                           a.count_include_pad);
      } else {
        at::Tensor p = at::constant_pad_nd(x, {a.pad_left, a.pad_right, a.pad_top, a.pad_bottom}, 0);
        at::Tensor sum = at::avg_pool2d(p, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {0, 0}, a.ceil_mode,
                                        true, /*divisor_override=*/1);
        y = at::div(crop(g, sum, n), s.divisor);
      }
      break;
    }
    case Op::GlobalAvgPool: y = at::adaptive_avg_pool2d(x, {1, 1}); break;
    case Op::Flatten: {
      const int64_t axis = n.attr<AxisAttrs>().axis;
      y = axis == 1 ? at::flatten(x, 1) : x.reshape(g.value(n.outputs[0]).shape);
      break;
    }
    case Op::Linear: y = at::linear(x, s.w[0], s.bias); break;
    case Op::Softmax: y = at::softmax(x, n.attr<AxisAttrs>().axis); break;
    case Op::Identity: y = x; break;
    case Op::Dropout: y = at::dropout(x, 0.5, /*train=*/false); break;
  }
  v[static_cast<size_t>(n.outputs[0])] = std::move(y);
}

}  // namespace fb::torch_be
