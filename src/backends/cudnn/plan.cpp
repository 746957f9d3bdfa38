#include "backends/cudnn/plan.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"
#include "ir/passes/pipeline.h"

namespace fb::cudnn {
namespace {

bool contains(const std::vector<ValueId>& v, ValueId x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Elements before dimension 1: a channel slice of an NCHW tensor is contiguous only when this is 1.
int64_t outer(const Shape& s) { return s.empty() ? 1 : s[0]; }

// cudnnOpTensor: A has the output's shape; B equals it or is 1 in every dimension where it differs.
bool broadcastable_into(const Shape& b, const Shape& out) {
  if (b.size() != out.size()) return false;
  for (size_t i = 0; i < b.size(); ++i)
    if (b[i] != out[i] && b[i] != 1) return false;
  return true;
}

Kind kind_of(Op op) {
  switch (op) {
    case Op::Conv2d: return Kind::Conv;
    case Op::BatchNorm: return Kind::BatchNorm;
    case Op::Add: return Kind::Add;
    case Op::Mul: return Kind::Mul;
    case Op::Concat: return Kind::Concat;
    case Op::Split: return Kind::Split;
    case Op::ChannelShuffle: return Kind::ChannelShuffle;
    case Op::MaxPool: return Kind::MaxPool;
    case Op::AvgPool: return Kind::AvgPool;
    case Op::GlobalAvgPool: return Kind::GlobalAvgPool;
    case Op::Linear: return Kind::Linear;
    case Op::Softmax: return Kind::Softmax;
    default: return Kind::Activation;
  }
}

}  // namespace

Act act_of(Op op) {
  switch (op) {
    case Op::Relu: return Act::Relu;
    case Op::Relu6: return Act::Relu6;
    case Op::Sigmoid: return Act::Sigmoid;
    case Op::HardSigmoid: return Act::HardSigmoid;
    case Op::Silu: return Act::Silu;
    case Op::HardSwish: return Act::HardSwish;
    default: return Act::None;
  }
}

const char* act_name(Act a) {
  switch (a) {
    case Act::None: return "none";
    case Act::Relu: return "relu";
    case Act::Relu6: return "relu6";
    case Act::Sigmoid: return "sigmoid";
    case Act::HardSigmoid: return "hardsigmoid";
    case Act::Silu: return "silu";
    case Act::HardSwish: return "hardswish";
  }
  return "?";
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Conv: return "conv";
    case Kind::BatchNorm: return "batchnorm";
    case Kind::Activation: return "activation";
    case Kind::Add: return "add";
    case Kind::Mul: return "mul";
    case Kind::Concat: return "concat";
    case Kind::Split: return "split";
    case Kind::ChannelShuffle: return "channel_shuffle";
    case Kind::MaxPool: return "maxpool";
    case Kind::AvgPool: return "avgpool";
    case Kind::GlobalAvgPool: return "global_avgpool";
    case Kind::Linear: return "linear";
    case Kind::Softmax: return "softmax";
  }
  return "?";
}

bool Plan::is_graph_input(ValueId v) const { return contains(g.inputs, v); }
bool Plan::is_graph_output(ValueId v) const { return contains(g.outputs, v); }

View Plan::root(ValueId v) const {
  View r{v, 0};
  for (int guard = 0; views.at(static_cast<size_t>(r.base)).base >= 0; ++guard) {
    FB_ASSERT(guard < 100000);
    const View& up = views[static_cast<size_t>(r.base)];
    r.offset += up.offset;
    r.base = up.base;
  }
  return r;
}

std::string unsupported_reason(const Graph& g, const Node& n) {
  const auto rank = [&](int i) { return g.value(n.inputs.at(static_cast<size_t>(i))).shape.size(); };
  switch (n.op) {
    case Op::Conv2d: {
      const auto& a = n.attr<Conv2dAttrs>();
      if (a.pad_top != a.pad_bottom || a.pad_left != a.pad_right) return "asymmetric padding (cuDNN pads symmetrically)";
      return rank(0) == 4 ? "" : "needs an NCHW input";
    }
    case Op::MaxPool: case Op::AvgPool: case Op::GlobalAvgPool: case Op::ChannelShuffle:
      return rank(0) == 4 ? "" : "needs an NCHW input";
    case Op::BatchNorm: return rank(0) >= 2 && rank(0) <= 4 ? "" : "needs a rank 2-4 input";
    case Op::Add: case Op::Mul: {
      const Shape& out = g.value(n.outputs[0]).shape;
      if (out.size() > 4) return "rank above 4";
      const Shape& a = g.value(n.inputs[0]).shape;
      const Shape& b = g.value(n.inputs[1]).shape;
      if ((a == out && broadcastable_into(b, out)) || (b == out && broadcastable_into(a, out))) return "";
      return fmt::format("broadcast of {} and {} (one operand must have the output's shape)", shape_str(a), shape_str(b));
    }
    case Op::Concat:
      if (n.attr<AxisAttrs>().axis != 1) return "concat along an axis other than 1";
      return rank(0) >= 2 && rank(0) <= 4 ? "" : "needs a rank 2-4 input";
    case Op::Split: return rank(0) >= 2 && rank(0) <= 4 ? "" : "needs a rank 2-4 input";
    case Op::Softmax: {
      const int64_t axis = n.attr<AxisAttrs>().axis;
      if (axis != 1 && !(axis == -1 && rank(0) == 2)) return "softmax along an axis other than 1";
      return rank(0) >= 2 && rank(0) <= 4 ? "" : "needs a rank 2-4 input";
    }
    case Op::Linear: return rank(0) == 2 ? "" : "needs a [batch, features] input";
    case Op::Flatten: case Op::Identity: case Op::Dropout: return "";
    default: return is_activation(n.op) ? (rank(0) <= 4 ? "" : "rank above 4") : "op not implemented";
  }
}

Plan make_plan(Graph graph, const PlanOptions& opt) {
  Plan p;
  p.g = std::move(graph);
  std::vector<std::string> bad;
  for (const Node& n : p.g.nodes) {
    std::string why = unsupported_reason(p.g, n);
    if (!why.empty()) bad.push_back(fmt::format("{} '{}' ({})", op_name(n.op), n.name, why));
  }
  if (!bad.empty()) fail("backend 'cudnn' cannot run model '{}': {}", p.g.name, fmt::join(bad, "; "));
  passes::PassReport generic = passes::run_inference_pipeline(p.g);
  for (const auto& a : generic.applied) p.fusions.push_back("folded " + a);
  for (const auto& r : generic.rejected) p.declined.push_back(r);

  const Graph& g = p.g;
  const auto consumers = g.consumers();
  const auto n_cons = [&](ValueId v) { return consumers[static_cast<size_t>(v)].size(); };
  p.views.assign(g.values.size(), View{});
  std::vector<bool> absorbed(g.nodes.size(), false);
  // Step index that computes each node (aliases: -1).
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (absorbed[i]) continue;
    const Node& n = g.nodes[i];
    if (n.op == Op::Flatten || n.op == Op::Identity || n.op == Op::Dropout) {
      p.views[static_cast<size_t>(n.outputs[0])] = View{n.inputs[0], 0};  // same bytes, new shape
      continue;
    }
    Step s;
    s.kind = kind_of(n.op);
    s.node = static_cast<NodeId>(i);
    s.inputs = n.inputs;
    s.outputs = n.outputs;
    s.label = n.name;
    if (s.kind == Kind::Activation) s.act = act_of(n.op);
    if (s.kind == Kind::Conv && opt.fuse) {
      // Follow the single-consumer chain: conv -> [Add(other operand computed earlier)] -> [activation].
      ValueId y = s.outputs[0];
      auto sole_next = [&](ValueId v) -> const Node* {
        if (n_cons(v) != 1 || p.is_graph_output(v)) return nullptr;
        return &g.node(consumers[static_cast<size_t>(v)][0]);
      };
      const Node* next = sole_next(y);
      if (next && next->op == Op::Add) {
        const ValueId z = next->inputs[0] == y ? next->inputs[1] : next->inputs[0];
        const NodeId zp = g.value(z).producer;
        if (next->inputs[0] == next->inputs[1]) {
          p.declined.push_back(fmt::format("{}+{}: adds the conv output to itself", n.name, next->name));
        } else if (g.value(z).shape != g.value(y).shape) {
          p.declined.push_back(fmt::format("{}+{}: residual operand {} is broadcast", n.name, next->name,
                                           shape_str(g.value(z).shape)));
        } else if (zp != k_no_producer && zp > s.node) {
          p.declined.push_back(fmt::format("{}+{}: residual operand is computed after the conv", n.name, next->name));
        } else {
          s.residual = z;
          s.outputs = next->outputs;
          s.label += "+" + next->name;
          absorbed[static_cast<size_t>(&*next - g.nodes.data())] = true;
          y = s.outputs[0];
          next = sole_next(y);
        }
      }
      if (next && is_activation(next->op)) {
        s.act = act_of(next->op);
        s.act_in_call = s.act == Act::Relu;  // the only activation cuDNN's fused call applies to any algorithm
        s.outputs = next->outputs;
        s.label += "+" + next->name;
        absorbed[static_cast<size_t>(&*next - g.nodes.data())] = true;
        if (!s.act_in_call)
          p.declined.push_back(fmt::format("{}: {} runs as a separate in-place kernel (cuDNN fuses only ReLU)",
                                           s.label, act_name(s.act)));
      }
      if (s.residual >= 0 || s.act_in_call)
        p.fusions.push_back(fmt::format("{} (conv+bias{}{} in one cudnnConvolutionBiasActivationForward)", s.label,
                                        s.residual >= 0 ? "+add" : "", s.act_in_call ? "+relu" : ""));
    }
    p.steps.push_back(std::move(s));
  }

