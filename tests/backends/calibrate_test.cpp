// Calibration: every value's range over the calibration inputs, recomputed here directly from the same
// inputs with the reference loops, and the u8/s8 choice that follows from it.
#include <gtest/gtest.h>

#include <algorithm>

#include "backends/backend.h"
#include "backends/calibrate.h"
#include "backends/reference/reference_ops.h"
#include "core/error.h"
#include "ir/builder.h"

namespace fb {
namespace {

TEST(Calibrate, RangesOfEveryValueOverTheCalibrationInputs) {
  GraphBuilder b("t");
  const ValueId x = b.input("x", {1, 3, 6, 6});
  b.output(b.relu(b.conv(x, {.out = 4, .k = 3, .bias = true}, "conv"), "relu"));
  Graph g = b.finish();
  materialize_weights(g, 5);
  CalibrationOptions opt;
  opt.inputs = 3;
  opt.first_seed = 40;
  const std::map<std::string, ValueRange> r = calibrate(g, opt);
  ASSERT_EQ(r.size(), 3u);  // x, conv, relu

  ValueRange in{1e9f, -1e9f}, conv{1e9f, -1e9f}, relu{1e9f, -1e9f};
  auto widen = [](ValueRange& v, const Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) v.min = std::min(v.min, t[i]), v.max = std::max(v.max, t[i]);
  };
  const Node& c = g.nodes[0];
  for (uint64_t seed = 40; seed < 43; ++seed) {
    const Tensor xi = make_inputs(g, seed).at(0);
    const Tensor ci = ref::conv2d(xi, c.param("weight"), &c.param("bias"), c.attr<Conv2dAttrs>(), {1, 4, 6, 6});
    widen(in, xi);
    widen(conv, ci);
    widen(relu, ref::relu(ci));
  }
  const std::string conv_name = g.value(c.outputs[0]).name, relu_name = g.value(g.outputs[0]).name;
  EXPECT_FLOAT_EQ(r.at("x").min, in.min);
  EXPECT_FLOAT_EQ(r.at("x").max, in.max);
  EXPECT_FLOAT_EQ(r.at(conv_name).min, conv.min);
  EXPECT_FLOAT_EQ(r.at(conv_name).max, conv.max);
  EXPECT_FLOAT_EQ(r.at(relu_name).min, 0.0f);
  EXPECT_FLOAT_EQ(r.at(relu_name).max, relu.max);
  ASSERT_LT(conv.min, 0.0f);  // so the choice below is tested both ways

  // After the ReLU: u8 over [0, max]; before it: s8 over [-absmax, absmax].
  const QParams after = activation_params(r.at(relu_name));
  EXPECT_EQ(after.type, QType::U8);
  EXPECT_FLOAT_EQ(after.scale, relu.max / 255);
  const QParams before = activation_params(r.at(conv_name));
  EXPECT_EQ(before.type, QType::S8);
  EXPECT_FLOAT_EQ(before.scale, std::max(-conv.min, conv.max) / 127);
  EXPECT_EQ(activation_params(r.at(relu_name), true).qmax(), 127);
}

TEST(Calibrate, BadInputIsAClearError) {
  GraphBuilder b("t");
  b.output(b.relu(b.input("x", {1, 1, 2, 2})));
  Graph g = b.finish();
  CalibrationOptions none;
  none.inputs = 0;
  EXPECT_THROW(calibrate(g, none), Error);
}

}  // namespace
}  // namespace fb
