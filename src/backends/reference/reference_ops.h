#pragma once
// Plain loops for every op: the numerical oracle. Clarity and determinism over speed; each function is the
// textbook definition with PyTorch semantics.
#include <vector>

#include "core/tensor.h"
#include "ir/attrs.h"

namespace fb::ref {

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dAttrs& a, const Shape& out_shape);
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& mean, const Tensor& var,
                  float eps);
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor hard_sigmoid(const Tensor& x, const HardSigmoidAttrs& a);
Tensor silu(const Tensor& x);
Tensor hard_swish(const Tensor& x);
Tensor add(const Tensor& a, const Tensor& b, const Shape& out_shape);
Tensor mul(const Tensor& a, const Tensor& b, const Shape& out_shape);
Tensor concat(const std::vector<const Tensor*>& xs, int64_t axis, const Shape& out_shape);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes);
Tensor channel_shuffle(const Tensor& x, int64_t groups);
Tensor max_pool(const Tensor& x, const PoolAttrs& a, const Shape& out_shape);
Tensor avg_pool(const Tensor& x, const PoolAttrs& a, const Shape& out_shape);
Tensor global_avg_pool(const Tensor& x);
Tensor linear(const Tensor& x, const Tensor& w, const Tensor* bias);
Tensor softmax(const Tensor& x, int64_t axis);

}  // namespace fb::ref
