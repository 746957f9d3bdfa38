// The `torch` backend: LibTorch eager. Each node runs as the ATen call(s) its PyTorch module makes in
// forward() (eager_ops.h), so its latency is what a PyTorch user gets from the same architecture; int8 is
// PyTorch's eager static quantization (torch_int8.h).
#include <chrono>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <torch/cuda.h>

#include "backends/layer_clock.h"
#include "backends/torch/aten_trace.h"
#include "backends/torch/eager_ops.h"
#include "backends/torch/torch_int8.h"
#include "backends/torch/torch_common.h"
#include "core/error.h"

namespace fb {
namespace {

class TorchExecutable : public Executable {
 public:
  TorchExecutable(Graph g, const CompileOptions& opt, torch_be::Target target)
      : g_(std::move(g)), threads_(opt.threads), target_(target) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto inplace = torch_be::plan_inplace(g_);
    last_use_ = torch_be::last_use(g_);
    for (size_t i = 0; i < g_.nodes.size(); ++i) steps_.push_back(torch_be::prepare_eager(g_, g_.nodes[i], inplace[i], target_));
    for (const torch_be::EagerStep& s : steps_) calls_ += s.calls;
    compile_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    trace_ = torch_be::AtenTrace::from_env(g_.name);
  }

  void run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) override {
    if (trace_) trace_->begin();
    torch_be::check_inputs(g_, inputs);
    torch_be::set_threads(threads_);
    torch_be::apply_precision(target_);
    c10::InferenceMode guard;
    std::vector<at::Tensor> v(g_.values.size());
    for (size_t i = 0; i < inputs.size(); ++i) v[static_cast<size_t>(g_.inputs[i])] = torch_be::to_at(inputs[i], target_, false);
    for (size_t i = 0; i < steps_.size(); ++i) {
      torch_be::execute_eager(g_, steps_[i], v);
      release(i, v);
    }
    torch_be::synchronize(target_);  // kernels are queued asynchronously on cuda: a host timer must wait for them
    collect(v, outputs);
    if (trace_) trace_->end();
  }

  // Each node's ATen call(s) timed with the host clock around them (dispatch included, as a PyTorch user pays
  // it); the rest of the run (input conversion, freeing tensors, the loop) is the Overhead entry.
  std::vector<LayerTime> profile_layers(const std::vector<Tensor>& inputs, int iterations) override {
    std::vector<Tensor> warm;
    run(inputs, warm);
    torch_be::set_threads(threads_);
    torch_be::apply_precision(target_);
    c10::InferenceMode guard;
    LayerClock lc(steps_.size(), iterations);
    for (int it = 0; it < std::max(iterations, 1); ++it) {
      lc.begin_run();
      std::vector<at::Tensor> v(g_.values.size());
      for (size_t i = 0; i < inputs.size(); ++i) v[static_cast<size_t>(g_.inputs[i])] = torch_be::to_at(inputs[i], target_, false);
      torch_be::synchronize(target_);
      for (size_t i = 0; i < steps_.size(); ++i) {
        lc.begin_step();
        torch_be::execute_eager(g_, steps_[i], v);
        torch_be::synchronize(target_);
        lc.end_step(i);
        release(i, v);
      }
      std::vector<Tensor> outs;
      collect(v, outs);
      lc.end_run();
    }
    std::vector<LayerTime> out = kernels();
    for (size_t i = 0; i < out.size(); ++i) out[i].ms = lc.step_ms(i);
    out.push_back({"(between ATen calls)", "overhead", lc.overhead_ms(), {}, LayerKind::Overhead});
    return out;
  }

  // One step per node: eager runs each node's ATen call(s) on its own.
  std::vector<LayerTime> kernels() const override {
    std::vector<LayerTime> out;
    for (const torch_be::EagerStep& s : steps_) {
      const Node& node = *s.node;
      const bool copy = node.op == Op::Concat || node.op == Op::Split || node.op == Op::ChannelShuffle;
      out.push_back({node.name, op_name(node.op), 0.0, {node.name}, copy ? LayerKind::Copy : LayerKind::Compute});
    }
    return out;
  }