  if (opt.views) {
    // Split outputs as slices of their input, when a channel slice is contiguous (batch 1).
    for (Step& s : p.steps) {
      if (s.kind != Kind::Split) continue;
      const Shape& x = g.value(s.inputs[0]).shape;
      if (outer(x) != 1) {
        s.copy = true;
        p.copies.push_back(fmt::format("{}: split copies (batch {} > 1: channel slices are strided)", s.label, outer(x)));
        continue;
      }
      int64_t off = 0;
      for (ValueId o : s.outputs) {
        p.views[static_cast<size_t>(o)] = View{s.inputs[0], off};
        off += shape_numel(g.value(o).shape);
      }
    }
    // In-place activations: the input dies here and owns its buffer (never a graph input: inputs stay
    // resident and are read again by the next run; never a view, e.g. a split slice others still read).
    for (Step& s : p.steps) {
      if (s.kind != Kind::Activation) continue;
      const ValueId x = s.inputs[0];
      if (n_cons(x) == 1 && !p.is_graph_input(x) && !p.is_graph_output(x) && p.views[static_cast<size_t>(x)].base < 0)
        p.views[static_cast<size_t>(s.outputs[0])] = View{x, 0};
    }
    // Concat inputs written straight into their slice: the input owns its buffer, is written by a step,
    // is read by nothing else, and is not a graph input or output.
    for (Step& s : p.steps) {
      if (s.kind != Kind::Concat) continue;
      const Shape& y = g.value(s.outputs[0]).shape;
      std::vector<std::string> why;
      if (outer(y) != 1) why.push_back(fmt::format("batch {} > 1: channel slices are strided", outer(y)));
      for (ValueId v : s.inputs) {
        const auto& c = consumers[static_cast<size_t>(v)];
        if (std::count(s.inputs.begin(), s.inputs.end(), v) != 1 || c.size() != 1) why.push_back(g.value(v).name + " is read elsewhere");
        else if (p.is_graph_input(v) || p.is_graph_output(v)) why.push_back(g.value(v).name + " is a graph input/output");
        else if (p.views[static_cast<size_t>(v)].base >= 0) why.push_back(g.value(v).name + " is itself a view");
      }
      if (!why.empty()) {
        s.copy = true;
        p.copies.push_back(fmt::format("{}: concat copies ({})", s.label, fmt::join(why, "; ")));
        continue;
      }
      int64_t off = 0;
      for (ValueId v : s.inputs) {
        p.views[static_cast<size_t>(v)] = View{s.outputs[0], off};
        off += shape_numel(g.value(v).shape);
      }
    }
  } else {
    for (Step& s : p.steps)
      if (s.kind == Kind::Concat || s.kind == Kind::Split) s.copy = true;
  }
  return p;
}

