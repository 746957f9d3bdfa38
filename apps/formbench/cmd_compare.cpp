// formbench compare MODEL [--backends a,b,c] [--per-layer] [--json|--csv]: backends side by side, measured
// alternately in one run, with speedups vs the native backend and their confidence intervals.
#include <iostream>

#include "backends/backend.h"
#include "bench_options.h"
#include "command.h"
#include "core/error.h"
#include "measure/compare_run.h"
#include "measure/measurement_lock.h"
#include "processes_cli.h"

namespace fb::cli {
namespace {

struct Options {
  BenchFlags f;
  std::string backends;
  int block = 5;
  bool per_layer = false;
  int per_layer_iterations = 10;
  bool no_check = false;
  bool json = false, csv = false;
  bool keep_going = false;
  uint64_t order_seed = 1;
  int processes = 1;
  double span_s = 0;
  std::string lock = "wait";
};

int run_compare_cmd(const Options& o) {
  if (o.json && o.csv) fail("--json and --csv are exclusive");
  if (o.processes < 1) fail("--processes must be >= 1, got {}", o.processes);
  check_span(o.processes, o.span_s);
  const measure::BenchSettings base = o.f.resolve();  // a bad value says so before waiting for the lock
  const measure::MeasurementLock lock = measure::MeasurementLock::take(measure::parse_lock_mode(o.lock), note_line);
  if (o.processes > 1) {
    if (o.csv) fail("--csv is not available with --processes > 1 (use --json)");
    if (o.per_layer) fail("--per-layer is not available with --processes > 1");
    return run_in_processes(o.processes, o.json, o.span_s);
  }
  measure::CompareSettings cs;
  cs.base = base;
  cs.base.check = !o.no_check;
  cs.backends = o.backends.empty() ? backend_names() : split_list(o.backends);
  if (o.backends.empty()) {  // default: every built backend except the slow oracle, unless it is alone
    std::vector<std::string> fast;
    for (const auto& b : cs.backends)
      if (b != "reference") fast.push_back(b);
    if (!fast.empty()) cs.backends = fast;
  }
  cs.block = o.block;
  cs.keep_going = o.keep_going;
  cs.order_seed = o.order_seed;
  cs.per_layer = o.per_layer;
  cs.per_layer_iterations = o.per_layer_iterations;
  if (cs.per_layer_iterations < 1) fail("--per-layer-iterations must be >= 1");
  measure::CompareResult r = measure::run_compare(cs, terminal_progress());
  end_progress();
  r.beside_other_measurement = lock.beside_other();
  if (o.json) std::cout << r.to_json().dump(2) << "\n";
  else if (o.csv) std::cout << r.csv();
  else std::cout << r.table();
  return all_agree(r) ? k_exit_ok : k_exit_error;
}

CommandRegistrar reg(31, [](CLI::App& app) {
  auto* sub = app.add_subcommand("compare", "Backends side by side on one model, measured alternately: speedup "
                                            "vs the native backend with its CI, agreement, what each compiled");
  auto o = std::make_shared<Options>();
  sub->add_option("model", o->f.s.model, "model reference")->required();
  sub->add_option("--backends", o->backends,
                  "comma-separated backends (default: all built ones but the reference); native: torch if "
                  "listed, else the first");
  add_point_flags(sub, o->f);
  add_timing_flags(sub, o->f);
  sub->add_option("--block", o->block, "timed runs per backend per round")->capture_default_str();
  sub->add_flag("--per-layer", o->per_layer, "per-op time breakdown where the backend supports it");
  sub->add_option("--per-layer-iterations", o->per_layer_iterations, "runs averaged per layer")->capture_default_str();
  sub->add_flag("--no-check", o->no_check, "skip the reference run (agreement)");
  sub->add_option("--check-tol", o->f.check_tol, "relative tolerance (default by precision: fp32 1e-3)");
  add_cache_sim_flags(sub, o->f);
  sub->add_option("--processes", o->processes,
                  "measure in K independent processes: CIs over processes and rounds (two-level)")
      ->capture_default_str();
  add_span_flag(sub, o->span_s);
  sub->add_option("--order-seed", o->order_seed, "seed of the rounds' random order")->capture_default_str();
  sub->add_flag("--keep-going", o->keep_going, "report a backend that fails and measure the others");
  sub->add_option("--lock", o->lock, "beside another measurement on this machine: wait, refuse, or ignore (and record it)")
      ->capture_default_str();
  sub->add_flag("--json", o->json, "JSON output");
  sub->add_flag("--csv", o->csv, "CSV output (one row per backend)");
  return [o]() { return run_compare_cmd(*o); };
});

}  // namespace
}  // namespace fb::cli
