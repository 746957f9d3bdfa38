// SqueezeNet 1.0 and 1.1, as torchvision.models.squeezenet defines them (Iandola et al. 2016).
#include <fmt/format.h>

#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

ValueId fire(GraphBuilder& b, ValueId x, int64_t squeeze, int64_t expand1, int64_t expand3) {
  x = b.relu(b.conv(x, {.out = squeeze, .k = 1, .bias = true}, "squeeze"), "squeeze_activation");
  ValueId e1 = b.relu(b.conv(x, {.out = expand1, .k = 1, .bias = true}, "expand1x1"), "expand1x1_activation");
  ValueId e3 = b.relu(b.conv(x, {.out = expand3, .k = 3, .pad = 1, .bias = true}, "expand3x3"),
                      "expand3x3_activation");
  return b.concat({e1, e3}, "cat");
}

constexpr int64_t k_pool = -1;

// `layers`: fire modules as {squeeze, expand} (expand1x1 = expand3x3), and k_pool for a 3x3 ceil-mode max pool.
Graph squeezenet(const std::string& name, ModelParams& p, bool v1_1, std::vector<std::pair<int64_t, int64_t>> layers) {
  CommonParams c = common_params(p);
  GraphBuilder b(name);
  ValueId x = zoo_input(b, c, name, 32);
  {
    auto s = b.scope("features");
    x = v1_1 ? b.conv(x, {.out = 64, .k = 3, .stride = 2, .pad = 0, .bias = true}, "0")
             : b.conv(x, {.out = 96, .k = 7, .stride = 2, .pad = 0, .bias = true}, "0");
    x = b.relu(x, "1");
    int i = 2;
    x = b.max_pool(x, {.k = 3, .stride = 2, .ceil_mode = true}, fmt::format("{}", i++));
    for (const auto& [sq, ex] : layers) {
      if (sq == k_pool) {
        x = b.max_pool(x, {.k = 3, .stride = 2, .ceil_mode = true}, fmt::format("{}", i++));
      } else {
        auto fs = b.scope(fmt::format("{}", i++));
        x = fire(b, x, sq, ex, ex);
      }
    }
  }
  {
    auto s = b.scope("classifier");
    x = b.dropout(x, "0");
    x = b.relu(b.conv(x, {.out = c.classes, .k = 1, .bias = true}, "1"), "2");
  }
  x = pool_flatten(b, x);
  b.output(x);
  return b.finish();
}

constexpr int64_t P = k_pool;
const char* k_source = "torchvision.models.squeezenet (Iandola et al. 2016)";

Registrar s10({"squeezenet1_0", "SqueezeNet 1.0: 8 fire modules, 7x7 stem", k_source, "hand-crafted",
               [](ModelParams& p) {
                 return squeezenet("squeezenet1_0", p, false,
                                   {{16, 64}, {16, 64}, {32, 128}, {P, 0}, {32, 128}, {48, 192}, {48, 192},
                                    {64, 256}, {P, 0}, {64, 256}});
               }});
Registrar s11({"squeezenet1_1", "SqueezeNet 1.1: 8 fire modules, 3x3 stem, earlier pooling", k_source,
               "hand-crafted", [](ModelParams& p) {
                 return squeezenet("squeezenet1_1", p, true,
                                   {{16, 64}, {16, 64}, {P, 0}, {32, 128}, {32, 128}, {P, 0}, {48, 192},
                                    {48, 192}, {64, 256}, {64, 256}});
               }});

}  // namespace
}  // namespace fb::zoo
