#pragma once
// Attribute structs, one per op family, with PyTorch/ONNX semantics.
#include <cstdint>
#include <variant>
#include <vector>

namespace fb {

struct NoAttrs {};

struct Conv2dAttrs {
  int64_t out_channels = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  // Asymmetric padding as ONNX has it (PyTorch's symmetric padding sets top=bottom, left=right).
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
  bool bias = false;
};

struct BatchNormAttrs {
  float eps = 1e-5f;
};

// MaxPool and AvgPool.
struct PoolAttrs {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;  // AvgPool only; PyTorch's default is true, ONNX's is false
};

// HardSigmoid(x) = clamp(alpha * x + beta, 0, 1). PyTorch: alpha = 1/6, beta = 0.5; ONNX default 0.2, 0.5.
struct HardSigmoidAttrs {
  float alpha = 1.0f / 6.0f;
  float beta = 0.5f;
};

struct LinearAttrs {
  int64_t out_features = 0;
  bool bias = true;
};

struct AxisAttrs {  // Concat, Softmax, Flatten
  int64_t axis = 1;
};

struct SplitAttrs {  // along channels (axis 1)
  std::vector<int64_t> sizes;
};

struct ChannelShuffleAttrs {
  int64_t groups = 1;
};

using Attrs = std::variant<NoAttrs, Conv2dAttrs, BatchNormAttrs, PoolAttrs, HardSigmoidAttrs, LinearAttrs,
                           AxisAttrs, SplitAttrs, ChannelShuffleAttrs>;

}  // namespace fb
