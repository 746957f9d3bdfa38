// IR -> ONNX (opset 13). Each IR op becomes the ONNX op(s) an exporter such as PyTorch's emits for it;
// composites keep the IR node's name on their last ONNX node so stage/block names stay visible:
//   SiLU -> Sigmoid + Mul, HardSwish -> HardSigmoid(1/6, 1/2) + Mul (HardSwish itself is opset 14),
//   ReLU6 -> Clip with min/max inputs, ChannelShuffle -> Reshape-Transpose-Reshape, Linear -> Gemm(transB=1).
#include <cstring>
#include <fstream>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "core/error.h"
#include "onnx/onnx_io.h"

namespace fb {
namespace {

constexpr int k_opset = 13;

class Exporter {
 public:
  Exporter(const Graph& g, const OnnxExportOptions& opt) : g_(g), opt_(opt) {}

  onnx::ModelProto run() {
    if (!weights_materialized(g_)) fail("model '{}' has no weights yet: cannot export it", g_.name);
    onnx::ModelProto m;
    m.set_ir_version(7);  // the IR version that goes with opset 13
    m.set_producer_name("formbench");
    m.set_model_version(1);
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(k_opset);
    gp_ = m.mutable_graph();
    gp_->set_name(g_.name);
    for (ValueId v : g_.inputs) value_info(gp_->add_input(), v);
    for (ValueId v : g_.outputs) value_info(gp_->add_output(), v);
    std::vector<bool> io(g_.values.size(), false);
    for (ValueId v : g_.inputs) io[static_cast<size_t>(v)] = true;
    for (ValueId v : g_.outputs) io[static_cast<size_t>(v)] = true;
    for (const Node& n : g_.nodes) {
      emit(n);
      for (ValueId v : n.outputs)
        if (!io[static_cast<size_t>(v)]) value_info(gp_->add_value_info(), v);
    }
    return m;
  }

 private:
  const std::string& vn(ValueId v) const { return g_.value(v).name; }

  void value_info(onnx::ValueInfoProto* vi, ValueId v) {
    vi->set_name(vn(v));
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    const Shape& s = g_.value(v).shape;
    for (size_t i = 0; i < s.size(); ++i) {
      auto* d = shape->add_dim();
      if (i == 0 && opt_.dynamic_batch) d->set_dim_param("batch");
      else d->set_dim_value(s[i]);
    }
  }

  onnx::NodeProto* node(const std::string& type, const std::string& name, std::vector<std::string> ins,
                        std::vector<std::string> outs) {
    auto* n = gp_->add_node();
    n->set_op_type(type);
    n->set_name(name);
    for (auto& i : ins) n->add_input(i);
    for (auto& o : outs) n->add_output(o);
    return n;
  }

  static void attr(onnx::NodeProto* n, const char* name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* n, const char* name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto* n, const char* name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }

  // Weights are stored as raw little-endian bytes, named "<node>.<param>" as PyTorch names them.
  std::string weight(const Node& n, const char* param) {
    const Tensor& t = n.param(param);
    std::string name = n.name + "." + param;
    auto* init = gp_->add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : t.shape()) init->add_dims(d);
    init->set_raw_data(reinterpret_cast<const char*>(t.data()), static_cast<size_t>(t.numel()) * sizeof(float));
    return name;
  }

  std::string const_floats(const std::string& name, const std::vector<float>& v, bool scalar) {
    auto* init = gp_->add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    if (!scalar) init->add_dims(static_cast<int64_t>(v.size()));
    for (float x : v) init->add_float_data(x);
    return name;
  }

