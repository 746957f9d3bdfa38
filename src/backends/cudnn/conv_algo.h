#pragma once
// Candidate convolution algorithms, measured with cudnnFindConvolutionForwardAlgorithmEx (or ranked by the
// heuristic), cached per ConvKey for the life of the process so identical layers are searched once.
#include <vector>

#include "backends/cudnn/device.h"
#include "backends/cudnn/plan.h"

namespace fb::cudnn {

struct ConvCall {
  cudnnTensorDescriptor_t x;
  const void* xp;
  cudnnFilterDescriptor_t w;
  const void* wp;
  cudnnConvolutionDescriptor_t conv;
  cudnnTensorDescriptor_t y;
  void* yp;
};

std::vector<AlgoResult> conv_algorithms(const ConvKey& key, cudnnHandle_t h, const ConvCall& call, void* workspace,
                                        size_t workspace_bytes, bool exhaustive, bool& from_cache);
const char* conv_algo_name(int algo);

}  // namespace fb::cudnn
