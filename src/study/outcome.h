#pragma once
// Turns a finished `formbench compare --json` child (one process of a point) into its result or a failure
// with its reason.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "study/child.h"
#include "study/store.h"

namespace fb::study {

struct Outcome {
  std::optional<nlohmann::json> result;  // the compare JSON (formbench.compare/2) when it measured
  std::optional<FailureRecord> failure;  // set when it did not
};

Outcome classify(const ChildResult& r, double timeout_s);

}  // namespace fb::study
