#include "backends/cudnn/device.h"

#include <vector>

#include "core/error.h"

namespace fb::cudnn {

void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) fail("cudnn backend: {} failed: {} ({})", call, cudaGetErrorString(e), cudaGetErrorName(e));
}

void check(cudnnStatus_t s, const char* call) {
  if (s != CUDNN_STATUS_SUCCESS) fail("cudnn backend: {} failed: {}", call, cudnnGetErrorString(s));
}

void check(cublasStatus_t s, const char* call) {
  if (s != CUBLAS_STATUS_SUCCESS) fail("cudnn backend: {} failed: cuBLAS status {}", call, static_cast<int>(s));
}

int cuda_device_count(std::string& why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    why = fmt::format("{} ({})", cudaGetErrorString(e), cudaGetErrorName(e));
    cudaGetLastError();  // clear the sticky error for later callers
    return 0;
  }
  if (n == 0) why = "the CUDA runtime reports 0 devices";
  return n;
}

std::string cuda_device_name(int device) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) return "unknown CUDA device";
  return fmt::format("{} (sm_{}{}, {:.0f} GiB)", prop.name, prop.major, prop.minor,
                     static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024 * 1024));
}

std::string cudnn_version_string() {
  const size_t v = cudnnGetVersion();  // cuDNN 9: major * 10000 + minor * 100 + patch
  return fmt::format("{}.{}.{}", v / 10000, v % 10000 / 100, v % 100);
}

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) FB_CU(cudaMalloc(&p_, bytes));
}

DeviceBuffer::~DeviceBuffer() {
  if (p_) cudaFree(p_);
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (p_) cudaFree(p_);
    p_ = o.p_;
    bytes_ = o.bytes_;
    o.p_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

Handles::Handles() {
  FB_CU(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  FB_CU(cudnnCreate(&dnn));
  FB_CU(cudnnSetStream(dnn, stream));
  FB_CU(cublasCreate(&blas));
  FB_CU(cublasSetStream(blas, stream));
}

Handles::~Handles() {
  if (blas) cublasDestroy(blas);
  if (dnn) cudnnDestroy(dnn);
  if (stream) cudaStreamDestroy(stream);
}

void dims4(const std::vector<int64_t>& shape, int (&dims)[4]) {
  FB_ASSERT(!shape.empty() && shape.size() <= 4);
  for (int i = 0; i < 4; ++i) dims[i] = i < static_cast<int>(shape.size()) ? static_cast<int>(shape[static_cast<size_t>(i)]) : 1;
}

TensorDesc::TensorDesc(const int (&dims)[4], const int (&strides)[4], cudnnDataType_t t) {
  FB_CU(cudnnCreateTensorDescriptor(&d_));
  FB_CU(cudnnSetTensorNdDescriptor(d_, t, 4, dims, strides));
}

TensorDesc TensorDesc::packed(const std::vector<int64_t>& shape, cudnnDataType_t t) {
  int d[4];
  dims4(shape, d);
  const int s[4] = {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1};
  return TensorDesc(d, s, t);
}

TensorDesc::~TensorDesc() {
  if (d_) cudnnDestroyTensorDescriptor(d_);
}

TensorDesc& TensorDesc::operator=(TensorDesc&& o) noexcept {
  if (this != &o) {
    if (d_) cudnnDestroyTensorDescriptor(d_);
    d_ = o.d_;
    o.d_ = nullptr;
  }
  return *this;
}

}  // namespace fb::cudnn
