// Winograd convolution on the onednn backend (winograd=auto|on|off): where it runs, it computes the
// reference's numbers within fp32's tolerance, describe() says which convolutions took it and why the others
// did not, and only 3x3 stride-1 fp32 convolutions are candidates. oneDNN 3.x has no Winograd kernel on x64
// CPUs: there the same graphs stay direct and describe() says so.
#if FORMBENCH_HAVE_ONEDNN
#include <fmt/format.h>

#include "backends/onednn/dnnl_compat.h"
#include "backends/onednn/winograd.h"
#include "core/error.h"
#include "ir/builder.h"
#include "onednn_test_support.h"

namespace fb {
namespace {

using test::has_line;
using test::run_against_reference;

constexpr double k_fp32_tolerance = 1e-3;  // the precision table's fp32 bound, which study points are held to

// Does this oneDNN offer Winograd at all? (2.x on AVX-512: yes; 3.x on x64: no.)
bool winograd_offered() {
  const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  using memory = dnnl::memory;
  const auto f32 = memory::data_type::f32;
  try {
    onednn::compat::make_conv_pd(eng, memory::desc({1, 16, 16, 16}, f32, memory::format_tag::any),
                                 memory::desc({16, 16, 3, 3}, f32, memory::format_tag::any), memory::desc(),
                                 memory::desc({1, 16, 16, 16}, f32, memory::format_tag::any), {1, 1}, {0, 0},
                                 {1, 1}, {1, 1}, dnnl::primitive_attr(), dnnl::algorithm::convolution_winograd);
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

// A VGG-like stack at 56 px (where oneDNN has its JIT kernels): three 3x3 stride-1 convs with ReLU, a max
// pool, one more 3x3, then a 3x3 stride-2, a 1x1 and a grouped 3x3, which are not candidates.
Graph vgg_like() {
  GraphBuilder b("vgg_like");
  ValueId x = b.input("x", {1, 16, 56, 56});
  x = b.relu(b.conv(x, {.out = 32, .k = 3, .bias = true}, "c1"), "r1");
  x = b.relu(b.conv(x, {.out = 32, .k = 3, .bias = true}, "c2"), "r2");
  x = b.relu(b.conv(x, {.out = 64, .k = 3, .bias = true}, "c3"), "r3");
  x = b.max_pool(x, {.k = 2}, "pool");
  x = b.relu(b.conv(x, {.out = 64, .k = 3, .bias = true}, "c4"), "r4");
  x = b.relu(b.conv(x, {.out = 64, .k = 3, .stride = 2, .bias = true}, "s2"), "r5");
  x = b.relu(b.conv(x, {.out = 64, .k = 1, .bias = true}, "pw"), "r6");
  x = b.relu(b.conv(x, {.out = 64, .k = 3, .groups = 4, .bias = true}, "grouped"), "r7");
  b.output(x);
  Graph g = b.finish();
  materialize_weights(g, 5);
  return g;
}

std::string winograd_line(const Description& d) {
  for (const std::string& n : d.notes)
    if (n.rfind("winograd (", 0) == 0) return n;
  return "";
}
// Kernel notes look like "conv:jit_fp32_wino_2x3:avx512_core x4" (the winograd note itself is not one).
bool ran_winograd(const Description& d) {
  return has_line(d.notes, "conv:jit_fp32_wino") || has_line(d.notes, "conv:jit_wino");
}

TEST(OnednnWinograd, OnComputesTheReferenceNumbersWhereOffered) {
  FB_REQUIRE_ONEDNN();
  const test::RunResult r = run_against_reference(vgg_like(), {{"winograd", "on"}}, k_fp32_tolerance);
  EXPECT_TRUE(r.agreement.passed(k_fp32_tolerance)) << r.agreement.summary();
  const std::string line = winograd_line(r.description);
  if (winograd_offered()) {
    // The four 3x3 stride-1 convs, each as c1..c4 with its fused ReLU; never the stride-2, 1x1 or grouped ones.
    EXPECT_NE(line.find("winograd (on): 4 of 4 3x3 stride-1 convs: c1+r1, c2+r2, c3+r3, c4+r4"), std::string::npos)
        << r.description.summary();
    EXPECT_TRUE(ran_winograd(r.description)) << r.description.summary();
    EXPECT_GT(r.agreement.rel_max_error, 0.0);  // a different algorithm: not bit-identical to direct
    EXPECT_EQ(r.description.fast_algorithm_convs, 4);  // so no % of the FMA peak is claimed for the run
  } else {
    EXPECT_NE(line.find("0 of 4"), std::string::npos) << r.description.summary();
    EXPECT_NE(line.find("no Winograd kernel in oneDNN for: c1+r1, c2+r2, c3+r3, c4+r4"), std::string::npos) << line;
    EXPECT_FALSE(ran_winograd(r.description));
    EXPECT_EQ(r.description.fast_algorithm_convs, 0);
  }
}

TEST(OnednnWinograd, OffKeepsTheDirectKernels) {
  FB_REQUIRE_ONEDNN();
  const test::RunResult r = run_against_reference(vgg_like(), {{"winograd", "off"}});
  EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary();
  EXPECT_FALSE(ran_winograd(r.description)) << r.description.summary();
  EXPECT_EQ(winograd_line(r.description), "");
  EXPECT_EQ(r.description.fast_algorithm_convs, 0);
  // layout=plain keeps every activation nchw, where no Winograd kernel runs: no candidates either.
  const test::RunResult plain = run_against_reference(vgg_like(), {{"winograd", "on"}, {"layout", "plain"}});
  EXPECT_TRUE(plain.agreement.passed(1e-4)) << plain.agreement.summary();
  EXPECT_FALSE(ran_winograd(plain.description)) << plain.description.summary();
  EXPECT_EQ(winograd_line(plain.description), "");
}

// auto times each candidate; whatever it picks, the numbers are the reference's, and every candidate is
// listed once with its measured ratio (or, without Winograd kernels, as having none).
TEST(OnednnWinograd, AutoListsEveryCandidateWithItsTiming) {
  FB_REQUIRE_ONEDNN();
  const test::RunResult r = run_against_reference(vgg_like(), {}, k_fp32_tolerance);
  EXPECT_TRUE(r.agreement.passed(k_fp32_tolerance)) << r.agreement.summary();
  const std::string line = winograd_line(r.description);
  ASSERT_EQ(line.rfind("winograd (auto): ", 0), 0u) << r.description.summary();
  for (const char* conv : {"c1+r1", "c2+r2", "c3+r3", "c4+r4"}) {
    const size_t at = line.find(conv);
    ASSERT_NE(at, std::string::npos) << conv << ": " << line;
    EXPECT_EQ(line.find(conv, at + 1), std::string::npos) << conv << " listed twice: " << line;
    if (winograd_offered()) EXPECT_EQ(line.compare(at + std::string(conv).size(), 1, " "), 0) << line;  // "c1+r1 1.52x"
  }
  for (const char* not_candidate : {"s2+", "pw+", "grouped+"}) EXPECT_EQ(line.find(not_candidate), std::string::npos);
  // The picks run only where the whole program with them was timed faster, and the count says what ran.
  const int picked = std::stoi(line.substr(std::string("winograd (auto): ").size()));
  const bool dropped = has_line(r.description.notes, "winograd (auto): not used: the whole program");
  EXPECT_EQ(r.description.fast_algorithm_convs, dropped ? 0 : picked) << r.description.summary();
  EXPECT_EQ(ran_winograd(r.description), !dropped && picked > 0);
  if (picked > 0) EXPECT_TRUE(dropped || has_line(r.description.notes, "winograd (auto): the whole program with those"));
}

// bf16 has no Winograd kernel: no candidates, no note, and the numbers hold.
TEST(OnednnWinograd, Bf16HasNoCandidates) {
  FB_REQUIRE_ONEDNN();
  CompileOptions opt;
  opt.threads = 2;
  opt.precision = Precision::BF16;
  opt.extra = {{"winograd", "on"}};
  const Graph g = vgg_like();
  std::unique_ptr<Executable> exe;
  try {
    exe = make_backend("onednn")->compile(g, opt);
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();  // no AVX-512 for bf16 here
  }
  EXPECT_EQ(winograd_line(exe->describe()), "");
  EXPECT_FALSE(ran_winograd(exe->describe()));
}

TEST(OnednnWinograd, OptionValueIsChecked) {
  FB_REQUIRE_ONEDNN();
  CompileOptions opt;
  opt.extra = {{"winograd", "always"}};
  try {
    make_backend("onednn")->compile(vgg_like(), opt);
    FAIL() << "winograd=always accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("winograd=always must be 'auto', 'on' or 'off'"), std::string::npos) << e.what();
  }
}

TEST(OnednnWinograd, PairedSpeedupIsTheMedianOfPerPairRatios) {
  // Ratios 2.0, 0.5, 1.5 -> median 1.5; the medians of each side (10 and 10) would say 1.0.
  EXPECT_DOUBLE_EQ(onednn::median_pair_ratio({10, 10, 30}, {5, 20, 20}), 1.5);
  // Even count: the mean of the middle two (1.2 and 1.6).
  EXPECT_DOUBLE_EQ(onednn::median_pair_ratio({12, 16, 10, 30}, {10, 10, 10, 10}), 1.4);
  EXPECT_DOUBLE_EQ(onednn::median_pair_ratio({}, {}), 0.0);
}

TEST(OnednnWinograd, ShapeRuleIsThreeByThreeStrideOneUngrouped) {
  EXPECT_TRUE(onednn::winograd_shape({.out_channels = 8, .kernel_h = 3, .kernel_w = 3}));
  EXPECT_FALSE(onednn::winograd_shape({.out_channels = 8, .kernel_h = 1, .kernel_w = 1}));
  EXPECT_FALSE(onednn::winograd_shape({.out_channels = 8, .kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2}));
  EXPECT_FALSE(onednn::winograd_shape({.out_channels = 8, .kernel_h = 3, .kernel_w = 3, .dilation_h = 2, .dilation_w = 2}));
  EXPECT_FALSE(onednn::winograd_shape({.out_channels = 8, .kernel_h = 3, .kernel_w = 3, .groups = 2}));
  EXPECT_FALSE(onednn::winograd_shape({.out_channels = 8, .kernel_h = 5, .kernel_w = 5}));
}

}  // namespace
}  // namespace fb
#endif  // FORMBENCH_HAVE_ONEDNN
