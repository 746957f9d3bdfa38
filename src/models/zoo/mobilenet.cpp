// MobileNet-V1 (Howard et al. 2017, 1.0-224; not in torchvision) and MobileNet-V2 (torchvision.models.mobilenet_v2).
#include <fmt/format.h>

#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

constexpr float k_branch_end_scale = 0.2f;  // see resnet.cpp

// MobileNet-V1, Table 1 of the paper: a 3x3 stride-2 conv, 13 depthwise-separable layers, pool, FC.
Graph mobilenet_v1(ModelParams& p) {
  CommonParams c = common_params(p);
  GraphBuilder b("mobilenet_v1");
  ValueId x = zoo_input(b, c, "mobilenet_v1", 32);
  x = conv_bn_act(b, x, {.out = 32, .k = 3, .stride = 2}, Act::Relu, "features.0");
  const int64_t layers[][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},  {512, 1},
                               {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int i = 1;
  for (const auto& [out, stride] : layers) {
    auto s = b.scope(fmt::format("features.{}", i++));
    const int64_t in = b.channels(x);
    x = conv_bn_act(b, x, {.out = in, .k = 3, .stride = stride, .groups = in}, Act::Relu, "dw");
    x = conv_bn_act(b, x, {.out = out, .k = 1}, Act::Relu, "pw");
  }
  x = pool_flatten(b, x);
  b.output(b.linear(x, c.classes, "fc"));
  return b.finish();
}

// torchvision's InvertedResidual: optional 1x1 expansion, depthwise 3x3, linear 1x1 projection.
ValueId inverted_residual(GraphBuilder& b, ValueId x, int64_t out, int64_t stride, int64_t t) {
  const int64_t in = b.channels(x);
  const int64_t hidden = in * t;
  const bool residual = stride == 1 && in == out;
  ValueId y = x;
  if (t != 1) y = conv_bn_act(b, y, {.out = hidden, .k = 1}, Act::Relu6, "expand");
  y = conv_bn_act(b, y, {.out = hidden, .k = 3, .stride = stride, .groups = hidden}, Act::Relu6, "dw");
  y = b.batch_norm(b.conv(y, {.out = out, .k = 1}, "project"), "project_bn", residual ? k_branch_end_scale : 1.0f);
  return residual ? b.add(x, y, "add") : y;
}

Graph mobilenet_v2(ModelParams& p) {
  CommonParams c = common_params(p);
  GraphBuilder b("mobilenet_v2");
  ValueId x = zoo_input(b, c, "mobilenet_v2", 32);
  x = conv_bn_act(b, x, {.out = 32, .k = 3, .stride = 2}, Act::Relu6, "features.0");
  // t (expansion), c (channels), n (repeats), s (stride of the first)
  const int64_t settings[][4] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                 {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  int i = 1;
  for (const auto& [t, ch, n, s] : settings)
    for (int64_t j = 0; j < n; ++j) {
      auto sc = b.scope(fmt::format("features.{}", i++));
      x = inverted_residual(b, x, make_divisible(static_cast<double>(ch)), j == 0 ? s : 1, t);
    }
  x = conv_bn_act(b, x, {.out = 1280, .k = 1}, Act::Relu6, fmt::format("features.{}", i));
  x = b.dropout(pool_flatten(b, x), "classifier.0");
  b.output(b.linear(x, c.classes, "classifier.1"));
  return b.finish();
}

Registrar v1({"mobilenet_v1", "MobileNet-V1 1.0: 13 depthwise-separable layers",
              "Howard et al. 2017, MobileNets (arXiv:1704.04861) Table 1", "hand-crafted", mobilenet_v1});
Registrar v2({"mobilenet_v2", "MobileNet-V2 1.0: 17 inverted residual blocks",
              "torchvision.models.mobilenet_v2 (Sandler et al. 2018)", "hand-crafted", mobilenet_v2});

}  // namespace
}  // namespace fb::zoo
