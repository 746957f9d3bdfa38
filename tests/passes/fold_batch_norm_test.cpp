// fold_batch_norm: the folded graph computes the same numbers on the reference backend, has one node fewer
// per fold, and declines (with a reason) when the conv output is needed unnormalised.
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/compare.h"
#include "ir/builder.h"
#include "ir/passes/eliminate_identity.h"
#include "ir/passes/fold_batch_norm.h"
#include "ir/passes/pipeline.h"

namespace fb {
namespace {

Tensor run_reference(const Graph& g) {
  auto exe = make_backend("reference")->compile(g, CompileOptions{});
  std::vector<Tensor> out;
  exe->run(make_inputs(g, 5), out);
  return out.at(0);
}

bool mentions(const std::vector<std::string>& lines, const std::string& part) {
  for (const auto& l : lines)
    if (l.find(part) != std::string::npos) return true;
  return false;
}

Graph conv_bn_relu(bool conv_bias) {
  GraphBuilder b("cbr");
  ValueId x = b.input("x", {2, 3, 9, 9});
  x = b.relu(b.batch_norm(b.conv(x, {.out = 8, .k = 3, .stride = 2, .bias = conv_bias}, "conv1"), "bn1"));
  x = b.batch_norm(b.conv(x, {.out = 6, .k = 1, .groups = 2}, "conv2"), "bn2");
  b.output(x);
  Graph g = b.finish();
  materialize_weights(g, 11);
  return g;
}

TEST(FoldBatchNorm, SameNumbersWithAndWithoutConvBias) {
  for (bool bias : {false, true}) {
    Graph g = conv_bn_relu(bias);
    const Tensor before = run_reference(g);
    Graph folded = g;
    passes::PassReport r = passes::fold_batch_norm(folded);
    ASSERT_EQ(r.applied.size(), 2u);
    EXPECT_TRUE(mentions(r.applied, "conv1+bn1"));
    EXPECT_EQ(folded.nodes.size(), g.nodes.size() - 2);
    for (const Node& n : folded.nodes) EXPECT_NE(n.op, Op::BatchNorm);
    const Agreement a = compare_outputs(before, run_reference(folded), 1e-5);
    EXPECT_TRUE(a.passed(1e-5)) << a.summary();
    // The caller's graph keeps its own weights (folding clones them).
    EXPECT_EQ(g.nodes.size(), folded.nodes.size() + 2);
    const Agreement again = compare_outputs(before, run_reference(g), 0);
    EXPECT_EQ(again.max_abs_error, 0.0);
  }
}

TEST(FoldBatchNorm, DeclinesWhenConvOutputHasTwoConsumers) {
  GraphBuilder b("branch");
  ValueId x = b.input("x", {1, 4, 6, 6});
  ValueId c = b.conv(x, {.out = 4, .k = 3}, "conv");
  ValueId y = b.add(b.batch_norm(c, "bn"), c, "add");
  b.output(y);
  Graph g = b.finish();
  materialize_weights(g, 3);
  const Tensor before = run_reference(g);
  passes::PassReport r = passes::fold_batch_norm(g);
  EXPECT_TRUE(r.applied.empty());
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_TRUE(mentions(r.rejected, "2 consumers")) << r.rejected[0];
  EXPECT_EQ(compare_outputs(before, run_reference(g), 0).max_abs_error, 0.0);
}

TEST(FoldBatchNorm, DeclinesWithoutAConv) {
  GraphBuilder b("bn_only");
  ValueId x = b.input("x", {1, 4, 3, 3});
  b.output(b.batch_norm(b.relu(x), "bn"));
  Graph g = b.finish();
  materialize_weights(g, 3);
  passes::PassReport r = passes::fold_batch_norm(g);
  EXPECT_TRUE(r.applied.empty());
  EXPECT_TRUE(mentions(r.rejected, "not produced by a convolution"));
}

TEST(EliminateIdentity, RemovesNoOpsKeepingNumbers) {
  GraphBuilder b("noops");
  ValueId x = b.input("x", {1, 4, 5, 5});
  ValueId y = b.dropout(b.conv(b.identity(x), {.out = 4, .k = 3}, "conv"));
  b.output(b.identity(b.relu(y), "out"));
  Graph g = b.finish();
  materialize_weights(g, 9);
  const Tensor before = run_reference(g);
  Graph h = g;
  passes::PassReport r = passes::eliminate_identity(h);
  EXPECT_EQ(r.applied.size(), 3u);
  EXPECT_EQ(h.nodes.size(), 2u);
  EXPECT_EQ(compare_outputs(before, run_reference(h), 0).max_abs_error, 0.0);
}

TEST(EliminateIdentity, KeepsInputToOutputIdentity) {
  GraphBuilder b("passthrough");
  ValueId x = b.input("x", {1, 2, 2, 2});
  b.output(b.identity(x));
  Graph g = b.finish();
  passes::PassReport r = passes::eliminate_identity(g);
  EXPECT_TRUE(r.applied.empty());
  EXPECT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(g.nodes.size(), 1u);
}

TEST(InferencePipeline, FoldsAndRemovesTogether) {
  Graph g = conv_bn_relu(false);
  const Tensor before = run_reference(g);
  Graph h = g;
  passes::PassReport r = passes::run_inference_pipeline(h);
  EXPECT_EQ(r.applied.size(), 2u);
  EXPECT_TRUE(compare_outputs(before, run_reference(h), 1e-5).passed(1e-5));
  Graph k = g;
  passes::PipelineOptions off;
  off.fold_batch_norm = false;
  EXPECT_TRUE(passes::run_inference_pipeline(k, off).applied.empty());
}

}  // namespace
}  // namespace fb
