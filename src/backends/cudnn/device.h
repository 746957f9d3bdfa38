#pragma once
// CUDA, cuDNN and cuBLAS error checks that throw fb::Error naming the failed call, and owning handles.
#include <cstddef>
#include <string>
#include <vector>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace fb::cudnn {

void check(cudaError_t e, const char* call);
void check(cudnnStatus_t s, const char* call);
void check(cublasStatus_t s, const char* call);
#define FB_CU(call) ::fb::cudnn::check((call), #call)

// Number of usable CUDA devices; 0 with `why` filled when there are none (no driver, no device, ...).
int cuda_device_count(std::string& why);
std::string cuda_device_name(int device);
std::string cudnn_version_string();  // "9.19.0", of the library loaded at run time

// One device allocation, freed on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) { o.p_ = nullptr; o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return p_; }
  char* bytes_ptr(size_t offset = 0) const { return static_cast<char*>(p_) + offset; }
  size_t size() const { return bytes_; }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

// The handles one executable uses, bound to one stream.
struct Handles {
  cudnnHandle_t dnn = nullptr;
  cublasHandle_t blas = nullptr;
  cudaStream_t stream = nullptr;
  Handles();
  ~Handles();
  Handles(const Handles&) = delete;
  Handles& operator=(const Handles&) = delete;
};

// cuDNN tensor descriptor of a rank 1-4 shape padded to NCHW, packed or with explicit strides.
class TensorDesc {
 public:
  TensorDesc() = default;
  TensorDesc(const int (&dims)[4], const int (&strides)[4], cudnnDataType_t t);
  static TensorDesc packed(const std::vector<int64_t>& shape, cudnnDataType_t t);
  ~TensorDesc();
  TensorDesc(TensorDesc&& o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  TensorDesc& operator=(TensorDesc&& o) noexcept;
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

// Shape padded to 4 dimensions with trailing 1s ([N, K] -> [N, K, 1, 1]).
void dims4(const std::vector<int64_t>& shape, int (&dims)[4]);

}  // namespace fb::cudnn
