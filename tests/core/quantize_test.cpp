// int8 quantization arithmetic against hand-computed values (scales chosen as powers of two where a tie
// must be exact in binary floating point).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/quantize.h"

namespace fb {
namespace {

QParams params(float scale, QType type, int32_t zero_point = 0, bool reduce_range = false) {
  QParams p;
  p.scale = scale;
  p.type = type;
  p.zero_point = zero_point;
  p.reduce_range = reduce_range;
  return p;
}

TEST(CoreQuantize, ScalesFromRanges) {
  EXPECT_FLOAT_EQ(choose_u8(2.55f).scale, 0.01f);
  EXPECT_EQ(choose_u8(2.55f).type, QType::U8);
  const QParams seven_bit = choose_u8(1.27f, true);
  EXPECT_EQ(seven_bit.qmax(), 127);
  EXPECT_FLOAT_EQ(seven_bit.scale, 0.01f);
  EXPECT_FLOAT_EQ(choose_s8(12.7f).scale, 0.1f);
  EXPECT_EQ(choose_s8(12.7f).zero_point, 0);
  EXPECT_EQ(choose_u8(0).scale, 1.0f);  // an all-zero tensor: any scale is exact
  EXPECT_THROW(choose_u8(-1), Error);
  EXPECT_THROW(choose_s8(NAN), Error);
  EXPECT_THROW(choose_s8(INFINITY), Error);
}

TEST(CoreQuantize, RoundsToNearestEvenAndSaturates) {
  const QParams u = params(0.5f, QType::U8);
  EXPECT_EQ(quantize(0.25f, u), 0);  // 0.5 -> 0
  EXPECT_EQ(quantize(0.75f, u), 2);  // 1.5 -> 2
  EXPECT_EQ(quantize(1.25f, u), 2);  // 2.5 -> 2
  EXPECT_EQ(quantize(1.75f, u), 4);  // 3.5 -> 4
  EXPECT_EQ(quantize(1.3f, u), 3);   // 2.6 -> 3
  EXPECT_EQ(quantize(200.f, u), 255);
  EXPECT_EQ(quantize(-3.f, u), 0);
  EXPECT_EQ(quantize(200.f, params(0.5f, QType::U8, 0, true)), 127);
  const QParams s = params(0.5f, QType::S8);
  EXPECT_EQ(quantize(-0.75f, s), -2);  // -1.5 -> -2
  EXPECT_EQ(quantize(-1.25f, s), -2);  // -2.5 -> -2
  EXPECT_EQ(quantize(-1000.f, s), -128);
  EXPECT_EQ(quantize(1000.f, s), 127);
  EXPECT_FLOAT_EQ(dequantize(-2, s), -1.0f);
  // A zero point shifts the grid: PyTorch's quint8 holds a signed tensor at zero point 128.
  const QParams shifted = params(0.5f, QType::U8, 128);
  EXPECT_EQ(quantize(-1.0f, shifted), 126);
  EXPECT_FLOAT_EQ(dequantize(126, shifted), -1.0f);
}

TEST(CoreQuantize, PerChannelWeightScales) {
  Tensor w({3, 1, 1, 2});
  const float v[] = {0.5f, -1.27f, 0, 0, 0.127f, 0.1f};
  for (int i = 0; i < 6; ++i) w[i] = v[i];
  const std::vector<float> s = per_channel_weight_scales(w);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_FLOAT_EQ(s[0], 0.01f);
  EXPECT_FLOAT_EQ(s[1], 1.0f);  // an all-zero channel
  EXPECT_FLOAT_EQ(s[2], 0.001f);
  EXPECT_EQ(quantize(-1.27f, params(s[0], QType::S8)), -127);  // the channel's extreme maps to -127, not -128
  EXPECT_EQ(quantize(0.5f, params(s[0], QType::S8)), 50);
  EXPECT_THROW(per_channel_weight_scales(Tensor::placeholder({2, 2})), Error);
}

TEST(CoreQuantize, RequantizesAnAccumulator) {
  // x = {1.0, 0.5} in u8 at scale 0.02 -> {50, 25}; w = {0.3, -0.2} in s8 at scale 0.01 -> {30, -20}.
  // acc = 50*30 + 25*(-20) = 1000 at scale 0.02*0.01; the real sum 0.3 - 0.1 = 0.2 is 4 at output scale 0.05.
  const QParams out = params(0.05f, QType::U8);
  EXPECT_EQ(quantize(1.0f, params(0.02f, QType::U8)), 50);
  EXPECT_EQ(quantize(-0.2f, params(0.01f, QType::S8)), -20);
  EXPECT_EQ(requantize(1000, 0.02f * 0.01f / 0.05f, out), 4);
  EXPECT_EQ(requantize(1000000, 0.004f, out), 255);
  EXPECT_EQ(requantize(-5000, 0.004f, out), 0);
  const QParams s = params(1, QType::S8);
  EXPECT_EQ(requantize(5, 0.5f, s), 2);  // 2.5 -> 2
  EXPECT_EQ(requantize(7, 0.5f, s), 4);  // 3.5 -> 4
  EXPECT_EQ(requantize(-7, 0.5f, s), -4);
}

}  // namespace
}  // namespace fb
