#pragma once
// Backend tests that sweep every pattern or zoo model try a few sizes, since models and patterns have
// minimum widths and resolutions.
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "ir/graph.h"
#include "models/model_ref.h"

namespace fb::test {

// The first graph that builds among `refs` (`used` names it). When none does, records a test failure naming
// `what` and the last error, and returns nothing: the sweep goes on with its next model.
inline std::optional<Graph> first_buildable(const std::vector<std::string>& refs, std::string& used,
                                            const std::string& what) {
  std::string why;
  for (const std::string& r : refs) {
    try {
      used = r;
      return load_model(r);
    } catch (const Error& err) {
      why = err.what();
    }
  }
  ADD_FAILURE() << "cannot build " << what << ": " << why;
  return std::nullopt;
}

}  // namespace fb::test
