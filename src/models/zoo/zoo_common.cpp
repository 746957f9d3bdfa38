#include "models/zoo/zoo_common.h"

#include <algorithm>

namespace fb::zoo {

CommonParams common_params(ModelParams& p, int64_t default_res) {
  CommonParams c;
  c.batch = p.get_int("batch", 1);
  c.res = p.get_int("res", default_res);
  c.classes = p.get_int("classes", 1000);
  return c;
}

int64_t make_divisible(double v, int64_t divisor) {
  int64_t nv = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(nv) < 0.9 * v) nv += divisor;
  return nv;
}

}  // namespace fb::zoo
