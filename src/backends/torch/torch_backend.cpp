// The `torch` backend: LibTorch eager. Each node runs as the ATen call(s) its PyTorch module makes in
// forward() (nn.Conv2d -> at::conv2d with bias, nn.BatchNorm2d in eval -> at::batch_norm, nn.ReLU(inplace)
// -> at::relu_, ...), so its latency is what a PyTorch user gets from the same architecture.
#include <chrono>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <torch/cuda.h>

#include "backends/torch/aten_trace.h"
#include "backends/torch/torch_common.h"
#include "core/error.h"

namespace fb {
namespace {

using torch_be::symmetric;

struct Step {
  const Node* node = nullptr;
  std::vector<at::Tensor> w;       // params in PyTorch's order for this op
  c10::optional<at::Tensor> bias;  // conv / linear bias
  at::Tensor divisor;              // asymmetric AvgPool only
  bool inplace = false;
  int calls = 1;                   // ATen calls per inference
};

class TorchExecutable : public Executable {
 public:
  TorchExecutable(Graph g, const CompileOptions& opt, torch_be::Target target)
      : g_(std::move(g)), threads_(opt.threads), target_(target) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto inplace = torch_be::plan_inplace(g_);
    last_use_ = torch_be::last_use(g_);
    for (size_t i = 0; i < g_.nodes.size(); ++i) steps_.push_back(prepare(g_.nodes[i], inplace[i]));
    for (const Step& s : steps_) calls_ += s.calls;
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
      execute(steps_[i], v);
      release(i, v);
    }
    torch_be::synchronize(target_);  // kernels are queued asynchronously on cuda: a host timer must wait for them
    collect(v, outputs);
    if (trace_) trace_->end();
  }

