#include "predict/features.h"

#include <algorithm>

#include "core/error.h"
#include "measure/attribution.h"

namespace fb::predict {

Featurizer::Featurizer(const Graph& g) : g_(g), cost_(graph_cost(g)) {
  for (size_t i = 0; i < g.nodes.size(); ++i) node_[g.nodes[i].name] = static_cast<int>(i);
  std::vector<double> sizes;
  for (size_t v = 0; v < g.values.size(); ++v) {
    value_[g.values[v].name] = static_cast<int>(v);
    if (g.values[v].producer != k_no_producer ||
        std::find(g.inputs.begin(), g.inputs.end(), static_cast<ValueId>(v)) != g.inputs.end())
      sizes.push_back(static_cast<double>(shape_numel(g.values[v].shape)) * 4.0);
  }
  if (!sizes.empty()) {
    std::nth_element(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(sizes.size() / 2), sizes.end());
    median_activation_bytes_ = sizes[sizes.size() / 2];
  }
}

KernelFeatures Featurizer::features(const LayerTime& step) const {
  KernelFeatures f;
  if (step.kind == LayerKind::Reorder || step.nodes.empty()) {
    f.cls = step.kind == LayerKind::Reorder ? "reorder" : "other";
    // "VALUE: from -> to (why)": the tensor converted.
    const auto it = value_.find(step.name.substr(0, step.name.find(": ")));
    const double bytes = it != value_.end() ? static_cast<double>(shape_numel(g_.values[static_cast<size_t>(it->second)].shape)) * 4.0
                                            : median_activation_bytes_;
    f.bytes_in = f.bytes_out = bytes;
    f.out_elements = bytes / 4.0;
    return f;
  }
  std::vector<int> ids;
  for (const std::string& name : step.nodes) {
    const auto it = node_.find(name);
    if (it == node_.end()) fail("kernel '{}' covers node '{}', which model '{}' does not have", step.name, name, g_.name);
    ids.push_back(it->second);
  }
  // The first node is the step's own; the last is the one latest in the graph (nodes are in topological
  // order), not the last listed: onednn lists a Flatten after the Linear that absorbed it.
  const int last_id = *std::max_element(ids.begin(), ids.end());
  const Node& first = g_.nodes[static_cast<size_t>(ids.front())];
  const Node& last = g_.nodes[static_cast<size_t>(last_id)];
  f.cls = measure::op_class_name(measure::op_class(first));
  for (int id : ids) {
    const NodeCost& c = cost_.per_node[static_cast<size_t>(id)];
    f.macs += static_cast<double>(c.macs);
    f.weight_bytes += static_cast<double>(c.weight_bytes);
  }
  f.bytes_in = static_cast<double>(cost_.per_node[static_cast<size_t>(ids.front())].activation_in_bytes);
  f.bytes_out = static_cast<double>(cost_.per_node[static_cast<size_t>(last_id)].activation_out_bytes);
  f.out_elements = last.outputs.empty() ? 0 : static_cast<double>(shape_numel(g_.value(last.outputs[0]).shape));
  f.fused = static_cast<double>(ids.size() - 1);
  const Shape& in = first.inputs.empty() ? Shape{} : g_.value(first.inputs[0]).shape;
  const double cin = in.size() >= 2 ? static_cast<double>(in[1]) : 0;
  if (first.op == Op::Conv2d) {
    const auto& a = first.attr<Conv2dAttrs>();
    f.cin_per_group = cin / static_cast<double>(a.groups);
    f.cout = static_cast<double>(a.out_channels);
    f.window = static_cast<double>(a.kernel_h * a.kernel_w);
    f.stride = static_cast<double>(std::max(a.stride_h, a.stride_w));
  } else if (first.op == Op::MaxPool || first.op == Op::AvgPool) {
    const auto& a = first.attr<PoolAttrs>();
    f.cin_per_group = f.cout = cin;
    f.window = static_cast<double>(a.kernel_h * a.kernel_w);
    f.stride = static_cast<double>(std::max(a.stride_h, a.stride_w));
  } else {
    f.cin_per_group = cin;
    const Shape& out = first.outputs.empty() ? Shape{} : g_.value(first.outputs[0]).shape;
    f.cout = out.size() >= 2 ? static_cast<double>(out[1]) : 0;
  }
  return f;
}

}  // namespace fb::predict
