#pragma once
// One average-pooling window, PyTorch's rules: the input rows/cols it covers and its divisor. With
// count_include_pad the divisor is the window clipped to the padded input (a ceil-mode window hanging past
// the padding counts only up to it); otherwise the number of real input elements.
#include <algorithm>
#include <cstdint>

#include "ir/attrs.h"

namespace fb {

struct PoolWindow {
  int64_t h_begin, h_end, w_begin, w_end;  // real input range, end exclusive
  int64_t divisor;                         // 0 only for a window over padding alone
};

inline PoolWindow avg_pool_window(const PoolAttrs& a, int64_t ih, int64_t iw, int64_t y, int64_t x) {
  const int64_t hs = y * a.stride_h - a.pad_top, ws = x * a.stride_w - a.pad_left;
  const int64_t he = std::min(hs + a.kernel_h, ih + a.pad_bottom), we = std::min(ws + a.kernel_w, iw + a.pad_right);
  PoolWindow w{std::max<int64_t>(hs, 0), std::min(he, ih), std::max<int64_t>(ws, 0), std::min(we, iw), 0};
  w.divisor = a.count_include_pad ? (he - hs) * (we - ws) : (w.h_end - w.h_begin) * (w.w_end - w.w_begin);
  return w;
}

}  // namespace fb
