// MobileNet-V3 Large and Small, as torchvision.models.mobilenetv3 defines them (Howard et al. 2019).
#include <fmt/format.h>

#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

constexpr float k_eps = 1e-3f;  // torchvision builds MobileNet-V3's BatchNorms with eps=0.001
constexpr float k_branch_end_scale = 0.2f;

// One row of torchvision's bneck_conf: input, kernel, expanded, output, SE, hard-swish, stride.
struct Bneck {
  int64_t in, k, expanded, out;
  bool se, hs;
  int64_t stride;
};

ValueId bneck(GraphBuilder& b, ValueId x, const Bneck& c) {
  const Act act = c.hs ? Act::HardSwish : Act::Relu;
  const bool residual = c.stride == 1 && c.in == c.out;
  ValueId y = x;
  if (c.expanded != c.in) y = conv_bn_act(b, y, {.out = c.expanded, .k = 1}, act, "expand", k_eps);
  y = conv_bn_act(b, y, {.out = c.expanded, .k = c.k, .stride = c.stride, .groups = c.expanded}, act, "dw", k_eps);
  if (c.se) y = squeeze_excitation(b, y, make_divisible(static_cast<double>(c.expanded / 4)), Act::Relu, true);
  y = b.batch_norm(b.conv(y, {.out = c.out, .k = 1}, "project"), "project_bn",
                   residual ? k_branch_end_scale : 1.0f, k_eps);
  return residual ? b.add(y, x, "add") : y;
}

Graph mobilenet_v3(const std::string& name, ModelParams& p, const std::vector<Bneck>& cfg, int64_t last_channel) {
  CommonParams c = common_params(p);
  GraphBuilder b(name);
  ValueId x = zoo_input(b, c, name, 32);
  x = conv_bn_act(b, x, {.out = 16, .k = 3, .stride = 2}, Act::HardSwish, "features.0", k_eps);
  int i = 1;
  for (const Bneck& bc : cfg) {
    auto s = b.scope(fmt::format("features.{}", i++));
    x = bneck(b, x, bc);
  }
  x = conv_bn_act(b, x, {.out = 6 * cfg.back().out, .k = 1}, Act::HardSwish, fmt::format("features.{}", i), k_eps);
  x = pool_flatten(b, x);
  {
    auto s = b.scope("classifier");
    x = b.dropout(b.hard_swish(b.linear(x, last_channel, "0"), "1"), "2");
    x = b.linear(x, c.classes, "3");
  }
  b.output(x);
  return b.finish();
}

const char* k_source = "torchvision.models.mobilenetv3 (Howard et al. 2019, Searching for MobileNetV3)";

Registrar large({"mobilenet_v3_large", "MobileNet-V3 Large: 15 bnecks with SE and hard-swish", k_source, "hand-crafted",
                 [](ModelParams& p) {
                   return mobilenet_v3("mobilenet_v3_large", p,
                                       {{16, 3, 16, 16, false, false, 1},
                                        {16, 3, 64, 24, false, false, 2},
                                        {24, 3, 72, 24, false, false, 1},
                                        {24, 5, 72, 40, true, false, 2},
                                        {40, 5, 120, 40, true, false, 1},
                                        {40, 5, 120, 40, true, false, 1},
                                        {40, 3, 240, 80, false, true, 2},
                                        {80, 3, 200, 80, false, true, 1},
                                        {80, 3, 184, 80, false, true, 1},
                                        {80, 3, 184, 80, false, true, 1},
                                        {80, 3, 480, 112, true, true, 1},
                                        {112, 3, 672, 112, true, true, 1},
                                        {112, 5, 672, 160, true, true, 2},
                                        {160, 5, 960, 160, true, true, 1},
                                        {160, 5, 960, 160, true, true, 1}},
                                       1280);
                 }});
Registrar small({"mobilenet_v3_small", "MobileNet-V3 Small: 11 bnecks with SE and hard-swish", k_source, "hand-crafted",
                 [](ModelParams& p) {
                   return mobilenet_v3("mobilenet_v3_small", p,
                                       {{16, 3, 16, 16, true, false, 2},
                                        {16, 3, 72, 24, false, false, 2},
                                        {24, 3, 88, 24, false, false, 1},
                                        {24, 5, 96, 40, true, true, 2},
                                        {40, 5, 240, 40, true, true, 1},
                                        {40, 5, 240, 40, true, true, 1},
                                        {40, 5, 120, 48, true, true, 1},
                                        {48, 5, 144, 48, true, true, 1},
                                        {48, 5, 288, 96, true, true, 2},
                                        {96, 5, 576, 96, true, true, 1},
                                        {96, 5, 576, 96, true, true, 1}},
                                       1024);
                 }});

}  // namespace
}  // namespace fb::zoo
