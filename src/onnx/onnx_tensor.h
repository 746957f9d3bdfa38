#pragma once
// Constant tensors of an ONNX model (initializers, Constant nodes, folded shape arithmetic), decoded from
// TensorProto with every size checked against the import limits before anything is allocated.
#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "core/tensor.h"
#include "onnx/onnx_io.h"

namespace fb::onnx_detail {

// Values are held as float (weights) or int64 (shapes, axes, indices); an int tensor is never read as weights.
struct ConstTensor {
  Shape shape;  // may hold zeros (an empty tensor is legal in ONNX)
  bool is_int = false;
  std::vector<float> f;
  std::vector<int64_t> i;
  int64_t numel() const { return is_int ? static_cast<int64_t>(i.size()) : static_cast<int64_t>(f.size()); }
  double at(int64_t k) const { return is_int ? static_cast<double>(i[static_cast<size_t>(k)]) : f[static_cast<size_t>(k)]; }
  std::vector<int64_t> ints() const;  // as integers (floats must be whole)
};

// Counts elements across all constants of one import so the total stays under the limit.
struct Budget {
  const OnnxImportOptions& opt;
  int64_t used = 0;
  void take(int64_t elements, const std::string& what);
};

// Element count of `dims` or fb::Error if a dimension is negative or the count passes `limit`.
int64_t checked_numel(const Shape& dims, int64_t limit, const std::string& what);

ConstTensor decode_tensor(const onnx::TensorProto& t, Budget& budget, const std::string& what);

ConstTensor make_int_tensor(std::vector<int64_t> v, Shape shape);
ConstTensor make_float_tensor(std::vector<float> v, Shape shape);

}  // namespace fb::onnx_detail
