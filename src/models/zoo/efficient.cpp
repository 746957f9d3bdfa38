// Searched mobile networks from torchvision: EfficientNet-B0 (torchvision.models.efficientnet), MNASNet 1.0
// (torchvision.models.mnasnet) and RegNetY-400MF (torchvision.models.regnet, a designed design space).
#include <cmath>

#include <fmt/format.h>

#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

constexpr float k_branch_end_scale = 0.2f;  // see resnet.cpp

// ---- EfficientNet-B0 -------------------------------------------------------------------------------------
ValueId mbconv(GraphBuilder& b, ValueId x, int64_t expand, int64_t k, int64_t stride, int64_t out) {
  const int64_t in = b.channels(x);
  const int64_t hidden = make_divisible(static_cast<double>(in * expand));
  const bool residual = stride == 1 && in == out;
  ValueId y = x;
  if (hidden != in) y = conv_bn_act(b, y, {.out = hidden, .k = 1}, Act::Silu, "expand");
  y = conv_bn_act(b, y, {.out = hidden, .k = k, .stride = stride, .groups = hidden}, Act::Silu, "dw");
  y = squeeze_excitation(b, y, std::max<int64_t>(1, in / 4), Act::Silu, false);
  y = b.batch_norm(b.conv(y, {.out = out, .k = 1}, "project"), "project_bn", residual ? k_branch_end_scale : 1.0f);
  return residual ? b.add(y, x, "add") : y;  // stochastic depth is the identity at inference
}

