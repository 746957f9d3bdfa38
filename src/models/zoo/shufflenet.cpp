// ShuffleNet-V2 1.0x, as torchvision.models.shufflenetv2 defines it (Ma et al. 2018).
#include <fmt/format.h>

#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

ValueId dw_bn(GraphBuilder& b, ValueId x, int64_t stride, const std::string& name) {
  auto s = b.scope(name);
  const int64_t ch = b.channels(x);
  return b.batch_norm(b.conv(x, {.out = ch, .k = 3, .stride = stride, .groups = ch}, "conv"), "bn");
}

ValueId branch2(GraphBuilder& b, ValueId x, int64_t out, int64_t stride) {
  auto s = b.scope("branch2");
  x = conv_bn_act(b, x, {.out = out, .k = 1}, Act::Relu, "0");
  x = dw_bn(b, x, stride, "3");
  return conv_bn_act(b, x, {.out = out, .k = 1}, Act::Relu, "5");
}

ValueId unit(GraphBuilder& b, ValueId x, int64_t out, int64_t stride) {
  const int64_t half = out / 2;
  ValueId left = x, right = x;
  if (stride == 1) {
    std::vector<ValueId> parts = b.split(x, {b.channels(x) / 2, b.channels(x) / 2}, "split");
    left = parts[0];
    right = branch2(b, parts[1], half, 1);
  } else {
    {
      auto s = b.scope("branch1");
      left = conv_bn_act(b, dw_bn(b, x, 2, "0"), {.out = half, .k = 1}, Act::Relu, "2");
    }
    right = branch2(b, x, half, 2);
  }
  return b.channel_shuffle(b.concat({left, right}, "cat"), 2, "shuffle");
}

Graph shufflenet_v2(const std::string& name, ModelParams& p, std::vector<int64_t> out_channels) {
  CommonParams c = common_params(p);
  GraphBuilder b(name);
  ValueId x = zoo_input(b, c, name, 32);
  x = conv_bn_act(b, x, {.out = out_channels[0], .k = 3, .stride = 2}, Act::Relu, "conv1");
  x = b.max_pool(x, {.k = 3, .stride = 2, .pad = 1}, "maxpool");
  const int repeats[] = {4, 8, 4};
  for (int st = 0; st < 3; ++st)
    for (int i = 0; i < repeats[st]; ++i) {
      auto s = b.scope(fmt::format("stage{}.{}", st + 2, i));
      x = unit(b, x, out_channels[static_cast<size_t>(st) + 1], i == 0 ? 2 : 1);
    }
  x = conv_bn_act(b, x, {.out = out_channels[4], .k = 1}, Act::Relu, "conv5");
  x = pool_flatten(b, x);
  b.output(b.linear(x, c.classes, "fc"));
  return b.finish();
}

Registrar r({"shufflenet_v2_x1_0", "ShuffleNet-V2 1.0x: 16 shuffle units (4/8/4)",
             "torchvision.models.shufflenet_v2_x1_0 (Ma et al. 2018)", "hand-crafted",
             [](ModelParams& p) { return shufflenet_v2("shufflenet_v2_x1_0", p, {24, 116, 232, 464, 1024}); }});

}  // namespace
}  // namespace fb::zoo
