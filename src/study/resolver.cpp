// The expansion's view of the model registry: family, resolution and cost of a model reference.
#include <algorithm>

#include "core/error.h"
#include "ir/cost.h"
#include "models/model_ref.h"
#include "study/point.h"

namespace fb::study {

ModelResolver registry_resolver() {
  return [](const std::string& ref, bool is_pattern) {
    ModelInfo info;
    Graph g = load_model(ref, /*with_weights=*/false);  // validates the name and every parameter
    ModelRef r = parse_model_ref(ref);
    if (is_pattern) {
      info.family = "pattern";
    } else if (r.scheme == "zoo") {
      const auto& zoo = zoo_models();
      auto it = std::find_if(zoo.begin(), zoo.end(), [&](const ModelEntry& e) { return e.name == r.name; });
      info.family = it != zoo.end() ? it->family : "hand-crafted";
    } else {
      info.family = r.scheme;  // "onnx"
    }
    const auto& shape = g.value(g.inputs.at(0)).shape;
    info.resolution = shape.empty() ? 0 : shape.back();
    const int64_t batch = shape.empty() ? 1 : std::max<int64_t>(shape.front(), 1);
    info.gmacs = static_cast<double>(graph_cost(g).total.macs) / 1e9 / static_cast<double>(batch);
    return info;
  };
}

}  // namespace fb::study
