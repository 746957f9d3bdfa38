#include "ir/passes/fold_batch_norm.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace fb::passes {

PassReport fold_batch_norm(Graph& g) {
  PassReport r;
  const auto consumers = g.consumers();
  std::vector<bool> dead(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& bn = g.nodes[i];
    if (bn.op != Op::BatchNorm) continue;
    const ValueId x = bn.inputs[0];
    const NodeId p = g.value(x).producer;
    if (p == k_no_producer || g.node(p).op != Op::Conv2d) {
      r.rejected.push_back(fmt::format("{}: input is not produced by a convolution", bn.name));
      continue;
    }
    Node& conv = g.node(p);
    if (consumers[static_cast<size_t>(x)].size() != 1) {
      r.rejected.push_back(fmt::format("{}+{}: conv output has {} consumers", conv.name, bn.name,
                                       consumers[static_cast<size_t>(x)].size()));
      continue;
    }
    if (std::find(g.outputs.begin(), g.outputs.end(), x) != g.outputs.end()) {
      r.rejected.push_back(fmt::format("{}+{}: conv output is a graph output", conv.name, bn.name));
      continue;
    }
    if (!conv.param("weight").has_data() || !bn.param("weight").has_data()) {
      r.rejected.push_back(fmt::format("{}+{}: weights are not materialised", conv.name, bn.name));
      continue;
    }
    const Tensor& gamma = bn.param("weight");
    const Tensor& beta = bn.param("bias");
    const Tensor& mean = bn.param("running_mean");
    const Tensor& var = bn.param("running_var");
    const float eps = bn.attr<BatchNormAttrs>().eps;
    Tensor w = conv.param("weight").clone();  // weights may be shared with the caller's graph
    const int64_t out_ch = w.dim(0), per_ch = w.numel() / out_ch;
    Tensor b({out_ch});
    const bool had_bias = conv.has_param("bias");
    for (int64_t o = 0; o < out_ch; ++o) {
      const double s = static_cast<double>(gamma[o]) / std::sqrt(static_cast<double>(var[o]) + eps);
      float* wo = w.data() + o * per_ch;
      for (int64_t k = 0; k < per_ch; ++k) wo[k] = static_cast<float>(wo[k] * s);
      const double b0 = had_bias ? conv.param("bias")[o] : 0.0;
      b[o] = static_cast<float>((b0 - mean[o]) * s + beta[o]);
    }
    conv.param("weight") = std::move(w);
    if (had_bias) {
      conv.param("bias") = std::move(b);
    } else {
      conv.params.push_back(Param{"bias", std::move(b), false});
      conv.attr<Conv2dAttrs>().bias = true;
    }
    conv.outputs[0] = bn.outputs[0];
    dead[i] = true;
    r.applied.push_back(fmt::format("{}+{}", conv.name, bn.name));
    r.absorbed.push_back({bn.name, conv.name});
  }
  if (!r.applied.empty()) erase_nodes(g, dead);
  return r;
}

}  // namespace fb::passes
