#pragma once
// The few device kernels cuDNN has no call for. Each takes its stream and works on fp32 or fp16 data
// (`half`); arithmetic is fp32. Launch errors are returned, not thrown (this header is shared with nvcc).
#include <cstdint>

#include <cuda_runtime.h>

namespace fb::cudnn::kernels {

// HardSigmoid(x) = clamp(alpha * x + beta, 0, 1); HardSwish(x) = x * clamp(x / 6 + 1 / 2, 0, 1).
cudaError_t hard_sigmoid(const void* x, void* y, int64_t n, float alpha, float beta, bool half, cudaStream_t s);
cudaError_t hard_swish(const void* x, void* y, int64_t n, bool half, cudaStream_t s);
// SiLU(x) = x * sigmoid(x).
cudaError_t silu(const void* x, void* y, int64_t n, bool half, cudaStream_t s);

// Inference batch norm not preceded by a conv: y = x * scale[c] + shift[c] over [N, C, inner].
cudaError_t scale_shift(const void* x, void* y, const float* scale, const float* shift, int64_t n, int64_t c,
                        int64_t inner, bool half, cudaStream_t s);

// Max/avg pooling with PyTorch's rules, for what cuDNN's pooling cannot express (asymmetric padding,
// ceil_mode windows hanging past the input).
struct PoolGeometry {
  int64_t n, c, ih, iw, oh, ow;
  int64_t kh, kw, sh, sw, pad_top, pad_left, pad_bottom, pad_right;
  bool count_include_pad;
};
cudaError_t pool2d(bool max, const void* x, void* y, const PoolGeometry& g, bool half, cudaStream_t s);

// Precision conversion at the edges of an fp16 network.
cudaError_t f32_to_f16(const float* x, void* y, int64_t n, cudaStream_t s);
cudaError_t f16_to_f32(const void* x, float* y, int64_t n, cudaStream_t s);

}  // namespace fb::cudnn::kernels
