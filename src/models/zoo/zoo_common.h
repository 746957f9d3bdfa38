#pragma once
// Helpers shared by zoo model definitions.
#include <string>

#include "ir/builder.h"
#include "models/model_ref.h"

namespace fb::zoo {

// Every zoo model takes batch= and res= (input resolution) and classes=.
struct CommonParams {
  int64_t batch = 1;
  int64_t res = 224;
  int64_t classes = 1000;
};
CommonParams common_params(ModelParams& p, int64_t default_res = 224);

// Registers a zoo model at static-initialisation time: `static Registrar r({...});`
struct Registrar {
  explicit Registrar(ModelEntry e) { register_zoo_model(std::move(e)); }
};

// torchvision's _make_divisible: round channels to a multiple of `divisor`, never down by more than 10%.
int64_t make_divisible(double v, int64_t divisor = 8);

enum class Act { None, Relu, Relu6, HardSwish, Silu };
ValueId activation(GraphBuilder& b, ValueId x, Act act, const std::string& name = "act");

// conv (no bias) - BatchNorm - activation in scope `name` ("name.conv", "name.bn", "name.act"), the
// Conv2dNormActivation unit torchvision builds most models from.
ValueId conv_bn_act(GraphBuilder& b, ValueId x, const ConvSpec& s, Act act, const std::string& name,
                    float bn_eps = 1e-5f);

// torchvision's SqueezeExcitation: global pool - 1x1 conv (bias) - act - 1x1 conv (bias) - gate - multiply.
ValueId squeeze_excitation(GraphBuilder& b, ValueId x, int64_t squeeze, Act act, bool hard_gate,
                           const std::string& name = "se");

// A zoo model's input; checks that `res` is at least `min_res` (the smallest the architecture allows).
ValueId zoo_input(GraphBuilder& b, const CommonParams& c, const std::string& model, int64_t min_res);

// Global average pool - flatten: torchvision's AdaptiveAvgPool2d(1) + flatten.
ValueId pool_flatten(GraphBuilder& b, ValueId x);

}  // namespace fb::zoo
