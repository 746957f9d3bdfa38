#include "backends/reference/reference_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/pool_window.h"

namespace fb::ref {
namespace {

template <typename F>
Tensor map(const Tensor& x, F f) {
  Tensor y(x.shape());
  const float* s = x.data();
  float* d = y.data();
  for (int64_t i = 0; i < x.numel(); ++i) d[i] = f(s[i]);
  return y;
}

// Numpy broadcasting: element index of `t` for an output multi-index.
template <typename F>
Tensor broadcast_binary(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
  const size_t rank = out_shape.size();
  auto strides_for = [&](const Shape& s) {
    std::vector<int64_t> st(rank, 0);
    int64_t stride = 1;
    for (size_t i = 0; i < s.size(); ++i) {
      size_t axis = s.size() - 1 - i, out_axis = rank - 1 - i;
      st[out_axis] = s[axis] == 1 ? 0 : stride;
      stride *= s[axis];
    }
    return st;
  };
  std::vector<int64_t> sa = strides_for(a.shape()), sb = strides_for(b.shape());
  Tensor y(out_shape);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t k = 0; k < rank; ++k) {
      ia += idx[k] * sa[k];
      ib += idx[k] * sb[k];
    }
    y[i] = f(a[ia], b[ib]);
    for (size_t k = rank; k-- > 0;) {
      if (++idx[k] < out_shape[k]) break;
      idx[k] = 0;
    }
  }
  return y;
}

float sigmoid1(float v) { return 1.0f / (1.0f + std::exp(-v)); }

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dAttrs& a, const Shape& out_shape) {
  const int64_t n_batch = x.dim(0), cin = x.dim(1), ih = x.dim(2), iw = x.dim(3);
  const int64_t cout = out_shape[1], oh = out_shape[2], ow = out_shape[3];
  const int64_t cin_g = cin / a.groups, cout_g = cout / a.groups;
  Tensor y(out_shape);
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t oc = 0; oc < cout; ++oc) {
      const int64_t g = oc / cout_g;
      float* out = y.data() + ((n * cout + oc) * oh) * ow;
      const float b = bias ? (*bias)[oc] : 0.0f;
      for (int64_t i = 0; i < oh * ow; ++i) out[i] = b;
      for (int64_t ic = 0; ic < cin_g; ++ic) {
        const float* in = x.data() + ((n * cin + g * cin_g + ic) * ih) * iw;
        for (int64_t kh = 0; kh < a.kernel_h; ++kh)
          for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
            const float wv = w[((oc * cin_g + ic) * a.kernel_h + kh) * a.kernel_w + kw];
            for (int64_t y0 = 0; y0 < oh; ++y0) {
              const int64_t iy = y0 * a.stride_h - a.pad_top + kh * a.dilation_h;
              if (iy < 0 || iy >= ih) continue;
              for (int64_t x0 = 0; x0 < ow; ++x0) {
                const int64_t ix = x0 * a.stride_w - a.pad_left + kw * a.dilation_w;
                if (ix < 0 || ix >= iw) continue;
                out[y0 * ow + x0] += wv * in[iy * iw + ix];
              }
            }
          }
      }
    }
  return y;
}

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& mean, const Tensor& var,
                  float eps) {
  Tensor y(x.shape());
  const int64_t n_batch = x.dim(0), c = x.dim(1);
  const int64_t inner = x.numel() / (n_batch * c);
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float inv = 1.0f / std::sqrt(var[ch] + eps);
      const float* s = x.data() + (n * c + ch) * inner;
      float* d = y.data() + (n * c + ch) * inner;
      for (int64_t i = 0; i < inner; ++i) d[i] = (s[i] - mean[ch]) * inv * gamma[ch] + beta[ch];
    }
  return y;
}

Tensor relu(const Tensor& x) { return map(x, [](float v) { return v > 0.0f ? v : 0.0f; }); }
Tensor relu6(const Tensor& x) { return map(x, [](float v) { return std::min(std::max(v, 0.0f), 6.0f); }); }
Tensor sigmoid(const Tensor& x) { return map(x, sigmoid1); }
Tensor hard_sigmoid(const Tensor& x, const HardSigmoidAttrs& a) {
  return map(x, [&](float v) { return std::min(std::max(a.alpha * v + a.beta, 0.0f), 1.0f); });
}
Tensor silu(const Tensor& x) { return map(x, [](float v) { return v * sigmoid1(v); }); }
Tensor hard_swish(const Tensor& x) {
  return map(x, [](float v) { return v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f; });
}

Tensor add(const Tensor& a, const Tensor& b, const Shape& out_shape) {
  return broadcast_binary(a, b, out_shape, [](float p, float q) { return p + q; });
}
Tensor mul(const Tensor& a, const Tensor& b, const Shape& out_shape) {
  return broadcast_binary(a, b, out_shape, [](float p, float q) { return p * q; });
}