  std::vector<LayerTime> profile_layers(const std::vector<Tensor>& inputs, int iterations) override {
    torch_be::check_inputs(g_, inputs);
    torch_be::set_threads(threads_);
    torch_be::apply_precision(target_);
    c10::InferenceMode guard;
    std::vector<double> ms(steps_.size(), 0.0);
    for (int it = 0; it < iterations; ++it) {
      std::vector<at::Tensor> v(g_.values.size());
      for (size_t i = 0; i < inputs.size(); ++i) v[static_cast<size_t>(g_.inputs[i])] = torch_be::to_at(inputs[i], target_, false);
      torch_be::synchronize(target_);
      for (size_t i = 0; i < steps_.size(); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        execute(steps_[i], v);
        torch_be::synchronize(target_);
        ms[i] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        release(i, v);
      }
    }
    std::vector<LayerTime> out;
    for (size_t i = 0; i < steps_.size(); ++i)
      out.push_back({steps_[i].node->name, op_name(steps_[i].node->op), ms[i] / std::max(iterations, 1)});
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
  at::Tensor param(const Node& n, const char* name) const { return torch_be::to_at(n.param(name), target_, true); }

  Step prepare(const Node& n, bool inplace) const {
    Step s;
    s.node = &n;
    s.inplace = inplace;
    switch (n.op) {
      case Op::Conv2d:
        s.w = {param(n, "weight")};
        if (n.has_param("bias")) s.bias = param(n, "bias");
        s.calls = symmetric(n.attr<Conv2dAttrs>()) ? 1 : 2;
        break;
      case Op::BatchNorm:
        s.w = {param(n, "weight"), param(n, "bias"), param(n, "running_mean"), param(n, "running_var")};
        break;
      case Op::Linear:
        s.w = {param(n, "weight")};
        if (n.has_param("bias")) s.bias = param(n, "bias");
        break;
      case Op::MaxPool:
        s.calls = symmetric(n.attr<PoolAttrs>()) ? 1 : 3;
        break;
      case Op::AvgPool:
        if (!symmetric(n.attr<PoolAttrs>())) {
          const Shape& x = g_.value(n.inputs[0]).shape;
          const Shape& y = g_.value(n.outputs[0]).shape;
          s.divisor = torch_be::avg_pool_divisor(n.attr<PoolAttrs>(), x[2], x[3], y[2], y[3]).to(target_.device, target_.dtype);
          s.calls = 4;
        }
        break;
      case Op::HardSigmoid:
        s.calls = torch_be::is_torch_hardsigmoid(n.attr<HardSigmoidAttrs>()) ? 1 : 3;
        break;
      case Op::ChannelShuffle: s.calls = 4; break;
      case Op::Identity: s.calls = 0; break;
      default: break;
    }
    return s;
  }

  // Pads, then crops what ceil mode would have kept from the explicit padding (PyTorch drops a last window
  // that starts in the right padding, which explicit padding turns into input).
  at::Tensor crop(const at::Tensor& y, const Node& n) const {
    const Shape& out = g_.value(n.outputs[0]).shape;
    return y.narrow(2, 0, out[2]).narrow(3, 0, out[3]);
  }

  void execute(const Step& s, std::vector<at::Tensor>& v) const {
    const Node& n = *s.node;
    const at::Tensor& x = v[static_cast<size_t>(n.inputs[0])];
    at::Tensor y;
    switch (n.op) {
      case Op::Conv2d: {
        const auto& a = n.attr<Conv2dAttrs>();
        if (symmetric(a)) {
          y = at::conv2d(x, s.w[0], s.bias, {a.stride_h, a.stride_w}, {a.pad_top, a.pad_left},
                         {a.dilation_h, a.dilation_w}, a.groups);
        } else {  // as TensorFlow-ported models do it in PyTorch: F.pad, then an unpadded conv
          at::Tensor p = at::constant_pad_nd(x, {a.pad_left, a.pad_right, a.pad_top, a.pad_bottom}, 0);
          y = at::conv2d(p, s.w[0], s.bias, {a.stride_h, a.stride_w}, at::IntArrayRef{0, 0},
                         {a.dilation_h, a.dilation_w}, a.groups);
        }
        break;
      }
      case Op::BatchNorm:
        y = at::batch_norm(x, s.w[0], s.w[1], s.w[2], s.w[3], /*training=*/false, /*momentum=*/0.1,
                           n.attr<BatchNormAttrs>().eps, /*cudnn_enabled=*/true);
        break;
      case Op::Relu: y = s.inplace ? at::relu_(v[static_cast<size_t>(n.inputs[0])]) : at::relu(x); break;
      case Op::Relu6:
        y = s.inplace ? at::hardtanh_(v[static_cast<size_t>(n.inputs[0])], 0.0, 6.0) : at::hardtanh(x, 0.0, 6.0);
        break;
      case Op::Sigmoid: y = at::sigmoid(x); break;
      case Op::HardSigmoid: {
        const auto& a = n.attr<HardSigmoidAttrs>();
        y = torch_be::is_torch_hardsigmoid(a) ? at::hardsigmoid(x)
                                              : at::add(at::mul(x, a.alpha), a.beta).clamp_(0.0, 1.0);
        break;
      }
      case Op::Silu: y = s.inplace ? at::silu_(v[static_cast<size_t>(n.inputs[0])]) : at::silu(x); break;
      case Op::HardSwish:
        y = s.inplace ? at::hardswish_(v[static_cast<size_t>(n.inputs[0])]) : at::hardswish(x);
        break;
      case Op::Add: {
        const at::Tensor& b = v[static_cast<size_t>(n.inputs[1])];
        y = s.inplace ? v[static_cast<size_t>(n.inputs[0])].add_(b) : at::add(x, b);
        break;
      }
      case Op::Mul: y = at::mul(x, v[static_cast<size_t>(n.inputs[1])]); break;
      case Op::Concat: {
        std::vector<at::Tensor> xs;
        for (ValueId id : n.inputs) xs.push_back(v[static_cast<size_t>(id)]);
        y = at::cat(xs, n.attr<AxisAttrs>().axis);
        break;
      }
      case Op::Split: {
        auto parts = at::split_with_sizes(x, n.attr<SplitAttrs>().sizes, 1);
        for (size_t i = 0; i < parts.size(); ++i) v[static_cast<size_t>(n.outputs[i])] = parts[i];
        return;
      }
      case Op::ChannelShuffle: {  // torchvision's shufflenetv2.channel_shuffle
        const int64_t g = n.attr<ChannelShuffleAttrs>().groups;
        const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        y = at::transpose(x.reshape({b, g, c / g, h, w}), 1, 2).contiguous().view({b, -1, h, w});
        break;
      }
      case Op::MaxPool: {
        const auto& a = n.attr<PoolAttrs>();
        if (symmetric(a)) {
          y = at::max_pool2d(x, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {a.pad_top, a.pad_left}, {1, 1},
                             a.ceil_mode);
        } else {
          at::Tensor p = at::constant_pad_nd(x, {a.pad_left, a.pad_right, a.pad_top, a.pad_bottom},
                                             -std::numeric_limits<double>::infinity());
          y = crop(at::max_pool2d(p, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {0, 0}, {1, 1}, a.ceil_mode), n);
        }
        break;
      }
      case Op::AvgPool: {
        const auto& a = n.attr<PoolAttrs>();
        if (symmetric(a)) {
          y = at::avg_pool2d(x, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {a.pad_top, a.pad_left},
                             a.ceil_mode, a.count_include_pad);
        } else {
          at::Tensor p = at::constant_pad_nd(x, {a.pad_left, a.pad_right, a.pad_top, a.pad_bottom}, 0);
          at::Tensor sum = at::avg_pool2d(p, {a.kernel_h, a.kernel_w}, {a.stride_h, a.stride_w}, {0, 0}, a.ceil_mode,
                                          true, /*divisor_override=*/1);
          y = at::div(crop(sum, n), s.divisor);
        }
        break;
      }
      case Op::GlobalAvgPool: y = at::adaptive_avg_pool2d(x, {1, 1}); break;
      case Op::Flatten: {
        const int64_t axis = n.attr<AxisAttrs>().axis;
        y = axis == 1 ? at::flatten(x, 1) : x.reshape(g_.value(n.outputs[0]).shape);
        break;
      }
      case Op::Linear: y = at::linear(x, s.w[0], s.bias); break;
      case Op::Softmax: y = at::softmax(x, n.attr<AxisAttrs>().axis); break;
      case Op::Identity: y = x; break;
      case Op::Dropout: y = at::dropout(x, 0.5, /*train=*/false); break;
    }
    v[static_cast<size_t>(n.outputs[0])] = std::move(y);
  }

  // Drops every value whose last reader was step i, as Python frees a tensor when its last name goes.
  void release(size_t i, std::vector<at::Tensor>& v) const {
    for (ValueId id : g_.nodes[i].inputs)
      if (last_use_[static_cast<size_t>(id)] == static_cast<int>(i) && !is_output(id)) v[static_cast<size_t>(id)].reset();
  }
  bool is_output(ValueId id) const { return std::find(g_.outputs.begin(), g_.outputs.end(), id) != g_.outputs.end(); }

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
    for (const Step& s : steps_) c += s.inplace;
    return c;
  }

  Graph g_;
  int threads_;
  torch_be::Target target_;
  std::vector<Step> steps_;
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
