#pragma once
// Device execution of plan steps: one StepExec per step, built at compile time (descriptors, weights on the
// device, algorithm chosen), launched on a stream at run time (also inside a CUDA Graph capture, so launch()
// must not allocate, synchronise or copy from the host).
#include <memory>
#include <string>
#include <vector>

#include "backends/cudnn/device.h"
#include "backends/cudnn/plan.h"

namespace fb::cudnn {

struct StepContext {
  Handles* h = nullptr;
  const Plan* plan = nullptr;
  const BufferPlan* buffers = nullptr;
  char* arena = nullptr;
  Precision precision = Precision::F32;
  CudnnOptions options;
  int device = 0;
  void* workspace = nullptr;        // shared by all convolutions (sized at compile time)
  size_t workspace_bytes = 0;
  bool half() const { return precision == Precision::F16; }
  cudnnDataType_t dtype() const { return half() ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT; }
  int64_t element_bytes() const { return half() ? 2 : 4; }
  char* ptr(ValueId v) const;
  const Shape& shape(ValueId v) const { return plan->g.value(v).shape; }
};

class StepExec {
 public:
  virtual ~StepExec() = default;
  virtual void launch(const StepContext& c) = 0;
  int device_calls = 1;          // kernels/library calls per launch (describe's ops count)
  size_t workspace_needed = 0;   // convolutions
  std::string note;              // what compiling decided ("algo IMPLICIT_PRECOMP_GEMM fused ...")
};

// Builds the executor of one step (compile time: may run cudnnFind on the arena's real buffers).
std::unique_ptr<StepExec> make_step_exec(const Step& s, const StepContext& c);

// Weights on the device in the run precision.
DeviceBuffer upload_weights(const float* data, int64_t n, bool half);
DeviceBuffer upload_f32(const std::vector<float>& v);

}  // namespace fb::cudnn
