// Every registered pattern (depths 1-4) and zoo model on the LibTorch backends against the reference
// backend. The lists come from the registries, so models added later are covered without editing this file.
#include <cstdio>

#include <fmt/format.h>

#include "models/model_ref.h"
#include "torch_test_util.h"

namespace fb {
namespace {

const char* const k_backends[] = {"torch", "torchscript"};

// Small and cheap for the reference backend; a model too deep for 32 px gets the next size up.
constexpr int64_t k_resolutions[] = {32, 64, 96};

// Builds `ref` at the smallest resolution it accepts; empty graph name (and `why`) when none fits.
Graph build_small(const std::string& ref, std::string& why) {
  for (int64_t res : k_resolutions) {
    try {
      return load_model(fmt::format("{}{}res={}&batch=1", ref, ref.find('?') == std::string::npos ? "?" : "&", res),
                        true, 3);
    } catch (const Error& e) {
      why = fmt::format("{} does not build at res <= {}: {}", ref, res, e.what());
    }
  }
  return Graph{};
}

// torch::jit::freeze takes seconds on graphs of hundreds of nodes (ResNet-101: ~6 s of CPU), so the zoo
// test runs TorchScript on the models up to this size; every op and pattern still runs on it.
constexpr size_t k_max_torchscript_nodes = 320;

// bf16 on the cpu (torch eager only): really computed in bf16, its error well above fp32's (8 significant bits
// against 24), and within `bf16_tol`. The patterns meet the precision table's bound (the 1e-2 `compare --check`
// applies); the zoo networks at these small sizes are only held to 3x it, a sound bf16 computation (a wrong
// kernel path is off by O(1)): PyTorch's bf16 eager rounds every parameter (BatchNorm's statistics too) and
// every intermediate to bf16 and misses 1e-2 on several of them, as onednn's bf16 does on a few; `compare`
// and a study report those as failed points (docs/precision.md).
void expect_bf16_agreement(const Graph& g, const std::vector<Tensor>& inputs, const std::vector<Tensor>& ref,
                           double bf16_tol) {
  if (!torch_test::built("torch")) return;
  CompileOptions opt;
  opt.threads = 1;
  auto fp32 = make_backend("torch")->compile(g, opt);
  opt.precision = Precision::BF16;
  auto bf16 = make_backend("torch")->compile(g, opt);
  std::vector<Tensor> out32, out16;
  fp32->run(inputs, out32);
  bf16->run(inputs, out16);
  for (size_t i = 0; i < ref.size(); ++i) {
    const Agreement a32 = compare_outputs(ref[i], out32[i], bf16_tol), a16 = compare_outputs(ref[i], out16[i], bf16_tol);
    EXPECT_TRUE(a16.passed(bf16_tol)) << g.name << " on torch bf16, output " << i << ": " << a16.summary();
    EXPECT_GT(a16.rel_max_error, 10 * a32.rel_max_error) << g.name << ": bf16 " << a16.summary() << ", fp32 " << a32.summary();
  }
}

void expect_agreement(const Graph& g, double tol, double bf16_tol) {
  const auto inputs = make_inputs(g, 21);
  const auto ref = torch_test::run("reference", g, inputs);
  expect_bf16_agreement(g, inputs, ref, bf16_tol);
  for (const std::string backend : k_backends) {
    if (!torch_test::built(backend)) continue;
    if (backend == "torchscript" && g.nodes.size() > k_max_torchscript_nodes) {
      std::printf("note: %s has %zu nodes, above %zu: TorchScript not run here\n", g.name.c_str(), g.nodes.size(),
                  k_max_torchscript_nodes);
      continue;
    }
    // One thread: the machine running the suite is small and shared; threading is covered by the op tests.
    const auto out = torch_test::run(backend, g, inputs, 1);
    ASSERT_EQ(ref.size(), out.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      Agreement a = compare_outputs(ref[i], out[i], tol);
      EXPECT_TRUE(a.passed(tol)) << g.name << " on " << backend << ", output " << i << ": " << a.summary();
    }
  }
}

std::vector<std::string> pattern_names() {
  std::vector<std::string> names;
  for (const ModelEntry& e : patterns()) names.push_back(e.name);
  return names;
}
std::vector<std::string> zoo_names() {
  std::vector<std::string> names;
  for (const ModelEntry& e : zoo_models()) names.push_back(e.name);
  return names;
}

class TorchPatterns : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchPatterns, DepthsOneToFourMatchReference) {
  if (!torch_test::built("torch") && !torch_test::built("torchscript")) GTEST_SKIP() << "LibTorch backends not built";
  for (int depth = 1; depth <= 4; ++depth) {
    SCOPED_TRACE(fmt::format("depth {}", depth));
    std::string why;
    // Narrow enough for the reference backend, wide enough for patterns with group/width rules.
    Graph g = build_small(fmt::format("pattern:{}?depth={}&width=32", GetParam(), depth), why);
    if (g.nodes.empty()) g = build_small(fmt::format("pattern:{}?depth={}", GetParam(), depth), why);
    if (g.nodes.empty()) GTEST_SKIP() << why;
    expect_agreement(g, 1e-4, precision_info(Precision::BF16).tolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, TorchPatterns, ::testing::ValuesIn(pattern_names()),
                         [](const auto& info) { return torch_test::test_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TorchPatterns);

class TorchZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchZoo, MatchesReference) {
  if (!torch_test::built("torch") && !torch_test::built("torchscript")) GTEST_SKIP() << "LibTorch backends not built";
  std::string why;
  Graph g = build_small(GetParam(), why);
  if (g.nodes.empty()) GTEST_SKIP() << why;
  expect_agreement(g, 1e-3, 3 * precision_info(Precision::BF16).tolerance);
}

INSTANTIATE_TEST_SUITE_P(Registry, TorchZoo, ::testing::ValuesIn(zoo_names()),
                         [](const auto& info) { return torch_test::test_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TorchZoo);

}  // namespace
}  // namespace fb
