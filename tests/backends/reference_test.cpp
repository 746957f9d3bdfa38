// The reference backend against values computed by hand.
#include <cmath>

#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/compare.h"
#include "ir/builder.h"
#include "models/model_ref.h"

namespace fb {
namespace {

Tensor make(Shape s, std::vector<float> v) {
  Tensor t(std::move(s));
  EXPECT_EQ(static_cast<size_t>(t.numel()), v.size());
  std::copy(v.begin(), v.end(), t.data());
  return t;
}

std::vector<float> iota(int n, float start = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = start + static_cast<float>(i);
  return v;
}

void set_param(Graph& g, int node, const std::string& name, Tensor t) { g.nodes[static_cast<size_t>(node)].param(name) = std::move(t); }

// Runs the graph on the reference backend and returns its first output.
Tensor run(Graph g, std::vector<Tensor> inputs) {
  materialize_weights(g, 0);  // fills any param the test did not set
  auto exe = make_backend("reference")->compile(g, {});
  std::vector<Tensor> out;
  exe->run(inputs, out);
  return out.at(0);
}

void expect_values(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(static_cast<size_t>(t.numel()), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t[static_cast<int64_t>(i)], want[i], tol) << "at " << i;
}

TEST(Reference, ConvPlainWithBias) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 1, 3, 3});
  b.output(b.conv(x, {.out = 1, .k = 2, .pad = 0, .bias = true}));
  Graph g = b.finish();
  set_param(g, 0, "weight", make({1, 1, 2, 2}, {1, 0, 0, -1}));
  set_param(g, 0, "bias", make({1}, {0.5f}));
  // x[i][j] - x[i+1][j+1] = -4 everywhere, plus the bias
  expect_values(run(g, {make({1, 1, 3, 3}, iota(9))}), {-3.5f, -3.5f, -3.5f, -3.5f});
}

TEST(Reference, ConvPaddedStrided) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 1, 3, 3});
  b.output(b.conv(x, {.out = 1, .k = 3, .stride = 2, .pad = 1}));
  Graph g = b.finish();
  set_param(g, 0, "weight", make({1, 1, 3, 3}, std::vector<float>(9, 1.0f)));
  // each window covers one 2x2 corner of the input
  expect_values(run(g, {make({1, 1, 3, 3}, iota(9))}), {12, 16, 24, 28});
}

TEST(Reference, ConvDilated) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 1, 5, 5});
  b.output(b.conv(x, {.out = 1, .k = 2, .pad = 0, .dilation = 2}));
  Graph g = b.finish();
  set_param(g, 0, "weight", make({1, 1, 2, 2}, {1, 2, 3, 4}));
  // x[i][j] = 5i + j: out = x[i][j] + 2x[i][j+2] + 3x[i+2][j] + 4x[i+2][j+2] = 50i + 10j + 82
  std::vector<float> want;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) want.push_back(50.0f * i + 10.0f * j + 82.0f);
  expect_values(run(g, {make({1, 1, 5, 5}, iota(25, 0.0f))}), want);
}

TEST(Reference, ConvGroupedAndDepthwise) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 4, 1, 1});
  b.output(b.conv(x, {.out = 2, .k = 1, .groups = 2}));
  Graph g = b.finish();
  set_param(g, 0, "weight", make({2, 2, 1, 1}, {1, 2, 3, 4}));
  // group 0 sees channels 0,1: 1*1 + 2*2 = 5; group 1 sees channels 2,3: 3*3 + 4*4 = 25
  expect_values(run(g, {make({1, 4, 1, 1}, {1, 2, 3, 4})}), {5, 25});

  GraphBuilder d("dw");
  ValueId y = d.input("y", {1, 2, 1, 2});
  d.output(d.conv(y, {.out = 2, .k = 1, .groups = 2}));
  Graph gd = d.finish();
  set_param(gd, 0, "weight", make({2, 1, 1, 1}, {2, -1}));
  expect_values(run(gd, {make({1, 2, 1, 2}, {1, 2, 3, 4})}), {2, 4, -3, -4});
}

