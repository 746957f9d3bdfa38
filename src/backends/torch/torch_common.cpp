#include "backends/torch/torch_common.h"

#include <algorithm>
#include <cstring>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "backends/torch/blas_tuning.h"
#include "core/error.h"
#include "ir/pool_window.h"

namespace fb::torch_be {

Target check_options(const Backend& b, const CompileOptions& opt, bool cpu_bf16) {
  check_extra_options(b, opt, {});
  if (opt.threads < 1) fail("backend '{}': threads must be at least 1, got {}", b.name(), opt.threads);
  Target t;
  t.precision = opt.precision;
  if (opt.device == "cpu") {
    if (opt.precision == Precision::BF16 && cpu_bf16) {
      t.dtype = at::kBFloat16;
      return t;
    }
    if (opt.precision != Precision::F32)
      fail("backend '{}' computes in {} on the cpu, not {} (tf32 and fp16 need --device cuda)", b.name(),
           cpu_bf16 ? "fp32, bf16 or int8" : "fp32 only", precision_name(opt.precision));
    return t;
  }
  if (opt.device != "cuda" && opt.device.rfind("cuda:", 0) != 0)
    fail("backend '{}' has no device '{}' (valid: cpu, cuda, cuda:N)", b.name(), opt.device);
  if (!torch::cuda::is_available())
    fail("{}: --device {} needs a CUDA-enabled LibTorch and a GPU (this LibTorch: {}, CUDA available: no)", b.name(),
         opt.device, libtorch_version());
  try {
    t.device = c10::Device(opt.device);
  } catch (const std::exception&) {
    fail("backend '{}': bad device '{}' (use cuda or cuda:N)", b.name(), opt.device);
  }
  const auto count = static_cast<int64_t>(torch::cuda::device_count());
  if (t.device.has_index() && t.device.index() >= count)
    fail("backend '{}': no device '{}' (this machine has {} GPU(s): cuda:0 .. cuda:{})", b.name(), opt.device, count,
         count - 1);
  if (!t.device.has_index()) t.device = c10::Device(c10::kCUDA, 0);
  switch (opt.precision) {
    case Precision::F32: case Precision::TF32: break;
    case Precision::F16: t.dtype = at::kHalf; break;
    default:
      fail("backend '{}' on cuda computes in fp32, tf32 or fp16, not {}", b.name(), precision_name(opt.precision));
  }
  return t;
}

void apply_precision(const Target& t) {
  if (!t.device.is_cuda()) return;
  const bool tf32 = t.precision == Precision::TF32;
  auto& ctx = at::globalContext();
  if (ctx.allowTF32CuDNN() != tf32) ctx.setAllowTF32CuDNN(tf32);
  if (ctx.allowTF32CuBLAS() != tf32) ctx.setAllowTF32CuBLAS(tf32);
}

void synchronize(const Target& t) {
  if (t.device.is_cuda()) torch::cuda::synchronize(t.device.index());
}

void set_threads(int threads) {
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
}

at::Tensor to_at(const Tensor& t, const c10::Device& device, bool copy) {
  if (!t.has_data()) fail("tensor of shape {} has no data", shape_str(t.shape()));
  at::Tensor a = at::from_blob(const_cast<float*>(t.data()), t.shape(), at::TensorOptions().dtype(at::kFloat));
  if (device.is_cpu()) return copy ? a.clone() : a;
  return a.to(device);
}

at::Tensor to_at(const Tensor& t, const Target& target, bool copy) {
  if (target.dtype == at::kFloat) return to_at(t, target.device, copy);
  return to_at(t, c10::Device(c10::kCPU), false).to(target.device, target.dtype);
}

void from_at(const at::Tensor& t, Tensor& out) {
  at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
  Shape shape(c.sizes().begin(), c.sizes().end());
  if (out.shape() != shape || !out.has_data()) out = Tensor(shape);
  std::memcpy(out.data(), c.data_ptr<float>(), static_cast<size_t>(c.numel()) * sizeof(float));
}

void check_inputs(const Graph& g, const std::vector<Tensor>& inputs) {
  if (inputs.size() != g.inputs.size())
    fail("model '{}' takes {} input(s), got {}", g.name, g.inputs.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& want = g.value(g.inputs[i]).shape;
    if (inputs[i].shape() != want)
      fail("input '{}' must be {}, got {}", g.value(g.inputs[i]).name, shape_str(want),
           shape_str(inputs[i].shape()));
  }
}

int64_t naive_activation_bytes(const Graph& g) {
  int64_t total = 0;
  for (const Node& n : g.nodes)
    for (ValueId v : n.outputs) total += shape_numel(g.value(v).shape) * dtype_size(g.value(v).dtype);
  return total;
}

std::string libtorch_version() { return TORCH_VERSION; }

std::string libtorch_onednn_version() {
  const std::string c = at::show_config();
  for (const char* key : {"MKL-DNN v", "oneDNN v"}) {
    const size_t at = c.find(key);
    if (at == std::string::npos) continue;
    const size_t from = at + std::strlen(key);
    return c.substr(from, c.find_first_of(" \n", from) - from);
  }
  return "";
}

std::vector<std::string> runtime_notes(int threads) {
  std::vector<std::string> notes;
  notes.push_back(fmt::format("LibTorch {}, {} intra-op thread(s), oneDNN (mkldnn) {}", libtorch_version(), threads,
                              at::hasMKLDNN() ? "available" : "not built in"));
  const std::string lib = torch_blas::blas_library_path();
  const auto& st = torch_blas::state();
  if (!st.core.empty())
    notes.push_back(fmt::format("BLAS: OpenBLAS, core {} ({})", st.core, lib));
  else if (at::hasMKL())
    notes.push_back("BLAS: MKL (built into LibTorch)");
  else
    notes.push_back(fmt::format("BLAS: {}", lib.empty() ? "unknown" : lib));
  notes.push_back("BLAS tuning: " + st.decision.reason);
  return notes;
}

std::vector<bool> plan_inplace(const Graph& g) {
  const auto consumers = g.consumers();
  std::vector<bool> owned(g.values.size(), false), inplace(g.nodes.size(), false);
  std::vector<bool> is_output(g.values.size(), false);
  for (ValueId o : g.outputs) is_output[static_cast<size_t>(o)] = true;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const bool can = n.op == Op::Relu || n.op == Op::Relu6 || n.op == Op::Silu || n.op == Op::HardSwish ||
                     (n.op == Op::Add && g.value(n.inputs[0]).shape == g.value(n.outputs[0]).shape);
    if (can) {
      const auto in = static_cast<size_t>(n.inputs[0]);
      inplace[i] = owned[in] && consumers[in].size() == 1 && !is_output[in];
    }
    // Views and aliases share their input's memory; everything else makes a new tensor.
    const bool alias = n.op == Op::Flatten || n.op == Op::Identity || n.op == Op::Dropout || n.op == Op::Split;
    for (ValueId o : n.outputs)
      owned[static_cast<size_t>(o)] = inplace[i] ? owned[static_cast<size_t>(n.inputs[0])] : !alias;
  }
  return inplace;
}

