#pragma once
// `formbench explain`: one compare run (the backends timed alternately, then per-layer profiles in rounds of
// their own) and, for every backend against the native one, the attribution of its gain (attribution.h).
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "measure/attribution.h"
#include "measure/compare_run.h"

namespace fb::measure {

struct ExplainResult {
  CompareResult compare;
  std::vector<Attribution> attributions;  // one per backend other than the native one that was measured
  nlohmann::json to_json() const;
  std::string table() const;
};

// s.per_layer is forced on; every backend must be able to profile its layers.
ExplainResult run_explain(CompareSettings s, const std::function<void(const std::string&)>& progress = nullptr);

}  // namespace fb::measure
