// Layout choices of the onednn compiler: it never trades oneDNN's best kernel class for a layout the
// producer happened to write (regnet_y_400mf ran 2x slower than torch eager because an nChw8c layout from
// its grouped convs spread to every 1x1 conv (AVX2 kernels) and to the squeeze-excitation multiply
// (reference loops)). Each case: the program computes the reference's numbers, and describe() shows the
// kernels oneDNN picked.
// It reaches into the backend's compiler, so it exists only where the backend is built.
#if FORMBENCH_HAVE_ONEDNN
#include <fmt/format.h>

#include "backends/onednn/compiler.h"
#include "ir/builder.h"
#include "onednn_test_support.h"

namespace fb {
namespace {

using test::has_line;
using test::run_against_reference;

Graph finish(GraphBuilder& b, ValueId out) { return test::finish_graph(b, out, 11); }

bool avx512(const Description& d) { return has_line(d.notes, "isa avx512"); }

// Kernel notes look like "conv:brgconv:avx512_core x12".
std::vector<std::string> kernels(const Description& d, const std::string& kind) {
  std::vector<std::string> out;
  for (const std::string& n : d.notes)
    if (n.rfind(kind + ":", 0) == 0 && n.find(" x") != std::string::npos) out.push_back(n);
  return out;
}

// x -> 1x1 -> grouped 3x3 (8 channels per group) -> SE (pool, 1x1, relu, 1x1, sigmoid, mul) -> 1x1 + x:
// one RegNetY block.
ValueId regnet_block(GraphBuilder& b, ValueId x, int64_t c, const std::string& name) {
  auto s = b.scope(name);
  ValueId a = b.relu(b.batch_norm(b.conv(x, {.out = c, .k = 1}, "a"), "a_bn"), "a_act");
  ValueId g = b.relu(b.batch_norm(b.conv(a, {.out = c, .k = 3, .groups = c / 8}, "b"), "b_bn"), "b_act");
  ValueId se = b.relu(b.conv(b.global_avg_pool(g, "se_pool"), {.out = c / 4, .k = 1, .bias = true}, "se_fc1"), "se_act");
  se = b.sigmoid(b.conv(se, {.out = c, .k = 1, .bias = true}, "se_fc2"), "se_gate");
  ValueId y = b.batch_norm(b.conv(b.mul(g, se, "se_scale"), {.out = c, .k = 1}, "c"), "c_bn");
  return b.relu(b.add(y, x, "add"), "act");
}

TEST(OnednnLayout, KernelRankOrdersImplementations) {
  EXPECT_EQ(onednn::kernel_rank("ref:any"), 0);
  EXPECT_EQ(onednn::kernel_rank("ref_fused_convolution:any"), 0);
  EXPECT_EQ(onednn::kernel_rank("bnorm_ref:any"), 0);
  EXPECT_EQ(onednn::kernel_rank("ncsp_bnorm:any"), 2);
  EXPECT_EQ(onednn::kernel_rank("x64:gemm:jit"), 1);
  EXPECT_EQ(onednn::kernel_rank("jit_1x1:avx2"), 2);
  EXPECT_EQ(onednn::kernel_rank("jit:uni"), 2);
  EXPECT_EQ(onednn::kernel_rank("jit:avx512_core"), 3);
  EXPECT_EQ(onednn::kernel_rank("brgconv_1x1:avx512_core"), 3);
}

TEST(OnednnLayout, GroupedConvWithSqueezeExcitationKeepsFastKernels) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("regnet_block");
  ValueId x = b.input("x", {1, 16, 20, 20});
  x = b.relu(b.batch_norm(b.conv(x, {.out = 48, .k = 3, .stride = 2}, "stem"), "stem_bn"), "stem_act");
  x = regnet_block(b, x, 48, "block1");
  x = regnet_block(b, x, 48, "block2");
  Graph g = finish(b, b.linear(b.flatten(b.global_avg_pool(x)), 10, "fc"));
  for (const char* layout : {"blocked", "plain"}) {
    SCOPED_TRACE(layout);
    test::RunResult r = run_against_reference(g, {{"layout", layout}});
    EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary();
  }
  test::RunResult r = run_against_reference(g);
  // The SE multiply runs on oneDNN's JIT binary kernel, never its reference loops.
  EXPECT_FALSE(kernels(r.description, "binary").empty()) << r.description.summary();
  EXPECT_FALSE(has_line(kernels(r.description, "binary"), "binary:ref")) << r.description.summary();
  if (avx512(r.description)) {
    // Every conv and pool on AVX-512 kernels (the nChw8c layout only had AVX2 ones), one layout throughout.
    for (const std::string& k : kernels(r.description, "conv")) EXPECT_NE(k.find("avx512"), std::string::npos) << k;
    for (const std::string& k : kernels(r.description, "pool")) EXPECT_NE(k.find("avx512"), std::string::npos) << k;
    EXPECT_LE(r.description.reorders.size(), 2u) << r.description.summary();  // network input and output only
  }
}

// A grouped conv reading the graph input takes oneDNN's own favourite layout (nChw8c for 8 channels per
// group on AVX-512), and the SE multiply that follows has only reference loops there: the compiler moves
// the multiply to nhwc (one reorder, named in describe()) rather than run those loops.
TEST(OnednnLayout, BinaryOnALayoutWithoutJitKernelMovesToNhwc) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("se_on_input");
  ValueId x = b.input("x", {1, 40, 12, 12});
  ValueId g = b.relu(b.conv(x, {.out = 40, .k = 3, .groups = 5, .bias = true}, "grouped"), "act");
  ValueId se = b.sigmoid(b.conv(b.global_avg_pool(g, "pool"), {.out = 40, .k = 1, .bias = true}, "fc"), "gate");
  Graph g2 = finish(b, b.mul(g, se, "scale"));
  test::RunResult r = run_against_reference(g2);
  EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary();
  EXPECT_FALSE(has_line(kernels(r.description, "binary"), "binary:ref")) << r.description.summary();
  if (avx512(r.description) && has_line(r.description.notes, "binary:jit") &&
      has_line(r.description.reorders, "oneDNN has only")) {
    EXPECT_TRUE(has_line(r.description.reorders, "-> nhwc")) << r.description.summary();
  }
  // Same numbers with the layout ablation, where no such choice arises.
  EXPECT_TRUE(run_against_reference(g2, {{"layout", "plain"}}).agreement.passed(1e-4));
}