Graph efficientnet_b0(ModelParams& p) {
  CommonParams c = common_params(p);
  GraphBuilder b("efficientnet_b0");
  ValueId x = zoo_input(b, c, "efficientnet_b0", 32);
  x = conv_bn_act(b, x, {.out = 32, .k = 3, .stride = 2}, Act::Silu, "features.0");
  // expand ratio, kernel, stride, output channels, layers (width and depth multipliers 1.0)
  const int64_t stages[][5] = {{1, 3, 1, 16, 1},  {6, 3, 2, 24, 2},  {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3},
                               {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
  int st = 1;
  for (const auto& [e, k, s, out, n] : stages) {
    for (int64_t i = 0; i < n; ++i) {
      auto sc = b.scope(fmt::format("features.{}.{}", st, i));
      x = mbconv(b, x, e, k, i == 0 ? s : 1, out);
    }
    ++st;
  }
  x = conv_bn_act(b, x, {.out = 4 * 320, .k = 1}, Act::Silu, fmt::format("features.{}", st));
  x = b.dropout(pool_flatten(b, x), "classifier.0");
  b.output(b.linear(x, c.classes, "classifier.1"));
  return b.finish();
}

// ---- MNASNet 1.0 -----------------------------------------------------------------------------------------
ValueId mnas_block(GraphBuilder& b, ValueId x, int64_t out, int64_t k, int64_t stride, int64_t expand) {
  const int64_t in = b.channels(x);
  const int64_t mid = in * expand;
  const bool residual = stride == 1 && in == out;
  ValueId y = conv_bn_act(b, x, {.out = mid, .k = 1}, Act::Relu, "expand");
  y = conv_bn_act(b, y, {.out = mid, .k = k, .stride = stride, .groups = mid}, Act::Relu, "dw");
  y = b.batch_norm(b.conv(y, {.out = out, .k = 1}, "project"), "project_bn", residual ? k_branch_end_scale : 1.0f);
  return residual ? b.add(y, x, "add") : y;
}

Graph mnasnet1_0(ModelParams& p) {
  CommonParams c = common_params(p);
  GraphBuilder b("mnasnet1_0");
  ValueId x = zoo_input(b, c, "mnasnet1_0", 32);
  x = conv_bn_act(b, x, {.out = 32, .k = 3, .stride = 2}, Act::Relu, "layers.0");
  x = conv_bn_act(b, x, {.out = 32, .k = 3, .groups = 32}, Act::Relu, "layers.3");
  x = conv_bn_act(b, x, {.out = 16, .k = 1}, Act::None, "layers.6");
  // output channels, kernel, stride of the first, expansion, repeats (alpha = 1.0)
  const int64_t stacks[][5] = {{24, 3, 2, 3, 3}, {40, 5, 2, 3, 3}, {80, 5, 2, 6, 3},
                               {96, 3, 1, 6, 2}, {192, 5, 2, 6, 4}, {320, 3, 1, 6, 1}};
  int li = 8;
  for (const auto& [out, k, s, e, n] : stacks) {
    for (int64_t i = 0; i < n; ++i) {
      auto sc = b.scope(fmt::format("layers.{}.{}", li, i));
      x = mnas_block(b, x, out, k, i == 0 ? s : 1, e);
    }
    ++li;
  }
  x = conv_bn_act(b, x, {.out = 1280, .k = 1}, Act::Relu, fmt::format("layers.{}", li));
  x = b.dropout(pool_flatten(b, x), "classifier.0");
  b.output(b.linear(x, c.classes, "classifier.1"));
  return b.finish();
}

// ---- RegNetY-400MF ---------------------------------------------------------------------------------------
// torchvision's ResBottleneckBlock with SE: 1x1 - grouped 3x3 (group width 8) - SE - 1x1, plus a shortcut.
ValueId regnet_block(GraphBuilder& b, ValueId x, int64_t out, int64_t stride, int64_t group_width,
                     double se_ratio) {
  const int64_t in = b.channels(x);
  ValueId shortcut = x;
  if (in != out || stride != 1) {
    auto s = b.scope("proj");
    shortcut = b.batch_norm(b.conv(x, {.out = out, .k = 1, .stride = stride}, "0"), "1");
  }
  ValueId y = conv_bn_act(b, x, {.out = out, .k = 1}, Act::Relu, "f.a");
  y = conv_bn_act(b, y, {.out = out, .k = 3, .stride = stride, .groups = out / group_width}, Act::Relu, "f.b");
  y = squeeze_excitation(b, y, static_cast<int64_t>(std::lround(se_ratio * static_cast<double>(in))), Act::Relu,
                         false, "f.se");
  y = b.batch_norm(b.conv(y, {.out = out, .k = 1}, "f.c"), "f.c_bn", k_branch_end_scale);
  return b.relu(b.add(shortcut, y, "add"), "activation");
}

Graph regnet_y_400mf(ModelParams& p) {
  CommonParams c = common_params(p);
  GraphBuilder b("regnet_y_400mf");
  ValueId x = zoo_input(b, c, "regnet_y_400mf", 32);
  x = conv_bn_act(b, x, {.out = 32, .k = 3, .stride = 2}, Act::Relu, "stem");
  // From depth=16, w_0=48, w_a=27.89, w_m=2.09 by torchvision's BlockParams.from_init_params quantisation.
  const int64_t widths[] = {48, 104, 208, 440};
  const int depths[] = {1, 3, 6, 6};
  for (int st = 0; st < 4; ++st)
    for (int i = 0; i < depths[st]; ++i) {
      auto s = b.scope(fmt::format("trunk_output.block{}.{}", st + 1, i));
      x = regnet_block(b, x, widths[st], i == 0 ? 2 : 1, 8, 0.25);
    }
  x = pool_flatten(b, x);
  b.output(b.linear(x, c.classes, "fc"));
  return b.finish();
}

Registrar eb0({"efficientnet_b0", "EfficientNet-B0: 16 MBConv blocks with SE and SiLU (NAS-found)",
               "torchvision.models.efficientnet_b0 (Tan & Le 2019)", "nas", efficientnet_b0});
Registrar mn({"mnasnet1_0", "MNASNet 1.0: 16 inverted residual blocks (NAS-found)",
              "torchvision.models.mnasnet1_0 (Tan et al. 2019, MnasNet-B1)", "nas", mnasnet1_0});
Registrar ry({"regnet_y_400mf", "RegNetY-400MF: 16 grouped bottlenecks with SE (design-space search)",
              "torchvision.models.regnet_y_400mf (Radosavovic et al. 2020)", "hand-crafted", regnet_y_400mf});

}  // namespace
}  // namespace fb::zoo
