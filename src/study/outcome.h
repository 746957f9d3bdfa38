#pragma once
// Turns a finished `formbench bench --json` child into a measurement or a failure with its reason.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "study/child.h"
#include "study/store.h"

namespace fb::study {

struct Outcome {
  std::optional<nlohmann::json> result;  // the bench JSON when it measured
  std::optional<FailureRecord> failure;  // set when it did not (or, with a result, a 'disagreement')
};

Outcome classify(const ChildResult& r, double timeout_s);

}  // namespace fb::study
