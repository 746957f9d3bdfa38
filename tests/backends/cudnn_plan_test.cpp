// The cudnn backend's compile-time decisions, tested without a GPU: fusions (conv + folded BN + residual
// add as cuDNN's z input + ReLU), activations cuDNN cannot fuse, concat/split views, in-place activations,
// the per-layer algorithm decision, algorithm cache keys, options.
#include <gtest/gtest.h>

#include "backends/cudnn/plan.h"
#include "ir/builder.h"

namespace fb::cudnn {
namespace {

bool mentions(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

Graph finished(GraphBuilder& b) {
  Graph g = b.finish();
  materialize_weights(g, 3);
  return g;
}

const Step& only_conv_step(const Plan& p, const std::string& label_part) {
  for (const Step& s : p.steps)
    if (s.kind == Kind::Conv && s.label.find(label_part) != std::string::npos) return s;
  ADD_FAILURE() << "no conv step labelled " << label_part;
  return p.steps.front();
}

TEST(CudnnPlan, ConvBnReluIsOneFusedCall) {
  GraphBuilder b("cbr");
  ValueId x = b.input("x", {1, 3, 8, 8});
  b.output(b.relu(b.batch_norm(b.conv(x, {.out = 4, .k = 3}, "conv1"), "bn1"), "relu1"));
  Plan p = make_plan(finished(b));
  ASSERT_EQ(p.steps.size(), 1u);
  const Step& s = p.steps[0];
  EXPECT_EQ(s.kind, Kind::Conv);
  EXPECT_EQ(s.act, Act::Relu);
  EXPECT_TRUE(s.act_in_call);
  EXPECT_EQ(s.residual, -1);
  EXPECT_TRUE(p.g.node(s.node).has_param("bias")) << "the folded BN must have become the conv bias";
  EXPECT_TRUE(mentions(p.fusions, "folded conv1+bn1"));
  EXPECT_TRUE(mentions(p.fusions, "conv1+relu1 (conv+bias+relu in one cudnnConvolutionBiasActivationForward)"));
}

TEST(CudnnPlan, ResidualAddBecomesTheZInputBeforeRelu) {
  GraphBuilder b("basic_block");
  ValueId x = b.input("x", {1, 8, 8, 8});
  ValueId y = b.relu(b.batch_norm(b.conv(x, {.out = 8, .k = 3}, "conv1"), "bn1"), "relu1");
  y = b.batch_norm(b.conv(y, {.out = 8, .k = 3}, "conv2"), "bn2");
  b.output(b.relu(b.add(y, x, "add"), "relu2"));
  Plan p = make_plan(finished(b));
  ASSERT_EQ(p.steps.size(), 2u);
  const Step& s = p.steps[1];
  EXPECT_EQ(s.residual, p.g.inputs[0]);
  EXPECT_EQ(s.act, Act::Relu);
  EXPECT_TRUE(s.act_in_call);
  EXPECT_EQ(s.outputs[0], p.g.outputs[0]);
  EXPECT_TRUE(mentions(p.fusions, "conv2+add+relu2 (conv+bias+add+relu"));
}

TEST(CudnnPlan, ResidualOperandComputedLaterIsNotFusedIntoTheEarlierConv) {
  GraphBuilder b("two_convs");
  ValueId x = b.input("x", {1, 4, 6, 6});
  ValueId a = b.conv(x, {.out = 4, .k = 1}, "conv_a");
  ValueId c = b.conv(x, {.out = 4, .k = 3}, "conv_b");
  b.output(b.add(a, c, "add"));
  Plan p = make_plan(finished(b));
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(only_conv_step(p, "conv_a").residual, -1);
  EXPECT_TRUE(mentions(p.declined, "conv_a+add: residual operand is computed after the conv"));
  const Step& later = only_conv_step(p, "conv_b");
  EXPECT_EQ(later.residual, p.steps[0].outputs[0]);
  EXPECT_EQ(later.act, Act::None);
}

TEST(CudnnPlan, ActivationAfterAddIsNotMovedBeforeIt) {
  // relu(conv) + x: the ReLU comes before the addition, so the add cannot be cuDNN's z input.
  GraphBuilder b("post_act");
  ValueId x = b.input("x", {1, 4, 6, 6});
  ValueId y = b.relu(b.conv(x, {.out = 4, .k = 3}, "conv"), "relu");
  b.output(b.add(y, x, "add"));
  Plan p = make_plan(finished(b));
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[0].residual, -1);
  EXPECT_TRUE(p.steps[0].act_in_call);
  EXPECT_EQ(p.steps[1].kind, Kind::Add);
}

TEST(CudnnPlan, HardSwishAfterConvRunsAsSeparateKernel) {
  GraphBuilder b("hs");
  ValueId x = b.input("x", {1, 3, 8, 8});
  b.output(b.hard_swish(b.batch_norm(b.conv(x, {.out = 4, .k = 3}, "conv"), "bn"), "hswish"));
  Plan p = make_plan(finished(b));
  ASSERT_EQ(p.steps.size(), 1u);
  EXPECT_EQ(p.steps[0].act, Act::HardSwish);
  EXPECT_FALSE(p.steps[0].act_in_call);
  EXPECT_TRUE(mentions(p.declined, "hardswish runs as a separate in-place kernel"));
}

TEST(CudnnPlan, FuseOffKeepsOneStepPerNode) {
  GraphBuilder b("cbr");
  ValueId x = b.input("x", {1, 3, 8, 8});
  b.output(b.relu(b.add(b.conv(x, {.out = 3, .k = 3}, "conv"), x, "add"), "relu"));
  Plan p = make_plan(finished(b), PlanOptions{.fuse = false});
  ASSERT_EQ(p.steps.size(), 3u);
  EXPECT_EQ(p.steps[0].act, Act::None);
  EXPECT_EQ(p.steps[0].residual, -1);
}

Graph two_branch_concat(int64_t batch) {
  GraphBuilder b("cat");
  ValueId x = b.input("x", {batch, 3, 8, 8});
  ValueId l = b.conv(x, {.out = 4, .k = 1}, "left");
  ValueId r = b.conv(x, {.out = 6, .k = 3}, "right");
  b.output(b.relu(b.concat({l, r}, "cat"), "relu"));
  return finished(b);
}

TEST(CudnnPlan, ConcatInputsAreWrittenIntoTheirSliceAtBatch1) {
  Plan p = make_plan(two_branch_concat(1));
  const Step* cat = nullptr;
  for (const Step& s : p.steps)
    if (s.kind == Kind::Concat) cat = &s;
  ASSERT_NE(cat, nullptr);
  EXPECT_FALSE(cat->copy);
  const ValueId out = cat->outputs[0];
  EXPECT_EQ(p.root(cat->inputs[0]).base, p.root(out).base);
  EXPECT_EQ(p.root(cat->inputs[0]).offset, p.root(out).offset + 0);
  EXPECT_EQ(p.root(cat->inputs[1]).offset, p.root(out).offset + 4 * 8 * 8);
  BufferPlan bp = plan_buffers(p, 4);
  EXPECT_EQ(bp.offset[static_cast<size_t>(cat->inputs[1])], bp.offset[static_cast<size_t>(out)] + 4 * 8 * 8 * 4);
}

TEST(CudnnPlan, ConcatCopiesAtBatch2WithTheReason) {
  Plan p = make_plan(two_branch_concat(2));
  for (const Step& s : p.steps) {
    if (s.kind == Kind::Concat) {
      EXPECT_TRUE(s.copy);
    }
  }
  EXPECT_TRUE(mentions(p.copies, "cat: concat copies (batch 2 > 1: channel slices are strided)"));
}

TEST(CudnnPlan, ConcatOfAGraphInputCopies) {
  GraphBuilder b("cat_input");
  ValueId x = b.input("x", {1, 3, 4, 4});
  b.output(b.concat({x, b.conv(x, {.out = 2, .k = 1})}, "cat"));
  Plan p = make_plan(finished(b));
  EXPECT_TRUE(mentions(p.copies, "is read elsewhere"));
  EXPECT_EQ(p.views[static_cast<size_t>(p.g.inputs[0])].base, -1) << "a graph input must never become a view";
}

TEST(CudnnPlan, SplitOutputsAreSlicesAtBatch1) {
  GraphBuilder b("split");
  ValueId x = b.input("x", {1, 8, 4, 4});
  auto parts = b.split(b.conv(x, {.out = 8, .k = 1}), {3, 5}, "split");
  b.output(b.add(b.conv(parts[0], {.out = 5, .k = 1}, "c0"), parts[1], "add"));
  Plan p = make_plan(finished(b));
  const ValueId whole = p.g.node(p.g.value(parts[0]).producer).inputs[0];
  EXPECT_EQ(p.root(parts[1]).base, p.root(whole).base);
  EXPECT_EQ(p.root(parts[1]).offset, 3 * 16);
}

TEST(CudnnPlan, ActivationRunsInPlaceOnlyOnADyingOwnedBuffer) {
  GraphBuilder b("inplace");
  ValueId x = b.input("x", {1, 3, 8, 8});
  ValueId pooled = b.max_pool(x, {.k = 2});
  ValueId s = b.sigmoid(pooled, "sig");
  ValueId r = b.relu(x, "relu_on_input");
  b.output(b.add(b.max_pool(r, {.k = 2}, "pool2"), s, "add"));
  Plan p = make_plan(finished(b));
  EXPECT_EQ(p.views[static_cast<size_t>(s)].base, pooled);
  EXPECT_EQ(p.views[static_cast<size_t>(r)].base, -1) << "the graph input stays resident: no in-place write";
}

TEST(CudnnPlan, FlattenIsAnAlias) {
  GraphBuilder b("head");
  ValueId x = b.input("x", {2, 4, 3, 3});
  ValueId f = b.flatten(b.global_avg_pool(x));
  b.output(b.linear(f, 5));
  Plan p = make_plan(finished(b));
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_GE(p.views[static_cast<size_t>(f)].base, 0);
  EXPECT_EQ(p.steps[1].kind, Kind::Linear);
}

TEST(CudnnPlan, AsymmetricConvPaddingIsRefusedNamingTheNode) {
  GraphBuilder b("asym");
  ValueId x = b.input("x", {1, 3, 8, 8});
  Conv2dAttrs a;
  a.out_channels = 4;
  a.kernel_h = a.kernel_w = 3;
  a.pad_top = a.pad_left = 0;
  a.pad_bottom = a.pad_right = 1;
  b.output(b.conv2d(x, a, "odd_conv"));
  try {
    make_plan(finished(b));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Conv2d 'odd_conv' (asymmetric padding"), std::string::npos) << e.what();
  }
}

std::vector<AlgoResult> results() {
  return {{0, "IMPLICIT_GEMM", 0.050f, 0, 3, true},
          {1, "IMPLICIT_PRECOMP_GEMM", 0.030f, 1000, 3, true},
          {6, "WINOGRAD", 0.020f, 5000, 3, true},
          {4, "FFT", 0.010f, 1 << 30, 3, true},
          {2, "GEMM", 0.001f, 0, 3, false}};
}

TEST(CudnnConvDecision, ReluUsesTheFastestAlgorithmThatFitsInTheFusedCall) {
  ConvDecision d = decide_conv(results(), true, true, false, 0.005, 1 << 20);
  EXPECT_EQ(d.index, 2) << "FFT needs too much workspace, GEMM failed";
  EXPECT_TRUE(d.fused_call);
}

TEST(CudnnConvDecision, IdentityFusedOnlyWhenPrecompIsCompetitive) {
  // Separate: 0.020 + 1 x 0.005 = 0.025 < 0.030: separate wins.
  ConvDecision d = decide_conv(results(), false, true, false, 0.005, 1 << 20);
  EXPECT_EQ(d.index, 2);
  EXPECT_FALSE(d.fused_call);
  // With a residual too: 0.020 + 2 x 0.005 = 0.030 >= 0.030: the fused call wins.
  d = decide_conv(results(), false, true, true, 0.005, 1 << 20);
  EXPECT_EQ(d.index, 1);
  EXPECT_TRUE(d.fused_call);
  // Nothing to add: the plain fastest algorithm.
  d = decide_conv(results(), false, false, false, 0.005, 1 << 20);
  EXPECT_EQ(d.index, 2);
  EXPECT_FALSE(d.fused_call);
}

TEST(CudnnConvDecision, HeuristicOrderRanksWhenNothingIsMeasured) {
  std::vector<AlgoResult> r = results();
  for (auto& x : r) x.ms = -1;
  ConvDecision d = decide_conv(r, true, true, false, 0.005, 1 << 20);
  EXPECT_EQ(d.index, 0);
}

TEST(CudnnConvDecision, NoAlgorithmFitsThrows) {
  std::vector<AlgoResult> r = {{4, "FFT", 0.01f, 1 << 30, 3, true}};
  EXPECT_THROW(decide_conv(r, true, true, false, 0.005, 1024), Error);
}

TEST(CudnnConvKey, DistinguishesEverythingTheAnswerDependsOn) {
  Conv2dAttrs a;
  a.out_channels = 8;
  a.kernel_h = a.kernel_w = 3;
  a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = 1;
  const ConvKey base{{1, 8, 14, 14}, {8, 8, 3, 3}, a, "fp32", "fma", false, 0};
  ConvKey same = base;
  EXPECT_EQ(base.str(), same.str());
  std::vector<ConvKey> variants(8, base);
  variants[0].x = {2, 8, 14, 14};
  variants[1].dtype = "fp16";
  variants[2].math = "tensor_op";
  variants[3].a.stride_h = 2;
  variants[4].a.groups = 8;
  variants[5].device = 1;
  variants[6].a.dilation_w = 2;
  variants[7].align = 16;
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(variants[i].str(), base.str()) << i;
    for (size_t j = i + 1; j < variants.size(); ++j) EXPECT_NE(variants[i].str(), variants[j].str()) << i << "," << j;
  }
}

TEST(CudnnOptions, ParsedAndRefusedClearly) {
  CompileOptions o;
  o.extra = {{"graph", "off"}, {"find", "heuristic"}, {"fuse", "on"}};
  CudnnOptions c = parse_cudnn_options(o);
  EXPECT_FALSE(c.cuda_graph);
  EXPECT_FALSE(c.exhaustive_find);
  EXPECT_TRUE(c.fuse);
  o.extra = {{"grpah", "off"}};
  EXPECT_THROW(parse_cudnn_options(o), Error);
  o.extra = {{"graph", "maybe"}};
  EXPECT_THROW(parse_cudnn_options(o), Error);
  o.extra = {{"layout", "nhwc"}};
  EXPECT_THROW(parse_cudnn_options(o), Error);
  EXPECT_EQ(parse_cuda_device("cuda"), 0);
  EXPECT_EQ(parse_cuda_device("cuda:3"), 3);
  EXPECT_THROW(parse_cuda_device("cpu"), Error);
  EXPECT_THROW(parse_cuda_device("cuda:x"), Error);
  EXPECT_THROW(check_precision(Precision::BF16), Error);
  EXPECT_NO_THROW(check_precision(Precision::F16));
}

}  // namespace
}  // namespace fb::cudnn
