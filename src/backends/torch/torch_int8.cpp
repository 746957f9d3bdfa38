#include "backends/torch/torch_int8.h"

#include <chrono>
#include <map>

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <torch/custom_class.h>

#include "backends/calibrate.h"
#include "backends/torch/eager_ops.h"
#include "backends/torch/torch_common.h"
#include "core/error.h"
#include "ir/passes/pipeline.h"

namespace fb::torch_be {
namespace {

using ConvPacked = c10::intrusive_ptr<ConvPackedParamsBase<2>>;
using LinearPacked = c10::intrusive_ptr<LinearPackedParamsBase>;

// The engine a PyTorch user on this CPU gets: x86 (FBGEMM + oneDNN, LibTorch 2.x) or FBGEMM where built in
// (upstream wheels), else oneDNN (Debian builds without FBGEMM), else QNNPACK (ARM-first kernels).
at::QEngine pick_engine() {
  const auto& have = at::globalContext().supportedQEngines();
  for (at::QEngine e : {at::kX86, at::kFBGEMM, at::kONEDNN, at::kQNNPACK})
    if (std::find(have.begin(), have.end(), e) != have.end()) return e;
  fail("backend 'torch': this LibTorch ({}) has no quantized engine for int8", libtorch_version());
}

std::string engine_list() {
  std::string s;
  for (at::QEngine e : at::globalContext().supportedQEngines())
    if (e != at::kNoQEngine) s += (s.empty() ? "" : ", ") + c10::toString(e);
  return s;
}

// A calibrated value as a quint8 tensor's parameters: u8 keeps zero point 0; s8 (zero point 0 in [-127, 127])
// is the same grid shifted to zero point 128, since the x86 engines take unsigned activations only.
struct TorchQ {
  double scale = 1;
  int64_t zero_point = 0;
};
TorchQ torch_q(const QParams& q) { return {q.scale, q.type == QType::U8 ? 0 : 128}; }

c10::OperatorHandle op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
}

ConvPacked prepack_conv(const at::Tensor& wq, const c10::optional<at::Tensor>& bias, const Conv2dAttrs& a, bool pad) {
  torch::jit::Stack st;
  st.emplace_back(wq);
  st.emplace_back(bias);
  st.emplace_back(std::vector<int64_t>{a.stride_h, a.stride_w});
  st.emplace_back(pad ? std::vector<int64_t>{a.pad_top, a.pad_left} : std::vector<int64_t>{0, 0});
  st.emplace_back(std::vector<int64_t>{a.dilation_h, a.dilation_w});
  st.emplace_back(static_cast<int64_t>(a.groups));
  op("quantized::conv2d_prepack").callBoxed(&st);
  return st.at(0).toCustomClass<ConvPackedParamsBase<2>>();
}

LinearPacked prepack_linear(const at::Tensor& wq, const c10::optional<at::Tensor>& bias) {
  torch::jit::Stack st;
  st.emplace_back(wq);
  st.emplace_back(bias);
  op("quantized::linear_prepack").callBoxed(&st);
  return st.at(0).toCustomClass<LinearPackedParamsBase>();
}

// Per-output-channel symmetric s8 weights (PyTorch's per_channel_symmetric qint8 observer, reduce_range off).
at::Tensor quantize_weight(const Tensor& w) {
  const std::vector<float> s = per_channel_weight_scales(w);
  const at::Tensor scales = at::tensor(std::vector<double>(s.begin(), s.end()), at::kDouble);
  const at::Tensor zero = at::zeros({static_cast<int64_t>(s.size())}, at::kLong);
  return at::quantize_per_channel(to_at(w, c10::Device(c10::kCPU), true), scales, zero, 0, at::kQInt8);
}

enum class Kind {
  Conv,     // quantized::conv2d(_relu), a following ReLU fused; ReLU6 by quantizing at its output's scale
  Add,      // quantized::add(_relu)
  Cat,      // quantized::cat
  Linear,   // quantized::linear
  Quant,    // an eager ATen call that takes quantized tensors as they are (pooling, ReLU, views)
  Float,    // no quantized kernel used: dequantize, the fp32 call, quantize
};

struct QStep {
  Kind kind = Kind::Float;
  const Node* node = nullptr;
  ValueId out = -1;  // the value this step writes (a fused activation's output)
  TorchQ q;          // its quantization (Conv, Add, Cat, Linear, Float)
  bool relu = false;
  std::vector<int64_t> pad;  // an asymmetric conv's explicit padding (left, right, top, bottom)
  ConvPacked conv;
  LinearPacked linear;
  EagerStep eager;  // Quant and Float
  bool fused = false;  // a ReLU or ReLU6 folded into this step
};

class TorchInt8Executable : public Executable {
 public:
  TorchInt8Executable(Graph g, const CompileOptions& opt) : g_(std::move(g)), threads_(opt.threads) {
    const auto t0 = std::chrono::steady_clock::now();
    engine_ = pick_engine();
    at::globalContext().setQEngine(engine_);  // packed weights belong to the engine current when packed
    const CalibrationOptions co = calibration_options("torch", opt);
    // 7-bit activations where u8 x s8 pair sums would saturate (no VNNI): PyTorch's x86 qconfig does the same,
    // and so does the onednn backend, so both int8 backends keep one set of scales.
    const bool reduce_range = !cpu_has_int8_dot_product();
    for (const auto& [name, range] : calibrate(g_, co)) q_[name] = activation_params(range, reduce_range);
    calibration_inputs_ = co.inputs;
    last_use_ = last_use(g_);
    read_.assign(g_.values.size(), false);
    for (const Node& n : g_.nodes)
      for (ValueId id : n.inputs) read_[static_cast<size_t>(id)] = true;
    plan();
    compile_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  void run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) override {
    check_inputs(g_, inputs);
    set_threads(threads_);
    if (at::globalContext().qEngine() != engine_) at::globalContext().setQEngine(engine_);
    c10::InferenceMode guard;
    std::vector<at::Tensor> v(g_.values.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const ValueId id = g_.inputs[i];
      v[static_cast<size_t>(id)] = quantize(to_at(inputs[i], c10::Device(c10::kCPU), false), id);
    }
    for (const QStep& s : steps_) {
      execute(s, v);
      release(s, v);
    }
    outputs.resize(g_.outputs.size());
    for (size_t i = 0; i < g_.outputs.size(); ++i) {
      const at::Tensor& t = v[static_cast<size_t>(g_.outputs[i])];
      if (!t.defined()) fail("model '{}': output '{}' was not computed", g_.name, g_.value(g_.outputs[i]).name);
      from_at(t.is_quantized() ? at::dequantize(t) : t, outputs[i]);
    }
  }

