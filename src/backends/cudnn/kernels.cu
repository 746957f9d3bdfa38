#include "backends/cudnn/kernels.h"

#include <cuda_fp16.h>

namespace fb::cudnn::kernels {
namespace {

constexpr int k_threads = 256;

unsigned blocks_for(int64_t n) {
  const int64_t b = (n + k_threads - 1) / k_threads;
  return static_cast<unsigned>(b < 65535 * 16 ? (b > 0 ? b : 1) : 65535 * 16);
}

__device__ inline float load(const void* p, int64_t i, bool half) {
  return half ? __half2float(static_cast<const __half*>(p)[i]) : static_cast<const float*>(p)[i];
}
__device__ inline void store(void* p, int64_t i, float v, bool half) {
  if (half) static_cast<__half*>(p)[i] = __float2half(v);
  else static_cast<float*>(p)[i] = v;
}

__global__ void hard_sigmoid_k(const void* x, void* y, int64_t n, float alpha, float beta, bool half) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    store(y, i, fminf(fmaxf(alpha * load(x, i, half) + beta, 0.f), 1.f), half);
}

__global__ void hard_swish_k(const void* x, void* y, int64_t n, bool half) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = load(x, i, half);
    store(y, i, v * fminf(fmaxf(v + 3.f, 0.f), 6.f) / 6.f, half);
  }
}

__global__ void silu_k(const void* x, void* y, int64_t n, bool half) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = load(x, i, half);
    store(y, i, v / (1.f + expf(-v)), half);
  }
}

__global__ void scale_shift_k(const void* x, void* y, const float* scale, const float* shift, int64_t total,
                              int64_t c, int64_t inner, bool half) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ch = (i / inner) % c;
    store(y, i, load(x, i, half) * scale[ch] + shift[ch], half);
  }
}

__global__ void pool2d_k(bool is_max, const void* x, void* y, PoolGeometry g, bool half) {
  const int64_t total = g.n * g.c * g.oh * g.ow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ox = i % g.ow, oy = (i / g.ow) % g.oh, plane = i / (g.ow * g.oh);
    const int64_t hs = oy * g.sh - g.pad_top, ws = ox * g.sw - g.pad_left;
    // PyTorch: the window is clipped to the padded input; the divisor counts padding only if asked.
    const int64_t he = min(hs + g.kh, g.ih + g.pad_bottom), we = min(ws + g.kw, g.iw + g.pad_right);
    const int64_t h0 = hs > 0 ? hs : 0, w0 = ws > 0 ? ws : 0, h1 = min(he, g.ih), w1 = min(we, g.iw);
    const int64_t base = plane * g.ih * g.iw;
    float acc = is_max ? -INFINITY : 0.f;
    for (int64_t yy = h0; yy < h1; ++yy)
      for (int64_t xx = w0; xx < w1; ++xx) {
        const float v = load(x, base + yy * g.iw + xx, half);
        acc = is_max ? (v > acc || isnan(v) ? v : acc) : acc + v;
      }
    if (!is_max) {
      const int64_t div = g.count_include_pad ? (he - hs) * (we - ws) : (h1 - h0) * (w1 - w0);
      acc = div > 0 ? acc / static_cast<float>(div) : 0.f;
    }
    store(y, i, acc, half);
  }
}

__global__ void f32_to_f16_k(const float* x, __half* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __float2half(x[i]);
}

__global__ void f16_to_f32_k(const __half* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = __half2float(x[i]);
}

}  // namespace

cudaError_t hard_sigmoid(const void* x, void* y, int64_t n, float alpha, float beta, bool half, cudaStream_t s) {
  hard_sigmoid_k<<<blocks_for(n), k_threads, 0, s>>>(x, y, n, alpha, beta, half);
  return cudaGetLastError();
}

cudaError_t hard_swish(const void* x, void* y, int64_t n, bool half, cudaStream_t s) {
  hard_swish_k<<<blocks_for(n), k_threads, 0, s>>>(x, y, n, half);
  return cudaGetLastError();
}

cudaError_t silu(const void* x, void* y, int64_t n, bool half, cudaStream_t s) {
  silu_k<<<blocks_for(n), k_threads, 0, s>>>(x, y, n, half);
  return cudaGetLastError();
}

cudaError_t scale_shift(const void* x, void* y, const float* scale, const float* shift, int64_t n, int64_t c,
                        int64_t inner, bool half, cudaStream_t s) {
  const int64_t total = n * c * inner;
  scale_shift_k<<<blocks_for(total), k_threads, 0, s>>>(x, y, scale, shift, total, c, inner, half);
  return cudaGetLastError();
}

cudaError_t pool2d(bool max, const void* x, void* y, const PoolGeometry& g, bool half, cudaStream_t s) {
  pool2d_k<<<blocks_for(g.n * g.c * g.oh * g.ow), k_threads, 0, s>>>(max, x, y, g, half);
  return cudaGetLastError();
}

cudaError_t f32_to_f16(const float* x, void* y, int64_t n, cudaStream_t s) {
  f32_to_f16_k<<<blocks_for(n), k_threads, 0, s>>>(x, static_cast<__half*>(y), n);
  return cudaGetLastError();
}

cudaError_t f16_to_f32(const void* x, float* y, int64_t n, cudaStream_t s) {
  f16_to_f32_k<<<blocks_for(n), k_threads, 0, s>>>(static_cast<const __half*>(x), y, n);
  return cudaGetLastError();
}

}  // namespace fb::cudnn::kernels
