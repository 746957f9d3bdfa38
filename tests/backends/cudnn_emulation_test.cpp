// The cudnn plan executed on the host (emulate.h): every step computed with the reference loops over the
// arena offsets the device would use. Agreement with the reference backend on every pattern and zoo model
// shows, without a GPU, that the fusions keep the network's meaning and that no two live buffers overlap
// (an overlap corrupts a tensor that is still needed; the arena starts filled with NaN). One test per pattern
// and per zoo model.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/compare.h"
#include "backends/cudnn/emulate.h"
#include "ir/builder.h"
#include "models/model_ref.h"
#include "first_buildable.h"
#include "kernel_ops_graph.h"
#include "../registry_params.h"

namespace fb::cudnn {
namespace {

using test::first_buildable;

// Emulates g's plan and compares with the reference; also checks the buffer plan's invariants.
void check_model(const Graph& g, const PlanOptions& opt = {}) {
  Plan p = make_plan(g, opt);
  BufferPlan bp = plan_buffers(p, 4);
  EXPECT_LE(bp.arena_bytes, bp.naive_bytes);
  for (size_t i = 0; i < bp.owners.size(); ++i)
    for (size_t j = i + 1; j < bp.owners.size(); ++j) {
      const auto a = static_cast<size_t>(bp.owners[i]), b = static_cast<size_t>(bp.owners[j]);
      const bool overlap_time = bp.live[a].first <= bp.live[b].second && bp.live[b].first <= bp.live[a].second;
      const int64_t a_end = bp.offset[a] + shape_numel(p.g.values[a].shape) * 4;
      const int64_t b_end = bp.offset[b] + shape_numel(p.g.values[b].shape) * 4;
      const bool overlap_mem = bp.offset[a] < b_end && bp.offset[b] < a_end;
      EXPECT_FALSE(overlap_time && overlap_mem) << p.g.values[a].name << " and " << p.g.values[b].name;
    }
  const auto inputs = make_inputs(g, 9);
  const std::vector<Tensor> got = emulate_plan(p, bp, inputs);
  std::vector<Tensor> want;
  make_backend("reference")->compile(g, CompileOptions{})->run(inputs, want);
  const Agreement a = compare_outputs(want.at(0), got.at(0), 1e-4);
  EXPECT_TRUE(a.passed(1e-4)) << a.summary();
}

class CudnnEmulationPatterns : public ::testing::TestWithParam<std::string> {};

TEST_P(CudnnEmulationPatterns, AgreeAtBatch1And2) {
  const std::string name = GetParam();
  for (int batch : {1, 2}) {
    std::vector<std::string> refs;
    for (int width : {16, 32, 64})
      refs.push_back(fmt::format("pattern:{}?depth=2&width={}&res=32&batch={}", name, width, batch));
    std::string ref;
    const auto g = first_buildable(refs, ref, "pattern " + name);
    if (!g) continue;
    SCOPED_TRACE(ref);
    check_model(*g);
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, CudnnEmulationPatterns, ::testing::ValuesIn(test::pattern_names()), test::param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CudnnEmulationPatterns);

class CudnnEmulationZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(CudnnEmulationZoo, AgreesAtSmallResolution) {
  const std::string name = GetParam();
  if (name.rfind("vgg", 0) == 0) GTEST_SKIP() << "needs 224 px: too slow for the reference loops in CI";
  std::vector<std::string> refs;
  for (int res : {32, 64, 75}) refs.push_back(fmt::format("{}?res={}&batch=1&classes=10", name, res));
  std::string ref;
  const auto g = first_buildable(refs, ref, name);
  if (!g) return;
  SCOPED_TRACE(ref);
  check_model(*g);
}

INSTANTIATE_TEST_SUITE_P(Registry, CudnnEmulationZoo, ::testing::ValuesIn(test::zoo_names()), test::param_name);

TEST(CudnnEmulation, ConcatAndSplitCopiesAtBatch2AndWithoutViews) {
  for (const char* ref : {"densenet121?res=32&batch=2&classes=10", "shufflenet_v2_x1_0?res=32&batch=2&classes=10"}) {
    SCOPED_TRACE(ref);
    const Graph g = load_model(ref);  // both are zoo models: failing to build one is a failure, not a skip
    check_model(g);
    check_model(g, PlanOptions{.fuse = false, .views = false});
  }
}

TEST(CudnnEmulation, EveryOpKindIncludingKernelBackedOnes) {
  // The same graph as the GPU test, at batch 1 (split/concat as views) and 2 (as copies).
  for (int64_t batch : {1, 2}) {
    SCOPED_TRACE(batch);
    check_model(test::kernel_ops_graph(batch));
  }
}

}  // namespace
}  // namespace fb::cudnn
