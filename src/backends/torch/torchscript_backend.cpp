// The `torchscript` backend: the graph as a TorchScript module, frozen (torch::jit::freeze folds weights
// into constants and BatchNorm into convolutions) and passed through torch::jit::optimize_for_inference
// (oneDNN-prepacked convolutions, conv+add+relu fusion, ...): PyTorch's own inference optimisation, the fair
// framework-level comparison for the accelerated backends.
#include <chrono>
#include <map>
#include <utility>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/passes/tensorexpr_fuser.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "backends/compare.h"
#include "backends/torch/torch_common.h"
#include "backends/torch/torchscript_source.h"
#include "core/error.h"

namespace fb {
namespace {

// How far optimize_for_inference may move the frozen module's results (fp32; reduced precisions round more).
double self_check_tol(Precision p) { return p == Precision::F16 ? 5e-2 : p == Precision::TF32 ? 1e-2 : 1e-4; }

// Nodes of the optimised graph that do no work of their own.
bool is_bookkeeping(const std::string& kind) {
  return kind == "prim::Constant" || kind == "prim::ListConstruct" || kind == "prim::TupleConstruct" ||
         kind == "prim::GetAttr" || kind == "prim::ListUnpack" || kind == "prim::TupleUnpack" ||
         kind == "aten::__getitem__" || kind == "prim::ConstantMKLDNNTensor";
}

class TorchScriptExecutable : public Executable {
 public:
  TorchScriptExecutable(const Graph& g, const CompileOptions& opt, torch_be::Target target)
      : g_(g), threads_(opt.threads), target_(target), module_("unset") {
    const auto t0 = std::chrono::steady_clock::now();
    torch_be::ScriptSource src = torch_be::to_torchscript(g_);
    batch_norms_ = src.batch_norms;
    torch::jit::Module m("formbench_model");
    for (auto& [name, t] : src.params) m.register_parameter(name, t.to(target_.device, target_.dtype), /*is_buffer=*/false);
    try {
      m.define(src.forward);
    } catch (const std::exception& e) {
      fail("torchscript: LibTorch rejected the module generated for model '{}': {}", g_.name, e.what());
    }
    m.eval();
#if TORCH_VERSION_MAJOR >= 2
    // LibTorch 2.x's profiling executor hands CPU graphs to the TensorExpr fuser, whose depthwise-convolution
    // lowering crashes the process (a null loop in LoopNest::sliceTail, LibTorch 2.6: MobileNets,
    // ShuffleNet, EfficientNet, MNASNet). A crashing baseline measures nothing, so that fuser stays off; the
    // freeze/optimize_for_inference rewrites (BN folding, oneDNN convolutions) are unaffected.
    torch::jit::setTensorExprFuserEnabled(false);
    notes_.push_back("TensorExpr fuser off (LibTorch 2.x crashes compiling depthwise convolutions with it)");
#endif
    module_ = torch::jit::freeze(m);
    // Guard against optimiser bugs: LibTorch 1.13's oneDNN conversion computes hardtanh (ReLU6), hardswish,
    // hardsigmoid and clamp wrongly on oneDNN-layout tensors whose channel count is not a multiple of 16
    // (the element-wise ops run over the padded blocks). A baseline that computes something else is no
    // baseline: such models run the frozen module (still BatchNorm-folded) without optimize_for_inference,
    // and so does any model whose optimised module disagrees with the frozen one on a probe input.
    if (const std::string op = target_.device.is_cpu() ? buggy_eltwise_op() : ""; !op.empty()) {
      fallback_ = fmt::format(
          "optimize_for_inference not used: its oneDNN {} is wrong for channel counts that are not a multiple "
          "of 16 (LibTorch bug); running the frozen module",
          op);
    } else {
      const auto probe = make_inputs(g_, 977);
      std::vector<Tensor> want, got;
      run_module(probe, want);
      module_ = torch::jit::optimize_for_inference(module_);  // rewrites the frozen module's graph in place
      run_module(probe, got);
      for (size_t i = 0; i < want.size() && fallback_.empty(); ++i) {
        const double tol = self_check_tol(target_.precision);
        Agreement a = compare_outputs(want[i], got[i], tol);
        if (!a.passed(tol)) {
          fallback_ = fmt::format(
              "optimize_for_inference not used: it changed the results (output {}: {}), a LibTorch optimiser "
              "bug; running the frozen module",
              i, a.summary());
          module_ = torch::jit::freeze(m);
        }
      }
    }
    summarise_graph();
    // The profiling executor specialises the graph on its first runs; do them here, not in the timing.
    std::vector<Tensor> outs;
    const auto warm = make_inputs(g_, 977);
    for (int i = 0; i < 2; ++i) run_module(warm, outs);
    compile_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  void run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) override {
    torch_be::check_inputs(g_, inputs);
    run_module(inputs, outputs);
  }

