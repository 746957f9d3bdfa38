// Fusion passes over the plan. Each candidate either fuses (plan.report.applied) or records why not
// (plan.report.rejected): no silent no-ops.
#include <algorithm>

#include <fmt/format.h>

#include "backends/onednn/plan.h"

namespace fb::onednn {
namespace {

bool only_eltwise(const Step& s) {
  return std::all_of(s.post_ops.begin(), s.post_ops.end(),
                     [](const PostOp& p) { return p.kind == PostOp::Kind::Eltwise; });
}

void merge(Plan& p, Step& into, Step& from, const std::string& what) {
  into.outputs = from.outputs;
  into.label += "+" + p.g.node(from.node).name;
  into.covers.insert(into.covers.end(), from.covers.begin(), from.covers.end());
  from.removed = true;
  (void)what;
}

}  // namespace

void fuse_sum(Plan& p) {
  for (size_t ai = 0; ai < p.steps.size(); ++ai) {
    Step& add = p.steps[ai];
    if (add.removed || p.node_of(add).op != Op::Add) continue;
    const Node& an = p.node_of(add);
    const Shape& out = p.g.value(add.outputs[0]).shape;
    if (p.g.value(add.inputs[0]).shape != out || p.g.value(add.inputs[1]).shape != out) {
      p.report.rejected.push_back(fmt::format("{}: sum post-op needs equal shapes (this Add broadcasts)", an.name));
      continue;
    }
    // Prefer the operand computed last, so the other one is ready when the conv runs.
    int best = -1, best_step = -1;
    std::string why;
    for (int k = 0; k < 2; ++k) {
      const ValueId x = add.inputs[static_cast<size_t>(k)], other = add.inputs[static_cast<size_t>(1 - k)];
      const int c = p.producer_step(x);
      if (c < 0 || p.node_of(p.steps[static_cast<size_t>(c)]).op != Op::Conv2d) {
        why += fmt::format(" operand {} is not a conv output;", k);
        continue;
      }
      const Step& cs = p.steps[static_cast<size_t>(c)];
      if (!only_eltwise(cs)) { why += fmt::format(" conv {} already has a sum/depthwise post-op;", cs.label); continue; }
      if (p.consumer_steps(x).size() != 1 || p.is_graph_output(x)) {
        why += fmt::format(" conv {} output has other uses;", cs.label);
        continue;
      }
      if (p.producer_step(other) >= c) {
        why += fmt::format(" the other operand is computed after conv {};", cs.label);
        continue;
      }
      if (c > best_step) best = k, best_step = c;
    }
    if (best < 0) {
      p.report.rejected.push_back(fmt::format("{}: no sum post-op:{}", an.name, why.substr(0, why.size() - 1)));
      continue;
    }
    Step& conv = p.steps[static_cast<size_t>(best_step)];
    PostOp po;
    po.kind = PostOp::Kind::Sum;
    po.sum_operand = add.inputs[static_cast<size_t>(1 - best)];
    conv.post_ops.push_back(po);
    merge(p, conv, add, "sum");
    p.report.applied.push_back(conv.label + " (sum post-op)");
  }
}

void fuse_eltwise(Plan& p) {
  for (size_t si = 0; si < p.steps.size(); ++si) {
    Step& s = p.steps[si];
    const Op op = p.node_of(s).op;
    // A BatchNorm left unfolded (pre-activation: DenseNet) takes one ReLU as oneDNN's fuse_norm_relu flag.
    const bool bn = op == Op::BatchNorm;
    if (s.removed || !(op == Op::Conv2d || op == Op::Linear || op == Op::Add || op == Op::Mul || bn)) continue;
    const size_t before = s.post_ops.size();
    while (s.outputs.size() == 1 && !(bn && !s.post_ops.empty())) {
      const ValueId v = s.outputs[0];
      const auto cons = p.consumer_steps(v);
      const bool act_follows = std::any_of(cons.begin(), cons.end(), [&](int c) {
        return is_activation(p.node_of(p.steps[static_cast<size_t>(c)]).op);
      });
      if (!act_follows) break;
      if (cons.size() != 1 || p.is_graph_output(v)) {
        p.report.rejected.push_back(fmt::format("{}: activation not fused: output has {} consumer(s){}", s.label,
                                                cons.size(), p.is_graph_output(v) ? " and is a graph output" : ""));
        break;
      }
      Step& act = p.steps[static_cast<size_t>(cons[0])];
      if (bn && p.node_of(act).op != Op::Relu) {
        p.report.rejected.push_back(fmt::format("{}: {} stays its own pass: a BatchNorm takes only a ReLU",
                                                s.label, p.node_of(act).name));
        break;
      }
      for (const Eltwise& e : eltwise_chain(p.node_of(act))) {
        PostOp po;
        po.eltwise = e;
        s.post_ops.push_back(po);
      }
      merge(p, s, act, "eltwise");
    }
    if (s.post_ops.size() != before) p.report.applied.push_back(s.label + (bn ? " (fuse_norm_relu)" : " (eltwise post-op)"));
  }
}

void fuse_flatten_linear(Plan& p) {
  for (Step& f : p.steps) {
    if (f.removed || p.node_of(f).op != Op::Flatten) continue;
    const ValueId v = f.outputs[0];
    const auto cons = p.consumer_steps(v);
    const Node& fn = p.node_of(f);
    if (p.g.value(f.inputs[0]).shape.size() != 4) {
      p.report.rejected.push_back(fmt::format("{}: input is not 4-D", fn.name));
      continue;
    }
    if (cons.size() != 1 || p.is_graph_output(v) || p.node_of(p.steps[static_cast<size_t>(cons[0])]).op != Op::Linear) {
      p.report.rejected.push_back(fmt::format("{}: not read by exactly one Linear", fn.name));
      continue;
    }
    Step& lin = p.steps[static_cast<size_t>(cons[0])];
    lin.inputs[0] = f.inputs[0];
    lin.flatten_input = true;
    lin.label = fn.name + "+" + lin.label;
    lin.covers.insert(lin.covers.end(), f.covers.begin(), f.covers.end());
    f.removed = true;
    p.report.applied.push_back(lin.label + " (inner product reads the 4-D tensor)");
  }
}

}  // namespace fb::onednn
