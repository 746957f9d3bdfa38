// Whole networks on the onednn backend agree with the reference backend: every registered pattern at
// depths 1-4 (rel. max error <= 1e-4), every zoo model at a reduced resolution (<= 1e-3, top-1 identical
// unless ambiguous), batch 1 and 4; one test per pattern and per model.
#include <fmt/format.h>

#include "onednn_test_support.h"
#include "backends/onednn/refusals.h"
#include "models/model_ref.h"
#include "first_buildable.h"
#include "../registry_params.h"

namespace fb {
namespace {

using test::first_buildable;

class OnednnPatterns : public ::testing::TestWithParam<std::string> {};

TEST_P(OnednnPatterns, AgreeAtDepths1To4) {
  FB_REQUIRE_ONEDNN();
  const std::string name = GetParam();
  for (int depth = 1; depth <= 4; ++depth) {
    const int batch = depth == 4 ? 4 : 1;
    std::vector<std::string> refs;
    for (int width : {16, 32, 64})  // the smallest width the pattern accepts (grouped needs 64)
      refs.push_back(fmt::format("pattern:{}?depth={}&width={}&res=32&batch={}", name, depth, width, batch));
    std::string ref;
    const auto g = first_buildable(refs, ref, "pattern " + name);
    if (!g) continue;
    SCOPED_TRACE(ref);
    test::RunResult r = test::run_against_reference(*g, {}, 1e-4);
    EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary() << "\n" << r.description.summary();
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, OnednnPatterns, ::testing::ValuesIn(test::pattern_names()), test::param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OnednnPatterns);

class OnednnZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(OnednnZoo, AgreesAtReducedResolution) {
  FB_REQUIRE_ONEDNN();
  const std::string name = GetParam();
  // VGG's AdaptiveAvgPool2d(7) needs res >= 224, where 15+ GMACs are too slow for the reference in CI; its
  // layers (conv3x3+ReLU stacks, max pooling, flatten+linear) are covered by the other models and patterns.
  if (name.rfind("vgg", 0) == 0) GTEST_SKIP() << "needs res >= 224 (AdaptiveAvgPool2d(7)); too slow for the reference";
  for (int batch : {1, 4}) {
    // The reference runs plain loops: the smallest resolution each model accepts (Inception-V3: 75).
    std::vector<std::string> refs;
    for (int res : {32, 64, 75}) refs.push_back(fmt::format("{}?res={}&batch={}&classes=100", name, res, batch));
    std::string ref;
    const auto g = first_buildable(refs, ref, name + " at a small resolution");
    if (!g) continue;
    SCOPED_TRACE(ref);
    test::RunResult r = test::run_against_reference(*g, {}, 1e-3);
    EXPECT_TRUE(r.agreement.passed(1e-3)) << r.agreement.summary() << "\n" << r.description.summary();
    EXPECT_EQ(r.agreement.top1_agree + r.agreement.top1_ambiguous, r.agreement.rows) << r.agreement.summary();
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, OnednnZoo, ::testing::ValuesIn(test::zoo_names()), test::param_name);

}  // namespace
}  // namespace fb

namespace fb {
namespace {

// bf16 is reported separately from fp32 and checked with bf16's tolerance from the precision table (the
// issue's 1e-2): 8 significant bits per stored activation and weight, fp32 accumulation.
TEST(OnednnModels, Bf16AgreesWithinBf16Tolerance) {
  FB_REQUIRE_ONEDNN();
  Graph g = load_model("resnet18?res=32&batch=2&classes=100");
  CompileOptions opt;
  opt.threads = 2;
  opt.precision = Precision::BF16;
  std::unique_ptr<Executable> exe;
  try {
    exe = make_backend("onednn")->compile(g, opt);
  } catch (const Error& e) {
    if (onednn::is_bf16_refusal(e.what())) GTEST_SKIP() << e.what();  // no AVX-512 on this machine
    FAIL() << "bf16 compile failed: " << e.what();
  }
  auto ref = make_backend("reference")->compile(g, CompileOptions{});
  const auto in = make_inputs(g, 3);
  std::vector<Tensor> out, want;
  exe->run(in, out);
  ref->run(in, want);
  const double tol = precision_info(Precision::BF16).tolerance;
  const Agreement a = compare_outputs(want[0], out[0], tol);
  EXPECT_TRUE(a.passed(tol)) << a.summary();
  EXPECT_GT(a.rel_max_error, 0.0);  // really computed in bf16, not silently fp32
  EXPECT_TRUE(test::has_line(exe->describe().notes, "bf16"));
}

}  // namespace
}  // namespace fb