  Description describe() const override {
    Description d;
    d.backend = "torch";
    d.ops_executed = calls_;
    d.naive_activation_bytes = torch_be::naive_activation_bytes(g_);
    d.compile_ms = compile_ms_;
    d.notes.push_back(fmt::format("eager: {} ATen calls for {} nodes on {}, c10::InferenceMode, {} in-place", calls_,
                                  g_.nodes.size(), target_.device.str(), inplace_count()));
    if (target_.device.is_cuda())
      d.notes.push_back(fmt::format("cuda: {} ({}), TF32 {}, cudnn.benchmark off (PyTorch's default); inputs copied to the "
                                    "GPU and outputs back inside run()",
                                    precision_name(target_.precision), target_.dtype == at::kHalf ? "half weights and inputs" : "fp32 tensors",
                                    target_.precision == Precision::TF32 ? "on" : "off"));
    if (target_.device.is_cpu() && target_.dtype == at::kBFloat16)
      d.notes.push_back(fmt::format(
          "cpu bf16: weights and inputs as bfloat16 (a PyTorch user's module.to(torch.bfloat16)); LibTorch {} "
          "sends every bf16 convolution to oneDNN (aten::mkldnn_convolution; in fp32 only some, the others to its "
          "im2col + BLAS path) and the other ops to ATen's own bf16 kernels (linear: aten::addmm); outputs back "
          "to fp32",
          torch_be::libtorch_version()));
    for (auto& n : torch_be::runtime_notes(threads_)) d.notes.push_back(std::move(n));
    return d;
  }

 private:
  // Drops every value whose last reader was step i, as Python frees a tensor when its last name goes.
  void release(size_t i, std::vector<at::Tensor>& v) const {
    for (ValueId id : g_.nodes[i].inputs)
      if (last_use_[static_cast<size_t>(id)] == static_cast<int>(i) && !g_.is_output(id)) v[static_cast<size_t>(id)].reset();
  }

  void collect(const std::vector<at::Tensor>& v, std::vector<Tensor>& outputs) const {
    outputs.resize(g_.outputs.size());
    for (size_t i = 0; i < g_.outputs.size(); ++i) {
      const at::Tensor& t = v[static_cast<size_t>(g_.outputs[i])];
      if (!t.defined()) fail("model '{}': output '{}' was not computed", g_.name, g_.value(g_.outputs[i]).name);
      torch_be::from_at(t, outputs[i]);
    }
  }

  int inplace_count() const {
    int c = 0;
    for (const torch_be::EagerStep& s : steps_) c += s.inplace;
    return c;
  }

  Graph g_;
  int threads_;
  torch_be::Target target_;
  std::vector<torch_be::EagerStep> steps_;
  std::vector<int> last_use_;
  int64_t calls_ = 0;
  double compile_ms_ = 0;
  std::unique_ptr<torch_be::AtenTrace> trace_;  // FORMBENCH_TRACE_ATEN (a diagnostic, off by default)
};

class TorchBackend : public Backend {
 public:
  std::string name() const override { return "torch"; }
  std::string summary() const override {
    return fmt::format("LibTorch {} eager: one ATen call per node, as a PyTorch module runs (the native baseline)",
                       torch_be::libtorch_version());
  }
  Support supports(const Graph& g, const Node& n, const CompileOptions&) const override {
    return torch_be::supports_node(g, n);
  }
  nlohmann::json diagnostics(const CompileOptions& opt) const override;
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    if (opt.precision == Precision::I8) {
      if (opt.device != "cpu") fail("backend 'torch' computes int8 on the cpu only, not on '{}'", opt.device);
      check_extra_options(*this, opt, {"calibration_inputs"});
      if (opt.threads < 1) fail("backend 'torch': threads must be at least 1, got {}", opt.threads);
      check_supported(*this, g, opt);
      if (!weights_materialized(g)) fail("model '{}' has no weights yet (materialize_weights first)", g.name);
      torch_be::set_threads(opt.threads);
      return torch_be::compile_int8(g, opt);
    }
    const torch_be::Target target = torch_be::check_options(*this, opt, /*cpu_bf16=*/true);
    check_supported(*this, g, opt);
    if (!weights_materialized(g)) fail("model '{}' has no weights yet (materialize_weights first)", g.name);
    torch_be::set_threads(opt.threads);
    c10::InferenceMode guard;
    return std::make_unique<TorchExecutable>(g, opt, target);
  }
};

nlohmann::json TorchBackend::diagnostics(const CompileOptions& opt) const { return torch_be::diagnostics(*this, opt); }

}  // namespace

std::unique_ptr<Backend> make_torch_backend() { return std::make_unique<TorchBackend>(); }

}  // namespace fb
