#include "models/patterns/pattern_network.h"

#include <fmt/format.h>

#include "core/error.h"

namespace fb::pattern {

ValueId conv_bn_relu(GraphBuilder& b, ValueId x, const ConvSpec& s, const std::string& name, float bn_scale) {
  auto scope = b.scope(name);
  return b.relu(b.batch_norm(b.conv(x, s, "conv"), "bn", bn_scale), "relu");
}

Graph build_pattern_network(const PatternDef& def, ModelParams& p) {
  const std::string owner = "pattern:" + def.name;
  const int64_t depth = p.get_int("depth", 8);
  const int64_t width = p.get_int("width", 64);
  const int64_t res = p.get_int("res", 224, k_max_res);
  const int64_t batch = p.get_int("batch", 1, k_max_batch);
  const int64_t staged = p.get_int("staged", 0);  // 0 (absent): one stage
  const int64_t classes = p.get_int("classes", 1000, k_max_classes);
  // Limits that keep a typo from allocating a monster; far beyond what the study uses.
  if (depth > 1000) fail("{}: depth={} is too deep (valid: 1..1000)", owner, depth);
  if (width > 8192) fail("{}: width={} is too wide (valid: 1..8192)", owner, width);
  if (res < 2) fail("{}: res={} is too small (valid: 2 or more; the stem halves it)", owner, res);
  if (std::string why = def.check_width(width); !why.empty())
    fail("{}: width={} is not valid: {}", owner, width, why);
  const int64_t stages = staged > 0 ? (depth - 1) / staged : 0;  // downsampling blocks
  // Every downsampling block needs at least 2x2 pixels to halve.
  for (int64_t i = 0, r = (res + 1) / 2; i < stages; ++i, r = (r + 1) / 2)
    if (r < 2)
      fail("{}: staged={} with depth={} halves the resolution {} times, too often for res={} "
           "(valid: at most {} halvings; use a larger staged or res)",
           owner, staged, depth, stages, res, i);

  GraphBuilder b(owner);
  ValueId x = b.input("input", {batch, 3, res, res});
  x = conv_bn_relu(b, x, {.out = width, .k = 3, .stride = 2}, "stem");
  int64_t w = width;
  for (int64_t i = 0; i < depth; ++i) {
    auto s = b.scope(fmt::format("body.{}", i));
    BlockArgs a{.out = w, .stride = 1, .width = width};
    if (staged > 0 && i > 0 && i % staged == 0) {
      w *= 2;
      a.out = w;
      a.stride = 2;
    }
    x = def.block(b, x, a);
  }
  {
    auto s = b.scope("head");
    x = b.flatten(b.global_avg_pool(x, "avgpool"), "flatten");
    x = b.linear(x, classes, "fc");
  }
  b.output(x);
  return b.finish();
}

PatternRegistrar::PatternRegistrar(PatternDef def) {
  ModelEntry e;
  e.name = def.name;
  e.description = def.description;
  e.source = def.source;
  e.family = "pattern";
  e.build = [d = std::move(def)](ModelParams& p) { return build_pattern_network(d, p); };
  register_pattern(std::move(e));
}

}  // namespace fb::pattern
