#include "study/processes_run.h"

#include <fmt/format.h>

#include "core/error.h"
#include "measure/processes.h"
#include "study/child.h"
#include "study/outcome.h"

namespace fb::study {

ProcessesRun run_processes(const std::string& exe, const std::function<std::vector<std::string>(int)>& args_for, int k,
                           int k_max, double timeout_s, std::vector<nlohmann::json> results,
                           const std::function<void(int, const nlohmann::json&)>& on_process,
                           const measure::StabilityRule& rule) {
  if (k < 1) fail("--processes must be >= 1, got {}", k);
  if (k_max < k) k_max = k;
  ProcessesRun g;
  for (int i = static_cast<int>(results.size()); i < k_max; ++i) {
    if (i >= k) {  // enough processes: go on only while some were disturbed or the rule asks for more
      if (!measure::wants_more_processes(results, k, rule)) break;
      ++g.remeasured;
    }
    ChildResult r = run_child(exe, args_for(i), timeout_s);
    g.seconds += r.seconds;
    Outcome o = classify(r, timeout_s);
    if (!o.result) {
      g.failure = o.failure;
      if (i > 0) g.failure->reason = fmt::format("process {} of the point: {}", i + 1, g.failure->reason);
      return g;
    }
    if (on_process) on_process(i, *o.result);
    results.push_back(std::move(*o.result));
  }
  g.combined = measure::combine_processes(results, rule);
  g.unstable = measure::instability(*g.combined, rule);
  return g;
}

}  // namespace fb::study
