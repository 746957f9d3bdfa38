#pragma once
// Helpers for the ONNX tests: run a graph on the reference backend, and write ONNX models by hand with the
// protobuf API (the way exporters lay them out).
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "backends/backend.h"
#include "ir/graph.h"

namespace fb::onnx_test {

inline std::vector<Tensor> run_reference(const Graph& g, const std::vector<Tensor>& inputs) {
  auto exe = make_backend("reference")->compile(g, {});
  std::vector<Tensor> out;
  exe->run(inputs, out);
  return out;
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
