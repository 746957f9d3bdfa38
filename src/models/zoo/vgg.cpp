// VGG-11/16/19 (configurations A, D, E without BatchNorm), as torchvision.models.vgg defines them.
#include <fmt/format.h>

#include "core/error.h"
#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

constexpr int k_pool = 0;  // 'M' in torchvision's cfgs

Graph vgg(const std::string& name, ModelParams& p, const std::vector<int>& cfg) {
  CommonParams c = common_params(p);
  GraphBuilder b(name);
  ValueId x = zoo_input(b, c, name, 32);
  {
    auto s = b.scope("features");
    int i = 0;
    for (int v : cfg) {
      if (v == k_pool) {
        x = b.max_pool(x, {.k = 2, .stride = 2}, fmt::format("{}", i++));
      } else {
        x = b.conv(x, {.out = v, .k = 3, .pad = 1, .bias = true}, fmt::format("{}", i++));
        x = b.relu(x, fmt::format("{}", i++));
      }
    }
  }
  // AdaptiveAvgPool2d(7): our IR has no adaptive pooling, so it is exact only when the feature map is a
  // multiple of 7 (then it is an ordinary average pool, and the identity at 224).
  const int64_t f = b.shape(x)[2];
  if (f % 7 != 0)
    fail("{}: res={} gives a {}x{} feature map, which AdaptiveAvgPool2d(7) cannot pool evenly (valid res: "
         "224 to 255, 448 to 479, ...: the feature map must be a multiple of 7)",
         name, c.res, f, f);
  if (f != 7) x = b.avg_pool(x, {.k = f / 7, .stride = f / 7}, "avgpool");
  x = b.flatten(x, "flatten");
  {
    auto s = b.scope("classifier");
    x = b.dropout(b.relu(b.linear(x, 4096, "0"), "1"), "2");
    x = b.dropout(b.relu(b.linear(x, 4096, "3"), "4"), "5");
    x = b.linear(x, c.classes, "6");
  }
  b.output(x);
  return b.finish();
}

constexpr int M = k_pool;
const char* k_source = "torchvision.models.vgg (Simonyan & Zisserman 2014, configurations A/D/E, no BN)";

Registrar v11({"vgg11", "VGG-11: 8 3x3 convs + 3 FC layers", k_source, "hand-crafted", [](ModelParams& p) {
                 return vgg("vgg11", p, {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M});
               }});
Registrar v16({"vgg16", "VGG-16: 13 3x3 convs + 3 FC layers", k_source, "hand-crafted", [](ModelParams& p) {
                 return vgg("vgg16", p,
                            {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M});
               }});
Registrar v19({"vgg19", "VGG-19: 16 3x3 convs + 3 FC layers", k_source, "hand-crafted", [](ModelParams& p) {
                 return vgg("vgg19", p, {64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
                                         512, 512, 512, 512, M,   512, 512, 512, 512, M});
               }});

}  // namespace
}  // namespace fb::zoo
