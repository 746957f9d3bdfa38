// DenseNet-121 (growth 32, blocks 6/12/24/16, BN-ReLU-1x1(4k)-BN-ReLU-3x3(k) layers), as
// torchvision.models.densenet defines it.
#include <fmt/format.h>

#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

Graph densenet(const std::string& name, ModelParams& p, int64_t growth, std::vector<int> blocks, int64_t init) {
  CommonParams c = common_params(p);
  GraphBuilder b(name);
  ValueId x = zoo_input(b, c, name, 32);
  {
  auto features = b.scope("features");
  x = b.relu(b.batch_norm(b.conv(x, {.out = init, .k = 7, .stride = 2, .pad = 3}, "conv0"), "norm0"), "relu0");
  x = b.max_pool(x, {.k = 3, .stride = 2, .pad = 1}, "pool0");
  for (size_t i = 0; i < blocks.size(); ++i) {
    // As torchvision's _DenseBlock runs it: every layer concatenates the list of all features so far (its
    // first layer a list of one), and the block ends with one more concatenation of the whole list. The
    // same values as chaining cat(x, y), but not the same calls: with T > 1, ATen copies each input of a
    // cat in its own parallel region, so the list form is what a PyTorch user's DenseNet costs.
    std::vector<ValueId> features = {x};
    for (int l = 0; l < blocks[i]; ++l) {
      auto s = b.scope(fmt::format("denseblock{}.denselayer{}", i + 1, l + 1));
      ValueId y = b.concat(features, "cat");
      y = b.conv(b.relu(b.batch_norm(y, "norm1"), "relu1"), {.out = 4 * growth, .k = 1}, "conv1");
      features.push_back(b.conv(b.relu(b.batch_norm(y, "norm2"), "relu2"), {.out = growth, .k = 3}, "conv2"));
    }
    x = b.concat(features, fmt::format("denseblock{}.cat", i + 1));
    if (i + 1 < blocks.size()) {
      auto s = b.scope(fmt::format("transition{}", i + 1));
      x = b.conv(b.relu(b.batch_norm(x, "norm"), "relu"), {.out = b.channels(x) / 2, .k = 1}, "conv");
      x = b.avg_pool(x, {.k = 2, .stride = 2}, "pool");
    }
  }
  x = b.relu(b.batch_norm(x, "norm5"), "relu5");
  }
  x = pool_flatten(b, x);
  b.output(b.linear(x, c.classes, "classifier"));
  return b.finish();
}

Registrar d121({"densenet121", "DenseNet-121: 4 dense blocks (6/12/24/16 layers), growth rate 32",
                "torchvision.models.densenet121 (Huang et al. 2017, DenseNet-BC)", "hand-crafted",
                [](ModelParams& p) { return densenet("densenet121", p, 32, {6, 12, 24, 16}, 64); }});

}  // namespace
}  // namespace fb::zoo