  void run_module(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
    torch_be::set_threads(threads_);
    torch_be::apply_precision(target_);
    c10::InferenceMode guard;
    std::vector<c10::IValue> args;
    for (const Tensor& t : inputs) args.emplace_back(torch_be::to_at(t, target_, false));
    c10::IValue result = module_.forward(args);
    torch_be::synchronize(target_);
    outputs.resize(g_.outputs.size());
    if (result.isTuple()) {
      const auto& elems = result.toTupleRef().elements();
      for (size_t i = 0; i < outputs.size(); ++i) torch_be::from_at(elems.at(i).toTensor(), outputs[i]);
    } else {
      torch_be::from_at(result.toTensor(), outputs[0]);
    }
  }

  Description describe() const override {
    Description d;
    d.backend = "torchscript";
    d.ops_executed = ops_;
    d.naive_activation_bytes = torch_be::naive_activation_bytes(g_);
    d.compile_ms = compile_ms_;
    d.fusions = fusions_;
    d.reorders = reorders_;
    std::string kinds;
    for (const auto& [k, c] : kinds_) kinds += fmt::format("{}{} x{}", kinds.empty() ? "" : ", ", k, c);
    if (fallback_.empty()) d.notes.push_back("frozen + optimize_for_inference; optimised graph: " + kinds);
    else d.notes.push_back(fallback_ + "; frozen graph: " + kinds);
    d.notes.insert(d.notes.end(), notes_.begin(), notes_.end());
    for (auto& n : torch_be::runtime_notes(threads_)) d.notes.push_back(std::move(n));
    return d;
  }

 private:
  // The element-wise op of the frozen graph that LibTorch's oneDNN conversion would get wrong here.
  std::string buggy_eltwise_op() {
    bool odd_channels = false;
    for (const Node& n : g_.nodes)
      if (n.op == Op::Conv2d && n.attr<Conv2dAttrs>().out_channels % 16 != 0) odd_channels = true;
    if (!odd_channels) return "";
    for (const torch::jit::Node* n : module_.get_method("forward").graph()->nodes()) {
      const std::string kind = n->kind().toQualString();
      for (const char* bad : {"aten::hardtanh", "aten::hardswish", "aten::hardsigmoid", "aten::clamp"})
        if (kind.rfind(bad, 0) == 0) return kind;
    }
    return "";
  }

  // Counts what the optimiser left: kernels per inference, layout conversions, folded BatchNorms.
  void summarise_graph() {
    auto graph = module_.get_method("forward").graph();
    int bn_left = 0;
    for (const torch::jit::Node* n : graph->nodes()) {
      const std::string kind = n->kind().toQualString();
      if (is_bookkeeping(kind)) continue;
      ++ops_;
      ++kinds_[kind];
      if (kind == "aten::batch_norm") ++bn_left;
      if (kind == "aten::to_dense" || kind == "aten::to_mkldnn") reorders_.push_back(kind);
    }
    if (batch_norms_ > bn_left)
      fusions_.push_back(fmt::format("{} BatchNorm folded into convolutions by freeze", batch_norms_ - bn_left));
    for (const auto& [k, c] : kinds_)
      if (k.find("mkldnn") != std::string::npos || k.find("prepacked") != std::string::npos ||
          k.find("fused") != std::string::npos)
        fusions_.push_back(fmt::format("{} x{}", k, c));
  }

  Graph g_;
  int threads_;
  torch_be::Target target_;
  std::string fallback_;  // why optimize_for_inference's module was not used (empty: it was)
  torch::jit::Module module_;
  int batch_norms_ = 0;
  int64_t ops_ = 0;
  std::map<std::string, int> kinds_;
  std::vector<std::string> fusions_, reorders_, notes_;
  double compile_ms_ = 0;
};

class TorchScriptBackend : public Backend {
 public:
  std::string name() const override { return "torchscript"; }
  std::string summary() const override {
    return fmt::format("LibTorch {} TorchScript: frozen + optimize_for_inference (PyTorch's own inference optimisation)",
                       torch_be::libtorch_version());
  }
  Support supports(const Graph& g, const Node& n, const CompileOptions&) const override {
    return torch_be::supports_node(g, n);
  }
  nlohmann::json diagnostics(const CompileOptions& opt) const override { return torch_be::diagnostics(*this, opt); }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    const torch_be::Target target = torch_be::check_options(*this, opt);
    check_supported(*this, g, opt);
    if (!weights_materialized(g)) fail("model '{}' has no weights yet (materialize_weights first)", g.name);
    torch_be::set_threads(opt.threads);
    return std::make_unique<TorchScriptExecutable>(g, opt, target);
  }
};

}  // namespace

std::unique_ptr<Backend> make_torchscript_backend() { return std::make_unique<TorchScriptBackend>(); }

}  // namespace fb
