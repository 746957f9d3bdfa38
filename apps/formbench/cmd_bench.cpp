// formbench bench MODEL --backend B [--threads T] [--batch N] [--json|--csv] [--check] [--cache-sim]
// and the hidden `_cachesim-child` that --cache-sim runs under valgrind.
#include <iostream>

#include "bench_options.h"
#include "command.h"
#include "core/error.h"
#include "measure/measurement_lock.h"
#include "measure/report.h"
#include "processes_cli.h"

namespace fb::cli {
namespace {

struct Options {
  BenchFlags f;
  bool json = false, csv = false;
  int processes = 1;
  double span_s = 0;
  std::string lock = "wait";
};

int run_bench_cmd(const Options& o) {
  if (o.json && o.csv) fail("--json and --csv are exclusive");
  if (o.processes < 1) fail("--processes must be >= 1, got {}", o.processes);
  check_span(o.processes, o.span_s);
  const measure::BenchSettings s = o.f.resolve();  // a bad value says so before waiting for the lock
  const measure::MeasurementLock lock = measure::MeasurementLock::take(measure::parse_lock_mode(o.lock), note_line);
  if (o.processes > 1) {
    if (o.csv) fail("--csv is not available with --processes > 1 (use --json)");
    return run_in_processes(o.processes, o.json, o.span_s);
  }
  measure::BenchResult r = measure::run_bench(s, terminal_progress());
  end_progress();
  r.session.beside_other_measurement = lock.beside_other();
  if ((o.json || o.csv) && s.counters) measure::note_counters_once(r.entry().counters);  // the table says it itself
  if (o.json) {
    std::cout << r.to_json().dump(2) << "\n";
  } else if (o.csv) {
    std::cout << measure::csv_header(measure::bench_csv_columns())
              << measure::csv_row(r.to_json(), measure::bench_csv_columns());
  } else {
    std::cout << measure::bench_table(r);
  }
  const auto& agreement = r.entry().agreement;
  if (agreement && !agreement->passed(r.session.agreement_tol)) {
    std::cerr << "formbench: error: outputs disagree with the reference backend: " << agreement->summary() << "\n";
    return k_exit_error;
  }
  return k_exit_ok;
}

CommandRegistrar reg(30, [](CLI::App& app) {
  auto* sub = app.add_subcommand("bench", "Measure one model on one backend: latency statistics, throughput, "
                                          "compile time, % of peak, cache behaviour");
  auto o = std::make_shared<Options>();
  sub->add_option("model", o->f.s.model, "model reference (resnet18, pattern:NAME?depth=..., file.onnx)")->required();
  sub->add_option("-B,--backend", o->f.s.backend, "backend (formbench list backends)")->required();
  add_point_flags(sub, o->f);
  add_timing_flags(sub, o->f);
  add_check_flags(sub, o->f);
  add_cache_sim_flags(sub, o->f);
  sub->add_option("--processes", o->processes,
                  "measure in K independent processes: the CI covers processes and runs (two-level)")
      ->capture_default_str();
  add_span_flag(sub, o->span_s);
  sub->add_option("--lock", o->lock, "beside another measurement on this machine: wait, refuse, or ignore (and record it)")
      ->capture_default_str();
  sub->add_flag("--json", o->json, "JSON output (schema: docs/bench_json.md)");
  sub->add_flag("--csv", o->csv, "CSV output (header + one row)");
  return [o]() { return run_bench_cmd(*o); };
});

struct ChildOptions {
  BenchFlags f;
  int iterations = 1;
};

CommandRegistrar child(1000, [](CLI::App& app) {
  auto* sub = app.add_subcommand("_cachesim-child", "internal: the inference loop that --cache-sim runs under valgrind");
  sub->group("");  // hidden from --help
  auto o = std::make_shared<ChildOptions>();
  sub->add_option("model", o->f.s.model)->required();
  sub->add_option("--backend", o->f.s.backend)->required();
  add_point_flags(sub, o->f);
  sub->add_option("--iterations", o->iterations)->required();
  return [o]() { return measure::run_cachesim_child(o->f.resolve(), o->iterations); };
});

}  // namespace
}  // namespace fb::cli
