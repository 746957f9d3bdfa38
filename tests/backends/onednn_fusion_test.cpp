// Each onednn fusion pass: the fused program computes the reference's numbers, describe() names the fusion,
// and candidates the pass must refuse are refused with a reason and still run correctly (unfused).
#include <fmt/format.h>

#include "ir/builder.h"
#include "onednn_test_support.h"

namespace fb {
namespace {

using test::has_line;
using test::run_against_reference;

Graph finish(GraphBuilder& b, ValueId out, uint64_t seed = 7) { return test::finish_graph(b, out, seed); }

void expect_agrees(const test::RunResult& r, double tol = 1e-4) {
  EXPECT_TRUE(r.agreement.passed(tol)) << r.agreement.summary() << "\n" << r.description.summary();
}

TEST(OnednnFusion, ConvBnReluFusedAndUnfused) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("cbr");
  ValueId x = b.input("x", {2, 16, 14, 14});
  x = b.relu(b.batch_norm(b.conv(x, {.out = 32, .k = 3}, "conv"), "bn"), "relu");
  Graph g = finish(b, b.relu(b.batch_norm(b.conv(x, {.out = 16, .k = 3, .stride = 2}, "conv2"), "bn2"), "relu2"));
  test::RunResult fused = run_against_reference(g);
  expect_agrees(fused);
  EXPECT_TRUE(has_line(fused.description.fusions, "conv+bn"));
  EXPECT_TRUE(has_line(fused.description.fusions, "conv+bn+relu (eltwise post-op)"));
  test::RunResult plain = run_against_reference(g, {{"fuse", "off"}});
  expect_agrees(plain);
  EXPECT_TRUE(plain.description.fusions.empty());
  EXPECT_GT(plain.description.ops_executed, fused.description.ops_executed);
}

// A pre-activation BatchNorm (DenseNet: concat -> bn -> relu -> conv) has no conv before it to fold into; its
// ReLU becomes the BatchNorm's fuse_norm_relu flag, one pass over the tensor instead of two. Only a ReLU: a
// ReLU6 stays a pass of its own, with the reason in describe().
TEST(OnednnFusion, PreActivationBatchNormTakesItsRelu) {
  FB_REQUIRE_ONEDNN();
  for (const bool relu6 : {false, true}) {
    SCOPED_TRACE(relu6 ? "relu6" : "relu");
    GraphBuilder b("preact");
    ValueId x = b.input("x", {1, 32, 28, 28});
    ValueId c = b.relu(b.conv(x, {.out = 16, .k = 1}, "conv"), "conv_relu");
    ValueId n = b.batch_norm(b.concat({x, c}, "cat"), "bn", 0.7f);
    ValueId a = relu6 ? b.relu6(n, "act") : b.relu(n, "act");
    Graph g = finish(b, b.conv(a, {.out = 16, .k = 1}, "conv2"));
    test::RunResult r = run_against_reference(g);
    expect_agrees(r);
    EXPECT_EQ(has_line(r.description.fusions, "bn+act (fuse_norm_relu)"), !relu6) << r.description.summary();
    EXPECT_EQ(has_line(r.description.notes, "eltwise:"), relu6) << r.description.summary();  // an eltwise primitive
    EXPECT_EQ(has_line(r.description.notes, "not fused: bn: act stays its own pass: a BatchNorm takes only a ReLU"), relu6)
        << r.description.summary();
  }
}

TEST(OnednnFusion, EveryActivationAsPostOp) {
  FB_REQUIRE_ONEDNN();
  for (Op act : {Op::Relu, Op::Relu6, Op::Sigmoid, Op::HardSigmoid, Op::Silu, Op::HardSwish}) {
    SCOPED_TRACE(op_name(act));
    GraphBuilder b("act");
    ValueId x = b.input("x", {1, 8, 10, 10});
    ValueId c = b.conv(x, {.out = 16, .k = 3, .bias = true}, "conv");
    ValueId y = b.add_node(act, act == Op::HardSigmoid ? Attrs{HardSigmoidAttrs{}} : Attrs{NoAttrs{}}, {c}, "act")[0];
    Graph g = finish(b, b.linear(b.flatten(b.global_avg_pool(y)), 10, "fc"));
    test::RunResult r = run_against_reference(g);
    expect_agrees(r);
    EXPECT_TRUE(has_line(r.description.fusions, "conv+act (eltwise post-op)"));
    expect_agrees(run_against_reference(g, {{"fuse", "off"}}));
  }
}

TEST(OnednnFusion, ActivationNotFusedWhenConvOutputIsShared) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("shared");
  ValueId x = b.input("x", {1, 8, 8, 8});
  ValueId c = b.conv(x, {.out = 8, .k = 3}, "conv");
  Graph g = finish(b, b.add(b.relu(c, "relu"), b.conv(c, {.out = 8, .k = 1}, "conv2"), "add"));
  test::RunResult r = run_against_reference(g);
  expect_agrees(r);
  EXPECT_TRUE(has_line(r.description.notes, "not fused: conv: activation not fused: output has 2 consumer(s)"));
}

