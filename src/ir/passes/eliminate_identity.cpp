#include "ir/passes/eliminate_identity.h"

#include <algorithm>

#include <fmt/format.h>

namespace fb::passes {

PassReport eliminate_identity(Graph& g) {
  PassReport r;
  std::vector<bool> dead(g.nodes.size(), false);
  auto is_graph = [](const std::vector<ValueId>& list, ValueId v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.op != Op::Identity && n.op != Op::Dropout) continue;
    const ValueId in = n.inputs[0], out = n.outputs[0];
    if (is_graph(g.outputs, out) && (is_graph(g.inputs, in) || is_graph(g.outputs, in))) {
      r.rejected.push_back(fmt::format("{}: connects a graph input or output to a graph output", n.name));
      continue;
    }
    replace_uses(g, out, in);
    dead[i] = true;
    r.applied.push_back(fmt::format("{} (removed)", n.name));
    r.absorbed.push_back({n.name, ""});
  }
  if (!r.applied.empty()) erase_nodes(g, dead);
  return r;
}

}  // namespace fb::passes
