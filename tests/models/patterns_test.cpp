// Pattern networks: every pattern builds, infers shapes and runs on the reference backend at depths 1, 2, 8,
// 32 and two widths; MACs grow with depth exactly by a per-block cost written out by hand here; staged mode
// halves the resolution; bad parameters fail clearly.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "ir/cost.h"
#include "models/model_ref.h"
#include "models_test_util.h"

namespace fb {
namespace {

const std::vector<std::string> k_patterns = {"plain",       "residual",  "bottleneck", "depthwise_separable",
                                             "depthwise_bottleneck", "dense", "grouped", "inception",
                                             "squeeze_excitation",   "shuffle"};

std::string ref(const std::string& p, int64_t depth, int64_t width, int64_t res, const std::string& extra = "") {
  return fmt::format("pattern:{}?depth={}&width={}&res={}&batch=1{}", p, depth, width, res, extra);
}

int64_t macs(const std::string& r) { return graph_cost(load_model(r, false)).total.macs; }

TEST(ModelsPatterns, AllTenRegistered) {
  std::vector<std::string> names;
  for (const ModelEntry& e : patterns()) {
    names.push_back(e.name);
    EXPECT_EQ(e.family, "pattern");
    EXPECT_FALSE(e.description.empty());
    EXPECT_FALSE(e.source.empty());
  }
  for (const std::string& p : k_patterns)
    EXPECT_NE(std::find(names.begin(), names.end(), p), names.end()) << p;
}

// Two widths valid for the pattern (grouped needs multiples of 64), small enough to keep the reference fast.
std::vector<int64_t> test_widths(const std::string& p) {
  return p == "grouped" ? std::vector<int64_t>{64, 128} : std::vector<int64_t>{32, 64};
}

// Depths 1, 2, 8, 32 at two widths, at 32 px (the body runs at 16x16): shape inference, then the reference.
class ModelsPatternsRun : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelsPatternsRun, EveryDepthAndWidthRunsOnReference) {
  const std::string p = GetParam();
  for (int64_t width : test_widths(p))
    for (int64_t depth : {1, 2, 8, 32}) {
      const std::string r = ref(p, depth, width, 32);
      SCOPED_TRACE(r);
      Graph g = load_model(r, true, 3);
      EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{1, 1000}));
      EXPECT_EQ(test::run_reference_finite(g), "");
    }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelsPatternsRun, ::testing::ValuesIn(k_patterns),
                         [](const auto& info) { return info.param; });

// Per-pixel MACs of one block at width W (in = out = W) at stride 1, from the block definitions in
// docs/patterns.md, written independently of the builders. SE adds its two 1x1 convs on the pooled vector.
int64_t block_macs(const std::string& p, int64_t W, int64_t pixels) {
  if (p == "plain") return pixels * 9 * W * W;
  if (p == "residual") return pixels * 18 * W * W;
  if (p == "bottleneck") {
    const int64_t m = W / 4;
    return pixels * (W * m + 9 * m * m + m * W);
  }
  if (p == "grouped") {
    const int64_t m = W / 2;
    return pixels * (W * m + 9 * m * (m / 32) + m * W);
  }
  if (p == "depthwise_separable") return pixels * (9 * W + W * W);
  const int64_t h = 6 * W;
  if (p == "depthwise_bottleneck") return pixels * (W * h + 9 * h + h * W);
  if (p == "squeeze_excitation") return pixels * (W * h + 9 * h + h * W) + 2 * h * (W / 4);
  if (p == "inception") {
    const int64_t q = W / 4, r = W / 8;
    return pixels * (W * q + (W * r + 9 * r * q) + (W * r + 9 * r * q + 9 * q * q) + W * q);
  }
  if (p == "shuffle") {
    const int64_t h2 = W / 2;
    return pixels * (2 * h2 * h2 + 9 * h2);
  }
  ADD_FAILURE() << "no formula for " << p;
  return 0;
}

TEST(ModelsPatterns, MacsGrowLinearlyInDepthByTheBlockCost) {
  const int64_t res = 64, pixels = 32 * 32;
  for (const std::string& p : k_patterns) {
    if (p == "dense") continue;  // its own test below: channels grow with depth
    for (int64_t width : test_widths(p)) {
      const int64_t base = macs(ref(p, 1, width, res));
      const int64_t per_block = block_macs(p, width, pixels);
      for (int64_t depth : {2, 8, 32})
        EXPECT_EQ(macs(ref(p, depth, width, res)) - base, (depth - 1) * per_block) << p << " width " << width;
    }
  }
}