// conv -> bn -> (+ identity) -> relu, the ResNet basic block ending.
Graph residual_block(bool shortcut_from_input) {
  GraphBuilder b("res");
  ValueId in = b.input("x", {2, 16, 12, 12});
  ValueId x = shortcut_from_input ? in : b.relu(b.conv(in, {.out = 16, .k = 3}, "stem"), "stem_relu");
  ValueId y = b.relu(b.batch_norm(b.conv(x, {.out = 16, .k = 3}, "conv1"), "bn1"), "relu1");
  y = b.batch_norm(b.conv(y, {.out = 16, .k = 3}, "conv2"), "bn2", 0.5f);
  return finish(b, b.relu(b.add(y, x, "add"), "relu_out"));
}

TEST(OnednnFusion, ResidualAddBecomesInPlaceSumPostOp) {
  FB_REQUIRE_ONEDNN();
  test::RunResult r = run_against_reference(residual_block(false));
  expect_agrees(r);
  EXPECT_TRUE(has_line(r.description.fusions, "conv2+bn2+add (sum post-op)"));
  EXPECT_TRUE(has_line(r.description.fusions, "conv2+bn2+add+relu_out (eltwise post-op)"));
  EXPECT_FALSE(has_line(r.description.notes, "copies its operand"));  // accumulated in place
  expect_agrees(run_against_reference(residual_block(false), {{"fuse", "off"}}));
}

TEST(OnednnFusion, SumOperandThatIsAGraphInputIsCopiedFirst) {
  FB_REQUIRE_ONEDNN();
  test::RunResult r = run_against_reference(residual_block(true));
  expect_agrees(r);
  EXPECT_TRUE(has_line(r.description.fusions, "(sum post-op)"));
  EXPECT_TRUE(has_line(r.description.notes, "sum post-op copies its operand"));
  EXPECT_TRUE(has_line(r.description.reorders, "sum operand copy"));
}

TEST(OnednnFusion, BroadcastAddIsNotASumPostOp) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("bcast");
  ValueId x = b.input("x", {2, 16, 6, 6});
  ValueId c = b.conv(x, {.out = 16, .k = 3}, "conv");
  ValueId s = b.sigmoid(b.conv(b.global_avg_pool(x), {.out = 16, .k = 1, .bias = true}, "se"), "gate");
  Graph g = finish(b, b.relu(b.add(c, s, "add"), "relu"));
  test::RunResult r = run_against_reference(g);
  expect_agrees(r);
  EXPECT_TRUE(has_line(r.description.notes, "add: sum post-op needs equal shapes"));
  EXPECT_TRUE(has_line(r.description.fusions, "add+relu (eltwise post-op)"));  // binary takes the eltwise
}

// MobileNetV2's inverted residual: 1x1 expand + BN + ReLU6, 3x3 depthwise + BN + ReLU6, 1x1 project + BN.
Graph inverted_residual(int64_t dw_k, int64_t dw_stride, int64_t res) {
  GraphBuilder b("ir");
  ValueId x = b.input("x", {1, 16, res, res});
  ValueId y = b.relu6(b.batch_norm(b.conv(x, {.out = 64, .k = 1}, "expand"), "bn1"), "act1");
  y = b.relu6(b.batch_norm(b.conv(y, {.out = 64, .k = dw_k, .stride = dw_stride, .groups = 64}, "dw"), "bn2"), "act2");
  return finish(b, b.batch_norm(b.conv(y, {.out = 24, .k = 1}, "project"), "bn3"));
}

