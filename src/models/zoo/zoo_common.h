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

}  // namespace fb::zoo
