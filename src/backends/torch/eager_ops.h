#pragma once
// One IR node as the ATen call(s) its PyTorch module makes in forward() (nn.Conv2d -> at::conv2d with bias,
// nn.BatchNorm2d in eval -> at::batch_norm, nn.ReLU(inplace) -> at::relu_, ...). The `torch` backend runs
// every node this way; its int8 executable runs the nodes LibTorch has no quantized kernel for this way too.
#include <vector>

#include <ATen/ATen.h>

#include "backends/torch/torch_common.h"
#include "ir/graph.h"

namespace fb::torch_be {

struct EagerStep {
  const Node* node = nullptr;
  std::vector<at::Tensor> w;       // params in PyTorch's order for this op
  c10::optional<at::Tensor> bias;  // conv / linear bias
  at::Tensor divisor;              // asymmetric AvgPool only
  bool inplace = false;
  int calls = 1;                   // ATen calls per inference
};

// Weights on the target's device and dtype, and the ATen call count, for node `n` of `g`.
EagerStep prepare_eager(const Graph& g, const Node& n, bool inplace, const Target& target);
// Runs the step on the values in `v` (indexed by ValueId) and stores its outputs there.
void execute_eager(const Graph& g, const EagerStep& s, std::vector<at::Tensor>& v);

}  // namespace fb::torch_be
