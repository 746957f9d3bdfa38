// The reference backend: runs the graph node by node with the plain loops of reference_ops.cpp.
#include <chrono>

#include <fmt/format.h>

#include "backends/backend.h"
#include "backends/reference/reference_ops.h"
#include "core/error.h"

namespace fb {
namespace {

class ReferenceExecutable : public Executable {
 public:
  ReferenceExecutable(Graph g, double compile_ms) : g_(std::move(g)), compile_ms_(compile_ms) {}

  void run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) override {
    if (inputs.size() != g_.inputs.size())
      fail("model '{}' takes {} input(s), got {}", g_.name, g_.inputs.size(), inputs.size());
    std::vector<Tensor> v(g_.values.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Shape& want = g_.value(g_.inputs[i]).shape;
      if (inputs[i].shape() != want)
        fail("input '{}' must be {}, got {}", g_.value(g_.inputs[i]).name, shape_str(want), shape_str(inputs[i].shape()));
      v[static_cast<size_t>(g_.inputs[i])] = inputs[i];
    }
    for (const Node& n : g_.nodes) execute(n, v);
    outputs.clear();
    for (ValueId o : g_.outputs) outputs.push_back(v[static_cast<size_t>(o)]);
  }

  Description describe() const override {
    Description d;
    d.backend = "reference";
    d.ops_executed = static_cast<int64_t>(g_.nodes.size());
    d.compile_ms = compile_ms_;
    d.notes.push_back("plain loops, one thread: the numerical oracle, not a performance baseline");
    return d;
  }

 private:
  void execute(const Node& n, std::vector<Tensor>& v) {
    auto in = [&](size_t i) -> const Tensor& { return v[static_cast<size_t>(n.inputs[i])]; };
    const Shape& out_shape = g_.value(n.outputs[0]).shape;
    Tensor y;
    switch (n.op) {
      case Op::Conv2d:
        y = ref::conv2d(in(0), n.param("weight"), n.has_param("bias") ? &n.param("bias") : nullptr,
                        n.attr<Conv2dAttrs>(), out_shape);
        break;
      case Op::BatchNorm:
        y = ref::batch_norm(in(0), n.param("weight"), n.param("bias"), n.param("running_mean"),
                            n.param("running_var"), n.attr<BatchNormAttrs>().eps);
        break;
      case Op::Relu: y = ref::relu(in(0)); break;
      case Op::Relu6: y = ref::relu6(in(0)); break;
      case Op::Sigmoid: y = ref::sigmoid(in(0)); break;
      case Op::HardSigmoid: y = ref::hard_sigmoid(in(0), n.attr<HardSigmoidAttrs>()); break;
      case Op::Silu: y = ref::silu(in(0)); break;
      case Op::HardSwish: y = ref::hard_swish(in(0)); break;
      case Op::Add: y = ref::add(in(0), in(1), out_shape); break;
      case Op::Mul: y = ref::mul(in(0), in(1), out_shape); break;
      case Op::Concat: {
        std::vector<const Tensor*> xs;
        for (size_t i = 0; i < n.inputs.size(); ++i) xs.push_back(&in(i));
        int64_t axis = n.attr<AxisAttrs>().axis;
        if (axis < 0) axis += static_cast<int64_t>(out_shape.size());
        y = ref::concat(xs, axis, out_shape);
        break;
      }
      case Op::Split: {
        std::vector<Tensor> parts = ref::split(in(0), n.attr<SplitAttrs>().sizes);
        for (size_t i = 0; i < parts.size(); ++i) v[static_cast<size_t>(n.outputs[i])] = std::move(parts[i]);
        return;
      }
      case Op::ChannelShuffle: y = ref::channel_shuffle(in(0), n.attr<ChannelShuffleAttrs>().groups); break;
      case Op::MaxPool: y = ref::max_pool(in(0), n.attr<PoolAttrs>(), out_shape); break;
      case Op::AvgPool: y = ref::avg_pool(in(0), n.attr<PoolAttrs>(), out_shape); break;
      case Op::GlobalAvgPool: y = ref::global_avg_pool(in(0)); break;
      case Op::Flatten: y = in(0).reshaped(out_shape); break;
      case Op::Linear:
        y = ref::linear(in(0), n.param("weight"), n.has_param("bias") ? &n.param("bias") : nullptr);
        break;
      case Op::Softmax: y = ref::softmax(in(0), n.attr<AxisAttrs>().axis); break;
      case Op::Identity: case Op::Dropout: y = in(0); break;
    }
    v[static_cast<size_t>(n.outputs[0])] = std::move(y);
  }

  Graph g_;
  double compile_ms_;
};

class ReferenceBackend : public Backend {
 public:
  std::string name() const override { return "reference"; }
  std::string summary() const override { return "plain loops for every op: the numerical oracle (slow)"; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    auto t0 = std::chrono::steady_clock::now();
    check_extra_options(*this, opt, {});
    if (opt.device != "cpu") fail("backend 'reference' runs on the cpu only, not on '{}'", opt.device);
    if (opt.precision != Precision::F32)
      fail("backend 'reference' computes in fp32 only, not {}", precision_name(opt.precision));
    if (!weights_materialized(g)) fail("model '{}' has no weights yet (materialize_weights first)", g.name);
    Graph copy = g;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return std::make_unique<ReferenceExecutable>(std::move(copy), ms);
  }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace fb
