#pragma once
// Affine int8 quantization, the arithmetic every int8 backend shares: x = scale * (q - zero_point).
// Non-negative tensors (after ReLU, and what keeps their range: pooling, flatten) are u8 with scale
// max / 255; signed tensors are s8 with scale absmax / 127, zero point 0 (symmetric, so no compensation
// terms); weights are s8 per output channel. Rounding is to nearest, ties to even, then saturation: what
// PyTorch's quantize_val and oneDNN's int8 kernels do.
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace fb {

enum class QType { U8, S8 };
const char* qtype_name(QType t);

struct QParams {
  float scale = 1;
  int32_t zero_point = 0;
  QType type = QType::S8;
  // `reduce_range`: 7-bit activations (u8 in [0, 127]); a u8 x s8 pair sum then cannot saturate the 16-bit
  // intermediate of CPUs without VNNI dot products (PyTorch's fbgemm reduce_range).
  bool reduce_range = false;
  int32_t qmin() const;
  int32_t qmax() const;
};

// Parameters that represent [0, max] in u8 (or [-absmax, absmax] in s8) with zero point 0. A range of zero
// (an all-zero tensor) gets scale 1: any scale represents it exactly. Throws fb::Error on a negative or
// non-finite bound.
QParams choose_u8(float max, bool reduce_range = false);
QParams choose_s8(float absmax);

// One s8 scale per output channel (dimension 0) of a weight tensor: absmax / 127 (1 for an all-zero channel).
std::vector<float> per_channel_weight_scales(const Tensor& w);

// A quantized activation: integers in the range of `params`, and the real numbers they stand for.
struct QTensor {
  Shape shape;
  std::vector<int32_t> values;
  QParams params;
};
// s8 weights with one scale per output channel (dimension 0), zero point 0.
struct QWeights {
  Shape shape;
  std::vector<int32_t> values;
  std::vector<float> scales;
};

int32_t quantize(float x, const QParams& p);
float dequantize(int32_t q, const QParams& p);
// An int32 accumulator (of s8 x u8 products, scale s_in * s_w) into the output's type: the accumulator times
// `multiplier` (s_in * s_w / s_out), rounded, shifted by the zero point and saturated.
int32_t requantize(int32_t acc, float multiplier, const QParams& out);

QTensor quantize_tensor(const Tensor& x, const QParams& p);
Tensor dequantize_tensor(const QTensor& q);
QWeights quantize_weights(const Tensor& w);  // per_channel_weight_scales, then each value in its channel's s8
Tensor dequantize_weights(const QWeights& w);

}  // namespace fb
