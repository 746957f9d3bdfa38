// Import: parse the protobuf under explicit limits, check the graph's structure (opset, dangling references,
// duplicate definitions, cycles), report every unsupported operator at once, then convert.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>

#include "core/error.h"
#include "onnx/onnx_import_detail.h"
#include "onnx/onnx_io.h"

namespace fb {
namespace onnx_detail {
namespace {

int ai_onnx_opset(const onnx::ModelProto& m) {
  int opset = -1;
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = static_cast<int>(std::min<int64_t>(o.version(), 1 << 20));
  if (opset < 0) fail("the model declares no ai.onnx opset");
  if (opset < 7 || opset > 18) fail("opset {} is not supported (formbench reads opsets 7 to 18; 11-17 are tested)", opset);
  return opset;
}

// Every operator the converter cannot handle, with a count and one node name each, in one message.
void check_supported(const onnx::GraphProto& g) {
  struct Seen {
    int count = 0;
    std::string example;
  };
  std::map<std::string, Seen> bad;
  for (const auto& n : g.node()) {
    const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (std_domain && is_convertible(n.op_type())) continue;
    Seen& s = bad[std_domain ? n.op_type() : n.domain() + "::" + n.op_type()];
    if (s.count++ == 0) s.example = n.name().empty() ? (n.output_size() ? n.output(0) : "?") : n.name();
  }
  if (bad.empty()) return;
  std::vector<std::string> parts;
  for (const auto& [op, s] : bad)
    parts.push_back(fmt::format("{} ({} node{}, e.g. '{}')", op, s.count, s.count == 1 ? "" : "s", s.example));
  fail("unsupported operators: {}", fmt::join(parts, ", "));
}

// Arity, checked before any converter code indexes a node's inputs or outputs.
void check_arity(const onnx::NodeProto& n, int opset) {
  static const std::map<std::string, std::pair<int, int>> k{
      {"Constant", {0, 0}}, {"Conv", {2, 3}}, {"BatchNormalization", {5, 5}}, {"Gemm", {2, 3}}, {"MatMul", {2, 2}},
      {"Add", {2, 2}}, {"Sub", {2, 2}}, {"Mul", {2, 2}}, {"Div", {2, 2}}, {"Reshape", {2, 2}}, {"Gather", {2, 2}},
      {"Pad", {1, 4}}, {"Clip", {1, 3}}, {"Split", {1, 2}}, {"Concat", {1, 1 << 20}}, {"Dropout", {1, 3}},
      {"Unsqueeze", {1, 2}}, {"Squeeze", {1, 2}}, {"ReduceMean", {1, 2}}, {"Slice", {opset >= 10 ? 3 : 1, 5}}};
  auto it = k.find(n.op_type());
  const auto [lo, hi] = it == k.end() ? std::pair{1, 1} : it->second;
  if (n.input_size() < lo || n.input_size() > hi)
    fail("node {} has {} inputs; {} takes {}{}", node_label(n), n.input_size(), n.op_type(), lo,
         hi == lo ? "" : hi > 100 ? " or more" : fmt::format(" to {}", hi));
  if (lo > 0 && n.input(0).empty()) fail("node {} has no data input", node_label(n));
  if (n.output_size() < 1 || n.output(0).empty()) fail("node {} has no output", node_label(n));
}

// Kahn's algorithm, keeping the file's order among ready nodes; refuses dangling references, tensors defined
// twice and cycles.
std::vector<int> topological_order(const onnx::GraphProto& g) {
  std::unordered_set<std::string> available;
  for (const auto& i : g.initializer())
    if (!available.insert(i.name()).second) fail("initializer '{}' is defined twice", i.name());
  for (const auto& i : g.input()) available.insert(i.name());
  std::unordered_map<std::string, int> producer;
  for (int k = 0; k < g.node_size(); ++k)
    for (const std::string& o : g.node(k).output()) {
      if (o.empty()) continue;
      if (available.count(o)) fail("node {} writes '{}', which is already a graph input or initializer", node_label(g.node(k)), o);
      if (!producer.emplace(o, k).second) fail("tensor '{}' is written by two nodes: {} and {}", o, node_label(g.node(producer[o])), node_label(g.node(k)));
    }
  std::vector<int> pending(static_cast<size_t>(g.node_size()), 0);
  std::vector<std::vector<int>> users(static_cast<size_t>(g.node_size()));
  for (int k = 0; k < g.node_size(); ++k)
    for (const std::string& in : g.node(k).input()) {
      if (in.empty() || available.count(in)) continue;
      auto it = producer.find(in);
      if (it == producer.end())
        fail("node {} reads '{}', which no node, initializer or graph input defines", node_label(g.node(k)), in);
      users[static_cast<size_t>(it->second)].push_back(k);
      ++pending[static_cast<size_t>(k)];
    }
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (int k = 0; k < g.node_size(); ++k)
    if (pending[static_cast<size_t>(k)] == 0) ready.push(k);
  std::vector<int> order;
  while (!ready.empty()) {
    const int k = ready.top();
    ready.pop();
    order.push_back(k);
    for (int u : users[static_cast<size_t>(k)])
      if (--pending[static_cast<size_t>(u)] == 0) ready.push(u);
  }
  if (order.size() != static_cast<size_t>(g.node_size())) {
    std::vector<std::string> stuck;
    for (int k = 0; k < g.node_size() && stuck.size() < 5; ++k)
      if (pending[static_cast<size_t>(k)] > 0) stuck.push_back(node_label(g.node(k)));
    fail("the graph has a cycle (or depends on one) through {}", fmt::join(stuck, ", "));
  }
  for (const auto& o : g.output())
    if (!available.count(o.name()) && !producer.count(o.name()))
      fail("graph output '{}' is never computed", o.name());
  return order;
}

}  // namespace
}  // namespace onnx_detail

Graph import_onnx_bytes(std::string_view bytes, const OnnxImportOptions& opt, const std::string& name) {
  using namespace onnx_detail;
  try {
    if (opt.max_bytes <= 0 || opt.max_tensor_elements <= 0 || opt.max_total_elements <= 0 || opt.max_nodes <= 0 ||
        opt.batch <= 0)
      fail("import limits and the batch must be positive");
    if (static_cast<int64_t>(bytes.size()) > opt.max_bytes)
      fail("the file has {} bytes, more than the limit of {} (max_bytes)", bytes.size(), opt.max_bytes);
    if (bytes.size() > static_cast<size_t>(INT32_MAX)) fail("the file is larger than protobuf's 2 GiB limit");
    onnx::ModelProto m;
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
    in.SetTotalBytesLimit(static_cast<int>(bytes.size()));
    if (!m.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
      fail("not a valid ONNX model (truncated or corrupt protobuf)");
    if (!m.has_graph()) fail("the model has no graph");
    const onnx::GraphProto& g = m.graph();
    if (g.node_size() > opt.max_nodes) fail("the graph has {} nodes, more than the limit of {}", g.node_size(), opt.max_nodes);
    if (g.sparse_initializer_size() > 0) fail("sparse initializers are not supported");
    SortedModel sm;
    sm.graph = &g;
    sm.opset = ai_onnx_opset(m);
    check_supported(g);
    for (const auto& n : g.node()) check_arity(n, sm.opset);
    sm.order = topological_order(g);
    Budget budget{opt};
    return convert_graph(sm, opt, budget, name);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", name, e.what()));
  }
}

Graph import_onnx_file(const std::string& path, OnnxImportOptions opt) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail("{}: no such file", path);
  const auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) fail("{}: cannot read it: {}", path, ec.message());
  if (size > opt.max_bytes)
    fail("{}: the file has {} bytes, more than the limit of {} (raise it with max_bytes)", path, size, opt.max_bytes);
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), size)) fail("{}: cannot read it", path);
  if (opt.base_dir.empty()) opt.base_dir = fs::absolute(fs::path(path)).parent_path().string();
  return import_onnx_bytes(bytes, opt, path);
}

}  // namespace fb