// The same block inside a network (as the depthwise_bottleneck pattern and MobileNet-V2 have it): its input
// an internal tensor in a layout oneDNN chose, its output added back to that input.
Graph inverted_residual_in_network(int64_t c, int64_t res, bool residual = true) {
  GraphBuilder b("irn");
  ValueId x = b.relu(b.batch_norm(b.conv(b.input("x", {1, 3, 2 * res, 2 * res}), {.out = c, .k = 3, .stride = 2, .pad = 1}, "stem"), "bn0"), "act0");
  ValueId y = b.relu6(b.batch_norm(b.conv(x, {.out = 6 * c, .k = 1}, "expand"), "bn1"), "act1");
  y = b.relu6(b.batch_norm(b.conv(y, {.out = 6 * c, .k = 3, .groups = 6 * c}, "dw"), "bn2"), "act2");
  y = b.batch_norm(b.conv(y, {.out = c, .k = 1}, "project"), "bn3");
  return finish(b, residual ? b.add(x, y) : y);
}

TEST(OnednnFusion, PointwiseDepthwiseFusionInsideANetwork) {
  FB_REQUIRE_ONEDNN();
  bool fused_jit = false;
  for (int64_t res : {28, 56, 112}) {
    SCOPED_TRACE(fmt::format("res {}", res));
    test::RunResult r = run_against_reference(inverted_residual_in_network(32, res));
    expect_agrees(r);
    fused_jit |= has_line(r.description.notes, "conv+dw:jit");
    expect_agrees(run_against_reference(inverted_residual_in_network(32, res, false)));
  }
  // The case that matters is oneDNN's fused JIT kernel, which it offers on AVX-512 from about 56 px; on
  // other CPUs the test still checks the numbers, but cannot reach that kernel.
  if (__builtin_cpu_supports("avx512f")) {
    EXPECT_TRUE(fused_jit) << "oneDNN no longer offers its fused 1x1+depthwise JIT kernel here";
  }
}

TEST(OnednnFusion, PointwiseDepthwiseFusionOrItsReason) {
  FB_REQUIRE_ONEDNN();
  // 28 px gets oneDNN's chained kernel (refused unless forced); from about 56 px it offers its JIT kernel
  // that fuses the two in cache, which is taken by default.
  for (auto [stride, res] : {std::pair<int64_t, int64_t>{1, 28}, {2, 28}, {1, 56}, {2, 56}, {1, 112}}) {
    SCOPED_TRACE(fmt::format("stride {} res {}", stride, res));
    test::RunResult r = run_against_reference(inverted_residual(3, stride, res));
    expect_agrees(r);
    // oneDNN decides per ISA and shape; either way the decision is reported, never silent.
    const bool fused = has_line(r.description.fusions, "expand+bn1+act1 -> dw+bn2+act2 (depthwise post-op)");
    const bool refused = has_line(r.description.notes, "expand+bn1+act1 -> dw+bn2+act2: no depthwise post-op");
    EXPECT_NE(fused, refused) << r.description.summary();
    expect_agrees(run_against_reference(inverted_residual(3, stride, res), {{"depthwise_fusion", "off"}}));
    // Forced, the fused primitive (with the depthwise weights passed as post-op arguments) must be exact.
    test::RunResult forced = run_against_reference(inverted_residual(3, stride, res), {{"depthwise_fusion", "force"}});
    expect_agrees(forced);
    EXPECT_TRUE(has_line(forced.description.fusions, "(depthwise post-op)")) << forced.description.summary();
  }
}

TEST(OnednnFusion, DepthwiseFusionRefusesOtherKernels) {
  FB_REQUIRE_ONEDNN();
  test::RunResult r = run_against_reference(inverted_residual(5, 1, 14));
  expect_agrees(r);
  EXPECT_TRUE(has_line(r.description.notes, "no depthwise post-op: the depthwise conv is not 3x3"));
}

TEST(OnednnFusion, FlattenIntoLinearReadsBlockedTensor) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("classifier");
  ValueId x = b.input("x", {2, 16, 7, 7});
  x = b.relu(b.conv(x, {.out = 32, .k = 3}, "conv"));
  Graph g = finish(b, b.relu(b.linear(b.flatten(x), 20, "fc1"), "relu_fc"));
  test::RunResult r = run_against_reference(g);
  expect_agrees(r);
  EXPECT_TRUE(has_line(r.description.fusions, "flatten+fc1"));
  EXPECT_TRUE(r.description.reorders.empty() || !has_line(r.description.reorders, "flatten"));
}