  Description describe() const override {
    Description d;
    d.backend = "torch";
    d.ops_executed = static_cast<int64_t>(steps_.size());
    d.naive_activation_bytes = naive_activation_bytes(g_);
    d.compile_ms = compile_ms_;
    std::map<std::string, int> quantized, fp32;
    for (const QStep& s : steps_) {
      if (s.kind == Kind::Float) {
        fp32[op_name(s.node->op)]++;
        continue;
      }
      std::string k = op_name(s.node->op);
      if (s.fused) k += s.relu ? "+Relu" : "+Relu6";
      quantized[k]++;
    }
    const auto list = [](const std::map<std::string, int>& m) {
      std::string out;
      for (const auto& [k, n] : m) out += fmt::format("{}{} x{}", out.empty() ? "" : ", ", k, n);
      return out.empty() ? std::string("none") : out;
    };
    d.notes.push_back(fmt::format(
        "int8 eager (PyTorch static quantization): engine {} (this LibTorch has {}), quint8 activations in "
        "channels-last, per-output-channel qint8 weights, BatchNorm folded into the convolutions",
        c10::toString(engine_), engine_list()));
    d.notes.push_back(fmt::format("int8: {}; fp32 between dequantize and quantize (no quantized kernel used): {}",
                                  list(quantized), list(fp32)));
    d.notes.push_back(fmt::format(
        "int8: activation scales from {} calibration inputs on the reference backend, the same as onednn's (u8 "
        "after ReLU, else s8 as quint8 with zero point 128; {})",
        calibration_inputs_, cpu_has_int8_dot_product() ? "8-bit" : "7-bit: no VNNI dot products on this CPU"));
    if (engine_ == at::kONEDNN) {
      const std::string v = libtorch_onednn_version();
      d.notes.push_back(fmt::format("int8: LibTorch's oneDNN engine (ideep) runs on oneDNN {} (LibTorch's build; the "
                                    "onednn backend's release is in its own notes)",
                                    v.empty() ? "of an unstated release" : v));
    }
    for (auto& n : runtime_notes(threads_)) d.notes.push_back(std::move(n));
    return d;
  }

