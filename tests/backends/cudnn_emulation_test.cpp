// The cudnn plan executed on the host (emulate.h): every step computed with the reference loops over the
// arena offsets the device would use. Agreement with the reference backend on every pattern and zoo model
// shows, without a GPU, that the fusions keep the network's meaning and that no two live buffers overlap
// (an overlap corrupts a tensor that is still needed; the arena starts filled with NaN).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/compare.h"
#include "backends/cudnn/emulate.h"
#include "ir/builder.h"
#include "models/model_ref.h"
#include "first_buildable.h"

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

TEST(CudnnEmulation, EveryPatternBatch1And2) {
  for (const ModelEntry& e : patterns())
    for (int batch : {1, 2}) {
      std::vector<std::string> refs;
      for (int width : {16, 32, 64})
        refs.push_back(fmt::format("pattern:{}?depth=2&width={}&res=32&batch={}", e.name, width, batch));
      std::string ref, why;
      Graph g = first_buildable(refs, ref, why);
      SCOPED_TRACE(ref);
      if (!why.empty()) {
        ADD_FAILURE() << "cannot build pattern " << e.name << ": " << why;
        continue;
      }
      check_model(g);
    }
}

TEST(CudnnEmulation, EveryZooModelAtSmallResolution) {
  for (const ModelEntry& e : zoo_models()) {
    if (e.name.rfind("vgg", 0) == 0) continue;  // needs 224 px: too slow for the reference loops in CI
    std::vector<std::string> refs;
    for (int res : {32, 64, 75}) refs.push_back(fmt::format("{}?res={}&batch=1&classes=10", e.name, res));
    std::string ref, why;
    Graph g = first_buildable(refs, ref, why);
    SCOPED_TRACE(ref);
    if (!why.empty()) {
      ADD_FAILURE() << "cannot build " << e.name << ": " << why;
      continue;
    }
    check_model(g);
  }
}

TEST(CudnnEmulation, ConcatAndSplitCopiesAtBatch2AndWithoutViews) {
  for (const char* ref : {"densenet121?res=32&batch=2&classes=10", "shufflenet_v2_x1_0?res=32&batch=2&classes=10"}) {
    SCOPED_TRACE(ref);
    Graph g;
    try {
      g = load_model(ref);
    } catch (const Error& e) {
      GTEST_SKIP() << e.what();
    }
    check_model(g);
    check_model(g, PlanOptions{.fuse = false, .views = false});
  }
}

TEST(CudnnEmulation, EveryOpKindIncludingKernelBackedOnes) {
  // Ceil-mode pooling, standalone batch norm, hard swish/sigmoid, broadcast multiply, channel shuffle,
  // split and concat (batch 1: views; batch 2: copies), softmax: the same graph as the GPU test.
  for (int64_t batch : {1, 2}) {
    GraphBuilder b("ops");
    ValueId x = b.input("x", {batch, 8, 9, 9});
    ValueId p = b.max_pool(x, {.k = 3, .stride = 2, .ceil_mode = true});
    ValueId q = b.avg_pool(x, {.k = 3, .stride = 2, .pad = 1, .ceil_mode = true, .count_include_pad = false});
    ValueId h = b.hard_swish(b.batch_norm(p, "bn_alone"));
    ValueId s = b.hard_sigmoid(b.global_avg_pool(q));
    ValueId m = b.mul(h, s);
    auto parts = b.split(b.channel_shuffle(m, 2), {3, 5});
    ValueId c = b.concat({b.silu(parts[1]), b.relu6(parts[0])});
    b.output(b.softmax(b.linear(b.flatten(b.global_avg_pool(c)), 7)));
    Graph g = b.finish();
    materialize_weights(g, 8);
    SCOPED_TRACE(batch);
    check_model(g);
  }
}

}  // namespace
}  // namespace fb::cudnn
