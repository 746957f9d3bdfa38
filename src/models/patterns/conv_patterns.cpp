// Single-path patterns: plain, residual, bottleneck, grouped, depthwise_separable, depthwise_bottleneck and
// squeeze_excitation. Each block follows the architecture it is named after (docs/patterns.md).
#include <algorithm>

#include <fmt/format.h>

#include "models/patterns/pattern_network.h"

namespace fb::pattern {
namespace {

std::string any_width(int64_t) { return {}; }

std::string multiple_of(int64_t width, int64_t m, const char* why) {
  return width % m == 0 ? std::string() : fmt::format("{}; width must be a multiple of {}", why, m);
}

// ResNet's shortcut: identity when shapes match, else 1x1 conv (stride) + BN.
ValueId shortcut(GraphBuilder& b, ValueId x, int64_t out, int64_t stride) {
  if (stride == 1 && b.channels(x) == out) return x;
  auto s = b.scope("downsample");
  return b.batch_norm(b.conv(x, {.out = out, .k = 1, .stride = stride}, "0"), "1");
}

ValueId plain_block(GraphBuilder& b, ValueId x, const BlockArgs& a) {
  return conv_bn_relu(b, x, {.out = a.out, .k = 3, .stride = a.stride}, "0");
}

ValueId residual_block(GraphBuilder& b, ValueId x, const BlockArgs& a) {
  ValueId y = b.relu(b.batch_norm(b.conv(x, {.out = a.out, .k = 3, .stride = a.stride}, "conv1"), "bn1"), "relu");
  y = b.batch_norm(b.conv(y, {.out = a.out, .k = 3}, "conv2"), "bn2", k_branch_end_scale);
  return b.relu(b.add(y, shortcut(b, x, a.out, a.stride), "add"), "relu_out");
}

// ResNet-50's bottleneck (v1.5: stride on the 3x3) with `inner` channels and `groups` on the 3x3.
ValueId bottleneck_common(GraphBuilder& b, ValueId x, const BlockArgs& a, int64_t inner, int64_t groups) {
  ValueId y = b.relu(b.batch_norm(b.conv(x, {.out = inner, .k = 1}, "conv1"), "bn1"), "relu");
  y = b.relu(b.batch_norm(b.conv(y, {.out = inner, .k = 3, .stride = a.stride, .groups = groups}, "conv2"), "bn2"),
             "relu_1");
  y = b.batch_norm(b.conv(y, {.out = a.out, .k = 1}, "conv3"), "bn3", k_branch_end_scale);
  return b.relu(b.add(y, shortcut(b, x, a.out, a.stride), "add"), "relu_out");
}

ValueId bottleneck_block(GraphBuilder& b, ValueId x, const BlockArgs& a) {
  return bottleneck_common(b, x, a, a.out / 4, 1);
}

constexpr int64_t k_cardinality = 32;
ValueId grouped_block(GraphBuilder& b, ValueId x, const BlockArgs& a) {
  return bottleneck_common(b, x, a, a.out / 2, k_cardinality);
}

ValueId depthwise_separable_block(GraphBuilder& b, ValueId x, const BlockArgs& a) {
  const int64_t in = b.channels(x);
  x = conv_bn_relu(b, x, {.out = in, .k = 3, .stride = a.stride, .groups = in}, "dw");
  return conv_bn_relu(b, x, {.out = a.out, .k = 1}, "pw");
}

constexpr int64_t k_expansion = 6;

// MobileNet-V2's inverted residual (ReLU6), or with `se` EfficientNet's MBConv6 (SiLU and an SE gate).
ValueId inverted_residual(GraphBuilder& b, ValueId x, const BlockArgs& a, bool se) {
  const int64_t in = b.channels(x);
  const int64_t hidden = in * k_expansion;
  auto act = [&](ValueId v, const char* name) { return se ? b.silu(v, name) : b.relu6(v, name); };
  ValueId y = act(b.batch_norm(b.conv(x, {.out = hidden, .k = 1}, "expand"), "expand_bn"), "expand_act");
  y = act(b.batch_norm(b.conv(y, {.out = hidden, .k = 3, .stride = a.stride, .groups = hidden}, "dw"), "dw_bn"),
          "dw_act");
  if (se) {
    auto s = b.scope("se");
    const int64_t squeeze = std::max<int64_t>(1, in / 4);
    ValueId g = b.global_avg_pool(y, "avgpool");
    g = b.silu(b.conv(g, {.out = squeeze, .k = 1, .bias = true}, "fc1"), "act");
    g = b.sigmoid(b.conv(g, {.out = hidden, .k = 1, .bias = true}, "fc2"), "gate");
    y = b.mul(y, g, "scale");
  }
  const bool residual = a.stride == 1 && in == a.out;
  y = b.batch_norm(b.conv(y, {.out = a.out, .k = 1}, "project"), "project_bn",
                   residual ? k_branch_end_scale : 1.0f);
  return residual ? b.add(y, x, "add") : y;
}

PatternRegistrar plain({"plain", "VGG-style 3x3 conv-BN-ReLU blocks, no shortcut", "Simonyan & Zisserman 2014 (VGG)",
                        any_width, plain_block});
PatternRegistrar residual({"residual", "basic residual block: two 3x3 convs + identity (ResNet-18/34)",
                           "He et al. 2015 (ResNet basic block)", any_width, residual_block});
PatternRegistrar bottleneck({"bottleneck", "ResNet-50 bottleneck: 1x1 reduce (width/4), 3x3, 1x1 expand + identity",
                             "He et al. 2015 (ResNet bottleneck, v1.5)",
                             [](int64_t w) { return multiple_of(w, 4, "the bottleneck reduces to width/4"); },
                             bottleneck_block});
PatternRegistrar grouped({"grouped", "grouped-conv bottleneck, cardinality 32, inner width/2 (ResNeXt)",
                          "Xie et al. 2017 (ResNeXt)",
                          [](int64_t w) {
                            return multiple_of(w, 2 * k_cardinality,
                                               "the grouped 3x3 has width/2 channels in 32 groups");
                          },
                          grouped_block});
PatternRegistrar depthwise_separable({"depthwise_separable",
                                      "depthwise 3x3-BN-ReLU + pointwise 1x1-BN-ReLU (MobileNet-V1)",
                                      "Howard et al. 2017 (MobileNet-V1)", any_width, depthwise_separable_block});
PatternRegistrar depthwise_bottleneck(
    {"depthwise_bottleneck",
     "inverted residual: 1x1 expand x6, depthwise 3x3, linear 1x1 project + identity (MobileNet-V2)",
     "Sandler et al. 2018 (MobileNet-V2)", any_width,
     [](GraphBuilder& b, ValueId x, const BlockArgs& a) { return inverted_residual(b, x, a, false); }});
PatternRegistrar squeeze_excitation(
    {"squeeze_excitation", "MBConv6: inverted residual with SiLU and a squeeze-excitation gate (EfficientNet)",
     "Tan & Le 2019 (EfficientNet MBConv); Hu et al. 2018 (SE)", any_width,
     [](GraphBuilder& b, ValueId x, const BlockArgs& a) { return inverted_residual(b, x, a, true); }});

}  // namespace
}  // namespace fb::pattern
