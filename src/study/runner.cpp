#include "study/runner.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "backends/backend.h"
#include "core/error.h"
#include "core/file_lock.h"
#include "measure/machine.h"
#include "measure/measurement_lock.h"
#include "measure/processes.h"
#include "study/child.h"
#include "study/processes_run.h"
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

std::string ok_summary(const nlohmann::json& combined) {
  std::vector<std::string> parts;
  for (const auto& b : combined["backends"]) {
    if (!b["error"].is_null()) {
      parts.push_back(fmt::format("{} failed", b.value("backend", "")));
      continue;
    }
    std::string s = fmt::format("{} {:.3f} ms", b.value("backend", ""), b["median_ms"].get<double>());
    if (b.value("speedup", nlohmann::json()).is_number() && b.value("speedup_ci95_low", nlohmann::json()).is_number())
      s += fmt::format(" ({:.2f}x [{:.2f}, {:.2f}])", b["speedup"].get<double>(), b["speedup_ci95_low"].get<double>(),
                       b["speedup_ci95_high"].get<double>());
    parts.push_back(s);
  }
  return fmt::format("{}; {} processes", fmt::join(parts, ", "), combined.value("processes", 0));
}

std::optional<FailureRecord> disagreement(const nlohmann::json& rec) {
  const nlohmann::json a = rec.value("agreement", nlohmann::json());
  if (!a.is_object() || a.value("passed", true)) return std::nullopt;
  const nlohmann::json acc = a.value("accuracy", nlohmann::json());
  if (acc.is_object() && !acc.value("passed", true))
    return FailureRecord{"disagreement",
                         fmt::format("accuracy below the bound over {} inputs: mean cosine {:.4f} (bound {}), top-1 {} "
                                     "of {} agree (bound {:.0f}%)",
                                     acc.value("inputs", 0), acc.value("mean_cosine", 0.0),
                                     acc.value("bound_mean_cosine", 0.0), acc.value("top1_agree", 0),
                                     acc.value("top1_rows", 0), 100 * acc.value("bound_top1", 0.0))};
  return FailureRecord{"disagreement", fmt::format("outputs disagree with the reference backend: relative max error {}"
                                                   " (tolerance {})",
                                                   a.value("rel_max_error", nlohmann::json()).dump(),
                                                   a.value("tolerance", nlohmann::json()).dump())};
}

}  // namespace