TEST(Reference, MaxPoolCeilModeWithPadding) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 1, 4, 4});
  b.output(b.max_pool(x, {.k = 3, .stride = 2, .pad = 1, .ceil_mode = true}));
  // x[r][c] = 4r + c + 1; windows start at -1, 1, 3 on both axes; the last holds only row/col 3
  expect_values(run(b.finish(), {make({1, 1, 4, 4}, iota(16))}), {6, 8, 8, 14, 16, 16, 14, 16, 16});
}

TEST(Reference, AvgPoolPaddingDivisors) {
  for (bool include : {true, false}) {
    GraphBuilder b("t");
    ValueId x = b.input("x", {1, 1, 4, 4});
    b.output(b.avg_pool(x, {.k = 3, .stride = 2, .pad = 1, .count_include_pad = include}));
    // windows start at -1 and 1: (0,0) holds 1+2+5+6 = 14 over 9 padded / 4 real cells; (0,1) holds
    // 2+3+4+6+7+8 = 30 over 9 / 6; (1,0) holds 5+6+9+10+13+14 = 57 over 9 / 6; (1,1) holds 99 over 9
    expect_values(run(b.finish(), {make({1, 1, 4, 4}, iota(16))}),
                  include ? std::vector<float>{14.0f / 9, 30.0f / 9, 57.0f / 9, 11.0f}
                          : std::vector<float>{3.5f, 5.0f, 9.5f, 11.0f});
  }
}

TEST(Reference, AvgPoolCeilModeWindowPastThePadding) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 1, 4, 4});
  b.output(b.avg_pool(x, {.k = 3, .stride = 2, .pad = 1, .ceil_mode = true}));
  Tensor y = run(b.finish(), {make({1, 1, 4, 4}, iota(16))});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 3, 3}));
  // last window: rows 3..5 and cols 3..5 clipped to the padded input (rows 3..4): 16 over 2x2 cells
  EXPECT_NEAR(y[8], 4.0f, 1e-6);
}

TEST(Reference, BatchNormInference) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 2, 1, 2});
  b.output(b.batch_norm(x, "bn", 1.0f, 1.0f));  // eps = 1
  Graph g = b.finish();
  set_param(g, 0, "weight", make({2}, {2, 1}));
  set_param(g, 0, "bias", make({2}, {1, 0}));
  set_param(g, 0, "running_mean", make({2}, {0.5f, -1}));
  set_param(g, 0, "running_var", make({2}, {3, 0}));
  // ch0: (x - 0.5) / 2 * 2 + 1 = x + 0.5; ch1: (x + 1) / 1 * 1 + 0 = x + 1
  expect_values(run(g, {make({1, 2, 1, 2}, {1, 2, 3, 4})}), {1.5f, 2.5f, 4, 5});
}

TEST(Reference, Activations) {
  const std::vector<float> in = {-4, -1, 0, 1, 4, 7};
  auto act = [&](auto build) {
    GraphBuilder b("t");
    ValueId x = b.input("x", {1, 6, 1, 1});
    b.output(build(b, x));
    return run(b.finish(), {make({1, 6, 1, 1}, in)});
  };
  expect_values(act([](GraphBuilder& b, ValueId x) { return b.relu(x); }), {0, 0, 0, 1, 4, 7});
  expect_values(act([](GraphBuilder& b, ValueId x) { return b.relu6(x); }), {0, 0, 0, 1, 4, 6});
  expect_values(act([](GraphBuilder& b, ValueId x) { return b.hard_swish(x); }),
                {0, -1.0f * 2 / 6, 0, 1.0f * 4 / 6, 4, 7});
  expect_values(act([](GraphBuilder& b, ValueId x) { return b.hard_sigmoid(x); }),
                {0, 1.0f / 3, 0.5f, 2.0f / 3, 1, 1});
  expect_values(act([](GraphBuilder& b, ValueId x) { return b.sigmoid(x); }),
                {0.0179862100f, 0.2689414214f, 0.5f, 0.7310585786f, 0.9820137900f, 0.9990889488f});
  expect_values(act([](GraphBuilder& b, ValueId x) { return b.silu(x); }),
                {-0.0719448398f, -0.2689414214f, 0, 0.7310585786f, 3.9280551601f, 6.9936226419f});
}

