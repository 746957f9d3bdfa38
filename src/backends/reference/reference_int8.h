#pragma once
// int8 convolution as int8 kernels define it, computed in integers: the oracle the int8 backends are checked
// against (docs/int8_design.md). Clarity over speed, like reference_ops.h.
#include "core/quantize.h"
#include "core/tensor.h"
#include "ir/attrs.h"

namespace fb::ref {

// acc = sum of (x - x.zero_point) * w over the window, in integers; y = s_x * s_w[oc] * acc + bias[oc] in
// fp32, ReLU'd when `relu`, then quantized to `out` (rounded to nearest even, saturated).
QTensor conv2d_int8(const QTensor& x, const QWeights& w, const Tensor* bias, const Conv2dAttrs& a,
                    const Shape& out_shape, bool relu, const QParams& out);

}  // namespace fb::ref