RunSummary run_study(const Spec& spec, const std::vector<Point>& all_points, const RunOptions& opt) {
  std::vector<Point> points;
  for (const Point& p : all_points)
    if (!opt.shard || in_shard(p, *opt.shard)) points.push_back(p);

  const FileLock db_lock = lock_database(opt.db_path);

  Store store(opt.db_path);
  const int64_t study_id = store.add_study(spec.name, spec.source_text);
  store.add_points(study_id, points);

  const auto measured = store.measured_ids();
  const std::set<std::string> done(measured.begin(), measured.end());
  const auto failures = store.failures();
  const auto disagreeing_list = store.disagreeing_ids();
  const std::set<std::string> disagreeing(disagreeing_list.begin(), disagreeing_list.end());
  RunSummary sum;
  sum.points = static_cast<int>(points.size());
  auto needs_run = [&](const Point& p) {
    // A measurement whose outputs disagreed with the reference is done unless asked to retry failures: its
    // time does not count (the report shows it as failed), so a fixed backend should be able to redo it.
    if (done.count(p.id)) return disagreeing.count(p.id) > 0 && opt.retry_failed;
    auto f = failures.find(p.id);
    if (f == failures.end()) return true;
    const bool now_built = f->second.reason.rfind(k_not_built, 0) == 0 && !unavailable_backend(p.backend);
    return opt.retry_failed || now_built;
  };
  // The unit of work is a comparison group: a point's backends are measured together, so when any of them
  // needs measuring, all of them are measured again (a speedup pairs rounds of one process, never rows of two).
  std::map<int64_t, std::vector<const Point*>> groups;
  std::vector<int64_t> group_order;
  for (const Point& p : points) {
    if (!groups.count(p.group)) group_order.push_back(p.group);
    groups[p.group].push_back(&p);
  }
  std::vector<int64_t> todo;
  double estimate = 0;
  int todo_points = 0;
  for (int64_t gid : group_order) {
    const auto& g = groups[gid];
    if (std::none_of(g.begin(), g.end(), [&](const Point* p) { return needs_run(*p); })) {
      sum.skipped += static_cast<int>(g.size());
      continue;
    }
    todo.push_back(gid);
    todo_points += static_cast<int>(g.size());
    for (const Point* p : g) estimate += estimate_seconds(*p);
  }

  const bool terminal = opt.progress < 0 ? isatty(2) != 0 : opt.progress == 1;
  fmt::print(stderr, "study '{}': {} points{}, {} already done, {} to run in {} groups (estimate {}) -> {}\n", spec.name,
             sum.points, opt.shard ? fmt::format(" in shard {}/{}", opt.shard->first, opt.shard->second) : "",
             sum.skipped, todo_points, todo.size(), format_duration(estimate), opt.db_path);
  const measure::MeasurementLock lock = measure::MeasurementLock::take(
      opt.lock_mode, [](const std::string& line) { fmt::print(stderr, "study: {}\n", line); });
  install_child_cleanup_handlers();
  // This machine, for failures (which carry no facts); each measurement brings its own.
  const int64_t this_machine = store.machine_id(measure::collect_machine_facts().to_json());

  struct Work {
    std::vector<const Point*> all, live;
    std::vector<Store::GroupOutcome> outcomes;  // failures known before measuring
    std::string key, label;
    std::vector<nlohmann::json> results;  // its processes so far (stored, so a resumed run keeps them)
    double estimate = 0, seconds = 0;
    int k = 0, k_max = 0;
    double limit = 0;
    measure::StabilityRule rule;
    bool done = false;
  };
  std::vector<Work> works;
  int planned = 0;
  double planned_estimate = 0;
  for (int64_t gid : todo) {
    Work w;
    w.all = groups[gid];
    for (const Point* p : w.all) {
      w.estimate += estimate_seconds(*p);
      if (auto why = unavailable_backend(p->backend))
        w.outcomes.push_back({p->id, this_machine, std::nullopt, FailureRecord{"error", *why}});
      else
        w.live.push_back(p);
    }
    w.key = group_key(w.all);
    w.label = w.all.front()->label();
    if (w.all.size() > 1) {
      std::vector<std::string> names;
      for (const Point* p : w.all) names.push_back(p->backend);
      w.label = fmt::format("{} [{}] t={} b={}", w.all.front()->model, fmt::join(names, ","), w.all.front()->threads,
                            w.all.front()->batch);
      if (!w.all.front()->options.empty()) w.label += " (" + options_text(w.all.front()->options) + ")";
    }
    const MeasureSettings& m = w.all.front()->measure;
    w.k = static_cast<int>(processes_of(m));
    w.k_max = static_cast<int>(max_processes_of(m));
    w.rule = stability_rule_of(m);
    w.limit = opt.timeout_s.value_or(m.timeout_s.value_or(k_default_timeout_s));
    if (!w.live.empty()) w.results = store.process_results(w.key);
    const int finishes = w.live.empty() ? 1 : std::max(1, w.k - static_cast<int>(w.results.size()));
    planned += finishes;
    // What finish() credits, so a resumed run's kept processes are not counted as work still to do.
    planned_estimate += finishes * w.estimate / std::max(1, w.k);
    works.push_back(std::move(w));
  }
  Progress progress(planned, planned_estimate, terminal);
  if (!opt.progress_file.empty()) progress.write_status_to(opt.progress_file, opt.db_path);

  // Records a group's final outcome, from its combined processes or its failure.
  auto record = [&](Work& w, ProcessesRun& run) {
    std::vector<Store::GroupOutcome> outcomes = w.outcomes;
    int measured = 0, failed = static_cast<int>(w.all.size() - w.live.size());
    std::string failure_line;
    if (run.combined) {
      nlohmann::json& c = *run.combined;
      if (lock.beside_other()) c["beside_other_measurement"] = true;
      const int64_t machine = store.machine_id(c.value("machine", nlohmann::json::object()));
      double steal_max = 0;
      bool steal_seen = false;
      for (const auto& e : c["process_evidence"])
        if (e["steal_pct_mean"].is_number()) {
          steal_max = std::max(steal_max, e["steal_pct_mean"].get<double>());
          steal_seen = true;
        }
      const Point* native = nullptr;
      for (const Point* p : w.live)
        if (p->backend == c.value("native", "")) native = p;
      for (const Point* p : w.live) {
        nlohmann::json rec = measure::backend_record(c, p->backend);
        if (rec.value("error", nlohmann::json()).is_string()) {
          outcomes.push_back({p->id, this_machine, std::nullopt, FailureRecord{"error", rec["error"].get<std::string>()}});
          ++failed;
          continue;
        }
        rec["remeasured"] = run.remeasured;
        rec["unstable"] = run.unstable ? nlohmann::json(*run.unstable) : nlohmann::json(nullptr);
        rec["steal_pct_max"] = steal_seen ? nlohmann::json(steal_max) : nlohmann::json(nullptr);
        if (native && native != p) rec["native_point_id"] = native->id;
        if (p == native) rec["speedup"] = nullptr;  // a native point has no speedup of its own
        auto flag = disagreement(rec);
        outcomes.push_back({p->id, machine, std::move(rec), flag});
        ++measured;
      }
    } else if (run.failure) {
      for (const Point* p : w.live) outcomes.push_back({p->id, this_machine, std::nullopt, *run.failure});
      failed += static_cast<int>(w.live.size());
    }
    for (const auto& o : outcomes)
      if (!o.result && failure_line.empty()) failure_line = fmt::format("{}: {}", o.failure->kind, o.failure->reason);
    store.record_group(outcomes, w.key);
    sum.measured += measured;
    sum.failed += failed;
    w.done = true;
    return run.combined ? ok_summary(*run.combined) +
                              (run.remeasured ? fmt::format(", {} added", run.remeasured) : "") +
                              (run.unstable ? " UNSTABLE: " + *run.unstable : "") +
                              (failed ? fmt::format(" ({} failed: {})", failed, failure_line) : "")
                        : failure_line;
  };
  // A process failed: a backend that kills its process (a crash, a hang, the OOM killer) takes the others
  // down with it. Find it by trying each backend alone once, record its own failure, and measure the rest
  // together, all processes back to back.
  auto isolate = [&](Work& w, const FailureRecord& first) {
    auto measure_group = [&](const std::vector<const Point*>& g) {
      return run_processes(
          opt.exe, [&](int i) { return group_args(g, i); }, w.k, w.k_max, w.limit, {}, nullptr, w.rule);
    };
    ProcessesRun run;
    run.failure = first;
    if (w.live.size() > 1) {
      std::vector<const Point*> healthy;
      for (const Point* p : w.live) {
        ProcessesRun alone = run_processes(
            opt.exe, [&](int) { return group_args({p}, 0); }, 1, 1, w.limit, {}, nullptr, w.rule);
        run.seconds += alone.seconds;
        if (alone.failure) w.outcomes.push_back({p->id, this_machine, std::nullopt, *alone.failure});
        else healthy.push_back(p);
      }
      if (healthy.empty()) {
        w.live.clear();
        run.failure.reset();
      } else if (healthy.size() < w.live.size()) {
        const double spent = run.seconds;
        run = measure_group(healthy);
        run.seconds += spent;
        w.live = healthy;
      }  // else each backend runs alone but not together: the group's own failure stands for all of them
    }
    return run;
  };
  auto finish = [&](Work& w, bool ok, const std::string& summary, double seconds) {
    progress.finish(w.label, ok, summary, w.estimate / std::max(1, w.k), seconds);
  };

  for (Work& w : works)
    if (w.live.empty()) {
      ProcessesRun none;
      progress.start(w.label);
      finish(w, false, record(w, none), 0);
    }
  // Pass p measures process p of every group, so a point's processes lie minutes apart: slow drifts of the
  // host (a neighbour's phase, memory traffic) then show in the between-process variance, and so in the CI,
  // instead of shifting all of a point's processes alike.
  const int passes = works.empty() ? 0 : std::max_element(works.begin(), works.end(), [](const Work& x, const Work& y) {
                                             return x.k < y.k;
                                           })->k;
  for (int pass = 0; pass < passes; ++pass) {
    for (Work& w : works) {
      const int i = static_cast<int>(w.results.size());
      const bool last = pass == w.k - 1;
      // Done in an earlier run (resumed); but a group killed after its last process is still recorded here.
      if (w.done || pass >= w.k || (i > pass && !last)) continue;
      progress.start(fmt::format("{} (process {} of {})", w.label, std::min(i + 1, w.k), w.k));
      // One process in this pass; in the group's last pass, more while the result is unstable.
      ProcessesRun run = run_processes(
          opt.exe, [&](int j) { return group_args(w.live, j); }, last ? w.k : i + 1, last ? w.k_max : i + 1, w.limit,
          w.results,
          [&](int j, const nlohmann::json& result) {
            store.record_process(w.key, j, result);
            w.results.push_back(result);
          },
          w.rule);
      w.seconds += run.seconds;
      if (run.failure) {
        ProcessesRun iso = isolate(w, *run.failure);
        iso.seconds += w.seconds;
        finish(w, iso.combined.has_value(), record(w, iso), iso.seconds);
      } else if (last) {
        run.seconds = w.seconds;
        finish(w, true, record(w, run), run.seconds);
      } else {
        finish(w, true, fmt::format("process {} of {}", i + 1, w.k), run.seconds);
      }
    }
  }
  progress.close();
  fmt::print(stderr, "study '{}': {} measured, {} failed this run; {} of {} points were already done -> {}\n",
             spec.name, sum.measured, sum.failed, sum.skipped, sum.points, opt.db_path);
  return sum;
}

}  // namespace fb::study