 private:
  const QParams& calibrated(ValueId v) const {
    const auto it = q_.find(g_.value(v).name);
    if (it == q_.end()) fail("torch int8: no calibrated range for value '{}'", g_.value(v).name);
    return it->second;
  }
  at::Tensor quantize(const at::Tensor& x, ValueId v) const {
    const TorchQ q = torch_q(calibrated(v));
    at::Tensor y = at::quantize_per_tensor(x, q.scale, q.zero_point, at::kQUInt8);
    return y.dim() == 4 ? y.contiguous(at::MemoryFormat::ChannelsLast) : y;
  }

  // A ReLU (or ReLU6) that reads `v` alone and may be folded into v's producer.
  const Node* sole_activation(ValueId v, const std::vector<std::vector<NodeId>>& consumers) const {
    if (g_.is_output(v) || consumers[static_cast<size_t>(v)].size() != 1) return nullptr;
    const Node& n = g_.nodes[static_cast<size_t>(consumers[static_cast<size_t>(v)][0])];
    return n.op == Op::Relu || n.op == Op::Relu6 ? &n : nullptr;
  }

  void plan() {
    const auto consumers = g_.consumers();
    const Target fp32;
    std::vector<bool> folded(g_.nodes.size(), false);
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (folded[i]) continue;
      const Node& n = g_.nodes[i];
      QStep s;
      s.node = &n;
      s.out = n.outputs[0];
      // ReLU6 folds by quantizing at its output's u8 scale, so only where that range ends at or below 6 (an
      // all-zero output has scale 1 and would end at 255).
      const auto relu6_foldable = [&](const Node& act) {
        const QParams& q = calibrated(act.outputs[0]);
        return q.type == QType::U8 && q.scale * q.qmax() <= 6.0f * (1 + 1e-6f);
      };
      const auto fold = [&](Kind kind, bool relu6_ok) {
        s.kind = kind;
        if (const Node* act = sole_activation(n.outputs[0], consumers);
            act && (act->op == Op::Relu || (relu6_ok && relu6_foldable(*act)))) {
          s.relu = act->op == Op::Relu;
          s.out = act->outputs[0];
          s.fused = true;
          folded[static_cast<size_t>(act - g_.nodes.data())] = true;
        }
        s.q = torch_q(calibrated(s.out));
      };
      switch (n.op) {
        case Op::Conv2d: {
          // ReLU6 folds by quantizing at its output's u8 scale: saturation at that range is the clamp.
          fold(Kind::Conv, /*relu6_ok=*/true);
          const auto& a = n.attr<Conv2dAttrs>();
          if (!symmetric(a)) s.pad = {a.pad_left, a.pad_right, a.pad_top, a.pad_bottom};
          c10::optional<at::Tensor> bias;
          if (n.has_param("bias")) bias = to_at(n.param("bias"), c10::Device(c10::kCPU), true);
          s.conv = prepack_conv(quantize_weight(n.param("weight")), bias, a, s.pad.empty());
          break;
        }
        case Op::Add:
          if (g_.value(n.inputs[0]).shape != g_.value(n.inputs[1]).shape) {  // broadcast: fp32
            s.kind = Kind::Float;
            s.q = torch_q(calibrated(s.out));
          } else {
            fold(Kind::Add, false);
          }
          break;
        case Op::Concat:
          s.kind = Kind::Cat;
          s.q = torch_q(calibrated(s.out));
          break;
        case Op::Linear: {
          fold(Kind::Linear, false);
          c10::optional<at::Tensor> bias;
          if (n.has_param("bias")) bias = to_at(n.param("bias"), c10::Device(c10::kCPU), true);
          s.linear = prepack_linear(quantize_weight(n.param("weight")), bias);
          break;
        }
        case Op::MaxPool: case Op::AvgPool:
          s.kind = symmetric(n.attr<PoolAttrs>()) ? Kind::Quant : Kind::Float;  // asymmetric: pads with -inf / divides
          break;
        case Op::GlobalAvgPool: case Op::Relu: case Op::Flatten: case Op::Identity: case Op::Dropout:
        case Op::Split: case Op::ChannelShuffle:
          s.kind = Kind::Quant;
          break;
        default:  // BatchNorm left unfolded, Relu6 alone, sigmoid-like activations, Mul, Softmax
          s.kind = Kind::Float;
          break;
      }
      if (s.kind == Kind::Quant || s.kind == Kind::Float) {
        s.eager = prepare_eager(g_, n, /*inplace=*/false, fp32);
        if (s.kind == Kind::Float) s.q = torch_q(calibrated(s.out));
      }
      steps_.push_back(std::move(s));
    }
  }

