#pragma once
// Helpers for the ONNX tests: run a graph on the reference backend, and write ONNX models by hand with the
// protobuf API (the way exporters lay them out).
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include <fmt/format.h>

#include "backends/backend.h"
#include "ir/builder.h"
#include "ir/graph.h"
#include "models/model_ref.h"

namespace fb::onnx_test {

inline std::vector<Tensor> run_reference(const Graph& g, const std::vector<Tensor>& inputs) {
  auto exe = make_backend("reference")->compile(g, {});
  std::vector<Tensor> out;
  exe->run(inputs, out);
  return out;
}

// Models above this many MACs at their smallest resolution are too slow for the plain-loop reference in a
// test (VGG needs 224 px); the round trip still checks them structurally (see OnnxRoundTrip).
inline constexpr int64_t k_reference_mac_budget = 400'000'000;

// The smallest of a few resolutions the model accepts (some need more than 32 px), with weights.
inline Graph build_small(const std::string& ref, uint64_t seed, const std::string& extra = "") {
  std::string last_error;
  for (int res : {32, 64, 128, 224}) {
    try {
      return load_model(fmt::format("{}{}res={}{}", ref, ref.find('?') == std::string::npos ? "?" : "&", res, extra), true, seed);
    } catch (const Error& e) {
      last_error = e.what();
    }
  }
  throw Error(last_error);
}

// Every IR op, including the composites an exporter writes as several ONNX nodes.
inline Graph every_op_graph(int64_t batch = 2) {
  GraphBuilder b("all_ops");
  ValueId x = b.input("input", {batch, 8, 12, 12});
  ValueId c = b.conv(x, {.out = 16, .k = 3, .stride = 1, .bias = true}, "conv");
  c = b.relu6(b.batch_norm(c, "bn"), "relu6");
  std::vector<ValueId> parts = b.split(c, {4, 12}, "split");
  ValueId s = b.silu(parts[0], "silu");
  ValueId h = b.hard_swish(parts[1], "hswish");
  ValueId hs = b.hard_sigmoid(h, "hsig", {0.2f, 0.5f});
  ValueId cat = b.concat({s, b.mul(h, hs, "mul")}, "cat");
  cat = b.channel_shuffle(cat, 4, "shuffle");
  ValueId p = b.max_pool(cat, {.k = 3, .stride = 2, .pad = 1, .ceil_mode = true}, "maxpool");
  ValueId q = b.avg_pool(cat, {.k = 3, .stride = 2, .pad = 1, .ceil_mode = true, .count_include_pad = false}, "avgpool");
  ValueId y = b.add(b.sigmoid(p, "sig"), b.relu(q, "relu"), "add");
  y = b.dropout(b.identity(b.flatten(b.global_avg_pool(y, "gap"), "flatten"), "id"), "drop");
  b.output(b.softmax(b.linear(y, 10, "fc"), "softmax"));
  Graph g = b.finish();
  materialize_weights(g, 3);
  return g;
}

// A model under construction: one opset import, nodes, initializers, one float input and output.
struct ModelWriter {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  explicit ModelWriter(int opset = 13) {
    m.set_ir_version(opset >= 14 ? 8 : 7);
    auto* o = m.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    g = m.mutable_graph();
    g->set_name("hand");
  }
  static void shape(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims,
                    const std::string& batch_param = "") {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = t->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
      auto* d = s->add_dim();
      if (i == 0 && !batch_param.empty()) d->set_dim_param(batch_param);
      else d->set_dim_value(dims[i]);
    }
  }
  void input(const std::string& name, const std::vector<int64_t>& dims) { shape(g->add_input(), name, dims); }
  void output(const std::string& name) { g->add_output()->set_name(name); }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                        const std::string& name = "") {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? outs.at(0) : name);
    for (auto& i : ins) n->add_input(i);
    for (auto& o : outs) n->add_output(o);
    return n;
  }
  static void attr_i(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_f(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr_s(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  static void attr_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void fill(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
                   const std::vector<float>& v) {
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
  }
  void init(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
    fill(g->add_initializer(), name, dims, v);
  }
  void init(const std::string& name, const Tensor& t) {
    init(name, t.shape(), std::vector<float>(t.data(), t.data() + t.numel()));
  }
  void init_ints(const std::string& name, const std::vector<int64_t>& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
  }
  // A Constant node holding int64 values (PyTorch emits shapes and axes this way).
  void constant_ints(const std::string& out, const std::vector<int64_t>& v, bool scalar = false) {
    auto* n = node("Constant", {}, {out});
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto* t = a->mutable_t();
    t->set_data_type(onnx::TensorProto::INT64);
    if (!scalar) t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
  }
  std::string bytes() const {
    std::string s;
    m.SerializeToString(&s);
    return s;
  }
};

}  // namespace fb::onnx_test
