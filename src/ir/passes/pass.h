#pragma once
// Generic graph passes: each rewrites a Graph in place and reports what it did and what it declined (with
// the reason), so no candidate is skipped silently.
#include <string>
#include <vector>

#include "ir/graph.h"

namespace fb::passes {

struct PassReport {
  std::vector<std::string> applied;   // one line per rewrite ("layer1.0.conv1+bn1")
  std::vector<std::string> rejected;  // one line per declined candidate, with the reason
  // Nodes a rewrite took out of the graph: `into` computes them now (a conv that folded a BatchNorm), or is
  // empty when nothing does (an Identity removed). Lets a backend say which IR nodes each kernel covers.
  struct Absorbed {
    std::string node, into;
  };
  std::vector<Absorbed> absorbed;
  void append(const PassReport& other);
};

// Points every use of `from` (node inputs and graph outputs) at `to`.
void replace_uses(Graph& g, ValueId from, ValueId to);
// Removes the nodes marked in `dead` (indexed like g.nodes) and re-validates the graph.
void erase_nodes(Graph& g, const std::vector<bool>& dead);

}  // namespace fb::passes