// Dense layer i reads W + i*k channels (k = W/2): 1x1 to 4k, then 3x3 to k; the classifier reads W + N*k.
TEST(ModelsPatterns, DenseMacsFollowTheGrowingChannelCount) {
  const int64_t res = 64, pixels = 32 * 32, classes = 1000;
  for (int64_t W : {64, 128}) {
    const int64_t k = W / 2;
    const int64_t stem = pixels * 3 * 9 * W;
    for (int64_t depth : {1, 2, 8, 32}) {
      int64_t expect = stem;
      for (int64_t i = 0; i < depth; ++i) expect += pixels * ((W + i * k) * 4 * k + 9 * 4 * k * k);
      expect += (W + depth * k) * classes;
      EXPECT_EQ(macs(ref("dense", depth, W, res)), expect) << "width " << W << " depth " << depth;
    }
  }
}

// The fixed parts: a 3x3 stride-2 stem to W channels and a linear head, whatever the pattern.
TEST(ModelsPatterns, StemAndHeadAreFixed) {
  const int64_t W = 64, pixels = 32 * 32;
  const int64_t fixed = pixels * 27 * W + W * 1000;
  EXPECT_EQ(macs(ref("plain", 1, W, 64)), fixed + block_macs("plain", W, pixels));
  EXPECT_EQ(macs(ref("residual", 1, W, 64)), fixed + block_macs("residual", W, pixels));
}

TEST(ModelsPatterns, StagedModeHalvesResolutionAndDoublesWidth) {
  for (const std::string& p : k_patterns) {
    const std::string r = ref(p, 6, 64, 32, "&staged=2");
    SCOPED_TRACE(r);
    Graph g = load_model(r, true, 5);
    // The head's linear layer reads the last stage: 64 -> 128 -> 256 channels (dense: its own count).
    const Node& fc = g.nodes.back();
    ASSERT_EQ(fc.op, Op::Linear);
    const Value& feat = g.value(g.node(g.value(fc.inputs[0]).producer).inputs[0]);
    const Value& body_out = g.value(g.node(feat.producer).inputs[0]);
    EXPECT_EQ(body_out.shape[2], 4) << "16 -> 8 -> 4 after two halvings";
    if (p != "dense") {
      EXPECT_EQ(body_out.shape[1], 256);
    } else {
      // 64 + 2*32 = 128, transition to 64, + 2*32 = 128, transition to 64, + 2*32 = 128
      EXPECT_EQ(body_out.shape[1], 128);
    }
    EXPECT_EQ(test::run_reference_finite(g), "");
  }
}

void expect_error(const std::string& r, const std::vector<std::string>& needles) {
  try {
    load_model(r, false);
    ADD_FAILURE() << r << " did not fail";
  } catch (const Error& e) {
    for (const std::string& n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << "'" << e.what() << "' lacks '" << n << "'";
  }
}

TEST(ModelsPatterns, BadParametersGiveClearErrors) {
  expect_error("pattern:plain?depth=0", {"depth=0", "positive integer"});
  expect_error("pattern:plain?width=-3", {"width=-3", "positive integer"});
  expect_error("pattern:grouped?width=96", {"width=96", "multiple of 64", "32 groups"});
  expect_error("pattern:bottleneck?width=30", {"width=30", "multiple of 4"});
  expect_error("pattern:inception?width=20", {"width=20", "multiple of 8"});
  expect_error("pattern:shuffle?width=33", {"width=33", "multiple of 2"});
  expect_error("pattern:dense?width=7", {"width=7", "multiple of 2"});
  expect_error("pattern:nonesuch?depth=2", {"unknown pattern 'nonesuch'", "residual", "shuffle"});
  expect_error("pattern:plain?dpeth=2", {"unknown parameter 'dpeth'", "depth", "width", "staged"});
  expect_error("pattern:plain?depth=40&staged=2&res=32", {"staged=2", "res=32"});
  expect_error("pattern:plain?depth=5000", {"depth=5000", "1..1000"});
  // Sizes whose shapes would overflow int64 (UBSan found res=9223372036854775807 halved by (r + 1) / 2 in
  // a hostile results database's model reference), on patterns and the zoo alike.
  expect_error("pattern:plain?res=9223372036854775807", {"res=9223372036854775807", "too large", "1..16384"});
  expect_error("pattern:plain?batch=65537", {"batch=65537", "1..65536"});
  expect_error("resnet18?res=16385", {"res=16385", "1..16384"});
  expect_error("resnet18?classes=1000001", {"classes=1000001", "1..1000000"});
}

}  // namespace
}  // namespace fb
