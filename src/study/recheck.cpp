#include "study/recheck.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "core/file_lock.h"
#include "core/rng.h"
#include "measure/machine.h"
#include "measure/processes.h"
#include "measure/two_level.h"
#include "study/point.h"
#include "study/processes_run.h"
#include "study/runner.h"
#include "study/spec.h"
#include "study/store.h"

namespace fb::study {
namespace {

struct Measured {
  double median = 0;
  std::optional<double> low, high, speedup, speedup_low, speedup_high;
};

bool inside(double v, const std::optional<double>& lo, const std::optional<double>& hi) {
  return lo && hi && v >= *lo && v <= *hi;
}

// Inside the rerun interval around `estimate`; false when the first run recorded no usable interval.
bool inside_rerun(double v, const std::optional<double>& estimate, const std::optional<double>& lo,
                  const std::optional<double>& hi) {
  if (!estimate || !lo || !hi || !(*lo > 0 && *lo <= *estimate && *estimate <= *hi)) return false;
  const measure::Bounds b = measure::rerun_interval(*estimate, *lo, *hi);
  return v >= b.low && v <= b.high;
}

// The spec's points as the study measured them. Where threads = "cores", that meant the cores of the machine
// (or cluster task) that ran it, which need not be this one: take --cores if given, else the thread count in
// the database under which the most expanded points are measured.
std::vector<Point> expand_as_measured(Spec spec, std::optional<int64_t> cores, const std::set<int64_t>& thread_counts,
                                      const std::map<std::string, Measured>& measured) {
  if (cores || !spec.uses_cores()) {
    spec.cores = cores;
    return expand(spec, registry_resolver());
  }
  std::vector<Point> best;
  size_t best_hits = 0;
  for (int64_t c : thread_counts) {
    if (c < 1) continue;
    spec.cores = c;
    std::vector<Point> pts = expand(spec, registry_resolver());
    const size_t hits = static_cast<size_t>(
        std::count_if(pts.begin(), pts.end(), [&](const Point& p) { return measured.count(p.id) > 0; }));
    if (hits > best_hits) {
      best_hits = hits;
      best = std::move(pts);
    }
  }
  return best;
}

}  // namespace

RecheckSummary recheck_study(const RecheckOptions& opt) {
  if (opt.sample < 1) fail("--sample must be >= 1, got {}", opt.sample);
  const FileLock db_lock = lock_database(opt.db_path);
  Store store(opt.db_path, /*create=*/false);
  std::map<std::string, Measured> measured;
  {
    Stmt q(store.db(), "SELECT point_id, median_ms, ci95_low_ms, ci95_high_ms, speedup, speedup_ci95_low, speedup_ci95_high "
                       "FROM measurements WHERE median_ms IS NOT NULL AND (agreement_passed IS NULL OR agreement_passed = 1)");
    auto opt_real = [&](int c) { return q.is_null(c) ? std::nullopt : std::optional<double>(q.real(c)); };
    while (q.step()) measured[q.text(0)] = {q.real(1), opt_real(2), opt_real(3), opt_real(4), opt_real(5), opt_real(6)};
  }
  std::vector<std::string> specs;
  {
    Stmt q(store.db(), "SELECT spec_toml FROM studies GROUP BY spec_toml ORDER BY min(id)");  // merged: repeats
    while (q.step()) specs.push_back(q.text(0));
  }
  std::set<int64_t> thread_counts;
  {
    Stmt q(store.db(), "SELECT DISTINCT threads FROM points");
    while (q.step()) thread_counts.insert(q.int64(0));
  }
  // Every group whose points are all measured, from every study spec the database holds.
  std::vector<std::vector<Point>> groups;
  std::set<std::string> seen;
  bool uses_cores = false;
  for (const std::string& text : specs) {
    std::map<int64_t, std::vector<Point>> by_group;
    const Spec spec = parse_spec(text, opt.db_path);
    uses_cores = uses_cores || spec.uses_cores();
    for (Point& p : expand_as_measured(spec, opt.cores, thread_counts, measured))
      by_group[p.group].push_back(std::move(p));
    for (auto& [gid, g] : by_group) {
      if (!std::all_of(g.begin(), g.end(), [&](const Point& p) { return measured.count(p.id) > 0; })) continue;
      if (!seen.insert(g.front().id).second) continue;
      groups.push_back(std::move(g));
    }
  }
  if (groups.empty())
    fail("'{}' has no fully measured point to recheck{}", opt.db_path,
         opt.cores    ? fmt::format(" (threads = \"cores\" taken as {})", *opt.cores)
         : uses_cores ? " (threads = \"cores\": no thread count in it gives its points; try --cores)"
                      : "");
  Rng rng(opt.seed);
  for (size_t k = groups.size(); k > 1; --k) std::swap(groups[k - 1], groups[rng.next_u64() % k]);
  groups.resize(std::min(groups.size(), static_cast<size_t>(opt.sample)));
  // A rerun with more threads than this machine has CPUs measures oversubscription, not the study's points.
  const int cpus = measure::collect_machine_facts().logical_cpus;
  for (const auto& g : groups)
    for (const Point& p : g)
      if (cpus > 0 && p.threads > cpus)
        fail("{} was measured with {} threads and this machine has {} CPUs: recheck on a machine like the one that "
             "measured it (in a cluster, as a job with {} cores)",
             p.label(), p.threads, cpus, p.threads);

  const measure::MeasurementLock lock = measure::MeasurementLock::take(
      opt.lock_mode, [](const std::string& line) { fmt::print(stderr, "recheck: {}\n", line); });
  RecheckSummary sum;
  // As `study run` measures: in passes, process p of every sampled group in pass p, so a group's rerun
  // processes lie as far apart as the first run's did. The same k, no added processes: one more draw.
  std::vector<std::vector<const Point*>> ptrs(groups.size());
  std::vector<ProcessesRun> runs(groups.size());
  std::vector<std::vector<nlohmann::json>> done(groups.size());
  int passes = 0;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    for (const Point& p : groups[gi]) ptrs[gi].push_back(&p);
    passes = std::max(passes, static_cast<int>(processes_of(groups[gi].front().measure)));
  }
  for (int pass = 0; pass < passes; ++pass)
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const MeasureSettings& m = groups[gi].front().measure;
      if (runs[gi].failure || pass >= processes_of(m)) continue;
      runs[gi] = run_processes(
          opt.exe, [&](int i) { return group_args(ptrs[gi], i); }, pass + 1, pass + 1,
          m.timeout_s.value_or(k_default_timeout_s), done[gi],
          [&](int, const nlohmann::json& r) { done[gi].push_back(r); }, stability_rule_of(m));
    }
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const auto& g = groups[gi];
    const ProcessesRun& run = runs[gi];
    if (!run.combined) {
      fmt::print(stderr, "recheck: {} failed on the rerun ({}: {}); left out\n", g.front().model,
                 run.failure ? run.failure->kind : "error", run.failure ? run.failure->reason : "no process");
      continue;
    }
    ++sum.groups;
    Transaction t(store.db());
    for (const Point& p : g) {
      const nlohmann::json rec = measure::backend_record(*run.combined, p.backend);
      if (!rec["median_ms"].is_number()) continue;
      const Measured& first = measured[p.id];
      const double med = rec["median_ms"].get<double>();
      const bool med_in = inside(med, first.low, first.high);
      const bool med_in_rerun = inside_rerun(med, first.median, first.low, first.high);
      std::optional<double> sp;
      std::optional<int64_t> sp_in, sp_in_rerun;
      if (rec.value("speedup", nlohmann::json()).is_number() && p.backend != run.combined->value("native", "")) {
        sp = rec["speedup"].get<double>();
        sp_in = inside(*sp, first.speedup_low, first.speedup_high) ? 1 : 0;
        sp_in_rerun = inside_rerun(*sp, first.speedup, first.speedup_low, first.speedup_high) ? 1 : 0;
        ++sum.speedups;
        sum.speedups_inside += static_cast<int>(*sp_in);
        sum.speedups_inside_rerun += static_cast<int>(*sp_in_rerun);
      }
      ++sum.medians;
      sum.medians_inside += med_in ? 1 : 0;
      sum.medians_inside_rerun += med_in_rerun ? 1 : 0;
      Stmt ins(store.db(), "INSERT INTO rechecks(point_id, finished_at, median_ms, median_inside, speedup, speedup_inside,"
                           " median_inside_rerun, speedup_inside_rerun) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      ins.bind(1, p.id).bind(2, now_rfc3339()).bind(3, med).bind(4, int64_t{med_in ? 1 : 0}).bind(5, sp).bind(6, sp_in)
          .bind(7, int64_t{med_in_rerun ? 1 : 0}).bind(8, sp_in_rerun).run();
      auto verdict = [](bool in_ci, bool in_rerun) {
        return in_ci ? "inside" : in_rerun ? "outside the CI, inside the rerun interval" : "OUTSIDE both";
      };
      fmt::print(stderr, "recheck: {} {}: median {:.3f} ms ({} [{:.3f}, {:.3f}]){}\n", p.model, p.backend, med,
                 verdict(med_in, med_in_rerun), first.low.value_or(0), first.high.value_or(0),
                 sp ? fmt::format(", speedup {:.3f}x ({} [{:.3f}, {:.3f}])", *sp, verdict(*sp_in, *sp_in_rerun),
                                  first.speedup_low.value_or(0), first.speedup_high.value_or(0))
                    : "");
    }
    t.commit();
  }
  return sum;
}

}  // namespace fb::study
