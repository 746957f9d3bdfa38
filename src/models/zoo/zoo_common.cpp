#include "models/zoo/zoo_common.h"

#include <algorithm>

#include "core/error.h"

namespace fb::zoo {

CommonParams common_params(ModelParams& p, int64_t default_res) {
  CommonParams c;
  c.batch = p.get_int("batch", 1, k_max_batch);
  c.res = p.get_int("res", default_res, k_max_res);
  c.classes = p.get_int("classes", 1000, k_max_classes);
  return c;
}

int64_t make_divisible(double v, int64_t divisor) {
  int64_t nv = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(nv) < 0.9 * v) nv += divisor;
  return nv;
}

ValueId activation(GraphBuilder& b, ValueId x, Act act, const std::string& name) {
  switch (act) {
    case Act::None: return x;
    case Act::Relu: return b.relu(x, name);
    case Act::Relu6: return b.relu6(x, name);
    case Act::HardSwish: return b.hard_swish(x, name);
    case Act::Silu: return b.silu(x, name);
  }
  return x;
}

ValueId conv_bn_act(GraphBuilder& b, ValueId x, const ConvSpec& s, Act act, const std::string& name, float bn_eps) {
  auto scope = b.scope(name);
  return activation(b, b.batch_norm(b.conv(x, s, "conv"), "bn", 1.0f, bn_eps), act, "act");
}

ValueId squeeze_excitation(GraphBuilder& b, ValueId x, int64_t squeeze, Act act, bool hard_gate,
                           const std::string& name) {
  auto scope = b.scope(name);
  ValueId g = b.global_avg_pool(x, "avgpool");
  g = activation(b, b.conv(g, {.out = squeeze, .k = 1, .bias = true}, "fc1"), act, "act");
  g = b.conv(g, {.out = b.channels(x), .k = 1, .bias = true}, "fc2");
  g = hard_gate ? b.hard_sigmoid(g, "gate") : b.sigmoid(g, "gate");
  return b.mul(x, g, "scale");
}

ValueId zoo_input(GraphBuilder& b, const CommonParams& c, const std::string& model, int64_t min_res) {
  if (c.res < min_res) fail("{}: res={} is too small (valid: {} or more)", model, c.res, min_res);
  return b.input("input", {c.batch, 3, c.res, c.res});
}

ValueId pool_flatten(GraphBuilder& b, ValueId x) { return b.flatten(b.global_avg_pool(x, "avgpool"), "flatten"); }

}  // namespace fb::zoo
