// Shape inference for every op, and the error messages for bad shapes and attributes.
#include <gtest/gtest.h>

#include "core/error.h"
#include "ir/builder.h"

namespace fb {
namespace {

// Expects the statement to throw fb::Error whose message contains `needle`.
#define EXPECT_ERROR(stmt, needle)                                                       \
  do {                                                                                   \
    try {                                                                                \
      stmt;                                                                              \
      ADD_FAILURE() << "expected an error containing: " << needle;                      \
    } catch (const Error& e) {                                                           \
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();     \
    }                                                                                    \
  } while (0)

TEST(ShapeInfer, ConvOutputSizes) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {2, 8, 13, 17});
  EXPECT_EQ(b.shape(b.conv(x, {.out = 16, .k = 3})), (Shape{2, 16, 13, 17}));
  EXPECT_EQ(b.shape(b.conv(x, {.out = 4, .k = 3, .stride = 2})), (Shape{2, 4, 7, 9}));
  EXPECT_EQ(b.shape(b.conv(x, {.out = 4, .k = 1, .stride = 2, .pad = 0})), (Shape{2, 4, 7, 9}));
  // dilation 2, k 3: effective extent 5; "same" padding 2
  EXPECT_EQ(b.shape(b.conv(x, {.out = 8, .k = 3, .dilation = 2})), (Shape{2, 8, 13, 17}));
  EXPECT_EQ(b.shape(b.conv(x, {.out = 8, .k = 3, .pad = 0, .dilation = 2})), (Shape{2, 8, 9, 13}));
  EXPECT_EQ(b.shape(b.conv(x, {.out = 8, .k = 3, .groups = 8})), (Shape{2, 8, 13, 17}));
  EXPECT_EQ(b.shape(b.conv(x, {.out = 8, .kh = 1, .kw = 7})), (Shape{2, 8, 13, 17}));
  Conv2dAttrs a;  // asymmetric padding as TF-exported models use: (13 + 0 + 1 - 3) / 2 + 1 = 6
  a.out_channels = 4;
  a.kernel_h = a.kernel_w = 3;
  a.stride_h = a.stride_w = 2;
  a.pad_bottom = a.pad_right = 1;
  EXPECT_EQ(b.shape(b.conv2d(x, a)), (Shape{2, 4, 6, 8}));
}

TEST(ShapeInfer, ConvErrorsNameTheNode) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 64, 8, 8});
  {
    auto s = b.scope("stage2.block1");
    EXPECT_ERROR(b.conv(x, {.out = 66, .k = 3, .groups = 3}, "conv2"),
                 "stage2.block1.conv2: input has 64 channels but groups=3 does not divide it");
  }
  EXPECT_ERROR(b.conv(x, {.out = 30, .k = 3, .groups = 4}), "out_channels=30 is not divisible by groups=4");
  EXPECT_ERROR(b.conv(x, {.out = 8, .k = 11, .pad = 0}), "kernel extent 11 along height is larger than the padded input 8");
  EXPECT_ERROR(b.conv(x, {.out = 0, .k = 3}), "out_channels must be positive");
  EXPECT_ERROR(b.conv(x, {.out = 8, .k = 3, .stride = 0}), "must be positive");
  ValueId flat = b.input("flat", {1, 10});
  EXPECT_ERROR(b.conv(flat, {.out = 8, .k = 1}), "expects a rank-4 NCHW input, got 1x10");
}

TEST(ShapeInfer, PoolingIncludingCeilMode) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 3, 112, 112});
  EXPECT_EQ(b.shape(b.max_pool(x, {.k = 3, .stride = 2, .pad = 1})), (Shape{1, 3, 56, 56}));
  // SqueezeNet: 3x3/2 ceil mode on 111 -> 55; floor gives 55 too on 111, 56 on 112 with ceil
  ValueId y = b.input("y", {1, 3, 112, 112});
  EXPECT_EQ(b.shape(b.max_pool(y, {.k = 3, .stride = 2, .ceil_mode = true})), (Shape{1, 3, 56, 56}));
  EXPECT_EQ(b.shape(b.max_pool(y, {.k = 3, .stride = 2})), (Shape{1, 3, 55, 55}));
  // ceil mode must not start a window inside the right padding: in 5, k 2, s 2, pad 1 -> 3 (not 4)
  ValueId z = b.input("z", {1, 1, 5, 5});
  EXPECT_EQ(b.shape(b.avg_pool(z, {.k = 2, .stride = 2, .pad = 1, .ceil_mode = true})), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(b.shape(b.global_avg_pool(x)), (Shape{1, 3, 1, 1}));
  EXPECT_ERROR(b.max_pool(x, {.k = 3, .stride = 1, .pad = 2}), "padding must be at most half the kernel");
}