  void execute(const QStep& s, std::vector<at::Tensor>& v) const {
    const Node& n = *s.node;
    const auto in = [&](size_t k) -> const at::Tensor& { return v[static_cast<size_t>(n.inputs[k])]; };
    at::Tensor& y = v[static_cast<size_t>(s.out)];
    switch (s.kind) {
      case Kind::Conv: {
        at::Tensor x = in(0);
        // TensorFlow-ported models pad explicitly (F.pad, then an unpadded conv); quantized zero is the zero point.
        if (!s.pad.empty()) x = at::constant_pad_nd(x, s.pad, 0).contiguous(at::MemoryFormat::ChannelsLast);
        y = s.relu ? s.conv->apply_relu(x, s.q.scale, s.q.zero_point) : s.conv->apply(x, s.q.scale, s.q.zero_point);
        return;
      }
      case Kind::Add: {
        static const auto add = op("quantized::add").typed<at::Tensor(at::Tensor, at::Tensor, double, int64_t)>();
        static const auto add_relu = op("quantized::add_relu").typed<at::Tensor(at::Tensor, at::Tensor, double, int64_t)>();
        y = (s.relu ? add_relu : add).call(in(0), in(1), s.q.scale, s.q.zero_point);
        return;
      }
      case Kind::Cat: {
        c10::List<at::Tensor> xs;
        for (size_t k = 0; k < n.inputs.size(); ++k) xs.push_back(in(k));
        torch::jit::Stack st{c10::IValue(xs), c10::IValue(static_cast<int64_t>(n.attr<AxisAttrs>().axis)),
                             c10::IValue(s.q.scale), c10::IValue(s.q.zero_point)};
        op("quantized::cat").callBoxed(&st);
        y = st.at(0).toTensor();
        return;
      }
      case Kind::Linear:
        y = s.relu ? s.linear->apply_relu(in(0), s.q.scale, s.q.zero_point) : s.linear->apply(in(0), s.q.scale, s.q.zero_point);
        return;
      case Kind::Quant:
        execute_eager(g_, s.eager, v);
        return;
      case Kind::Float: {
        std::vector<at::Tensor> saved;
        for (ValueId id : n.inputs) {
          at::Tensor& x = v[static_cast<size_t>(id)];
          saved.push_back(x);
          if (x.is_quantized()) x = at::dequantize(x);
        }
        execute_eager(g_, s.eager, v);
        for (size_t k = n.inputs.size(); k-- > 0;) v[static_cast<size_t>(n.inputs[k])] = saved[k];  // x * x: once
        // A value only the caller reads stays fp32, as after a user's DeQuantStub.
        for (ValueId o : n.outputs)
          if (read_[static_cast<size_t>(o)]) v[static_cast<size_t>(o)] = quantize(v[static_cast<size_t>(o)], o);
        return;
      }
    }
  }

  // Drops every value whose last reader was this step's node. (A folded activation reads only its producer's
  // result, which is never stored.)
  void release(const QStep& s, std::vector<at::Tensor>& v) const {
    const auto index = static_cast<int>(s.node - g_.nodes.data());
    for (ValueId id : s.node->inputs)
      if (last_use_[static_cast<size_t>(id)] == index && !g_.is_output(id)) v[static_cast<size_t>(id)].reset();
  }

  Graph g_;
  int threads_;
  at::QEngine engine_ = at::kNoQEngine;
  std::map<std::string, QParams> q_;
  int calibration_inputs_ = 0;
  std::vector<int> last_use_;
  std::vector<bool> read_;  // per value: does a node read it
  std::vector<QStep> steps_;
  double compile_ms_ = 0;
};

}  // namespace

std::unique_ptr<Executable> compile_int8(const Graph& g, const CompileOptions& opt) {
  Graph work = g;
  passes::run_inference_pipeline(work);  // BatchNorm folded into convolutions, as torch.ao's fuse_modules does
  c10::InferenceMode guard;
  return std::make_unique<TorchInt8Executable>(std::move(work), opt);
}

}  // namespace fb::torch_be
