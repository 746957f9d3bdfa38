// In-place concatenation (src/backends/onednn/concat_buffers.h): at batch 1, a chain of concatenations that
// each extend the one before shares one buffer, every input written once at its channel offset. Each form
// against the reference at sizes where oneDNN has its JIT kernels (56 and 112 px), fp32 and bf16; and the
// cases the rule declines, with the reason in describe(), still computing the reference's numbers.
#include <fmt/format.h>

#include "backends/onednn/compiler.h"
#include "core/error.h"
#include "ir/builder.h"
#include "onednn_test_support.h"

namespace fb {
namespace {

using test::has_line;
using test::run_against_reference;

Graph finish(GraphBuilder& b, ValueId out) { return test::finish_graph(b, out, 11); }

// torchvision's DenseNet block: layer k concatenates the list (x0, f1, ..., fk-1); one more at the end.
Graph densenet_block(int64_t batch, int64_t res, int64_t growth, int layers = 4) {
  GraphBuilder b("dense_list");
  ValueId x0 = b.relu(b.conv(b.input("x", {batch, 3, res, res}), {.out = 32, .k = 3}, "stem"), "stem_act");
  std::vector<ValueId> features = {x0};
  for (int l = 0; l < layers; ++l) {
    auto sc = b.scope(fmt::format("layer{}", l + 1));
    ValueId y = b.concat(features, "cat");
    y = b.conv(b.relu(b.batch_norm(y, "norm1", 0.8f), "relu1"), {.out = 4 * growth, .k = 1}, "conv1");
    features.push_back(b.conv(b.relu(b.batch_norm(y, "norm2", 0.9f), "relu2"), {.out = growth, .k = 3}, "conv2"));
  }
  ValueId x = b.relu(b.batch_norm(b.concat(features, "block_cat"), "norm", 0.7f), "relu");
  return finish(b, b.conv(x, {.out = 16, .k = 1}, "transition"));
}

// formbench's dense pattern: x = cat(x, f(x)), each concatenation extending the one before.
Graph dense_chain(int64_t res, int64_t growth, int layers = 3) {
  GraphBuilder b("dense_chain");
  ValueId x = b.relu(b.conv(b.input("x", {1, 3, res, res}), {.out = 16, .k = 3}, "stem"), "stem_act");
  for (int l = 0; l < layers; ++l) {
    auto sc = b.scope(fmt::format("layer{}", l + 1));
    ValueId y = b.conv(b.relu(b.batch_norm(x, "norm1", 0.8f), "relu1"), {.out = 2 * growth, .k = 1}, "conv1");
    y = b.conv(b.relu(b.batch_norm(y, "norm2", 0.9f), "relu2"), {.out = growth, .k = 3}, "conv2");
    x = b.concat({x, y}, "cat");
  }
  return finish(b, b.conv(b.relu(x, "out_act"), {.out = 16, .k = 1}, "head"));
}

bool avx512(const Description& d) { return has_line(d.notes, "isa avx512"); }

// What a failed expectation shows: the lines these tests look at.
std::string lines(const Description& d) {
  return fmt::format("fusions:\n  {}\nreorders:\n  {}\nnotes:\n  {}", fmt::join(d.fusions, "\n  "),
                     fmt::join(d.reorders, "\n  "), fmt::join(d.notes, "\n  "));
}

TEST(OnednnConcat, DenseNetBlockConcatenatesInPlace) {
  FB_REQUIRE_ONEDNN();
  const Graph g = densenet_block(1, 56, 16);
  for (const char* precision : {"fp32", "bf16"}) {
    SCOPED_TRACE(precision);
    const bool bf16 = std::string(precision) == "bf16";
    test::RunResult r;
    try {
      r = bf16 ? run_against_reference(g, {}, 5e-2, 2, Precision::BF16) : run_against_reference(g);
    } catch (const Error& e) {
      if (bf16 && std::string(e.what()).find("AVX-512") != std::string::npos) continue;  // bf16 needs AVX-512
      throw;
    }
    EXPECT_TRUE(r.agreement.passed(bf16 ? 5e-2 : 1e-4)) << r.agreement.summary() << "\n" << lines(r.description);
    // The 4 layers' concatenations and the block's: prefixes of one buffer of 32 + 4 x 16 channels.
    EXPECT_TRUE(has_line(r.description.fusions,
                         "block_cat: 5 concatenation(s) in place, as the first channels of one nChw16c buffer of 96 "
                         "channels"))
        << lines(r.description);
    if (!avx512(r.description)) continue;
    // Every input written there by its producer: no concatenation primitive, no copy into the buffer.
    EXPECT_TRUE(has_line(r.description.fusions, "5 of 5 inputs written there by their producers"))
        << lines(r.description);
    EXPECT_FALSE(has_line(r.description.notes, "concat:")) << lines(r.description);
    EXPECT_FALSE(has_line(r.description.reorders, "concatenation buffer")) << lines(r.description);
  }
  // inplace_concat=off: the copies, with a concatenation primitive each.
  const test::RunResult copied = run_against_reference(g, {{"inplace_concat", "off"}});
  EXPECT_TRUE(copied.agreement.passed(1e-4)) << copied.agreement.summary();
  EXPECT_FALSE(has_line(copied.description.fusions, "in place"));
  EXPECT_TRUE(has_line(copied.description.notes, "concat:")) << lines(copied.description);
}

TEST(OnednnConcat, ChainedConcatenationsShareOneBuffer) {
  FB_REQUIRE_ONEDNN();
  for (const char* layout : {"blocked", "plain"}) {
    SCOPED_TRACE(layout);
    const test::RunResult r = run_against_reference(dense_chain(112, 16), {{"layout", layout}});
    EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary() << "\n" << lines(r.description);
    EXPECT_TRUE(has_line(r.description.fusions,
                         fmt::format("layer3.cat: 3 concatenation(s) in place, as the first channels of one {} buffer "
                                     "of 64 channels",
                                     std::string(layout) == "plain" ? "nchw" : "nChw16c")))
        << lines(r.description);
  }
}

// A graph input cannot be written into the buffer: it is copied in, once, and describe() says so.
TEST(OnednnConcat, AGraphInputIsCopiedInOnce) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("input_first");
  ValueId x = b.input("x", {1, 16, 56, 56});
  ValueId c = b.concat({x, b.relu(b.conv(x, {.out = 16, .k = 3}, "conv"), "relu")}, "cat");
  const test::RunResult r = run_against_reference(finish(b, b.conv(c, {.out = 8, .k = 1}, "conv2")));
  EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary();
  EXPECT_TRUE(has_line(r.description.fusions, "cat: 1 concatenation(s) in place")) << lines(r.description);
  EXPECT_TRUE(has_line(r.description.fusions, "copied in: x (a graph input)")) << lines(r.description);
  EXPECT_TRUE(has_line(r.description.reorders, "into the concatenation buffer cat")) << lines(r.description);
}

// Declined: a batch of 2 (a channel range of two images is two blocks), and inputs off the 16-channel block.
// Each concatenation says why, and the copies compute the reference's numbers.
TEST(OnednnConcat, DeclinedWithTheReason) {
  FB_REQUIRE_ONEDNN();
  const test::RunResult batch2 = run_against_reference(densenet_block(2, 56, 16));
  EXPECT_TRUE(batch2.agreement.passed(1e-4)) << batch2.agreement.summary();
  EXPECT_TRUE(has_line(batch2.description.notes,
                       "not fused: block_cat: concat not in place: batch 2: a channel slice of more than one image is "
                       "not one dense block"))
      << lines(batch2.description);
  EXPECT_FALSE(has_line(batch2.description.fusions, "in place"));

  const test::RunResult growth8 = run_against_reference(dense_chain(56, 8));
  EXPECT_TRUE(growth8.agreement.passed(1e-4)) << growth8.agreement.summary();
  EXPECT_TRUE(has_line(growth8.description.notes,
                       "layer1.cat: concat not in place: input 'layer1.conv2' has 8 channels, not a multiple of the "
                       "16-channel block"))
      << lines(growth8.description);
  // A NAS cell concatenates sums: no input could be written into the buffer, so the concatenation stays.
  GraphBuilder b("cell");
  ValueId x = b.relu(b.conv(b.input("x", {1, 3, 56, 56}), {.out = 16, .k = 3}, "stem"), "stem_act");
  ValueId n1 = b.add(b.conv(x, {.out = 16, .k = 1}, "a"), x, "node1");
  ValueId n2 = b.add(b.max_pool(n1, {.k = 3, .stride = 1, .pad = 1}, "pool"), x, "node2");
  const test::RunResult cell = run_against_reference(finish(b, b.conv(b.concat({n1, n2}, "cell_cat"), {.out = 16, .k = 1}, "head")));
  EXPECT_TRUE(cell.agreement.passed(1e-4)) << cell.agreement.summary();
  EXPECT_TRUE(has_line(cell.description.notes,
                       "cell_cat: concat not in place: only 0 of its 2 inputs are written by convolutions"))
      << lines(cell.description);
  // Under layout=plain (nchw) any channel offset is a dense range: the same graph goes in place there.
  const test::RunResult plain = run_against_reference(dense_chain(56, 8), {{"layout", "plain"}});
  EXPECT_TRUE(plain.agreement.passed(1e-4)) << plain.agreement.summary();
  EXPECT_TRUE(has_line(plain.description.fusions, "3 concatenation(s) in place")) << lines(plain.description);
}

// A residual sum accumulates into its operand's buffer when the operand dies there; an operand that lives in
// a concatenation buffer must not be overwritten (the concatenation is read after the sum): it is copied.
TEST(OnednnConcat, ASumNeverWritesIntoAConcatenationBuffer) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("sum_into_cat");
  ValueId x0 = b.relu(b.conv(b.input("x", {1, 3, 56, 56}), {.out = 16, .k = 3}, "stem"), "stem_act");
  ValueId f = b.relu(b.conv(x0, {.out = 16, .k = 3}, "f"), "f_act");
  ValueId c = b.concat({x0, f}, "cat");
  ValueId e = b.relu(b.conv(x0, {.out = 16, .k = 1}, "e"), "e_act");
  ValueId h = b.add(b.conv(e, {.out = 16, .k = 3}, "g"), f, "residual");  // f's last reader, before `mix` reads cat
  const test::RunResult r = run_against_reference(finish(b, b.add(b.conv(c, {.out = 16, .k = 1}, "mix"), h, "out")));
  EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary() << "\n" << lines(r.description);
  EXPECT_TRUE(has_line(r.description.fusions, "cat: 1 concatenation(s) in place")) << lines(r.description);
  EXPECT_TRUE(has_line(r.description.notes, "sum operand is part of an in-place concatenation"))
      << lines(r.description);
}

}  // namespace
}  // namespace fb