TEST(Reference, LinearAndSoftmax) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 2});
  b.output(b.linear(x, 3));
  Graph g = b.finish();
  set_param(g, 0, "weight", make({3, 2}, {1, 2, 3, 4, 5, 6}));
  set_param(g, 0, "bias", make({3}, {0.5f, 0, -1}));
  expect_values(run(g, {make({1, 2}, {1, 2})}), {5.5f, 11, 16});

  GraphBuilder s("s");
  ValueId y = s.input("y", {2, 2});
  s.output(s.softmax(y));
  expect_values(run(s.finish(), {make({2, 2}, {0, std::log(3.0f), 5, 5})}), {0.25f, 0.75f, 0.5f, 0.5f});
}

TEST(Reference, DataMovementOps) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 6, 1, 1});
  b.output(b.channel_shuffle(x, 2));
  // [N, g=2, 3] transposed: output channel i*2 + j reads input j*3 + i
  expect_values(run(b.finish(), {make({1, 6, 1, 1}, iota(6, 0))}), {0, 3, 1, 4, 2, 5});

  GraphBuilder c("c");
  ValueId p = c.input("p", {2, 1, 1, 2});
  ValueId q = c.input("q", {2, 2, 1, 2});
  ValueId cat = c.concat({p, q});
  auto parts = c.split(cat, {2, 1});
  c.output(parts[1]);
  // per batch: p's 2 values then q's 4; the split keeps the last channel (q's second channel)
  expect_values(run(c.finish(), {make({2, 1, 1, 2}, {1, 2, 3, 4}), make({2, 2, 1, 2}, iota(8, 10))}),
                {12, 13, 16, 17});
}

TEST(Reference, BroadcastAddMulAndGlobalPool) {
  GraphBuilder b("t");
  ValueId x = b.input("x", {1, 2, 2, 2});
  ValueId gate = b.input("gate", {1, 2, 1, 1});
  ValueId m = b.mul(x, gate);
  b.output(b.add(m, b.global_avg_pool(m)));
  // channel 0 scaled by 2: [2,4,6,8], mean 5 -> [7,9,11,13]; channel 1 by -1: [-5..-8], mean -6.5
  expect_values(run(b.finish(), {make({1, 2, 2, 2}, iota(8)), make({1, 2, 1, 1}, {2, -1})}),
                {7, 9, 11, 13, -11.5f, -12.5f, -13.5f, -14.5f});
}

TEST(Reference, ResNet18IsDeterministicAndFinite) {
  Graph g = load_model("resnet18?res=32&batch=2", true, 7);
  auto exe = make_backend("reference")->compile(g, {});
  std::vector<Tensor> a, b;
  exe->run(make_inputs(g, 3), a);
  exe->run(make_inputs(g, 3), b);
  ASSERT_EQ(a[0].shape(), (Shape{2, 1000}));
  for (int64_t i = 0; i < a[0].numel(); ++i) {
    ASSERT_TRUE(std::isfinite(a[0][i]));
    ASSERT_EQ(a[0][i], b[0][i]);
  }
  // Different rows of the batch see different inputs, so the logits differ.
  EXPECT_NE(a[0][0], a[0][1000]);
}

TEST(Reference, RefusesWhatItCannotHonour) {
  Graph g = load_model("resnet18?res=32", true);
  CompileOptions opt;
  opt.precision = Precision::BF16;
  EXPECT_THROW(make_backend("reference")->compile(g, opt), Error);
  opt = {};
  opt.extra["fuse"] = "off";
  EXPECT_THROW(make_backend("reference")->compile(g, opt), Error);
  EXPECT_THROW(make_backend("no_such_backend"), Error);
}

TEST(Compare, RelativeErrorAndTopOne) {
  Tensor ref = make({2, 3}, {1, 2, 10, 5, 4, 0});
  Tensor out = make({2, 3}, {1, 2, 10.01f, 4, 5, 0});
  Agreement a = compare_outputs(ref, out, 1e-3);
  EXPECT_NEAR(a.rel_max_error, 0.1, 1e-6);  // |5 - 4| / 10
  EXPECT_EQ(a.rows, 2);
  EXPECT_EQ(a.top1_agree, 1);
  EXPECT_FALSE(a.passed(1e-3));
  EXPECT_TRUE(compare_outputs(ref, ref, 1e-6).passed(1e-6));
}

}  // namespace
}  // namespace fb
