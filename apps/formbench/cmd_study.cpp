// formbench study plan|run|submit|status|recheck|merge|export: declarative sweeps into a SQLite results database
// (docs/study.md); submit and status run a study as a Slurm array job (docs/cluster.md).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "command.h"
#include "core/error.h"
#include "core/table.h"
#include "study/merge.h"
#include "study/point.h"
#include "study/progress.h"
#include "study/recheck.h"
#include "study/runner.h"
#include "study/slurm.h"
#include "study/slurm_submit.h"
#include "study/spec.h"

namespace fb::cli {
namespace {

using namespace fb::study;

struct Options {
  std::string spec, db, shard, output, dir, partition, time, progress_file;
  std::vector<std::string> inputs, sbatch_args;
  bool json = false, csv = false, retry_failed = false, progress = false, no_progress = false;
  bool slurm = false, dry_run = false;
  int64_t cores = 0;
  int shards = 0, cpus_per_task = 0, nodes = 0;
  double timeout_s = 0;
  std::string lock = "wait";
  int sample = 10;
  uint64_t seed = 1;
};

std::vector<Point> expanded(const Spec& spec) { return expand(spec, registry_resolver()); }

// The spec, with --cores: what threads = "cores" means (a cluster task's granted cores).
Spec spec_of(const Options& o) {
  Spec spec = load_spec(o.spec);
  if (o.cores > 0) spec.cores = o.cores;
  return spec;
}

int plan(const Options& o) {
  const Spec spec = spec_of(o);
  std::vector<Point> points = expanded(spec);
  if (!o.shard.empty()) {
    const auto shard = parse_shard(o.shard);
    std::erase_if(points, [&](const Point& p) { return !in_shard(p, shard); });
  }
  double total = 0;
  for (const Point& p : points) total += estimate_seconds(p);
  if (o.json) {
    std::map<int64_t, std::vector<const Point*>> groups;
    for (const Point& p : points) groups[p.group].push_back(&p);
    nlohmann::json j = {{"study", spec.name}, {"count", points.size()}, {"estimate_s", total}, {"points", nlohmann::json::array()}};
    for (const Point& p : points)
      j["points"].push_back({{"seq", p.seq}, {"id", p.id}, {"model", p.model}, {"family", p.family},
                             {"backend", p.backend}, {"threads", p.threads}, {"batch", p.batch},
                             {"precision", p.precision}, {"device", p.device}, {"settings", p.settings_json()},
                             {"gmacs", p.gmacs}, {"estimate_s", estimate_seconds(p)}, {"group", p.group},
                             {"processes", processes_of(p.measure)}, {"measure_args", group_args(groups[p.group], 0)}});
    std::cout << j.dump(2) << "\n";
    return k_exit_ok;
  }
  TextTable t({"seq", "id", "model", "backend", "threads", "batch", "precision", "GMACs", "est."});
  for (const Point& p : points)
    t.add_row({std::to_string(p.seq), p.id, p.model,
               p.backend + (p.device != "cpu" ? "/" + p.device : "") +
                   (p.options.empty() ? "" : " (" + options_text(p.options) + ")"),
               std::to_string(p.threads), std::to_string(p.batch), p.precision, fmt::format("{:.3f}", p.gmacs),
               format_duration(estimate_seconds(p))});
  std::cout << t.str();
  std::map<std::string, int> per_backend;
  for (const Point& p : points) ++per_backend[p.backend];
  fmt::print("study '{}': {} points", spec.name, points.size());
  if (!o.shard.empty()) fmt::print(" in shard {}", o.shard);
  fmt::print(", estimated run time {} on this machine's nominal speeds (a rough guide)\n", format_duration(total));
  if (o.nodes > 0) {
    std::map<int64_t, double> by_group;
    for (const Point& p : points) by_group[p.group] += estimate_seconds(p);
    std::vector<double> group_s;
    for (const auto& [g, s] : by_group) group_s.push_back(s);
    const int shards = o.shards > 0 ? o.shards : std::min<int>(4 * o.nodes, static_cast<int>(group_s.size()));
    const slurm::ClusterEstimate e = slurm::estimate_cluster(group_s, shards, o.nodes);
    fmt::print("on {} nodes: {} shards of whole comparison groups (the longest {}), one task per node at a time, "
               "started in order as nodes free up: about {} wall by the same estimate\n",
               o.nodes, shards, format_duration(e.longest_s), format_duration(e.wall_s));
  }
  const auto built = backend_names();
  for (const auto& [b, n] : per_backend)
    if (std::find(built.begin(), built.end(), b) == built.end())
      fmt::print("note: backend '{}' is not built into this binary: its {} points will be recorded as failures\n", b, n);
  return k_exit_ok;
}

int run(const Options& o) {
  const Spec spec = spec_of(o);
  RunOptions r;
  r.db_path = o.db;
  if (!o.shard.empty()) r.shard = parse_shard(o.shard);
  r.retry_failed = o.retry_failed;
  if (o.timeout_s > 0) r.timeout_s = o.timeout_s;
  if (o.progress) r.progress = 1;
  if (o.no_progress) r.progress = 0;
  r.progress_file = o.progress_file;
  r.lock_mode = measure::parse_lock_mode(o.lock);
  const RunSummary s = run_study(spec, expanded(spec), r);
  return s.failed > 0 ? k_exit_error : k_exit_ok;
}

int submit(const Options& o) {
  if (!o.slurm) fail("study submit: give --slurm (the one scheduler formbench submits to; docs/cluster.md)");
  slurm::SubmitOptions s;
  s.spec_path = o.spec;
  s.dir = o.dir;
  if (o.shards > 0) s.shards = o.shards;
  s.partition = o.partition;
  s.time = o.time;
  if (o.cpus_per_task > 0) s.cpus_per_task = o.cpus_per_task;
  s.sbatch_args = o.sbatch_args;
  s.dry_run = o.dry_run;
  s.exe = std::filesystem::read_symlink("/proc/self/exe").string();
  slurm::submit(s, std::cout);
  return k_exit_ok;
}

int status(const Options& o) {
  const slurm::StudyStatus s = slurm::study_status(o.dir);
  if (o.json) std::cout << slurm::status_json(s).dump(2) << "\n";
  else std::cout << slurm::format_status(s);
  return k_exit_ok;
}

int recheck(const Options& o) {
  RecheckOptions r;
  r.db_path = o.db;
  r.sample = o.sample;
  r.seed = o.seed;
  r.lock_mode = measure::parse_lock_mode(o.lock);
  if (o.cores > 0) r.cores = o.cores;
  const RecheckSummary s = recheck_study(r);
  auto pct = [](int in, int n) { return n ? fmt::format("{:.0f}%", 100.0 * in / n) : std::string("n/a"); };
  fmt::print("recheck of {} groups: {} of {} medians ({}) and {} of {} speedups ({}) inside the first run's 95% CIs; "
             "{} medians ({}) and {} speedups ({}) inside its rerun intervals (expected with 3 processes: about 89% "
             "and 94%)\n",
             s.groups, s.medians_inside, s.medians, pct(s.medians_inside, s.medians), s.speedups_inside, s.speedups,
             pct(s.speedups_inside, s.speedups), s.medians_inside_rerun, pct(s.medians_inside_rerun, s.medians),
             s.speedups_inside_rerun, pct(s.speedups_inside_rerun, s.speedups));
  return k_exit_ok;
}

int merge(const Options& o) {
  const MergeSummary s = merge_databases(o.inputs, o.output);
  fmt::print(stderr, "merged {} databases into {}: {} points, {} measurements and {} failures added\n", o.inputs.size(),
             o.output, s.points, s.measurements, s.failures);
  if (s.conflicts)
    fmt::print(stderr, "note: {} points were measured in more than one input; the first input's measurement was kept\n",
               s.conflicts);
  return k_exit_ok;
}

int export_db(const Options& o) {
  if (o.json == o.csv) fail("study export: give exactly one of --csv or --json");
  const ExportFormat f = o.csv ? ExportFormat::Csv : ExportFormat::Json;
  if (o.output.empty()) {
    export_database(o.db, f, std::cout);
    return k_exit_ok;
  }
  std::ofstream out(o.output, std::ios::binary);
  if (!out) fail("cannot write '{}'", o.output);
  export_database(o.db, f, out);
  if (!out.flush()) fail("cannot write '{}'", o.output);
  return k_exit_ok;
}

CommandRegistrar reg(60, [](CLI::App& app) {
  auto* sub = app.add_subcommand("study", "Declarative sweeps (studies/*.toml) into a SQLite results database");
  sub->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto action = std::make_shared<std::function<int()>>();

  auto* p = sub->add_subcommand("plan", "Print a spec's measurement points, their count and a run-time estimate");
  p->add_option("spec", o->spec, "study spec (.toml)")->required();
  p->add_option("--shard", o->shard, "only shard i of N (i/N)");
  p->add_flag("--json", o->json, "machine-readable output");
  p->add_option("--nodes", o->nodes, "also estimate the wall time on N cluster nodes (study submit --slurm)")
      ->check(CLI::PositiveNumber);
  p->add_option("--shards", o->shards, "with --nodes: array tasks (default: 4 per node, at most one per group)")
      ->check(CLI::PositiveNumber);
  p->add_option("--cores", o->cores, "what threads = \"cores\" means (default: this machine's physical cores)")
      ->check(CLI::PositiveNumber);
  p->callback([o, action] { *action = [o] { return plan(*o); }; });

  auto* r = sub->add_subcommand("run", "Measure every point not yet in the database (resumes; each point isolated)");
  r->add_option("spec", o->spec, "study spec (.toml)")->required();
  r->add_option("--db", o->db, "results database (SQLite, created when missing)")->required();
  r->add_option("--shard", o->shard, "run only shard i of N (i/N), for several machines");
  r->add_flag("--retry-failed", o->retry_failed, "redo points recorded as failed");
  r->add_option("--timeout", o->timeout_s, "per-point time limit in seconds (overrides measure.timeout_s)")
      ->check(CLI::PositiveNumber);
  r->add_flag("--progress", o->progress, "always draw the progress bar");
  r->add_flag("--no-progress", o->no_progress, "plain log lines even on a terminal");
  r->add_option("--progress-file", o->progress_file,
                "keep how far the run is and its speed against the plan's estimate in this JSON file (study status)");
  r->add_option("--lock", o->lock, "beside another measurement on this machine: wait, refuse, or ignore (and record it)")
      ->capture_default_str();
  r->add_option("--cores", o->cores, "what threads = \"cores\" means (default: this machine's physical cores)")
      ->check(CLI::PositiveNumber);
  r->callback([o, action] { *action = [o] { return run(*o); }; });

  auto* su = sub->add_subcommand("submit", "Run a study as a Slurm array job (one shard per task) with a merge-and-report "
                                           "job after it; submitting again resumes the unfinished shards");
  su->add_option("spec", o->spec, "study spec (.toml)")->required();
  su->add_option("--dir", o->dir, "study directory on a filesystem every node sees (scripts, shard databases, logs, "
                                  "merged database, report)")
      ->required();
  su->add_flag("--slurm", o->slurm, "submit to Slurm with sbatch")->required();
  su->add_option("--shards", o->shards, "array tasks (default: about one hour each by the plan's estimate)")
      ->check(CLI::PositiveNumber);
  su->add_option("--partition", o->partition, "Slurm partition (default: the cluster's)");
  su->add_option("--time", o->time, "time limit per task, HH:MM:SS (default: the partition's)");
  su->add_option("--cpus-per-task", o->cpus_per_task, "whole cores per task (default: the most threads a point asks for)")
      ->check(CLI::PositiveNumber);
  su->add_option("--sbatch-arg", o->sbatch_args, "one more sbatch option for both jobs, e.g. --sbatch-arg=--constraint=skylake")
      ->allow_extra_args(false);
  su->add_flag("--dry-run", o->dry_run, "print the scripts and the sbatch commands; write and submit nothing");
  su->callback([o, action] { *action = [o] { return submit(*o); }; });

  auto* st = sub->add_subcommand("status", "A submitted study's shards: points done, failed and pending, the Slurm state "
                                           "of each task, and an ETA");
  st->add_option("dir", o->dir, "study directory (study submit --dir)")->required();
  st->add_flag("--json", o->json, "machine-readable output");
  st->callback([o, action] { *action = [o] { return status(*o); }; });

  auto* rc = sub->add_subcommand("recheck", "A/A check: rerun a sample of a finished study's points and report how "
                                            "many rerun values fall inside the first run's 95% CIs");
  rc->add_option("db", o->db, "results database")->required();
  rc->add_option("--sample", o->sample, "comparison groups to rerun")->capture_default_str();
  rc->add_option("--seed", o->seed, "which groups (deterministic)")->capture_default_str();
  rc->add_option("--cores", o->cores,
                 "what threads = \"cores\" meant when the study ran (default: found from the database)")
      ->check(CLI::PositiveNumber);
  rc->add_option("--lock", o->lock, "beside another measurement on this machine: wait, refuse, or ignore")
      ->capture_default_str();
  rc->callback([o, action] { *action = [o] { return recheck(*o); }; });

  auto* m = sub->add_subcommand("merge", "Merge results databases without duplicates (each keeps its machine)");
  m->add_option("inputs", o->inputs, "databases to merge")->required();
  m->add_option("-o,--output", o->output, "output database (created when missing)")->required();
  m->callback([o, action] { *action = [o] { return merge(*o); }; });

  auto* e = sub->add_subcommand("export", "Export a results database, one row per point");
  e->add_option("db", o->db, "results database")->required();
  e->add_flag("--csv", o->csv, "CSV with a header row");
  e->add_flag("--json", o->json, "a JSON array of records");
  e->add_option("-o,--output", o->output, "write here instead of stdout");
  e->callback([o, action] { *action = [o] { return export_db(*o); }; });

  return [action] { return (*action)(); };
});

}  // namespace
}  // namespace fb::cli
