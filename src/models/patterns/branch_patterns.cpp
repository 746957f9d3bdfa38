// Multi-branch patterns: dense (DenseNet), inception (GoogLeNet/Inception) and shuffle (ShuffleNet-V2).
#include <fmt/format.h>

#include "models/patterns/pattern_network.h"

namespace fb::pattern {
namespace {

std::string multiple_of(int64_t width, int64_t m, const char* why) {
  return width % m == 0 ? std::string() : fmt::format("{}; width must be a multiple of {}", why, m);
}

// DenseNet-BC layer: BN-ReLU-1x1(4k)-BN-ReLU-3x3(k), concatenated to its input. The growth rate k is width/2
// (DenseNet-121: a 64-channel stem and k = 32). A staged block is preceded by a DenseNet transition:
// BN-ReLU-1x1 (halves the channels)-2x2 average pool; channels then grow by concatenation only.
ValueId dense_block(GraphBuilder& b, ValueId x, const BlockArgs& a) {
  const int64_t k = a.width / 2;
  if (a.stride == 2) {
    auto s = b.scope("transition");
    x = b.relu(b.batch_norm(x, "norm"), "relu");
    x = b.conv(x, {.out = b.channels(x) / 2, .k = 1}, "conv");
    x = b.avg_pool(x, {.k = 2, .stride = 2}, "pool");
  }
  ValueId y = b.relu(b.batch_norm(x, "norm1"), "relu1");
  y = b.conv(y, {.out = 4 * k, .k = 1}, "conv1");
  y = b.relu(b.batch_norm(y, "norm2"), "relu2");
  y = b.conv(y, {.out = k, .k = 3}, "conv2");
  return b.concat({x, y}, "cat");
}

// Without a shortcut, random-weight stacks of these blocks grow by a roughly constant factor per block (the
// max-pool branch and the reducing 1x1s raise the variance; inference BatchNorm does not renormalise), which
// overflows fp32 after a few hundred blocks. Scaling the initial gamma of each block's last BatchNorms
// (Node::init_scale) keeps 300-block stacks near unit scale; it changes values only, never shapes or cost.
constexpr float k_inception_scale = 0.6f;
constexpr float k_shuffle_scale = 0.7f;

// Inception module with Inception-V2/V3's factorisation (double 3x3 instead of 5x5): four branches of
// width/4 channels each, reductions to width/8; a staged block puts the stride on each branch's last op.
ValueId inception_block(GraphBuilder& b, ValueId x, const BlockArgs& a) {
  const int64_t q = a.out / 4, r = a.out / 8, s = a.stride;
  const float g = k_inception_scale;
  ValueId b1 = conv_bn_relu(b, x, {.out = q, .k = 1, .stride = s}, "branch1x1", g);
  ValueId b2 = conv_bn_relu(b, x, {.out = r, .k = 1}, "branch3x3_1");
  b2 = conv_bn_relu(b, b2, {.out = q, .k = 3, .stride = s}, "branch3x3_2", g);
  ValueId b3 = conv_bn_relu(b, x, {.out = r, .k = 1}, "branch3x3dbl_1");
  b3 = conv_bn_relu(b, b3, {.out = q, .k = 3}, "branch3x3dbl_2");
  b3 = conv_bn_relu(b, b3, {.out = q, .k = 3, .stride = s}, "branch3x3dbl_3", g);
  ValueId b4 = b.max_pool(x, {.k = 3, .stride = s, .pad = 1}, "branch_pool");
  b4 = conv_bn_relu(b, b4, {.out = q, .k = 1}, "branch_pool_proj", g);
  return b.concat({b1, b2, b3, b4}, "cat");
}

// ShuffleNet-V2 unit, as torchvision's InvertedResidual: stride 1 splits the channels in half and transforms
// one half; stride 2 transforms the whole input in two branches. Both end in a 2-group channel shuffle.
ValueId shuffle_branch(GraphBuilder& b, ValueId x, int64_t out, int64_t stride) {
  auto sc = b.scope("branch2");
  ValueId y = conv_bn_relu(b, x, {.out = out, .k = 1}, "0");
  y = b.batch_norm(b.conv(y, {.out = out, .k = 3, .stride = stride, .groups = out}, "dw"), "dw_bn");
  return conv_bn_relu(b, y, {.out = out, .k = 1}, "1", k_shuffle_scale);
}

ValueId shuffle_block(GraphBuilder& b, ValueId x, const BlockArgs& a) {
  const int64_t half = a.out / 2;
  ValueId left = -1, right = -1;
  if (a.stride == 1) {
    const int64_t in = b.channels(x);
    std::vector<ValueId> parts = b.split(x, {in / 2, in - in / 2}, "split");
    left = parts[0];
    right = shuffle_branch(b, parts[1], half, 1);
  } else {
    auto sc = b.scope("branch1");
    const int64_t in = b.channels(x);
    left = b.batch_norm(b.conv(x, {.out = in, .k = 3, .stride = 2, .groups = in}, "dw"), "dw_bn");
    left = conv_bn_relu(b, left, {.out = half, .k = 1}, "0");
  }
  if (a.stride == 2) right = shuffle_branch(b, x, half, 2);
  return b.channel_shuffle(b.concat({left, right}, "cat"), 2, "shuffle");
}

PatternRegistrar dense({"dense", "DenseNet-BC layer BN-ReLU-1x1(4k)-BN-ReLU-3x3(k) concatenated, k = width/2",
                        "Huang et al. 2017 (DenseNet-BC)",
                        [](int64_t w) { return multiple_of(w, 2, "the growth rate is width/2"); }, dense_block});
PatternRegistrar inception({"inception", "parallel 1x1 / 3x3 / double-3x3 / pool-proj branches, concatenated",
                            "Szegedy et al. 2015/2016 (GoogLeNet, Inception-V3 factorisation)",
                            [](int64_t w) {
                              return multiple_of(w, 8, "branches have width/4 channels and reduce to width/8");
                            },
                            inception_block});
PatternRegistrar shuffle({"shuffle", "ShuffleNet-V2 unit: channel split, 1x1-dw3x3-1x1 branch, concat, shuffle",
                          "Ma et al. 2018 (ShuffleNet-V2)",
                          [](int64_t w) { return multiple_of(w, 2, "the unit splits the channels in half"); },
                          shuffle_block});

}  // namespace
}  // namespace fb::pattern
