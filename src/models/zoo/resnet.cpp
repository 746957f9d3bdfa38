// ResNet-18/34/50/101 and ResNeXt-50 (32x4d), as torchvision.models.resnet defines them (ResNet v1.5:
// the stride sits on the 3x3 conv of the bottleneck).
#include <fmt/format.h>

#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

// The last BatchNorm of each residual branch starts small (see Node::init_scale).
constexpr float k_branch_end_scale = 0.2f;

ValueId basic_block(GraphBuilder& b, ValueId x, int64_t planes, int64_t stride) {
  ValueId identity = x;
  ValueId y = b.relu(b.batch_norm(b.conv(x, {.out = planes, .k = 3, .stride = stride}, "conv1"), "bn1"), "relu");
  y = b.batch_norm(b.conv(y, {.out = planes, .k = 3}, "conv2"), "bn2", k_branch_end_scale);
  if (stride != 1 || b.channels(x) != planes) {
    auto s = b.scope("downsample");
    identity = b.batch_norm(b.conv(x, {.out = planes, .k = 1, .stride = stride}, "0"), "1");
  }
  return b.relu(b.add(y, identity, "add"), "relu_out");
}

ValueId bottleneck_block(GraphBuilder& b, ValueId x, int64_t planes, int64_t stride, int64_t groups,
                         int64_t base_width) {
  const int64_t width = planes * base_width / 64 * groups;
  const int64_t out = planes * 4;
  ValueId identity = x;
  ValueId y = b.relu(b.batch_norm(b.conv(x, {.out = width, .k = 1}, "conv1"), "bn1"), "relu");
  y = b.relu(b.batch_norm(b.conv(y, {.out = width, .k = 3, .stride = stride, .groups = groups}, "conv2"), "bn2"),
             "relu_1");
  y = b.batch_norm(b.conv(y, {.out = out, .k = 1}, "conv3"), "bn3", k_branch_end_scale);
  if (stride != 1 || b.channels(x) != out) {
    auto s = b.scope("downsample");
    identity = b.batch_norm(b.conv(x, {.out = out, .k = 1, .stride = stride}, "0"), "1");
  }
  return b.relu(b.add(y, identity, "add"), "relu_out");
}

Graph resnet(const std::string& name, ModelParams& p, bool bottleneck, std::vector<int> layers, int64_t groups = 1,
             int64_t base_width = 64) {
  CommonParams c = common_params(p);
  GraphBuilder b(name);
  ValueId x = b.input("input", {c.batch, 3, c.res, c.res});
  x = b.relu(b.batch_norm(b.conv(x, {.out = 64, .k = 7, .stride = 2, .pad = 3}, "conv1"), "bn1"), "relu");
  x = b.max_pool(x, {.k = 3, .stride = 2, .pad = 1}, "maxpool");
  const int64_t planes[] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage)
    for (int i = 0; i < layers[static_cast<size_t>(stage)]; ++i) {
      auto s = b.scope(fmt::format("layer{}.{}", stage + 1, i));
      const int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
      x = bottleneck ? bottleneck_block(b, x, planes[stage], stride, groups, base_width)
                     : basic_block(b, x, planes[stage], stride);
    }
  x = b.flatten(b.global_avg_pool(x, "avgpool"), "flatten");
  b.output(b.linear(x, c.classes, "fc"));
  return b.finish();
}

const char* k_source = "torchvision.models.resnet (He et al. 2015, v1.5 stride placement)";

Registrar r18({"resnet18", "ResNet-18: basic residual blocks [2,2,2,2]", k_source, "hand-crafted",
               [](ModelParams& p) { return resnet("resnet18", p, false, {2, 2, 2, 2}); }});
Registrar r34({"resnet34", "ResNet-34: basic residual blocks [3,4,6,3]", k_source, "hand-crafted",
               [](ModelParams& p) { return resnet("resnet34", p, false, {3, 4, 6, 3}); }});
Registrar r50({"resnet50", "ResNet-50: bottleneck blocks [3,4,6,3]", k_source, "hand-crafted",
               [](ModelParams& p) { return resnet("resnet50", p, true, {3, 4, 6, 3}); }});
Registrar r101({"resnet101", "ResNet-101: bottleneck blocks [3,4,23,3]", k_source, "hand-crafted",
                [](ModelParams& p) { return resnet("resnet101", p, true, {3, 4, 23, 3}); }});
Registrar rx50({"resnext50_32x4d", "ResNeXt-50 32x4d: grouped bottlenecks, cardinality 32",
                "torchvision.models.resnext50_32x4d (Xie et al. 2017)", "hand-crafted",
                [](ModelParams& p) { return resnet("resnext50_32x4d", p, true, {3, 4, 6, 3}, 32, 4); }});

}  // namespace
}  // namespace fb::zoo
