// ONNX nodes (checked and topologically sorted) -> IR. A normaliser as well as a translator: it folds
// constant shape arithmetic and recognises exporter idioms (docs/onnx.md lists them), so that a
// torchvision export and our own build of the same network become the same IR graph.
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "ir/shape_infer.h"
#include "onnx/onnx_converter.h"

namespace fb::onnx_detail {

Graph Converter::run(const std::string& name) {
  g_.name = name;
  for (int k = 0; k < gp_.node_size(); ++k) {
    index_of_[&gp_.node(k)] = k;
    for (const std::string& in : gp_.node(k).input()) consumers_[in].push_back(k);
    for (const std::string& out : gp_.node(k).output()) producer_[out] = k;
  }
  for (const auto& o : gp_.output()) graph_outputs_.insert(o.name());
  for (const auto& init : gp_.initializer())
    syms_[init.name()].c = std::make_shared<ConstTensor>(decode_tensor(init, budget_, "initializer '" + init.name() + "'"));
  add_inputs();
  done_.assign(static_cast<size_t>(gp_.node_size()), false);
  for (int k : order_) {
    if (done_[static_cast<size_t>(k)]) continue;
    node(gp_.node(k));
  }
  for (const auto& o : gp_.output()) {
    const Sym& s = sym(o.name(), "graph output");
    if (s.c) fail("graph output '{}' is a constant; formbench needs it computed from the input", o.name());
    if (!s.pad_node.empty()) fail("graph output '{}' is the output of Pad '{}'", o.name(), s.pad_node);
    g_.outputs.push_back(s.v);
  }
  validate(g_);
  return std::move(g_);
}


void Converter::add_inputs() {
  for (const auto& in : gp_.input()) {
    if (syms_.count(in.name())) continue;  // older exporters list initializers as inputs too
    const std::string who = "graph input '" + in.name() + "'";
    if (!in.type().has_tensor_type()) fail("{} is not a tensor", who);
    const auto& tt = in.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT) fail("{} must be float32 (got data type {})", who, tt.elem_type());
    if (!tt.has_shape()) fail("{} has no shape; formbench needs fixed input sizes", who);
    Shape s;
    for (int d = 0; d < tt.shape().dim_size(); ++d) {
      const auto& dim = tt.shape().dim(d);
      if (dim.has_dim_value()) {
        if (dim.dim_value() <= 0) fail("{}: dimension {} is {}, must be positive", who, d, dim.dim_value());
        s.push_back(dim.dim_value());
      } else if (d == 0) {
        s.push_back(opt_.batch);  // a symbolic batch
      } else {
        fail("{}: dimension {} is symbolic ('{}'); formbench needs fixed sizes except the batch (re-export "
             "with a fixed resolution)", who, d, dim.dim_param());
      }
    }
    if (s.empty()) fail("{} is a scalar", who);
    checked_numel(s, k_max_tensor_elements, who);
    ValueId v = g_.add_value(in.name(), s);
    g_.inputs.push_back(v);
    syms_[in.name()].v = v;
  }
  if (g_.inputs.empty()) fail("the model has no graph inputs besides its initializers");
}


std::vector<ValueId> Converter::emit(Op op, Attrs attrs, std::vector<ValueId> ins, const std::string& name, int nout,
                                     std::vector<std::pair<std::string, ConstPtr>> params) {
  Node node;
  node.name = name;
  node.op = op;
  node.attrs = std::move(attrs);
  node.inputs = std::move(ins);
  node.outputs.assign(static_cast<size_t>(nout), -1);
  std::vector<Shape> shapes = infer_output_shapes(g_, node);
  for (Param& want : expected_params(g_, node)) {
    ConstPtr src;
    for (auto& [pname, c] : params)
      if (pname == want.name) src = c;
    if (!src) fail("{}: missing its '{}' weights", name, want.name);
    if (src->is_int) fail("{}: '{}' weights are integers, not floats", name, want.name);
    if (src->shape != want.tensor.shape())
      fail("{}: '{}' has shape {} but the op needs {}", name, want.name, shape_str(src->shape),
           shape_str(want.tensor.shape()));
    Tensor t(want.tensor.shape());
    std::memcpy(t.data(), src->f.data(), src->f.size() * sizeof(float));
    want.tensor = std::move(t);
    node.params.push_back(std::move(want));
  }
  const auto id = static_cast<NodeId>(g_.nodes.size());
  for (size_t k = 0; k < shapes.size(); ++k) {
    node.outputs[k] = g_.add_value(shapes.size() == 1 ? name : fmt::format("{}:{}", name, k), shapes[k]);
    g_.value(node.outputs[k]).producer = id;
  }
  std::vector<ValueId> outs = node.outputs;
  g_.nodes.push_back(std::move(node));
  return outs;
}

void Converter::node(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  std::vector<ConstPtr> cins;
  bool all_const = true;
  for (int k = 0; k < n.input_size(); ++k) {
    if (n.input(k).empty()) {
      cins.push_back(nullptr);
      continue;
    }
    const Sym& s = sym(n.input(k), "node " + node_label(n));
    all_const = all_const && s.c;
    cins.push_back(s.c);
  }
  if (op == "Shape" && has_input(n, 0) && !cins[0]) {  // the shape of a computed tensor is known here
    std::vector<ConstPtr> fake{std::make_shared<ConstTensor>(make_float_tensor({}, shape(rtv(n, 0))))};
    std::vector<ConstTensor> r = fold(n, opset_, fake, budget_);
    bind_const(n.output(0), std::move(r[0]));
    return;
  }
  if (is_foldable(op) && all_const) {
    std::vector<ConstTensor> r = fold(n, opset_, cins, budget_);
    for (size_t k = 0; k < r.size() && static_cast<int>(k) < n.output_size(); ++k) bind_const(n.output(static_cast<int>(k)), std::move(r[k]));
    return;
  }
  convert(n);
}


ConstPtr Converter::lazy_const(const std::string& name, int depth) {
  if (auto it = syms_.find(name); it != syms_.end()) return it->second.c;
  auto p = producer_.find(name);
  if (p == producer_.end() || depth > 32) return nullptr;
  const onnx::NodeProto& n = gp_.node(p->second);
  if (done_[static_cast<size_t>(p->second)] || !is_foldable(n.op_type())) return nullptr;
  for (const std::string& in : n.input())
    if (!in.empty() && !syms_.count(in) && !lazy_const(in, depth + 1)) return nullptr;
  for (const std::string& in : n.input())
    if (!in.empty() && !syms_.at(in).c && n.op_type() != "Shape") return nullptr;
  node(n);
  done_[static_cast<size_t>(p->second)] = true;
  auto it = syms_.find(name);
  return it == syms_.end() ? nullptr : it->second.c;
}

Graph convert_graph(const SortedModel& m, const OnnxImportOptions& opt, Budget& budget, const std::string& name) {
  Converter c(m, opt, budget);
  c.order_ = m.order;
  return c.run(name);
}

}  // namespace fb::onnx_detail
