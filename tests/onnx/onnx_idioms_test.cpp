// Hand-written ONNX models laid out the way PyTorch/torchvision exporters write them (Pad before Conv,
// Identity over initializers, Constant nodes, Shape->Gather->Unsqueeze->Concat->Reshape flattening,
// Reshape-Transpose-Reshape shuffles, x*Sigmoid(x), ReduceMean pooling, MatMul+Add, Gemm without transB,
// Split/Slice, opsets 11, 13 and 17) must import as the same network our builder makes: same cost and the
// same outputs on the reference backend.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "backends/compare.h"
#include "ir/builder.h"
#include "ir/cost.h"
#include "onnx/onnx_io.h"
#include "onnx_test_util.h"

namespace fb {
namespace {

using onnx_test::ModelWriter;

const Tensor& param(const Graph& g, const std::string& node, const char* name) {
  for (const Node& n : g.nodes)
    if (n.name == node) return n.param(name);
  throw Error("no node " + node);
}

std::vector<float> transposed(const Tensor& w) {  // [out, in] -> [in, out]
  const int64_t o = w.dim(0), i = w.dim(1);
  std::vector<float> t(static_cast<size_t>(o * i));
  for (int64_t r = 0; r < o; ++r)
    for (int64_t c = 0; c < i; ++c) t[static_cast<size_t>(c * o + r)] = w[r * i + c];
  return t;
}

void add_bn(ModelWriter& w, const Graph& g, const std::string& node, const std::string& in, const std::string& out) {
  // PyTorch's exporter reaches de-duplicated constants through Identity nodes.
  std::vector<std::string> ins{in};
  for (const char* p : {"weight", "bias", "running_mean", "running_var"}) {
    w.init(node + "." + p + "_orig", param(g, node, p));
    w.node("Identity", {node + "." + p + "_orig"}, {node + "." + p});
    ins.push_back(node + "." + p);
  }
  w.node("BatchNormalization", ins, {out}, node);
}

void expect_same(const Graph& ours, const std::string& bytes, bool same_memory = true) {
  Graph h = import_onnx_bytes(bytes, {}, ours.name + ".onnx");
  const GraphCost a = graph_cost(ours), b = graph_cost(h);
  EXPECT_EQ(b.total.macs, a.total.macs);
  EXPECT_EQ(b.total.flops, a.total.flops);
  EXPECT_EQ(b.total.params, a.total.params);
  if (same_memory) {
    EXPECT_EQ(b.peak_activation_bytes, a.peak_activation_bytes);
  }
  std::vector<std::string> ops_a, ops_b;
  for (const Node& n : ours.nodes) ops_a.push_back(op_name(n.op));
  for (const Node& n : h.nodes) ops_b.push_back(op_name(n.op));
  EXPECT_EQ(ops_b, ops_a);
  const auto in = make_inputs(ours, 21);
  const auto ya = onnx_test::run_reference(ours, in), yb = onnx_test::run_reference(h, in);
  ASSERT_EQ(ya[0].shape(), yb[0].shape());
  const Agreement ag = compare_outputs(ya[0], yb[0], 1e-6);
  EXPECT_TRUE(ag.passed(1e-6)) << ag.summary();
  // An imported foreign model exports again (through the checker) and comes back the same.
  Graph again = import_onnx_bytes(export_onnx(h), {}, "again.onnx");
  ASSERT_EQ(again.nodes.size(), h.nodes.size());
  EXPECT_EQ(graph_cost(again).total.flops, b.total.flops);
  const auto yc = onnx_test::run_reference(again, in);
  EXPECT_EQ(compare_outputs(yb[0], yc[0], 1e-6).max_abs_error, 0.0);
}

// Opset 13: Pad+Conv, Clip from Constant nodes, depthwise Conv, SiLU, a shuffle, hardswish written as
// x*HardSigmoid(x), ReduceMean, the Shape-chain flatten, MatMul+Add.
std::pair<Graph, std::string> mobile_block() {
  GraphBuilder b("hand_mobile");
  ValueId x = b.input("input", {1, 3, 16, 16});
  x = b.relu6(b.batch_norm(b.conv(x, {.out = 8, .k = 3, .pad = 1}, "conv1"), "bn1"), "relu6");
  x = b.silu(b.conv(x, {.out = 8, .k = 3, .stride = 2, .groups = 8, .bias = true}, "dw"), "silu");
  x = b.hard_swish(b.channel_shuffle(x, 2, "shuffle"), "hswish");
  x = b.flatten(b.global_avg_pool(x, "pool"), "flatten");
  b.output(b.softmax(b.linear(x, 10, "fc"), "softmax"));
  Graph g = b.finish();
  materialize_weights(g, 4);

  ModelWriter w(13);
  w.input("input", {1, 3, 16, 16});
  w.init_ints("pad_pads", {0, 0, 1, 1, 0, 0, 1, 1});
  w.node("Pad", {"input", "pad_pads"}, {"padded"}, "/conv1/Pad");
  w.init("conv1.weight", param(g, "conv1", "weight"));
  w.node("Conv", {"padded", "conv1.weight"}, {"c1"}, "/conv1/Conv");
  add_bn(w, g, "bn1", "c1", "b1");
  auto* lo = w.node("Constant", {}, {"clip_min"});
  auto* hi = w.node("Constant", {}, {"clip_max"});
  for (auto [n, v] : {std::pair{lo, 0.0f}, std::pair{hi, 6.0f}}) {
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    ModelWriter::fill(a->mutable_t(), "", {}, {v});
  }
  w.node("Clip", {"b1", "clip_min", "clip_max"}, {"r1"}, "/relu6/Clip");
  w.init("dw.weight_orig", param(g, "dw", "weight"));
  w.init("dw.bias", param(g, "dw", "bias"));
  w.node("Identity", {"dw.weight_orig"}, {"dw.weight"});
  auto* dw = w.node("Conv", {"r1", "dw.weight", "dw.bias"}, {"d"}, "/dw/Conv");
  ModelWriter::attr_ints(dw, "strides", {2, 2});
  ModelWriter::attr_ints(dw, "pads", {1, 1, 1, 1});
  ModelWriter::attr_i(dw, "group", 8);
  w.node("Sigmoid", {"d"}, {"sig"});
  w.node("Mul", {"d", "sig"}, {"s"});
  w.constant_ints("shape5", {1, 2, 4, 8, 8});
  w.node("Reshape", {"s", "shape5"}, {"rs1"});
  ModelWriter::attr_ints(w.node("Transpose", {"rs1"}, {"tr"}), "perm", {0, 2, 1, 3, 4});
  w.constant_ints("shape4", {1, -1, 8, 8});
  w.node("Reshape", {"tr", "shape4"}, {"shuf"});
  auto* hs = w.node("HardSigmoid", {"shuf"}, {"hsig"});
  ModelWriter::attr_f(hs, "alpha", 1.0f / 6.0f);
  ModelWriter::attr_f(hs, "beta", 0.5f);
  w.node("Mul", {"shuf", "hsig"}, {"hsw"});
  w.constant_ints("axes", {2, 3});
  ModelWriter::attr_ints(w.node("ReduceMean", {"hsw"}, {"gap"}), "axes", {2, 3});
  w.node("Shape", {"gap"}, {"shp"});
  w.constant_ints("zero", {0}, true);
  ModelWriter::attr_i(w.node("Gather", {"shp", "zero"}, {"n"}), "axis", 0);
  w.constant_ints("axis0", {0});
  w.node("Unsqueeze", {"n", "axis0"}, {"n1"});
  w.constant_ints("minus1", {-1});
  ModelWriter::attr_i(w.node("Concat", {"n1", "minus1"}, {"flat_shape"}), "axis", 0);
  w.node("Reshape", {"gap", "flat_shape"}, {"flat"});
  w.init("fc.weight_t", {8, 10}, transposed(param(g, "fc", "weight")));
  w.init("fc.bias", param(g, "fc", "bias"));
  w.node("MatMul", {"flat", "fc.weight_t"}, {"mm"}, "/fc/MatMul");
  w.node("Add", {"mm", "fc.bias"}, {"logits"}, "/fc/Add");
  ModelWriter::attr_i(w.node("Softmax", {"logits"}, {"probs"}), "axis", 1);
  w.output("probs");
  return {std::move(g), w.bytes()};
}

// Opset 11: Clip with only a min, Split with a split attribute, Slice of channels, pools, Squeeze,
// Gemm with the weight as [in, out] (transB=0), Dropout.
std::pair<Graph, std::string> split_block() {
  GraphBuilder b("hand_split");
  ValueId x = b.input("input", {2, 4, 10, 10});
  x = b.relu(b.conv(x, {.out = 12, .k = 1, .bias = true}, "conv"), "relu");
  std::vector<ValueId> parts = b.split(x, {4, 8}, "split");
  ValueId middle = b.split(parts[1], {2, 4, 2}, "slice")[1];
  x = b.concat({parts[0], middle}, "cat");
  x = b.max_pool(x, {.k = 3, .stride = 2, .pad = 1}, "maxpool");
  x = b.avg_pool(x, {.k = 2, .stride = 2, .count_include_pad = false}, "avgpool");
  x = b.flatten(b.global_avg_pool(x, "gap"), "squeeze");
  b.output(b.dropout(b.linear(x, 5, "fc"), "drop"));
  Graph g = b.finish();
  materialize_weights(g, 5);

  ModelWriter w(11);
  w.input("input", {2, 4, 10, 10});
  w.init("conv.weight", param(g, "conv", "weight"));
  w.init("conv.bias", param(g, "conv", "bias"));
  w.node("Conv", {"input", "conv.weight", "conv.bias"}, {"c"});
  w.init("zero_f", {}, {0.0f});
  w.node("Clip", {"c", "zero_f"}, {"r"});
  auto* sp = w.node("Split", {"r"}, {"p0", "p1"});
  ModelWriter::attr_i(sp, "axis", 1);
  ModelWriter::attr_ints(sp, "split", {4, 8});
  w.init_ints("starts", {2});
  w.init_ints("ends", {6});
  w.init_ints("sl_axes", {1});
  w.node("Slice", {"p1", "starts", "ends", "sl_axes"}, {"mid"});
  ModelWriter::attr_i(w.node("Concat", {"p0", "mid"}, {"cat"}), "axis", 1);
  auto* mp = w.node("MaxPool", {"cat"}, {"mp"});
  ModelWriter::attr_ints(mp, "kernel_shape", {3, 3});
  ModelWriter::attr_ints(mp, "strides", {2, 2});
  ModelWriter::attr_ints(mp, "pads", {1, 1, 1, 1});
  auto* ap = w.node("AveragePool", {"mp"}, {"ap"});
  ModelWriter::attr_ints(ap, "kernel_shape", {2, 2});
  ModelWriter::attr_ints(ap, "strides", {2, 2});
  w.node("GlobalAveragePool", {"ap"}, {"gap"});
  ModelWriter::attr_ints(w.node("Squeeze", {"gap"}, {"sq"}), "axes", {2, 3});
  w.init("fc.w_in_out", {8, 5}, transposed(param(g, "fc", "weight")));
  w.init("fc.bias", param(g, "fc", "bias"));
  w.node("Gemm", {"sq", "fc.w_in_out", "fc.bias"}, {"fc"});
  w.node("Dropout", {"fc"}, {"out"});
  w.output("out");
  return {std::move(g), w.bytes()};
}

// Opset 17: auto_pad SAME_UPPER, the HardSwish op (opset 14+), Flatten, Gemm with transB=1, an unused
// initializer and a symbolic batch.
std::pair<Graph, std::string> opset17_block() {
  GraphBuilder b("hand_17");
  ValueId x = b.input("input", {1, 3, 9, 9});
  x = b.hard_swish(b.batch_norm(b.conv(x, {.out = 6, .k = 3, .stride = 2, .pad = 1}, "conv"), "bn"), "hswish");
  x = b.flatten(b.global_avg_pool(x, "gap"), "flatten");
  b.output(b.linear(x, 4, "fc"));
  Graph g = b.finish();
  materialize_weights(g, 6);

  ModelWriter w(17);
  ModelWriter::shape(w.g->add_input(), "input", {1, 3, 9, 9}, "N");
  w.init("conv.weight", param(g, "conv", "weight"));
  w.init("unused", {2}, {1.0f, 2.0f});
  auto* c = w.node("Conv", {"input", "conv.weight"}, {"c"});
  ModelWriter::attr_ints(c, "strides", {2, 2});
  auto* ap = c->add_attribute();
  ap->set_name("auto_pad");
  ap->set_type(onnx::AttributeProto::STRING);
  ap->set_s("SAME_UPPER");
  add_bn(w, g, "bn", "c", "b");
  w.node("HardSwish", {"b"}, {"h"});
  w.node("GlobalAveragePool", {"h"}, {"gap"});
  w.node("Flatten", {"gap"}, {"flat"});
  w.init("fc.weight", param(g, "fc", "weight"));
  w.init("fc.bias", param(g, "fc", "bias"));
  ModelWriter::attr_i(w.node("Gemm", {"flat", "fc.weight", "fc.bias"}, {"y"}), "transB", 1);
  w.output("y");
  return {std::move(g), w.bytes()};
}

TEST(OnnxIdioms, TorchvisionStyleOpset13) {
  auto [g, bytes] = mobile_block();
  expect_same(g, bytes);
}

TEST(OnnxIdioms, SplitSliceGemmOpset11) {
  auto [g, bytes] = split_block();
  expect_same(g, bytes);
}

TEST(OnnxIdioms, HardSwishAutoPadOpset17) {
  auto [g, bytes] = opset17_block();
  expect_same(g, bytes);
}

// Supported operators used in ways the IR cannot express are refused with the node's name and the reason.
TEST(OnnxIdioms, RefusedUsesNameTheNode) {
  struct Refusal {
    std::function<void(ModelWriter&)> add;
    std::string expected;
  };
  const std::vector<Refusal> refusals{
      {[](ModelWriter& w) { ModelWriter::attr_ints(w.node("Transpose", {"x"}, {"y"}, "tr"), "perm", {0, 1, 3, 2}); },
       "'tr' (Transpose): Transpose [0,1,3,2] is only supported inside a channel shuffle"},
      {[](ModelWriter& w) {
         w.init("lo", {}, {-1.0f});
         w.init("hi", {}, {1.0f});
         w.node("Clip", {"x", "lo", "hi"}, {"y"}, "clamp");
       },
       "'clamp' (Clip): Clip(min=-1, max=1) is not supported"},
      {[](ModelWriter& w) {
         w.init_ints("s", {0});
         w.init_ints("e", {2});
         w.init_ints("a", {2});
         w.node("Slice", {"x", "s", "e", "a"}, {"y"}, "crop");
       },
       "'crop' (Slice): slicing along axis 2 is not supported"},
      {[](ModelWriter& w) {
         w.init_ints("p", {0, 0, 1, 1, 0, 0, 1, 1});
         w.node("Pad", {"x", "p"}, {"xp"}, "pad");
         w.node("Relu", {"xp"}, {"y"}, "act");
       },
       "Pad 'pad' feeds 'act' (Relu), which cannot absorb the padding"},
      {[](ModelWriter& w) {
         w.init("k", {1}, {2.0f});
         w.node("Mul", {"x", "k"}, {"y"}, "scale");
       },
       "'scale' (Mul): a constant operand ('k') is not supported"},
  };
  for (const Refusal& r : refusals) {
    ModelWriter w(13);
    w.input("x", {1, 2, 4, 4});
    r.add(w);
    w.output("y");
    try {
      import_onnx_bytes(w.bytes(), {}, "refused.onnx");
      ADD_FAILURE() << "imported: " << r.expected;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(r.expected), std::string::npos) << e.what();
    }
  }
}

// Writes the seed corpus for the fuzzer when FORMBENCH_ONNX_WRITE_SEEDS names a folder; otherwise checks
// that tiny exports import (the seeds must be valid models).
TEST(OnnxIdioms, FuzzSeeds) {
  std::vector<std::pair<std::string, std::string>> seeds{{"hand_mobile.onnx", mobile_block().second},
                                                         {"hand_split.onnx", split_block().second},
                                                         {"hand_17.onnx", opset17_block().second}};
  {
    GraphBuilder b("tiny_res");
    ValueId x = b.input("input", {1, 3, 8, 8});
    ValueId y = b.relu(b.batch_norm(b.conv(x, {.out = 4, .k = 3}, "conv1"), "bn1"), "relu");
    y = b.add(b.conv(y, {.out = 4, .k = 3}, "conv2"), b.conv(x, {.out = 4, .k = 1}, "down"), "add");
    y = b.channel_shuffle(b.silu(y, "silu"), 2, "shuffle");
    y = b.concat(b.split(y, {1, 3}, "split"), "cat");
    y = b.avg_pool(b.max_pool(y, {.k = 2}, "mp"), {.k = 2, .pad = 1}, "ap");
    b.output(b.softmax(b.linear(b.flatten(b.global_avg_pool(y, "gap"), "flat"), 3, "fc"), "sm"));
    Graph g = b.finish();
    materialize_weights(g, 1);
    seeds.push_back({"tiny_res.onnx", export_onnx(g)});
  }
  for (const auto& [name, bytes] : seeds) EXPECT_NO_THROW(import_onnx_bytes(bytes, {}, name)) << name;
  if (const char* dir = std::getenv("FORMBENCH_ONNX_WRITE_SEEDS"))
    for (const auto& [name, bytes] : seeds)
      std::ofstream(std::filesystem::path(dir) / name, std::ios::binary) << bytes;
}

}  // namespace
}  // namespace fb
