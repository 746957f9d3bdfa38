// The cost model against hand-computed values and torchvision's published ResNet-18 totals.
#include <gtest/gtest.h>

#include "core/error.h"
#include "ir/builder.h"
#include "ir/cost.h"
#include "models/model_ref.h"

namespace fb {
namespace {

TEST(Cost, ConvAndLinearByHand) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {2, 6, 10, 10});
  // grouped 3x3 conv, 6 -> 12 channels, groups 3, stride 2, bias: out 2x12x5x5
  ValueId c = b.conv(x, {.out = 12, .k = 3, .stride = 2, .groups = 3, .bias = true});
  ValueId f = b.flatten(b.global_avg_pool(c));
  b.output(b.linear(f, 7));
  Graph g = b.finish();
  GraphCost gc = graph_cost(g);
  // conv: 2*12*5*5 outputs x (6/3)*3*3 = 600 * 18 = 10800 MACs; params 12*2*3*3 + 12 = 228
  EXPECT_EQ(gc.per_node[0].macs, 10800);
  EXPECT_EQ(gc.per_node[0].params, 228);
  EXPECT_EQ(gc.per_node[0].flops, 2 * 10800 + 600);  // + bias, one per output element
  // global average pool reads 2*12*5*5 = 600 elements
  EXPECT_EQ(gc.per_node[1].flops, 600);
  // linear: batch 2 x 12 x 7 = 168 MACs, params 12*7 + 7 = 91
  EXPECT_EQ(gc.per_node[3].macs, 168);
  EXPECT_EQ(gc.per_node[3].params, 91);
  EXPECT_EQ(gc.total.macs, 10800 + 168);
  EXPECT_EQ(gc.total.params, 228 + 91);
  EXPECT_EQ(gc.total.weight_bytes, 4 * (228 + 91));
  // activation bytes of the conv: in 2*6*10*10 floats, out 600 floats
  EXPECT_EQ(gc.per_node[0].activation_in_bytes, 4 * 1200);
  EXPECT_EQ(gc.per_node[0].activation_out_bytes, 4 * 600);
  const double intensity = (2.0 * 10800 + 600) / (4.0 * (228 + 1200 + 600));
  EXPECT_DOUBLE_EQ(gc.per_node[0].arithmetic_intensity(), intensity);
}

TEST(Cost, BatchNormStatisticsAreBuffersNotParams) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 5, 4, 4});
  b.output(b.batch_norm(x));
  Graph g = b.finish();
  GraphCost gc = graph_cost(g);
  EXPECT_EQ(gc.total.params, 10);             // gamma, beta
  EXPECT_EQ(gc.total.weight_bytes, 4 * 20);   // + running mean and variance
  EXPECT_EQ(gc.total.flops, 80);              // one per element
}

TEST(Cost, PeakLiveActivationsFollowLiveness) {
  // x(100 floats) -> a = relu(x) -> b = relu(a) -> out = add(a, b)
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 1, 10, 10});
  ValueId a = b.relu(x, "a");
  ValueId c = b.relu(a, "b");
  b.output(b.add(a, c, "out"));
  Graph g = b.finish();
  GraphCost gc = graph_cost(g);
  // step a: x + a live = 200; x dies (last use). step b: a + b = 200. step out: a + b + out = 300.
  EXPECT_EQ(gc.peak_activation_bytes, 4 * 300);
  EXPECT_EQ(gc.total_activation_bytes, 4 * 400);
}

TEST(Cost, PeakCountsValueReadTwiceOnce) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 1, 10, 10});
  ValueId d = b.add(x, x, "double");
  b.output(b.relu(d, "r"));
  Graph g = b.finish();
  // step double: x + d = 200, x freed once; step r: d + r = 200
  EXPECT_EQ(graph_cost(g).peak_activation_bytes, 4 * 200);
}

TEST(Cost, ResNet18MatchesTorchvision) {
  Graph g = load_model("resnet18", false);
  GraphCost gc = graph_cost(g);
  EXPECT_EQ(gc.total.params, 11689512);  // torchvision resnet18, published
  EXPECT_NEAR(static_cast<double>(gc.total.macs) / 1e9, 1.814, 0.0005);  // 1.814 GMACs at 224x224
}

TEST(Cost, MacsScaleWithBatchAndResolution) {
  GraphCost one = graph_cost(load_model("resnet18?batch=1", false));
  GraphCost four = graph_cost(load_model("resnet18?batch=4", false));
  EXPECT_EQ(four.total.macs, 4 * one.total.macs);
  EXPECT_EQ(four.total.params, one.total.params);
}

// A conv 3 -> 8, 3x3, no bias, on 1x3x8x8: weights 8*3*3*3 = 216 elements, input 192, output 512. In fp32
// 864, 768 and 2048 bytes; a bf16 run stores them in half (arithmetic intensity doubles), int8 in a quarter.
TEST(Cost, StorageBytesScaleWithThePrecision) {
  GraphBuilder b("t");
  b.output(b.conv(b.input("x", {1, 3, 8, 8}), {.out = 8, .k = 3}));
  const GraphCost fp32 = graph_cost(b.finish());
  EXPECT_EQ(fp32.total.weight_bytes, 864);
  EXPECT_EQ(fp32.total.activation_in_bytes, 768);
  EXPECT_EQ(fp32.total.activation_out_bytes, 2048);
  const GraphCost bf16 = at_storage_bytes(fp32, 2), int8 = at_storage_bytes(fp32, 1);
  EXPECT_EQ(bf16.total.weight_bytes, 432);
  EXPECT_EQ(bf16.per_node[0].activation_in_bytes, 384);
  EXPECT_EQ(int8.total.activation_out_bytes, 512);
  EXPECT_EQ(int8.peak_activation_bytes, fp32.peak_activation_bytes / 4);
  EXPECT_EQ(bf16.total.flops, fp32.total.flops);
  EXPECT_DOUBLE_EQ(bf16.per_node[0].arithmetic_intensity(), 2 * fp32.per_node[0].arithmetic_intensity());
  EXPECT_THROW(at_storage_bytes(fp32, 0), Error);
}

}  // namespace
}  // namespace fb
