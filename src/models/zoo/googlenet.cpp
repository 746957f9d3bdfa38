// GoogLeNet (Inception-V1) without auxiliary heads and Inception-V3 (299x299, no aux head), as
// torchvision.models.googlenet / inception_v3 define them. Both use BasicConv2d: conv (no bias) - BN(eps 1e-3) - ReLU.
#include <fmt/format.h>

#include "models/zoo/zoo_common.h"

namespace fb::zoo {
namespace {

constexpr float k_eps = 1e-3f;

ValueId basic(GraphBuilder& b, ValueId x, const ConvSpec& s, const std::string& name) {
  return conv_bn_act(b, x, s, Act::Relu, name, k_eps);
}

// ---- GoogLeNet -------------------------------------------------------------------------------------------
// torchvision's Inception: 1x1 | 1x1-3x3 | 1x1-3x3 (torchvision's "5x5" branch is a 3x3) | maxpool-1x1.
ValueId inception_v1(GraphBuilder& b, ValueId x, const std::string& name, int64_t c1, int64_t r3, int64_t c3,
                     int64_t r5, int64_t c5, int64_t pool_proj) {
  auto s = b.scope(name);
  ValueId b1 = basic(b, x, {.out = c1, .k = 1}, "branch1");
  ValueId b2 = basic(b, basic(b, x, {.out = r3, .k = 1}, "branch2.0"), {.out = c3, .k = 3, .pad = 1}, "branch2.1");
  ValueId b3 = basic(b, basic(b, x, {.out = r5, .k = 1}, "branch3.0"), {.out = c5, .k = 3, .pad = 1}, "branch3.1");
  ValueId b4 = b.max_pool(x, {.k = 3, .stride = 1, .pad = 1, .ceil_mode = true}, "branch4.0");
  b4 = basic(b, b4, {.out = pool_proj, .k = 1}, "branch4.1");
  return b.concat({b1, b2, b3, b4}, "cat");
}

Graph googlenet(ModelParams& p) {
  CommonParams c = common_params(p);
  GraphBuilder b("googlenet");
  ValueId x = zoo_input(b, c, "googlenet", 32);
  const PoolSpec pool{.k = 3, .stride = 2, .ceil_mode = true};
  x = basic(b, x, {.out = 64, .k = 7, .stride = 2, .pad = 3}, "conv1");
  x = b.max_pool(x, pool, "maxpool1");
  x = basic(b, x, {.out = 64, .k = 1}, "conv2");
  x = basic(b, x, {.out = 192, .k = 3, .pad = 1}, "conv3");
  x = b.max_pool(x, pool, "maxpool2");
  x = inception_v1(b, x, "inception3a", 64, 96, 128, 16, 32, 32);
  x = inception_v1(b, x, "inception3b", 128, 128, 192, 32, 96, 64);
  x = b.max_pool(x, pool, "maxpool3");
  x = inception_v1(b, x, "inception4a", 192, 96, 208, 16, 48, 64);
  x = inception_v1(b, x, "inception4b", 160, 112, 224, 24, 64, 64);
  x = inception_v1(b, x, "inception4c", 128, 128, 256, 24, 64, 64);
  x = inception_v1(b, x, "inception4d", 112, 144, 288, 32, 64, 64);
  x = inception_v1(b, x, "inception4e", 256, 160, 320, 32, 128, 128);
  x = b.max_pool(x, {.k = 2, .stride = 2, .ceil_mode = true}, "maxpool4");
  x = inception_v1(b, x, "inception5a", 256, 160, 320, 32, 128, 128);
  x = inception_v1(b, x, "inception5b", 384, 192, 384, 48, 128, 128);
  x = b.dropout(pool_flatten(b, x), "dropout");
  b.output(b.linear(x, c.classes, "fc"));
  return b.finish();
}

// ---- Inception-V3 ----------------------------------------------------------------------------------------
ValueId avg3(GraphBuilder& b, ValueId x) {  // F.avg_pool2d(x, 3, stride=1, padding=1), padding counted
  return b.avg_pool(x, {.k = 3, .stride = 1, .pad = 1}, "branch_pool_avg");
}
ConvSpec k1(int64_t out) { return {.out = out, .k = 1}; }
ConvSpec k1x7(int64_t out) { return {.out = out, .kh = 1, .kw = 7, .pad_h = 0, .pad_w = 3}; }
ConvSpec k7x1(int64_t out) { return {.out = out, .kh = 7, .kw = 1, .pad_h = 3, .pad_w = 0}; }
ConvSpec k1x3(int64_t out) { return {.out = out, .kh = 1, .kw = 3, .pad_h = 0, .pad_w = 1}; }
ConvSpec k3x1(int64_t out) { return {.out = out, .kh = 3, .kw = 1, .pad_h = 1, .pad_w = 0}; }

ValueId inception_a(GraphBuilder& b, ValueId x, int64_t pool_features) {
  ValueId b1 = basic(b, x, k1(64), "branch1x1");
  ValueId b5 = basic(b, basic(b, x, k1(48), "branch5x5_1"), {.out = 64, .k = 5, .pad = 2}, "branch5x5_2");
  ValueId b3 = basic(b, x, k1(64), "branch3x3dbl_1");
  b3 = basic(b, b3, {.out = 96, .k = 3, .pad = 1}, "branch3x3dbl_2");
  b3 = basic(b, b3, {.out = 96, .k = 3, .pad = 1}, "branch3x3dbl_3");
  ValueId bp = basic(b, avg3(b, x), k1(pool_features), "branch_pool");
  return b.concat({b1, b5, b3, bp}, "cat");
}

ValueId inception_b(GraphBuilder& b, ValueId x) {
  ValueId b3 = basic(b, x, {.out = 384, .k = 3, .stride = 2, .pad = 0}, "branch3x3");
  ValueId bd = basic(b, x, k1(64), "branch3x3dbl_1");
  bd = basic(b, bd, {.out = 96, .k = 3, .pad = 1}, "branch3x3dbl_2");
  bd = basic(b, bd, {.out = 96, .k = 3, .stride = 2, .pad = 0}, "branch3x3dbl_3");
  ValueId bp = b.max_pool(x, {.k = 3, .stride = 2}, "branch_pool");
  return b.concat({b3, bd, bp}, "cat");
}

ValueId inception_c(GraphBuilder& b, ValueId x, int64_t c7) {
  ValueId b1 = basic(b, x, k1(192), "branch1x1");
  ValueId b7 = basic(b, x, k1(c7), "branch7x7_1");
  b7 = basic(b, b7, k1x7(c7), "branch7x7_2");
  b7 = basic(b, b7, k7x1(192), "branch7x7_3");
  ValueId bd = basic(b, x, k1(c7), "branch7x7dbl_1");
  bd = basic(b, bd, k7x1(c7), "branch7x7dbl_2");
  bd = basic(b, bd, k1x7(c7), "branch7x7dbl_3");
  bd = basic(b, bd, k7x1(c7), "branch7x7dbl_4");
  bd = basic(b, bd, k1x7(192), "branch7x7dbl_5");
  ValueId bp = basic(b, avg3(b, x), k1(192), "branch_pool");
  return b.concat({b1, b7, bd, bp}, "cat");
}

ValueId inception_d(GraphBuilder& b, ValueId x) {
  ValueId b3 = basic(b, x, k1(192), "branch3x3_1");
  b3 = basic(b, b3, {.out = 320, .k = 3, .stride = 2, .pad = 0}, "branch3x3_2");
  ValueId b7 = basic(b, x, k1(192), "branch7x7x3_1");
  b7 = basic(b, b7, k1x7(192), "branch7x7x3_2");
  b7 = basic(b, b7, k7x1(192), "branch7x7x3_3");
  b7 = basic(b, b7, {.out = 192, .k = 3, .stride = 2, .pad = 0}, "branch7x7x3_4");
  ValueId bp = b.max_pool(x, {.k = 3, .stride = 2}, "branch_pool");
  return b.concat({b3, b7, bp}, "cat");
}

ValueId inception_e(GraphBuilder& b, ValueId x) {
  ValueId b1 = basic(b, x, k1(320), "branch1x1");
  ValueId b3 = basic(b, x, k1(384), "branch3x3_1");
  b3 = b.concat({basic(b, b3, k1x3(384), "branch3x3_2a"), basic(b, b3, k3x1(384), "branch3x3_2b")}, "cat_3x3");
  ValueId bd = basic(b, x, k1(448), "branch3x3dbl_1");
  bd = basic(b, bd, {.out = 384, .k = 3, .pad = 1}, "branch3x3dbl_2");
  bd = b.concat({basic(b, bd, k1x3(384), "branch3x3dbl_3a"), basic(b, bd, k3x1(384), "branch3x3dbl_3b")},
                "cat_3x3dbl");
  ValueId bp = basic(b, avg3(b, x), k1(192), "branch_pool");
  return b.concat({b1, b3, bd, bp}, "cat");
}

Graph inception_v3(ModelParams& p) {
  CommonParams c = common_params(p, 299);
  GraphBuilder b("inception_v3");
  // The unpadded stride-2 convs and pools need 75 px to leave a 1x1 map.
  ValueId x = zoo_input(b, c, "inception_v3", 75);
  x = basic(b, x, {.out = 32, .k = 3, .stride = 2, .pad = 0}, "Conv2d_1a_3x3");
  x = basic(b, x, {.out = 32, .k = 3, .pad = 0}, "Conv2d_2a_3x3");
  x = basic(b, x, {.out = 64, .k = 3, .pad = 1}, "Conv2d_2b_3x3");
  x = b.max_pool(x, {.k = 3, .stride = 2}, "maxpool1");
  x = basic(b, x, k1(80), "Conv2d_3b_1x1");
  x = basic(b, x, {.out = 192, .k = 3, .pad = 0}, "Conv2d_4a_3x3");
  x = b.max_pool(x, {.k = 3, .stride = 2}, "maxpool2");
  auto block = [&](const char* name, auto&& f) {
    auto s = b.scope(name);
    x = f();
  };
  block("Mixed_5b", [&] { return inception_a(b, x, 32); });
  block("Mixed_5c", [&] { return inception_a(b, x, 64); });
  block("Mixed_5d", [&] { return inception_a(b, x, 64); });
  block("Mixed_6a", [&] { return inception_b(b, x); });
  block("Mixed_6b", [&] { return inception_c(b, x, 128); });
  block("Mixed_6c", [&] { return inception_c(b, x, 160); });
  block("Mixed_6d", [&] { return inception_c(b, x, 160); });
  block("Mixed_6e", [&] { return inception_c(b, x, 192); });
  block("Mixed_7a", [&] { return inception_d(b, x); });
  block("Mixed_7b", [&] { return inception_e(b, x); });
  block("Mixed_7c", [&] { return inception_e(b, x); });
  x = b.dropout(pool_flatten(b, x), "dropout");
  b.output(b.linear(x, c.classes, "fc"));
  return b.finish();
}

Registrar g({"googlenet", "GoogLeNet (Inception-V1): 9 inception modules, no auxiliary heads",
             "torchvision.models.googlenet, aux_logits=False (Szegedy et al. 2015)", "hand-crafted", googlenet});
Registrar i3({"inception_v3", "Inception-V3 at 299x299: factorised inception modules A-E, no auxiliary head",
              "torchvision.models.inception_v3, aux_logits=False (Szegedy et al. 2016)", "hand-crafted",
              inception_v3});

}  // namespace
}  // namespace fb::zoo
