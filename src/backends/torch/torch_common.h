#pragma once
// What the two LibTorch backends share: option checks, tensor conversion, facts for describe().
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "backends/backend.h"

namespace fb::torch_be {

// Where and in what a LibTorch backend computes: the device, the tensors' dtype (fp16 runs half weights and
// inputs, as `model.half()` does) and whether TF32 is allowed (cuda only).
struct Target {
  c10::Device device{c10::kCPU};
  at::ScalarType dtype = at::kFloat;
  Precision precision = Precision::F32;
};

// Refuses what a LibTorch backend cannot honour (precision, device, unknown keys) and returns the target.
// The cpu computes fp32, and bf16 where `cpu_bf16` (eager: weights and inputs as bfloat16, as a PyTorch
// user's module.to(torch.bfloat16)); cuda (a CUDA-enabled LibTorch that sees a GPU) fp32, tf32 and fp16.
Target check_options(const Backend& b, const CompileOptions& opt, bool cpu_bf16 = false);

// Sets the process-wide TF32 switches for cuDNN convolutions and cuBLAS matmuls before an inference:
// off for fp32 (strict, whatever PyTorch's own default for cuDNN), on for tf32. Nothing on the cpu.
void apply_precision(const Target& t);
// Waits for the device's queued kernels (cuda), so a host timer around run() measures them.
void synchronize(const Target& t);

// Sets LibTorch's intra-op thread count (OpenMP's is per calling thread, so this runs before every
// inference, and it is cheap when unchanged).
void set_threads(int threads);

// A weight or input as an at::Tensor. `copy` makes it own its memory (weights); otherwise it wraps the
// caller's buffer for reading (inputs, as a PyTorch user's tensor would be).
at::Tensor to_at(const Tensor& t, const c10::Device& device, bool copy);
// The same on the target's device and dtype (always a copy off the cpu or in fp16).
at::Tensor to_at(const Tensor& t, const Target& target, bool copy);
// Copies an output (any device, any float dtype) into `out` as fp32, reusing its buffer when the shape matches.
void from_at(const at::Tensor& t, Tensor& out);

// Checks the inputs' count and shapes against the graph's.
void check_inputs(const Graph& g, const std::vector<Tensor>& inputs);

// Sum of every node output's bytes (what an executor without memory planning holds at most).
int64_t naive_activation_bytes(const Graph& g);

// One line each: LibTorch version, threads, BLAS library and core, the start-up BLAS tuning.
std::vector<std::string> runtime_notes(int threads);
std::string libtorch_version();
// The oneDNN release LibTorch was built with (its ideep/mkldnn paths), from at::show_config(); "" if not said.
std::string libtorch_onednn_version();

// Per node: may it write its result into its first input, as torchvision's inplace=True activations and
// `out += identity` do? Only when that input is a fresh tensor (not a graph input, not a view/alias of
// another value) read by this node alone and not a graph output.
std::vector<bool> plan_inplace(const Graph& g);

// Per value: the index of the last node that reads it (-1: none), so an executor can free it then.
std::vector<int> last_use(const Graph& g);

// Pools with asymmetric padding run as pad + pool(divisor 1) + divide; this is the divisor per output
// position, PyTorch's rule (window clipped to the padded input, or real elements only).
at::Tensor avg_pool_divisor(const PoolAttrs& a, int64_t ih, int64_t iw, int64_t oh, int64_t ow);
inline bool symmetric(const PoolAttrs& a) { return a.pad_top == a.pad_bottom && a.pad_left == a.pad_right; }
inline bool symmetric(const Conv2dAttrs& a) { return a.pad_top == a.pad_bottom && a.pad_left == a.pad_right; }
// PyTorch's Hardsigmoid (alpha 1/6, beta 1/2); other slopes (ONNX's 0.2) need the explicit formula.
inline bool is_torch_hardsigmoid(const HardSigmoidAttrs& a) {
  return a.alpha == 1.0f / 6.0f && a.beta == 0.5f;
}

// Backend::diagnostics for both backends: the BLAS in use, the fp32 GEMM rate LibTorch gets on
// opt.threads threads, and oneDNN's for comparison; a "warnings" entry when LibTorch's is far below.
nlohmann::json diagnostics(const Backend& b, const CompileOptions& opt);
// GFLOP/s of an n^3 fp32 matrix product, median of `reps` after a warm-up.
double torch_gemm_gflops(int n, int threads, int reps);
double onednn_gemm_gflops(int n, int threads, int reps);  // < 0 when oneDNN is not linked

// Node names of graph nodes a LibTorch backend cannot express (none today: every IR op maps to ATen),
// kept as the one place to refuse an op with a reason.
Support supports_node(const Graph& g, const Node& n);

}  // namespace fb::torch_be