std::string ConvKey::str() const {
  return fmt::format("dev{}:{}:{}:x{}:w{}:s{}x{}:p{},{},{},{}:d{}x{}:g{}:{}:a{}", device, dtype, math, shape_str(x),
                     shape_str(w), a.stride_h, a.stride_w, a.pad_top, a.pad_left, a.pad_bottom, a.pad_right,
                     a.dilation_h, a.dilation_w, a.groups, fused ? "fused" : "plain", align);
}

CudnnOptions parse_cudnn_options(const CompileOptions& opt) {
  CudnnOptions o;
  auto on_off = [](const std::string& key, const std::string& v) {
    if (v == "on" || v == "1" || v == "true") return true;
    if (v == "off" || v == "0" || v == "false") return false;
    fail("cudnn option {}={}: expected on or off", key, v);
  };
  for (const auto& [k, v] : opt.extra) {
    if (k == "fuse") o.fuse = on_off(k, v);
    else if (k == "views") o.views = on_off(k, v);
    else if (k == "graph") o.cuda_graph = on_off(k, v);
    else if (k == "find") {
      if (v != "exhaustive" && v != "heuristic") fail("cudnn option find={}: expected exhaustive or heuristic", v);
      o.exhaustive_find = v == "exhaustive";
    } else if (k == "layout") {
      if (v != "nchw") fail("cudnn option layout={}: only nchw is implemented", v);
      o.layout = v;
    } else {
      fail("backend 'cudnn' has no option '{}' (valid: fuse, views, graph, find, layout)", k);
    }
  }
  return o;
}

int parse_cuda_device(const std::string& device) {
  if (device == "cuda") return 0;
  if (device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
      std::all_of(device.begin() + 5, device.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::stoi(device.substr(5));
  fail("backend 'cudnn' runs on CUDA devices only: got --device {} (use cuda or cuda:N)", device);
}

void check_precision(Precision p) {
  if (p == Precision::BF16 || p == Precision::I8)
    fail("backend 'cudnn' does not implement {} (valid: fp32, tf32, fp16)", precision_name(p));
}

}  // namespace fb::cudnn
