#include "core/quantize.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fb {
namespace {

int32_t round_saturate(double v, const QParams& p) {
  // nearbyint rounds to nearest, ties to even, in the default rounding mode.
  const double r = std::nearbyint(v) + p.zero_point;
  return static_cast<int32_t>(std::clamp(r, static_cast<double>(p.qmin()), static_cast<double>(p.qmax())));
}

void check_bound(float v, const char* what) {
  if (!std::isfinite(v) || v < 0) fail("quantization: {} must be finite and >= 0, got {}", what, v);
}

}  // namespace

const char* qtype_name(QType t) { return t == QType::U8 ? "u8" : "s8"; }

int32_t QParams::qmin() const { return type == QType::U8 ? 0 : -128; }
int32_t QParams::qmax() const { return type == QType::U8 ? (reduce_range ? 127 : 255) : 127; }

QParams choose_u8(float max, bool reduce_range) {
  check_bound(max, "the range's maximum");
  QParams p;
  p.type = QType::U8;
  p.reduce_range = reduce_range;
  p.scale = max > 0 ? max / static_cast<float>(p.qmax()) : 1.0f;
  return p;
}

QParams choose_s8(float absmax) {
  check_bound(absmax, "the range's absolute maximum");
  QParams p;
  p.type = QType::S8;
  p.scale = absmax > 0 ? absmax / 127.0f : 1.0f;
  return p;
}

std::vector<float> per_channel_weight_scales(const Tensor& w) {
  if (w.rank() < 1 || w.dim(0) < 1 || !w.has_data()) fail("quantization: a weight tensor needs values and an output-channel dimension");
  const int64_t oc = w.dim(0), per = w.numel() / oc;
  std::vector<float> s(static_cast<size_t>(oc));
  for (int64_t c = 0; c < oc; ++c) {
    float m = 0;
    for (int64_t i = 0; i < per; ++i) m = std::max(m, std::fabs(w[c * per + i]));
    s[static_cast<size_t>(c)] = choose_s8(m).scale;
  }
  return s;
}

int32_t quantize(float x, const QParams& p) {
  // Multiplying by the reciprocal, as the kernels do, so a host-side quantization matches theirs.
  return round_saturate(static_cast<double>(x * (1.0f / p.scale)), p);
}

float dequantize(int32_t q, const QParams& p) { return p.scale * static_cast<float>(q - p.zero_point); }

int32_t requantize(int32_t acc, float multiplier, const QParams& out) {
  return round_saturate(static_cast<double>(static_cast<float>(acc) * multiplier), out);
}

QTensor quantize_tensor(const Tensor& x, const QParams& p) {
  if (!x.has_data()) fail("quantization: the tensor has no values");
  QTensor q{x.shape(), std::vector<int32_t>(static_cast<size_t>(x.numel())), p};
  for (int64_t i = 0; i < x.numel(); ++i) q.values[static_cast<size_t>(i)] = quantize(x[i], p);
  return q;
}

Tensor dequantize_tensor(const QTensor& q) {
  Tensor x(q.shape);
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = dequantize(q.values[static_cast<size_t>(i)], q.params);
  return x;
}

QWeights quantize_weights(const Tensor& w) {
  QWeights q{w.shape(), std::vector<int32_t>(static_cast<size_t>(w.numel())), per_channel_weight_scales(w)};
  const int64_t per = w.numel() / w.dim(0);
  for (int64_t i = 0; i < w.numel(); ++i) {
    QParams channel;  // s8, zero point 0
    channel.scale = q.scales[static_cast<size_t>(i / per)];
    q.values[static_cast<size_t>(i)] = quantize(w[i], channel);
  }
  return q;
}

Tensor dequantize_weights(const QWeights& w) {
  Tensor x(w.shape);
  const int64_t per = x.numel() / x.dim(0);
  for (int64_t i = 0; i < x.numel(); ++i)
    x[i] = w.scales[static_cast<size_t>(i / per)] * static_cast<float>(w.values[static_cast<size_t>(i)]);
  return x;
}

}  // namespace fb
