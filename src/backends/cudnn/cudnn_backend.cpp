// The `cudnn` backend: formbench's accelerated GPU backend (see docs/gpu.md).
#include <fmt/format.h>

#include "backends/backend.h"
#include "backends/cudnn/device.h"
#include "backends/cudnn/executable.h"
#include "backends/cudnn/plan.h"

namespace fb {
namespace {

class CudnnBackend final : public Backend {
 public:
  std::string name() const override { return "cudnn"; }
  std::string summary() const override {
    return fmt::format("cuDNN {} + cuBLAS on a CUDA GPU (--device cuda): fused conv+bias+add+ReLU, one planned arena, "
                       "CUDA Graph replay; fp32 (TF32 off), tf32, fp16",
                       cudnn::cudnn_version_string());
  }
  Support supports(const Graph& g, const Node& n, const CompileOptions& opt) const override {
    std::string why = cudnn::unsupported_reason(g, n);
    return why.empty() ? Support{} : Support{false, why};
  }
  nlohmann::json diagnostics(const CompileOptions& opt) const override {
    nlohmann::json j;
    std::string why;
    const int n = cudnn::cuda_device_count(why);
    int rt = 0;
    cudaRuntimeGetVersion(&rt);
    j["cudnn_version"] = cudnn::cudnn_version_string();
    j["cuda_runtime_version"] = rt;
    j["devices"] = nlohmann::json::array();
    for (int i = 0; i < n; ++i) j["devices"].push_back(cudnn::cuda_device_name(i));
    // Not a warning: a machine without a GPU is normal; `doctor` shows it as a fact.
    if (n == 0) j["no_device_reason"] = fmt::format("no CUDA device ({})", why);
    return j;
  }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    cudnn::parse_cuda_device(opt.device);  // option errors first, before any device is touched
    cudnn::check_precision(opt.precision);
    cudnn::parse_cudnn_options(opt);
    check_supported(*this, g, opt);
    return cudnn::compile_on_device(g, opt);
  }
};

}  // namespace

std::unique_ptr<Backend> make_cudnn_backend() { return std::make_unique<CudnnBackend>(); }

}  // namespace fb
