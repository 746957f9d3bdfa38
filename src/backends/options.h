#pragma once
// Backend options as `--opt` and a study's `options` axis write them: "KEY" for every backend of a run,
// "BACKEND:KEY" for that backend alone. One reading of that syntax for the measurement, the study and the
// report (which labels a point by the options its backend got).
#include <map>
#include <string>

namespace fb {

// The backend a key is scoped to, or "" when it is for every backend: "onednn:fuse" -> "onednn".
std::string option_scope(const std::string& key);

// The options `backend` gets from `options`: every unscoped one and its own scoped ones, the scope dropped;
// its own win over an unscoped one of the same key.
std::map<std::string, std::string> options_for(const std::map<std::string, std::string>& options,
                                               const std::string& backend);

}  // namespace fb
