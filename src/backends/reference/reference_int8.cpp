#include "backends/reference/reference_int8.h"

#include <algorithm>

#include "core/error.h"

namespace fb::ref {

QTensor conv2d_int8(const QTensor& x, const QWeights& w, const Tensor* bias, const Conv2dAttrs& a,
                    const Shape& out_shape, bool relu, const QParams& out) {
  if (x.shape.size() != 4 || out_shape.size() != 4 || w.shape.size() != 4) fail("conv2d_int8: expects NCHW tensors");
  const int64_t n_batch = x.shape[0], cin = x.shape[1], ih = x.shape[2], iw = x.shape[3];
  const int64_t cout = out_shape[1], oh = out_shape[2], ow = out_shape[3];
  const int64_t cin_g = cin / a.groups, cout_g = cout / a.groups;
  if (static_cast<int64_t>(w.scales.size()) != cout) fail("conv2d_int8: {} weight scales for {} output channels", w.scales.size(), cout);
  QTensor y{out_shape, std::vector<int32_t>(static_cast<size_t>(shape_numel(out_shape))), out};
  std::vector<int64_t> acc(static_cast<size_t>(oh * ow));
  auto xv = [&](int64_t i) { return static_cast<int64_t>(x.values[static_cast<size_t>(i)]) - x.params.zero_point; };
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t oc = 0; oc < cout; ++oc) {
      const int64_t g = oc / cout_g;
      std::fill(acc.begin(), acc.end(), 0);
      for (int64_t ic = 0; ic < cin_g; ++ic) {
        const int64_t in = ((n * cin + g * cin_g + ic) * ih) * iw;
        for (int64_t kh = 0; kh < a.kernel_h; ++kh)
          for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
            const int64_t wv = w.values[static_cast<size_t>(((oc * cin_g + ic) * a.kernel_h + kh) * a.kernel_w + kw)];
            for (int64_t y0 = 0; y0 < oh; ++y0) {
              const int64_t iy = y0 * a.stride_h - a.pad_top + kh * a.dilation_h;
              if (iy < 0 || iy >= ih) continue;
              for (int64_t x0 = 0; x0 < ow; ++x0) {
                const int64_t ix = x0 * a.stride_w - a.pad_left + kw * a.dilation_w;
                if (ix < 0 || ix >= iw) continue;
                acc[static_cast<size_t>(y0 * ow + x0)] += wv * xv(in + iy * iw + ix);
              }
            }
          }
      }
      const float scale = x.params.scale * w.scales[static_cast<size_t>(oc)];
      const float b = bias ? (*bias)[oc] : 0.0f;
      const int64_t base = ((n * cout + oc) * oh) * ow;
      for (int64_t i = 0; i < oh * ow; ++i) {
        float v = scale * static_cast<float>(acc[static_cast<size_t>(i)]) + b;
        if (relu) v = std::max(v, 0.0f);
        y.values[static_cast<size_t>(base + i)] = quantize(v, out);
      }
    }
  return y;
}

}  // namespace fb::ref