TEST(ShapeInfer, ElementwiseBroadcastConcatSplitShuffle) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {2, 8, 5, 5});
  ValueId gate = b.input("gate", {2, 8, 1, 1});
  ValueId other = b.input("other", {2, 6, 5, 5});
  for (ValueId y : {b.relu(x), b.relu6(x), b.sigmoid(x), b.hard_sigmoid(x), b.silu(x), b.hard_swish(x),
                    b.identity(x), b.dropout(x), b.batch_norm(x)})
    EXPECT_EQ(b.shape(y), (Shape{2, 8, 5, 5}));
  EXPECT_EQ(b.shape(b.mul(x, gate)), (Shape{2, 8, 5, 5}));
  EXPECT_EQ(b.shape(b.add(x, x)), (Shape{2, 8, 5, 5}));
  EXPECT_ERROR(b.add(x, other), "cannot broadcast 2x8x5x5 with 2x6x5x5");
  EXPECT_EQ(b.shape(b.concat({x, other, x})), (Shape{2, 22, 5, 5}));
  ValueId small = b.input("small", {2, 8, 4, 4});
  EXPECT_ERROR(b.concat({x, small}), "differ outside axis 1");
  auto parts = b.split(x, {3, 5});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(b.shape(parts[0]), (Shape{2, 3, 5, 5}));
  EXPECT_EQ(b.shape(parts[1]), (Shape{2, 5, 5, 5}));
  EXPECT_ERROR(b.split(x, {3, 4}), "split sizes add up to 7 but the input has 8 channels");
  EXPECT_EQ(b.shape(b.channel_shuffle(x, 2)), (Shape{2, 8, 5, 5}));
  EXPECT_ERROR(b.channel_shuffle(x, 3), "input has 8 channels but groups=3 does not divide it");
}

TEST(ShapeInfer, HeadOps) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {4, 16, 3, 3});
  ValueId f = b.flatten(x);
  EXPECT_EQ(b.shape(f), (Shape{4, 144}));
  ValueId l = b.linear(f, 10);
  EXPECT_EQ(b.shape(l), (Shape{4, 10}));
  EXPECT_EQ(b.shape(b.softmax(l)), (Shape{4, 10}));
  EXPECT_ERROR(b.linear(x, 10), "expects a rank-2 [batch, features] input, got 4x16x3x3");
  EXPECT_ERROR(b.linear(f, 0), "out_features must be positive");
}

TEST(ShapeInfer, AbsurdShapesAreRefusedNotAllocated) {
  GraphBuilder b("t");
  EXPECT_ERROR(b.input("x", {1, 0, 4, 4}), "dimensions must be positive");
  ValueId big = b.input("big", {1 << 20, 64, 512, 512});
  EXPECT_ERROR(b.conv(big, {.out = 64, .k = 1}), "exceeds the limit");
}

TEST(ShapeInfer, ValidateCatchesStructuralErrors) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 4, 8, 8});
  b.output(b.relu(b.conv(x, {.out = 4, .k = 3}), "relu"));
  Graph g = b.finish();
  Graph bad = g;
  std::swap(bad.nodes[0], bad.nodes[1]);  // relu before its producer
  EXPECT_ERROR(validate(bad), "not in topological order");
  bad = g;
  bad.nodes[0].params[0].tensor = Tensor::placeholder({4, 4, 5, 5});
  EXPECT_ERROR(validate(bad), "param 'weight' has shape 4x4x5x5 but the op needs 4x4x3x3");
  bad = g;
  bad.nodes[1].name = bad.nodes[0].name;
  EXPECT_ERROR(validate(bad), "two nodes have this name");
  bad = g;
  bad.nodes[1].inputs[0] = 99;
  EXPECT_ERROR(validate(bad), "value #99 which does not exist");
}

TEST(ShapeInfer, SetBatchReinfersEveryShape) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 3, 16, 16});
  b.output(b.linear(b.flatten(b.global_avg_pool(b.conv(x, {.out = 8, .k = 3}))), 5));
  Graph g = b.finish();
  set_batch(g, 6);
  EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{6, 5}));
  EXPECT_EQ(g.batch(), 6);
  EXPECT_ERROR(set_batch(g, 0), "batch must be a positive integer");
}

TEST(Builder, NamesAreScopedAndUnique) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 4, 4, 4});
  {
    auto s = b.scope("layer1");
    x = b.relu(x);
    x = b.relu(x);
  }
  b.output(x);
  Graph g = b.finish();
  EXPECT_EQ(g.nodes[0].name, "layer1.relu");
  EXPECT_EQ(g.nodes[1].name, "layer1.relu_1");
}

}  // namespace
}  // namespace fb
