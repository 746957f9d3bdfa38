#include "study/runner.h"

#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "backends/backend.h"
#include "core/error.h"
#include "measure/machine.h"
#include "study/child.h"
#include "study/outcome.h"
#include "study/progress.h"
#include "study/store.h"

namespace fb::study {
namespace {

// Failures with this prefix are retried automatically once the backend is built.
constexpr const char* k_not_built = "backend not built";

std::optional<std::string> unavailable_backend(const std::string& name) {
  const auto built = backend_names();
  if (std::find(built.begin(), built.end(), name) != built.end()) return std::nullopt;
  for (const BackendAvailability& a : backend_availability())
    if (a.name == name && !a.built) return fmt::format("{}: '{}' is not built into this binary ({})", k_not_built, name, a.reason);
  return fmt::format("{}: '{}' is not a backend of this binary (available: {})", k_not_built, name,
                     fmt::join(built, ", "));
}

std::string ok_summary(const nlohmann::json& j) {
  std::string s = "median ";
  s += j["median_ms"].is_number() ? fmt::format("{:.3f} ms", j["median_ms"].get<double>()) : "?";
  if (j.contains("samples") && j["samples"].is_number()) s += fmt::format(" ({} runs)", j["samples"].get<int64_t>());
  return s;
}

}  // namespace

RunSummary run_study(const Spec& spec, const std::vector<Point>& all_points, const RunOptions& opt) {
  std::vector<Point> points;
  for (const Point& p : all_points)
    if (!opt.shard || in_shard(p, *opt.shard)) points.push_back(p);

  Store store(opt.db_path);
  const int64_t study_id = store.add_study(spec.name, spec.source_text);
  store.add_points(study_id, points);

  const auto measured = store.measured_ids();
  const std::set<std::string> done(measured.begin(), measured.end());
  const auto failures = store.failures();
  const auto disagreeing_list = store.disagreeing_ids();
  const std::set<std::string> disagreeing(disagreeing_list.begin(), disagreeing_list.end());
  std::vector<const Point*> todo;
  RunSummary sum;
  sum.points = static_cast<int>(points.size());
  for (const Point& p : points) {
    auto f = failures.find(p.id);
    // A measurement whose outputs disagreed with the reference is done unless asked to retry failures: its
    // time does not count (the report shows it as failed), so a fixed backend should be able to redo it.
    // Decided on the measurement itself, so a retry that then crashed or timed out stays retryable.
    const bool disagreed = disagreeing.count(p.id) > 0;
    if (done.count(p.id) && !(disagreed && opt.retry_failed)) {
      ++sum.skipped;
      continue;
    }
    if (f != failures.end()) {
      const bool now_built = f->second.reason.rfind(k_not_built, 0) == 0 && !unavailable_backend(p.backend);
      if (!opt.retry_failed && !now_built) {
        ++sum.skipped;
        continue;
      }
    }
    todo.push_back(&p);
  }

  double estimate = 0;
  for (const Point* p : todo) estimate += estimate_seconds(*p);
  const bool terminal = opt.progress < 0 ? isatty(2) != 0 : opt.progress == 1;
  fmt::print(stderr, "study '{}': {} points{}, {} already done, {} to run (estimate {}) -> {}\n", spec.name, sum.points,
             opt.shard ? fmt::format(" in shard {}/{}", opt.shard->first, opt.shard->second) : "", sum.skipped,
             todo.size(), format_duration(estimate), opt.db_path);
  install_child_cleanup_handlers();
  Progress progress(static_cast<int>(todo.size()), estimate, terminal);
  // This machine, for failures (which carry no facts); each measurement brings its own from bench.
  const int64_t this_machine = store.machine_id(measure::collect_machine_facts().to_json());
  for (const Point* p : todo) {
    const std::string label = p->label();
    progress.start(label);
    Outcome o;
    double seconds = 0;
    if (auto why = unavailable_backend(p->backend)) {
      o.failure = FailureRecord{"error", *why};
    } else {
      const double limit = opt.timeout_s.value_or(p->measure.timeout_s.value_or(k_default_timeout_s));
      ChildResult r = run_child(opt.exe, p->bench_args(), limit);
      seconds = r.seconds;
      o = classify(r, limit);
    }
    if (o.result) {
      const int64_t machine = store.machine_id(o.result->value("machine", nlohmann::json::object()));
      store.record_measurement(p->id, machine, *o.result, o.failure);
      ++sum.measured;
      progress.finish(label, true, ok_summary(*o.result) + (o.failure ? " (DISAGREES with the reference)" : ""),
                      estimate_seconds(*p), seconds);
    } else {
      store.record_failure(p->id, this_machine, *o.failure);
      ++sum.failed;
      progress.finish(label, false, fmt::format("{}: {}", o.failure->kind, o.failure->reason), estimate_seconds(*p),
                      seconds);
    }
  }
  progress.close();
  fmt::print(stderr, "study '{}': {} measured, {} failed this run; {} of {} points were already done -> {}\n",
             spec.name, sum.measured, sum.failed, sum.skipped, sum.points, opt.db_path);
  return sum;
}

}  // namespace fb::study