// oneDNN 2.6 shuffles nhwc/nchw tensors with reference loops only; the compiler makes the shuffle a strided
// reorder there. Odd channel counts per group and 2-4 groups, after a conv (blocked layouts) and on the
// plain layout; the reference backend's channel_shuffle is the oracle.
TEST(OnednnLayout, ChannelShuffleAsStridedReorder) {
  FB_REQUIRE_ONEDNN();
  for (auto [c, groups] : {std::pair<int64_t, int64_t>{6, 2}, {58, 2}, {36, 3}, {20, 4}}) {
    SCOPED_TRACE(fmt::format("C={} groups={}", c, groups));
    GraphBuilder b("shuffle");
    ValueId x = b.input("x", {2, 8, 9, 7});
    ValueId y = b.channel_shuffle(b.relu(b.conv(x, {.out = c, .k = 3, .bias = true}, "conv"), "act"), groups, "shuffle");
    Graph g = finish(b, b.relu(b.conv(y, {.out = 16, .k = 1}, "after"), "act2"));
    for (const char* layout : {"blocked", "plain"}) {
      SCOPED_TRACE(layout);
      test::RunResult r = run_against_reference(g, {{"layout", layout}});
      EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary();
      EXPECT_FALSE(has_line(kernels(r.description, "shuffle"), "shuffle:ref")) << r.description.summary();
      if (std::string(layout) == "plain") {  // nchw: oneDNN's own shuffle would be its reference loops
        EXPECT_TRUE(has_line(r.description.notes, "shuffle as a strided reorder")) << r.description.summary();
      }
    }
  }
}

// DenseNet's form with a growth of 8 channels: every concatenation after the first puts an input off a
// 16-channel block boundary, where oneDNN 2.6 has only its reference concat in nChw16c, and left to `any`
// it wrote a layout (Bacd16b) for which the pre-activation BatchNorm had only reference loops (bf16: 6 ms
// of 11). The compiler moves such concatenations to nhwc and such BatchNorms to a layout with a JIT kernel;
// no reference kernel is left, and the numbers are the reference's, in fp32 and in bf16.
TEST(OnednnLayout, DenseGrowthOffBlockBoundaryKeepsJitKernels) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("dense_growth8");
  ValueId x = b.relu(b.conv(b.input("x", {1, 3, 56, 56}), {.out = 16, .k = 3}, "stem"), "stem_act");
  for (int layer = 0; layer < 4; ++layer) {
    auto sc = b.scope(fmt::format("layer{}", layer));
    ValueId y = b.relu(b.batch_norm(x, "norm1", 0.8f), "relu1");
    y = b.relu(b.batch_norm(b.conv(y, {.out = 32, .k = 1}, "conv1"), "norm2"), "relu2");
    y = b.conv(y, {.out = 8, .k = 3}, "conv2");
    x = b.concat({x, y}, "cat");
  }
  Graph g = finish(b, b.linear(b.flatten(b.global_avg_pool(x)), 10, "fc"));
  for (const Precision p : {Precision::F32, Precision::BF16}) {
    SCOPED_TRACE(precision_name(p));
    CompileOptions opt;
    opt.threads = 2;
    opt.precision = p;
    std::unique_ptr<Executable> exe;
    try {
      exe = make_backend("onednn")->compile(g, opt);
    } catch (const Error& e) {
      if (p == Precision::F32) throw;
      continue;  // bf16 needs AVX-512
    }
    const auto inputs = make_inputs(g, 3);
    std::vector<Tensor> out, want;
    exe->run(inputs, out);
    make_backend("reference")->compile(g, CompileOptions{})->run(inputs, want);
    const double tol = precision_info(p).tolerance;
    const Agreement a = compare_outputs(want.at(0), out.at(0), tol);
    EXPECT_TRUE(a.passed(tol)) << a.summary();
    const Description d = exe->describe();
    if (!avx512(d)) continue;
    for (const char* kind : {"concat", "batchnorm"}) {
      EXPECT_FALSE(kernels(d, kind).empty()) << d.summary();
      for (const std::string& k : kernels(d, kind)) EXPECT_GT(onednn::kernel_rank(k), 0) << k;
    }
  }
}

}  // namespace
}  // namespace fb
#endif  // FORMBENCH_HAVE_ONEDNN
