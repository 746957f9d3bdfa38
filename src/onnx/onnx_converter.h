#pragma once
// The converter's state, shared by onnx_convert.cpp (symbols, emission, the node loop) and
// onnx_convert_ops.cpp (one method per ONNX op family).
#include <set>
#include <unordered_map>

#include "onnx/onnx_import_detail.h"

namespace fb::onnx_detail {

// What an ONNX tensor name stands for: a constant, or an IR value (possibly with a Pad still to absorb).
struct Sym {
  ConstPtr c;
  ValueId v = -1;
  int64_t pad[4] = {0, 0, 0, 0};  // top, left, bottom, right, from a Pad node awaiting its Conv/pool
  std::string pad_node;
};

class Converter {
 public:
  std::vector<int> order_;
  Converter(const SortedModel& m, const OnnxImportOptions& opt, Budget& budget)
      : gp_(*m.graph), opset_(m.opset), opt_(opt), budget_(budget) {}

  Graph run(const std::string& name);

 private:
  void add_inputs();

  // ---- symbols ----
  const Sym& sym(const std::string& name, const std::string& who) {
    auto it = syms_.find(name);
    if (it == syms_.end()) fail("{} reads '{}', which is never defined", who, name);
    return it->second;
  }
  bool has_input(const onnx::NodeProto& n, int k) const { return n.input_size() > k && !n.input(k).empty(); }
  ConstPtr const_in(const onnx::NodeProto& n, int k, const char* what) {
    if (!has_input(n, k)) fail("node {}: its {} input is missing", node_label(n), what);
    const Sym& s = sym(n.input(k), "node " + node_label(n));
    if (!s.c) fail("node {}: its {} ('{}') must be a constant (an initializer or foldable), not computed at run time",
                   node_label(n), what, n.input(k));
    return s.c;
  }
  ConstPtr opt_const(const onnx::NodeProto& n, int k, const char* what) {
    return has_input(n, k) ? const_in(n, k, what) : nullptr;
  }
  const Sym& rt(const onnx::NodeProto& n, int k, bool padded_ok = false) {
    if (!has_input(n, k)) fail("node {}: input {} is missing", node_label(n), k);
    const Sym& s = sym(n.input(k), "node " + node_label(n));
    if (s.c)
      fail("node {}: input '{}' is a constant; formbench supports {} only on computed tensors", node_label(n),
           n.input(k), n.op_type());
    if (!padded_ok && !s.pad_node.empty())
      fail("Pad '{}' feeds {}, which cannot absorb the padding (only Conv and AveragePool can)", s.pad_node,
           node_label(n));
    return s;
  }
  ValueId rtv(const onnx::NodeProto& n, int k) { return rt(n, k).v; }
  // The converters index their data input's shape (H and W of a window, the channels of a split) before the
  // IR's shape inference sees the node: the rank each op needs is checked here first, once for every op.
  void require_input_rank(const onnx::NodeProto& n);
  const Shape& shape(ValueId v) const { return g_.value(v).shape; }

  void bind(const std::string& name, ValueId v) {
    if (name.empty()) return;
    syms_[name].v = v;
    if (!named_.count(v)) {  // an IR value takes the ONNX name of the first tensor it stands for
      g_.value(v).name = name;
      named_.insert(v);
    }
  }
  void bind_const(const std::string& name, ConstTensor t) {
    if (!name.empty()) syms_[name].c = std::make_shared<ConstTensor>(std::move(t));
  }
  // The node's only consumer, if it has exactly one and is not a graph output.
  const onnx::NodeProto* sole_consumer(const std::string& tensor, const char* op_type) {
    if (graph_outputs_.count(tensor)) return nullptr;
    auto it = consumers_.find(tensor);
    if (it == consumers_.end() || it->second.size() != 1) return nullptr;
    const onnx::NodeProto& c = gp_.node(it->second[0]);
    return c.op_type() == op_type ? &c : nullptr;
  }
  // Nodes of a repeated field are not contiguous: the index comes from a map, not pointer arithmetic.
  void mark_done(const onnx::NodeProto* n) { done_[static_cast<size_t>(index_of_.at(n))] = true; }
  void require_unused(const onnx::NodeProto& n, int from) {
    for (int k = from; k < n.output_size(); ++k)
      if (!n.output(k).empty() && (consumers_.count(n.output(k)) || graph_outputs_.count(n.output(k))))
        fail("node {}: its output {} ('{}') is used, which formbench does not support", node_label(n), k, n.output(k));
  }

  // ---- IR emission ----
  // Repeated names get _1, _2, ...; the counter per name keeps a file of identical names linear, not quadratic.
  std::string unique_name(const std::string& want) {
    const std::string base = want.empty() ? "node" : want;
    std::string name = base;
    for (int& k = next_suffix_[base]; !used_names_.insert(name).second;) name = fmt::format("{}_{}", base, ++k);
    return name;
  }
  std::string ir_name(const onnx::NodeProto& n) {
    return unique_name(!n.name().empty() ? n.name() : n.output_size() && !n.output(0).empty() ? n.output(0) : n.op_type());
  }

  std::vector<ValueId> emit(Op op, Attrs attrs, std::vector<ValueId> ins, const std::string& name, int nout = 1,
                            std::vector<std::pair<std::string, ConstPtr>> params = {});
  ValueId emit1(Op op, Attrs a, std::vector<ValueId> ins, const std::string& name,
                std::vector<std::pair<std::string, ConstPtr>> params = {}) {
    return emit(op, std::move(a), std::move(ins), name, 1, std::move(params))[0];
  }

  // A constant that a later node computes (idioms look ahead): folds its producers now, if they can be.
  ConstPtr lazy_const(const std::string& name, int depth = 0);

  // ---- per-op conversion ----
  void node(const onnx::NodeProto& n);
  void convert(const onnx::NodeProto& n);
  void conv(const onnx::NodeProto& n);
  void pool(const onnx::NodeProto& n, bool max);
  void linear(const onnx::NodeProto& n, bool gemm);
  void reshape(const onnx::NodeProto& n);
  void split(const onnx::NodeProto& n);
  void slice(const onnx::NodeProto& n);
  void gated(const onnx::NodeProto& n, Op fused, Op plain, Attrs plain_attrs);
  void pad(const onnx::NodeProto& n);
  void window_pads(const onnx::NodeProto& n, const Shape& x, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                   int64_t dh, int64_t dw, int64_t (&p)[4]);

  const onnx::GraphProto& gp_;
  int opset_;
  const OnnxImportOptions& opt_;
  Budget& budget_;
  Graph g_;
  std::unordered_map<std::string, Sym> syms_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::set<std::string> graph_outputs_;
  std::set<std::string> used_names_;
  std::unordered_map<std::string, int> next_suffix_;
  std::set<ValueId> named_;
  std::vector<bool> done_;
  bool pad_from_ = false;  // the Conv/pool being converted reads a Pad's output
  std::unordered_map<const onnx::NodeProto*, int> index_of_;
  std::unordered_map<std::string, int> producer_;
};

}  // namespace fb::onnx_detail
