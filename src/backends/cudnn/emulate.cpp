#include "backends/cudnn/emulate.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "backends/reference/reference_ops.h"
#include "core/error.h"

namespace fb::cudnn {
namespace {

struct Arena {
  const Plan& p;
  const BufferPlan& b;
  std::vector<float> mem;
  Tensor read(ValueId v) const {
    Tensor t(p.g.value(v).shape);
    const int64_t off = b.offset.at(static_cast<size_t>(v));
    FB_ASSERT(off >= 0 && off % 4 == 0);
    FB_ASSERT(static_cast<size_t>(off / 4 + t.numel()) <= mem.size());
    std::memcpy(t.data(), mem.data() + off / 4, static_cast<size_t>(t.numel()) * sizeof(float));
    return t;
  }
  // Before a step runs, its outputs hold garbage on a device: poison them, so a step whose output shares
  // bytes with one of its inputs (other than a planned in-place view) reads NaN and fails the comparison.
  void poison(ValueId v) {
    const int64_t off = b.offset.at(static_cast<size_t>(v));
    FB_ASSERT(off >= 0);
    std::fill_n(mem.data() + off / 4, shape_numel(p.g.value(v).shape), std::numeric_limits<float>::quiet_NaN());
  }
  void write(ValueId v, const Tensor& t) {
    const int64_t off = b.offset.at(static_cast<size_t>(v));
    FB_ASSERT(off >= 0 && t.numel() == shape_numel(p.g.value(v).shape));
    FB_ASSERT(static_cast<size_t>(off / 4 + t.numel()) <= mem.size());
    std::memcpy(mem.data() + off / 4, t.data(), static_cast<size_t>(t.numel()) * sizeof(float));
  }
};

Tensor apply_act(Act a, const Node& n, const Tensor& x) {
  switch (a) {
    case Act::None: return x;
    case Act::Relu: return ref::relu(x);
    case Act::Relu6: return ref::relu6(x);
    case Act::Sigmoid: return ref::sigmoid(x);
    case Act::HardSigmoid: return ref::hard_sigmoid(x, n.attr<HardSigmoidAttrs>());
    case Act::Silu: return ref::silu(x);
    case Act::HardSwish: return ref::hard_swish(x);
  }
  return x;
}

// The node that carries an activation's attributes (HardSigmoid's alpha/beta): the last node fused.
const Node& act_node(const Plan& p, const Step& s) {
  const NodeId prod = p.g.value(s.outputs[0]).producer;
  return p.g.node(prod);
}

}  // namespace

std::vector<Tensor> emulate_plan(const Plan& p, const BufferPlan& b, const std::vector<Tensor>& inputs) {
  Arena a{p, b, std::vector<float>(static_cast<size_t>(b.arena_bytes / 4), std::numeric_limits<float>::quiet_NaN())};
  FB_ASSERT(inputs.size() == p.g.inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) a.write(p.g.inputs[i], inputs[i]);
  for (const Step& s : p.steps) {
    const Node& n = p.g.node(s.node);
    const bool no_op = (s.kind == Kind::Concat || s.kind == Kind::Split) && !s.copy;
    for (ValueId v : s.outputs) {
      const ValueId in_place_of = p.views[static_cast<size_t>(v)].base;
      const bool in_place = std::find(s.inputs.begin(), s.inputs.end(), in_place_of) != s.inputs.end();
      if (!no_op && !in_place) a.poison(v);
    }
    const Shape& out_shape = p.g.value(s.outputs[0]).shape;
    switch (s.kind) {
      case Kind::Conv: {
        const Tensor* bias = n.has_param("bias") ? &n.param("bias") : nullptr;
        Tensor y = ref::conv2d(a.read(s.inputs[0]), n.param("weight"), bias, n.attr<Conv2dAttrs>(), out_shape);
        if (s.residual >= 0) y = ref::add(y, a.read(s.residual), out_shape);
        a.write(s.outputs[0], apply_act(s.act, act_node(p, s), y));
        break;
      }
      case Kind::BatchNorm:
        a.write(s.outputs[0], ref::batch_norm(a.read(s.inputs[0]), n.param("weight"), n.param("bias"),
                                              n.param("running_mean"), n.param("running_var"),
                                              n.attr<BatchNormAttrs>().eps));
        break;
      case Kind::Activation: a.write(s.outputs[0], apply_act(s.act, n, a.read(s.inputs[0]))); break;
      case Kind::Add: a.write(s.outputs[0], ref::add(a.read(s.inputs[0]), a.read(s.inputs[1]), out_shape)); break;
      case Kind::Mul: a.write(s.outputs[0], ref::mul(a.read(s.inputs[0]), a.read(s.inputs[1]), out_shape)); break;
      case Kind::Concat: {
        if (!s.copy) break;  // the producers wrote into their slices
        std::vector<Tensor> xs;
        for (ValueId v : s.inputs) xs.push_back(a.read(v));
        std::vector<const Tensor*> ptrs;
        for (const Tensor& t : xs) ptrs.push_back(&t);
        a.write(s.outputs[0], ref::concat(ptrs, 1, out_shape));
        break;
      }
      case Kind::Split: {
        if (!s.copy) break;  // the outputs are slices of the input
        auto parts = ref::split(a.read(s.inputs[0]), n.attr<SplitAttrs>().sizes);
        for (size_t i = 0; i < parts.size(); ++i) a.write(s.outputs[i], parts[i]);
        break;
      }
      case Kind::ChannelShuffle:
        a.write(s.outputs[0], ref::channel_shuffle(a.read(s.inputs[0]), n.attr<ChannelShuffleAttrs>().groups));
        break;
      case Kind::MaxPool: a.write(s.outputs[0], ref::max_pool(a.read(s.inputs[0]), n.attr<PoolAttrs>(), out_shape)); break;
      case Kind::AvgPool: a.write(s.outputs[0], ref::avg_pool(a.read(s.inputs[0]), n.attr<PoolAttrs>(), out_shape)); break;
      case Kind::GlobalAvgPool: a.write(s.outputs[0], ref::global_avg_pool(a.read(s.inputs[0]))); break;
      case Kind::Linear: {
        const Tensor* bias = n.has_param("bias") ? &n.param("bias") : nullptr;
        a.write(s.outputs[0], ref::linear(a.read(s.inputs[0]), n.param("weight"), bias));
        break;
      }
      case Kind::Softmax: a.write(s.outputs[0], ref::softmax(a.read(s.inputs[0]), 1)); break;
    }
  }
  std::vector<Tensor> out;
  for (ValueId v : p.g.outputs) out.push_back(a.read(v));
  return out;
}

}  // namespace fb::cudnn
