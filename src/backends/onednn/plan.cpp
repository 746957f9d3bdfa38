#include "backends/onednn/plan.h"

#include <algorithm>

#include <fmt/format.h>

#include "backends/onednn/dnnl_compat.h"
#include "core/error.h"

namespace fb::onednn {

using dnnl::algorithm;

std::vector<Eltwise> eltwise_chain(const Node& n) {
  switch (n.op) {
    case Op::Relu: return {{algorithm::eltwise_relu, 0.f, 0.f}};
    case Op::Relu6: return {{algorithm::eltwise_clip, 0.f, 6.f}};
    case Op::Sigmoid: return {{algorithm::eltwise_logistic, 0.f, 0.f}};
    case Op::Silu: return {{algorithm::eltwise_swish, 1.f, 0.f}};
    case Op::HardSwish: {
      const auto [alpha, beta] = compat::hardswish_alpha_beta();
      return {{algorithm::eltwise_hardswish, alpha, beta}};
    }
    case Op::HardSigmoid: {
      const auto& a = n.attr<HardSigmoidAttrs>();
      return {{algorithm::eltwise_linear, a.alpha, a.beta}, {algorithm::eltwise_clip, 0.f, 1.f}};
    }
    default: break;
  }
  FB_ASSERT(false && "not an activation");
  return {};
}

int Plan::producer_step(ValueId v) const {
  for (size_t i = 0; i < steps.size(); ++i)
    if (!steps[i].removed && std::find(steps[i].outputs.begin(), steps[i].outputs.end(), v) != steps[i].outputs.end())
      return static_cast<int>(i);
  return -1;
}

std::vector<int> Plan::consumer_steps(ValueId v) const {
  std::vector<int> out;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    if (s.removed) continue;
    bool uses = std::find(s.inputs.begin(), s.inputs.end(), v) != s.inputs.end();
    for (const PostOp& po : s.post_ops) uses = uses || (po.kind == PostOp::Kind::Sum && po.sum_operand == v);
    if (uses) out.push_back(static_cast<int>(i));
  }
  return out;
}

bool Plan::is_graph_output(ValueId v) const { return g.is_output(v); }

Plan make_plan(Graph g, passes::PassReport generic) {
  Plan p;
  p.g = std::move(g);
  p.report = std::move(generic);
  for (size_t i = 0; i < p.g.nodes.size(); ++i) {
    const Node& n = p.g.nodes[i];
    Step s;
    s.node = static_cast<NodeId>(i);
    s.inputs = n.inputs;
    s.outputs = n.outputs;
    s.label = n.name;
    s.covers = {n.name};
    for (const auto& a : p.report.absorbed)
      if (a.into == n.name) s.covers.push_back(a.node);
    p.steps.push_back(std::move(s));
  }
  // A conv that absorbed a BatchNorm is labelled "conv+bn" (the fold pass reports exactly that).
  for (Step& s : p.steps)
    for (const std::string& line : p.report.applied)
      if (line.rfind(s.label + "+", 0) == 0 && p.g.node(s.node).op == Op::Conv2d) s.label = line;
  return p;
}

}  // namespace fb::onednn