Tensor concat(const std::vector<const Tensor*>& xs, int64_t axis, const Shape& out_shape) {
  Tensor y(out_shape);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= out_shape[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < out_shape.size(); ++i) inner *= out_shape[i];
  const int64_t out_axis = out_shape[static_cast<size_t>(axis)];
  int64_t offset = 0;
  for (const Tensor* x : xs) {
    const int64_t len = x->dim(static_cast<int>(axis));
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(x->data() + o * len * inner, len * inner, y.data() + (o * out_axis + offset) * inner);
    offset += len;
  }
  return y;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes) {
  const int64_t n_batch = x.dim(0), c = x.dim(1);
  const int64_t inner = x.numel() / (n_batch * c);
  std::vector<Tensor> outs;
  int64_t offset = 0;
  for (int64_t s : sizes) {
    Shape shape = x.shape();
    shape[1] = s;
    Tensor y(shape);
    for (int64_t n = 0; n < n_batch; ++n)
      std::copy_n(x.data() + (n * c + offset) * inner, s * inner, y.data() + n * s * inner);
    outs.push_back(std::move(y));
    offset += s;
  }
  return outs;
}

// [N, g, C/g, H, W] -> transpose(1, 2) -> [N, C/g, g, H, W]: output channel i*g + j reads input j*(C/g) + i.
Tensor channel_shuffle(const Tensor& x, int64_t groups) {
  const int64_t n_batch = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3), per = c / groups;
  Tensor y(x.shape());
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t i = 0; i < per; ++i)
      for (int64_t j = 0; j < groups; ++j)
        std::copy_n(x.data() + (n * c + j * per + i) * hw, hw, y.data() + (n * c + i * groups + j) * hw);
  return y;
}

Tensor max_pool(const Tensor& x, const PoolAttrs& a, const Shape& out_shape) {
  const int64_t nc = x.dim(0) * x.dim(1), ih = x.dim(2), iw = x.dim(3), oh = out_shape[2], ow = out_shape[3];
  Tensor y(out_shape);
  for (int64_t p = 0; p < nc; ++p)
    for (int64_t y0 = 0; y0 < oh; ++y0)
      for (int64_t x0 = 0; x0 < ow; ++x0) {
        float m = -std::numeric_limits<float>::infinity();  // padding never wins
        for (int64_t kh = 0; kh < a.kernel_h; ++kh)
          for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
            const int64_t iy = y0 * a.stride_h - a.pad_top + kh, ix = x0 * a.stride_w - a.pad_left + kw;
            if (iy >= 0 && iy < ih && ix >= 0 && ix < iw) m = std::max(m, x[(p * ih + iy) * iw + ix]);
          }
        y[(p * oh + y0) * ow + x0] = m;
      }
  return y;
}

Tensor avg_pool(const Tensor& x, const PoolAttrs& a, const Shape& out_shape) {
  const int64_t nc = x.dim(0) * x.dim(1), ih = x.dim(2), iw = x.dim(3), oh = out_shape[2], ow = out_shape[3];
  Tensor y(out_shape);
  for (int64_t p = 0; p < nc; ++p)
    for (int64_t y0 = 0; y0 < oh; ++y0)
      for (int64_t x0 = 0; x0 < ow; ++x0) {
        const PoolWindow w = avg_pool_window(a, ih, iw, y0, x0);
        double sum = 0;
        for (int64_t iy = w.h_begin; iy < w.h_end; ++iy)
          for (int64_t ix = w.w_begin; ix < w.w_end; ++ix) sum += x[(p * ih + iy) * iw + ix];
        y[(p * oh + y0) * ow + x0] = w.divisor > 0 ? static_cast<float>(sum / static_cast<double>(w.divisor)) : 0.0f;
      }
  return y;
}

Tensor global_avg_pool(const Tensor& x) {
  const int64_t nc = x.dim(0) * x.dim(1), hw = x.dim(2) * x.dim(3);
  Tensor y({x.dim(0), x.dim(1), 1, 1});
  for (int64_t p = 0; p < nc; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < hw; ++i) sum += x[p * hw + i];
    y[p] = static_cast<float>(sum / static_cast<double>(hw));
  }
  return y;
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor* bias) {
  const int64_t n_batch = x.dim(0), in = x.dim(1), out = w.dim(0);
  Tensor y({n_batch, out});
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t o = 0; o < out; ++o) {
      double acc = bias ? (*bias)[o] : 0.0;
      for (int64_t i = 0; i < in; ++i) acc += static_cast<double>(x[n * in + i]) * w[o * in + i];
      y[n * out + o] = static_cast<float>(acc);
    }
  return y;
}

Tensor softmax(const Tensor& x, int64_t axis) {
  const Shape& s = x.shape();
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= s[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < s.size(); ++i) inner *= s[i];
  const int64_t len = s[static_cast<size_t>(axis)];
  Tensor y(s);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t k) { return (o * len + k) * inner + in; };
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < len; ++k) m = std::max(m, x[at(k)]);
      double sum = 0;
      for (int64_t k = 0; k < len; ++k) sum += std::exp(static_cast<double>(x[at(k)] - m));
      for (int64_t k = 0; k < len; ++k) y[at(k)] = static_cast<float>(std::exp(static_cast<double>(x[at(k)] - m)) / sum);
    }
  return y;
}

}  // namespace fb::ref
