#pragma once
// The cost model. Conventions (docs/cost_model.md is the full statement; keep both in step):
//  - MACs: Conv2d = output elements x (Cin / groups) x kh x kw; Linear = batch x in x out (torchvision's
//    counting: conv and linear only, biases excluded).
//  - FLOPs = 2 x MACs, plus one FLOP per output element for every elementwise or normalisation op
//    (BatchNorm, activations, Add, Mul, Softmax, conv/linear bias), plus one per window element read by
//    pooling (kh x kw per output; GlobalAvgPool: one per input element). Data movement ops (Concat, Split,
//    ChannelShuffle, Flatten, Identity, Dropout) cost 0 FLOPs.
//  - params count trainable values only (BatchNorm running statistics are buffers: they count in
//    weight_bytes, not in params), as torchvision's published counts do.
//  - Bytes are for the fp32 storage the graph declares (dtype_size of each value); at_storage_bytes gives
//    them for a run that stores every element in fewer bytes (bf16: 2, int8: 1).
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace fb {

struct NodeCost {
  int64_t macs = 0;
  int64_t flops = 0;
  int64_t params = 0;
  int64_t weight_bytes = 0;
  int64_t activation_in_bytes = 0;
  int64_t activation_out_bytes = 0;
  // FLOPs per byte moved (weights + activations in + out); 0 for ops with no FLOPs.
  double arithmetic_intensity() const;
};

struct GraphCost {
  NodeCost total;
  std::vector<NodeCost> per_node;  // indexed like Graph::nodes
  // Peak bytes of activations alive at once when nodes run in the graph's order: a value lives from its
  // producer until its last consumer; graph inputs from the start, graph outputs to the end.
  int64_t peak_activation_bytes = 0;
  // The sum of every activation's size: what a runtime with no memory reuse would allocate.
  int64_t total_activation_bytes = 0;
};

NodeCost node_cost(const Graph& g, const Node& n);
GraphCost graph_cost(const Graph& g);
// `c` (of a graph stored in fp32) for a run storing every weight and activation element in `bytes` bytes:
// the bytes scale by bytes/4; MACs, FLOPs and params stay. A bf16 run moves half of fp32's bytes, so its
// arithmetic intensity is twice fp32's (biases and int8's fp32 islands are not told apart).
GraphCost at_storage_bytes(GraphCost c, int bytes);

}  // namespace fb
