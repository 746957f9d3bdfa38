#include "measure/explain_run.h"

#include "core/error.h"

namespace fb::measure {

ExplainResult run_explain(CompareSettings s, const std::function<void(const std::string&)>& progress) {
  if (s.backends.size() < 2) fail("explain needs two backends (the native one and one to explain), got {}", s.backends.size());
  s.per_layer = true;
  ExplainResult x;
  x.compare = run_compare(s, progress);
  for (const CompareEntry& e : x.compare.entries) {
    if (e.error.empty() && !e.layers_supported) fail("backend '{}' cannot profile its layers, so its time cannot be attributed", e.backend);
    if (e.attribution) x.attributions.push_back(*e.attribution);
  }
  return x;
}

nlohmann::json ExplainResult::to_json() const {
  nlohmann::json j = compare.to_json();
  j["schema"] = "formbench.explain/1";
  j["attributions"] = nlohmann::json::array();  // also under each backend's "attribution"
  for (const Attribution& a : attributions) j["attributions"].push_back(a.to_json());
  return j;
}

std::string ExplainResult::table() const {
  std::string out = compare.table();
  for (const Attribution& a : attributions) out += "\nwhy " + a.accelerated + " differs from " + a.native + ":\n" + a.table();
  out += "\nparts: per-layer profiles in rounds of their own, after the timed ones; a step's time goes to the IR nodes it "
         "covers; the residual is the end-to-end gain the profiles do not show (docs/explain.md)\n";
  return out;
}

}  // namespace fb::measure