  std::string const_ints(const std::string& name, const std::vector<int64_t>& v) {
    auto* init = gp_->add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::INT64);
    init->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) init->add_int64_data(x);
    return name;
  }

  static void pads(onnx::NodeProto* p, int64_t t, int64_t l, int64_t b, int64_t r) {
    attr(p, "pads", std::vector<int64_t>{t, l, b, r});
  }

  void emit(const Node& n) {
    std::vector<std::string> ins, outs;
    for (ValueId v : n.inputs) ins.push_back(vn(v));
    for (ValueId v : n.outputs) outs.push_back(vn(v));
    const std::string& x = ins.empty() ? n.name : ins[0];
    switch (n.op) {
      case Op::Conv2d: {
        const auto& a = n.attr<Conv2dAttrs>();
        ins.push_back(weight(n, "weight"));
        if (a.bias) ins.push_back(weight(n, "bias"));
        auto* p = node("Conv", n.name, ins, outs);
        attr(p, "kernel_shape", std::vector<int64_t>{a.kernel_h, a.kernel_w});
        attr(p, "strides", std::vector<int64_t>{a.stride_h, a.stride_w});
        attr(p, "dilations", std::vector<int64_t>{a.dilation_h, a.dilation_w});
        pads(p, a.pad_top, a.pad_left, a.pad_bottom, a.pad_right);
        attr(p, "group", a.groups);
        return;
      }
      case Op::BatchNorm: {
        for (const char* w : {"weight", "bias", "running_mean", "running_var"}) ins.push_back(weight(n, w));
        attr(node("BatchNormalization", n.name, ins, outs), "epsilon", n.attr<BatchNormAttrs>().eps);
        return;
      }
      case Op::Relu: node("Relu", n.name, ins, outs); return;
      case Op::Relu6:
        ins.push_back(const_floats(n.name + ".min", {0.0f}, true));
        ins.push_back(const_floats(n.name + ".max", {6.0f}, true));
        node("Clip", n.name, ins, outs);
        return;
      case Op::Sigmoid: node("Sigmoid", n.name, ins, outs); return;
      case Op::HardSigmoid: {
        auto* p = node("HardSigmoid", n.name, ins, outs);
        attr(p, "alpha", n.attr<HardSigmoidAttrs>().alpha);
        attr(p, "beta", n.attr<HardSigmoidAttrs>().beta);
        return;
      }
      case Op::Silu: {
        const std::string gate = n.name + "/sigmoid";
        node("Sigmoid", gate, {x}, {gate});
        node("Mul", n.name, {x, gate}, outs);
        return;
      }
      case Op::HardSwish: {
        const std::string gate = n.name + "/hardsigmoid";
        auto* p = node("HardSigmoid", gate, {x}, {gate});
        attr(p, "alpha", 1.0f / 6.0f);
        attr(p, "beta", 0.5f);
        node("Mul", n.name, {x, gate}, outs);
        return;
      }
      case Op::Add: node("Add", n.name, ins, outs); return;
      case Op::Mul: node("Mul", n.name, ins, outs); return;
      case Op::Concat: attr(node("Concat", n.name, ins, outs), "axis", n.attr<AxisAttrs>().axis); return;
      case Op::Split:
        ins.push_back(const_ints(n.name + ".split", n.attr<SplitAttrs>().sizes));
        attr(node("Split", n.name, ins, outs), "axis", int64_t{1});
        return;
      case Op::ChannelShuffle: {
        const Shape& s = g_.value(n.inputs[0]).shape;
        const int64_t groups = n.attr<ChannelShuffleAttrs>().groups;
        // 0 copies the batch dimension, so the idiom also works with a symbolic batch.
        const std::string r1 = n.name + "/reshape", tr = n.name + "/transpose";
        node("Reshape", r1, {x, const_ints(r1 + ".shape", {0, groups, s[1] / groups, s[2], s[3]})}, {r1});
        attr(node("Transpose", tr, {r1}, {tr}), "perm", std::vector<int64_t>{0, 2, 1, 3, 4});
        node("Reshape", n.name, {tr, const_ints(n.name + ".shape", {0, s[1], s[2], s[3]})}, outs);
        return;
      }
      case Op::MaxPool: case Op::AvgPool: {
        const auto& a = n.attr<PoolAttrs>();
        auto* p = node(n.op == Op::MaxPool ? "MaxPool" : "AveragePool", n.name, ins, outs);
        attr(p, "kernel_shape", std::vector<int64_t>{a.kernel_h, a.kernel_w});
        attr(p, "strides", std::vector<int64_t>{a.stride_h, a.stride_w});
        pads(p, a.pad_top, a.pad_left, a.pad_bottom, a.pad_right);
        attr(p, "ceil_mode", int64_t{a.ceil_mode});
        if (n.op == Op::AvgPool) attr(p, "count_include_pad", int64_t{a.count_include_pad});
        return;
      }
      case Op::GlobalAvgPool: node("GlobalAveragePool", n.name, ins, outs); return;
      case Op::Flatten: attr(node("Flatten", n.name, ins, outs), "axis", n.attr<AxisAttrs>().axis); return;
      case Op::Linear: {
        ins.push_back(weight(n, "weight"));
        if (n.attr<LinearAttrs>().bias) ins.push_back(weight(n, "bias"));
        attr(node("Gemm", n.name, ins, outs), "transB", int64_t{1});
        return;
      }
      case Op::Softmax: attr(node("Softmax", n.name, ins, outs), "axis", n.attr<AxisAttrs>().axis); return;
      case Op::Identity: node("Identity", n.name, ins, outs); return;
      case Op::Dropout: node("Dropout", n.name, ins, outs); return;
    }
    fail("{}: {} cannot be exported to ONNX", n.name, op_name(n.op));
  }

  const Graph& g_;
  const OnnxExportOptions& opt_;
  onnx::GraphProto* gp_ = nullptr;
};

}  // namespace

std::string export_onnx(const Graph& g, const OnnxExportOptions& opt) {
  onnx::ModelProto m = Exporter(g, opt).run();
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    fail("the ONNX export of '{}' fails the ONNX checker (a formbench bug): {}", g.name, e.what());
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes))
    fail("cannot serialise the ONNX export of '{}' (protobuf's limit is 2 GiB)", g.name);
  return bytes;
}

void save_onnx(const Graph& g, const std::string& path, const OnnxExportOptions& opt) {
  const std::string bytes = export_onnx(g, opt);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail("cannot write '{}'", path);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("failed writing '{}'", path);
}

}  // namespace fb
