#pragma once
// Dense NCHW tensors. Storage is shared so graphs (and their weights) copy cheaply; code that changes a
// tensor's values makes a new one (see Tensor::clone) instead of writing through a shared buffer.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fb {

enum class DType { F32, BF16, I8 };
const char* dtype_name(DType t);
int64_t dtype_size(DType t);

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "1x64x56x56"
int64_t shape_numel(const Shape& s);

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, DType dtype = DType::F32);  // allocates, zero-filled
  static Tensor empty_like_shape(Shape shape) { return Tensor(std::move(shape)); }
  // A tensor that has a shape but no storage yet (weights before materialisation).
  static Tensor placeholder(Shape shape, DType dtype = DType::F32);

  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  int64_t numel() const { return shape_numel(shape_); }
  int64_t dim(int i) const { return shape_.at(static_cast<size_t>(i)); }
  int rank() const { return static_cast<int>(shape_.size()); }
  bool has_data() const { return static_cast<bool>(data_); }

  // Values are always held as fp32 here; a backend converts to its own precision.
  float* data() { return data_ ? data_->data() : nullptr; }
  const float* data() const { return data_ ? data_->data() : nullptr; }
  float& operator[](int64_t i) { return (*data_)[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return (*data_)[static_cast<size_t>(i)]; }

  Tensor clone() const;
  // Same storage, new shape with the same element count (for Flatten and friends).
  Tensor reshaped(Shape shape) const;

 private:
  Shape shape_;
  DType dtype_ = DType::F32;
  std::shared_ptr<std::vector<float>> data_;
};

// Deterministic input: uniform in [-1, 1) from the seed (same on every machine).
Tensor random_tensor(const Shape& shape, uint64_t seed);

}  // namespace fb
