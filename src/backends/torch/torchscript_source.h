#pragma once
// The graph as TorchScript source: a forward() method that makes the same ATen calls as the eager backend,
// with weights as module attributes, so torch::jit::freeze and optimize_for_inference see exactly the
// module a PyTorch user would script.
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "ir/graph.h"

namespace fb::torch_be {

struct ScriptSource {
  std::string forward;                                     // "def forward(self, v0):\n    ..."
  std::vector<std::pair<std::string, at::Tensor>> params;  // attribute name -> tensor (CPU, owned)
  int batch_norms = 0;                                     // for describe(): how many freezing may fold
};

ScriptSource to_torchscript(const Graph& g);

}  // namespace fb::torch_be