// Ops ResNets do not use: split, channel shuffle, concat, ceil-mode pooling, SE multiply, softmax.
Graph odd_ops_graph() {
  GraphBuilder b("odd");
  ValueId x = b.input("x", {2, 3, 21, 21});
  x = b.relu(b.batch_norm(b.conv(x, {.out = 40, .k = 3, .stride = 2}, "stem"), "stem_bn"));
  auto parts = b.split(x, {8, 32}, "split");  // 8 is off the 16-channel block boundary
  ValueId a = b.max_pool(parts[0], {.k = 2, .stride = 2, .ceil_mode = true}, "pool_a");
  ValueId c = b.hard_swish(b.conv(parts[1], {.out = 24, .k = 3, .stride = 2, .pad = 1}, "conv_b"), "hs");
  ValueId s = b.hard_sigmoid(b.conv(b.global_avg_pool(c), {.out = 24, .k = 1, .bias = true}, "se_fc"), "se_gate");
  c = b.mul(c, s, "se_mul");
  ValueId y = b.channel_shuffle(b.concat({a, c}, "cat"), 2, "shuffle");
  y = b.avg_pool(y, {.k = 2, .stride = 2, .ceil_mode = true, .count_include_pad = false}, "pool_avg");
  y = b.silu(b.conv(y, {.out = 32, .k = 1}, "conv_c"), "silu");
  return finish(b, b.softmax(b.linear(b.flatten(b.global_avg_pool(y)), 10, "fc"), "softmax"));
}

TEST(OnednnFusion, OddOpsAgreeInEveryMode) {
  FB_REQUIRE_ONEDNN();
  Graph g = odd_ops_graph();
  for (auto extra : std::vector<std::map<std::string, std::string>>{
           {}, {{"fuse", "off"}}, {{"layout", "plain"}}, {{"inplace_concat", "off"}}}) {
    SCOPED_TRACE(extra.empty() ? "default" : extra.begin()->first + "=" + extra.begin()->second);
    expect_agrees(run_against_reference(g, extra));
  }
}

TEST(OnednnFusion, ConcatDecisionIsReported) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("dense");
  ValueId x = b.input("x", {1, 16, 9, 9});
  ValueId y = b.concat({x, b.relu(b.conv(x, {.out = 16, .k = 3}, "conv"), "relu")}, "cat");
  Graph g = finish(b, b.conv(y, {.out = 8, .k = 1}, "conv2"));
  test::RunResult r = run_against_reference(g);
  expect_agrees(r);
  EXPECT_TRUE(has_line(r.description.fusions, "cat: 1 concatenation(s) in place"));
  const test::RunResult off = run_against_reference(g, {{"inplace_concat", "off"}});
  expect_agrees(off);
  EXPECT_FALSE(has_line(off.description.fusions, "in place"));
  EXPECT_FALSE(has_line(off.description.notes, "concat not in place"));
}

TEST(OnednnFusion, ArenaSmallerThanNaiveSum) {
  FB_REQUIRE_ONEDNN();
  test::RunResult r = run_against_reference(residual_block(false));
  EXPECT_GT(r.description.arena_bytes, 0);
  EXPECT_LT(r.description.arena_bytes, r.description.naive_activation_bytes);
}

TEST(OnednnFusion, RepeatedRunsReuseOutputsAndGiveSameNumbers) {
  FB_REQUIRE_ONEDNN();
  Graph g = residual_block(false);
  CompileOptions opt;
  opt.threads = 2;
  auto exe = make_backend("onednn")->compile(g, opt);
  const auto in = make_inputs(g, 4);
  std::vector<Tensor> out;
  exe->run(in, out);
  const Tensor first = out[0].clone();
  const float* ptr = out[0].data();
  exe->run(in, out);
  EXPECT_EQ(out[0].data(), ptr);
  EXPECT_EQ(compare_outputs(first, out[0], 0).max_abs_error, 0.0);
}

TEST(OnednnFusion, BadOptionsAreErrors) {
  FB_REQUIRE_ONEDNN();
  Graph g = residual_block(false);
  auto b = make_backend("onednn");
  CompileOptions opt;
  opt.extra = {{"fusee", "off"}};
  EXPECT_THROW(b->compile(g, opt), Error);
  opt.extra = {{"fuse", "maybe"}};
  EXPECT_THROW(b->compile(g, opt), Error);
  opt.extra.clear();
  opt.precision = Precision::F16;
  EXPECT_THROW(b->compile(g, opt), Error);
  opt.precision = Precision::TF32;
  EXPECT_THROW(b->compile(g, opt), Error);
  opt.precision = Precision::F32;
  auto exe = b->compile(g, opt);
  std::vector<Tensor> out;
  EXPECT_THROW(exe->run({Tensor({1, 16, 12, 12})}, out), Error);  // wrong batch
}

}  // namespace
}  // namespace fb
