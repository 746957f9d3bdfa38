#pragma once
// What a latency predictor knows about one kernel: the backend's step (the IR nodes it covers, its kind) and
// the sizes those nodes give it. A kernel's class is the attribution's op class of its first node
// (measure/attribution.h), or "reorder" for a layout conversion the backend added.
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/backend.h"
#include "ir/cost.h"
#include "ir/graph.h"

namespace fb::predict {

struct KernelFeatures {
  std::string cls;         // "conv 1x1", ..., "reorder"
  double macs = 0;         // of every node it covers
  double bytes_in = 0;     // activations the first node reads
  double bytes_out = 0;    // activations the last node writes
  double weight_bytes = 0;
  double out_elements = 0;
  double cin_per_group = 0, cout = 0, window = 0, stride = 1;  // convolutions and pooling (window = kh x kw)
  double fused = 0;        // nodes beyond the first it covers (post-ops)
};

// A step of a backend's program with its features.
struct Kernel {
  LayerTime step;
  KernelFeatures features;
};

// Features of the steps of one backend's program over graph g (the graph the steps' node names refer to).
class Featurizer {
 public:
  explicit Featurizer(const Graph& g);
  // Throws fb::Error when a step names a node g lacks. A reorder's size is the value it names ("input: nchw ->
  // nhwc (...)"); a reorder naming no value of g gets the median size of g's activations.
  KernelFeatures features(const LayerTime& step) const;

 private:
  const Graph& g_;
  GraphCost cost_;
  std::unordered_map<std::string, int> node_;
  std::unordered_map<std::string, int> value_;
  double median_activation_bytes_ = 0;
};

}  // namespace fb::predict