std::vector<int> last_use(const Graph& g) {
  std::vector<int> last(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (ValueId v : g.nodes[i].inputs) last[static_cast<size_t>(v)] = static_cast<int>(i);
  return last;
}

at::Tensor avg_pool_divisor(const PoolAttrs& a, int64_t ih, int64_t iw, int64_t oh, int64_t ow) {
  at::Tensor d = at::empty({1, 1, oh, ow}, at::kFloat);
  float* p = d.data_ptr<float>();
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      const int64_t count = avg_pool_window(a, ih, iw, y, x).divisor;
      p[y * ow + x] = static_cast<float>(std::max<int64_t>(count, 1));
    }
  return d;
}

Support supports_node(const Graph& g, const Node& n) {
  switch (n.op) {
    case Op::Conv2d: case Op::BatchNorm: case Op::Relu: case Op::Relu6: case Op::Sigmoid:
    case Op::HardSigmoid: case Op::Silu: case Op::HardSwish: case Op::Add: case Op::Mul: case Op::Concat:
    case Op::Split: case Op::ChannelShuffle: case Op::MaxPool: case Op::AvgPool: case Op::GlobalAvgPool:
    case Op::Flatten: case Op::Linear: case Op::Softmax: case Op::Identity: case Op::Dropout:
      return {};
  }
  return {false, "no ATen mapping for this op yet"};
}

}  // namespace fb::torch_be
