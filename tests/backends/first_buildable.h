#pragma once
// Backend tests that sweep every pattern or zoo model try a few sizes, since models and patterns have
// minimum widths and resolutions.
#include <string>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"
#include "models/model_ref.h"

namespace fb::test {

// The first graph that builds among `refs` (`used` names it), or an empty graph with the last error in `why`.
inline Graph first_buildable(const std::vector<std::string>& refs, std::string& used, std::string& why) {
  for (const std::string& r : refs) {
    try {
      used = r;
      why.clear();
      return load_model(r);
    } catch (const Error& err) {
      why = err.what();
    }
  }
  return Graph{};
}

}  // namespace fb::test
