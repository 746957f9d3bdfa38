// The int8 convolution oracle against a hand-computed value and against the fp32 reference convolution of
// the same dequantized numbers (an independent computation: they may differ by a rounding of the last step).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "backends/reference/reference_int8.h"
#include "backends/reference/reference_ops.h"
#include "conv_attrs.h"
#include "core/error.h"

namespace fb {
namespace {

TEST(ReferenceInt8, OneByOneConvByHand) {
  // x = {1.0, 0.5} in u8 at scale 0.02 -> {50, 25}; w = {0.3, -0.2}: its channel's scale is 0.3/127, so
  // {127, -85} (-84.67 rounds to -85); acc = 50*127 - 25*85 = 4225; y = 0.02 * 0.3/127 * 4225 = 0.19961,
  // which is 4 at the output scale 0.05.
  Tensor x({1, 2, 1, 1}), w({1, 2, 1, 1});
  x[0] = 1.0f, x[1] = 0.5f, w[0] = 0.3f, w[1] = -0.2f;
  QParams in;
  in.type = QType::U8;
  in.scale = 0.02f;
  const QTensor qx = quantize_tensor(x, in);
  EXPECT_EQ(qx.values, (std::vector<int32_t>{50, 25}));
  const QWeights qw = quantize_weights(w);
  EXPECT_EQ(qw.values, (std::vector<int32_t>{127, -85}));
  Conv2dAttrs a;
  a.out_channels = 1;
  QParams out;
  out.type = QType::U8;
  out.scale = 0.05f;
  const QTensor y = ref::conv2d_int8(qx, qw, nullptr, a, {1, 1, 1, 1}, false, out);
  EXPECT_EQ(y.values, std::vector<int32_t>{4});
  // A bias of -0.3 makes it negative: ReLU gives 0, and u8 saturates at 0 without it.
  Tensor bias({1});
  bias[0] = -0.3f;
  EXPECT_EQ(ref::conv2d_int8(qx, qw, &bias, a, {1, 1, 1, 1}, true, out).values, std::vector<int32_t>{0});
  QParams signed_out = out;
  signed_out.type = QType::S8;
  EXPECT_EQ(ref::conv2d_int8(qx, qw, &bias, a, {1, 1, 1, 1}, false, signed_out).values, std::vector<int32_t>{-2});
}

struct Case {
  const char* name;
  Conv2dAttrs a;
  Shape x, out;
};

TEST(ReferenceInt8, AgreesWithTheFp32ConvolutionOfTheDequantizedNumbers) {
  const Case cases[] = {
      {"3x3 dense", test::conv_attrs(8, 3, 1, 1, 1), {1, 16, 10, 10}, {1, 8, 10, 10}},
      {"3x3 stride 2", test::conv_attrs(8, 3, 2, 1, 1), {2, 8, 9, 9}, {2, 8, 5, 5}},
      {"depthwise", test::conv_attrs(16, 3, 1, 1, 16), {1, 16, 8, 8}, {1, 16, 8, 8}},
      {"grouped 1x1", test::conv_attrs(8, 1, 1, 0, 2), {1, 8, 6, 6}, {1, 8, 6, 6}},
  };
  for (const Case& c : cases) {
    Tensor x = random_tensor(c.x, 11);
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = std::fabs(x[i]);  // non-negative, as after a ReLU: u8
    const Tensor w = random_tensor({c.a.out_channels, c.x[1] / c.a.groups, c.a.kernel_h, c.a.kernel_w}, 12);
    Tensor bias = random_tensor({c.a.out_channels}, 13);
    const QTensor qx = quantize_tensor(x, choose_u8(1.0f));
    const QWeights qw = quantize_weights(w);
    const Tensor fp32 = ref::relu(ref::conv2d(dequantize_tensor(qx), dequantize_weights(qw), &bias, c.a, c.out));
    float max = 0;
    for (int64_t i = 0; i < fp32.numel(); ++i) max = std::max(max, fp32[i]);
    const QParams out = choose_u8(max);
    const QTensor want = quantize_tensor(fp32, out);
    const QTensor got = ref::conv2d_int8(qx, qw, &bias, c.a, c.out, true, out);
    ASSERT_EQ(got.values.size(), want.values.size()) << c.name;
    size_t exact = 0;
    for (size_t i = 0; i < got.values.size(); ++i) {
      EXPECT_LE(std::abs(got.values[i] - want.values[i]), 1) << c.name << " at " << i;
      exact += got.values[i] == want.values[i];
    }
    EXPECT_GE(static_cast<double>(exact), 0.99 * static_cast<double>(got.values.size())) << c.name;
    // And the numbers are not trivial: a good share of outputs is neither 0 nor saturated.
    size_t inside = 0;
    for (int32_t v : got.values) inside += v > 0 && v < 255;
    EXPECT_GT(inside, got.values.size() / 4) << c.name;
  }
}

TEST(ReferenceInt8, WrongScaleCountIsAnError) {
  QTensor x{{1, 2, 1, 1}, {1, 1}, choose_u8(1)};
  QWeights w{{2, 2, 1, 1}, {1, 1, 1, 1}, {1.0f}};
  Conv2dAttrs a;
  a.out_channels = 2;
  EXPECT_THROW(ref::conv2d_int8(x, w, nullptr, a, {1, 2, 1, 1}, false, choose_u8(1)), Error);
}

}  // namespace
}  // namespace fb
