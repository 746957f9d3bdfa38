#pragma once
// Internals shared by the importer's files: attribute access, constant folding of shape arithmetic, and
// the converter from a checked, topologically sorted ONNX graph to the IR.
#include <memory>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "ir/graph.h"
#include "onnx/onnx_tensor.h"

namespace fb::onnx_detail {

// "'layer1.0.conv1' (Conv)": how messages name an ONNX node.
std::string node_label(const onnx::NodeProto& n);

// Typed attribute access; a missing attribute gives the default, one of the wrong type an fb::Error.
class NodeAttrs {
 public:
  explicit NodeAttrs(const onnx::NodeProto& n) : n_(n) {}
  bool has(const char* name) const { return find(name) != nullptr; }
  int64_t i(const char* name, int64_t def) const;
  float f(const char* name, float def) const;
  std::string s(const char* name, const std::string& def) const;
  std::vector<int64_t> ints(const char* name, std::vector<int64_t> def) const;
  std::vector<float> floats(const char* name) const;
  const onnx::TensorProto* t(const char* name) const;

 private:
  const onnx::AttributeProto* find(const char* name) const;
  const onnx::AttributeProto& typed(const char* name, int type) const;
  const onnx::NodeProto& n_;
};

using ConstPtr = std::shared_ptr<const ConstTensor>;

// Ops evaluated at import time when all their inputs are constants (Shape: when its input's shape is known).
bool is_foldable(const std::string& op_type);
// Evaluates `n` over constant inputs (nullptr for an absent optional input). Throws fb::Error.
std::vector<ConstTensor> fold(const onnx::NodeProto& n, int opset, const std::vector<ConstPtr>& in, Budget& budget);

// Reshape's target shape: 0 copies the input dimension (unless allowzero), -1 is inferred. Throws fb::Error.
Shape reshape_target(const Shape& in, const std::vector<int64_t>& spec, bool allowzero, const std::string& who);

// What the normaliser turns into IR ops (beyond the foldable ones); anything else is reported as unsupported.
bool is_convertible(const std::string& op_type);

struct SortedModel {
  const onnx::GraphProto* graph = nullptr;
  int opset = 0;
  std::vector<int> order;  // node indices, topologically sorted
};

Graph convert_graph(const SortedModel& m, const OnnxImportOptions& opt, Budget& budget, const std::string& name);

}  // namespace fb::onnx_detail
