#include "ir/passes/pass.h"

namespace fb::passes {

void PassReport::append(const PassReport& other) {
  applied.insert(applied.end(), other.applied.begin(), other.applied.end());
  rejected.insert(rejected.end(), other.rejected.begin(), other.rejected.end());
  absorbed.insert(absorbed.end(), other.absorbed.begin(), other.absorbed.end());
}

void replace_uses(Graph& g, ValueId from, ValueId to) {
  for (Node& n : g.nodes)
    for (ValueId& v : n.inputs)
      if (v == from) v = to;
  for (ValueId& v : g.outputs)
    if (v == from) v = to;
}

void erase_nodes(Graph& g, const std::vector<bool>& dead) {
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!dead[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  for (Value& v : g.values) v.producer = k_no_producer;  // validate() re-derives producers
  validate(g);
}

}  // namespace fb::passes
