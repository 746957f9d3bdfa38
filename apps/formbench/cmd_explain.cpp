// formbench explain MODEL [--backends torch,onednn] [--json]: where a speedup comes from. The backends are
// timed alternately as in compare, then profiled per layer, and the gain is split into framework overhead,
// passes eliminated by fusion, layout conversions, kernel efficiency and the residual the profiles miss.
#include <iostream>

#include "backends/backend.h"
#include "bench_options.h"
#include "command.h"
#include "core/error.h"
#include "measure/explain_run.h"
#include "measure/measurement_lock.h"

namespace fb::cli {
namespace {

struct Options {
  BenchFlags f;
  std::string backends = "torch,onednn";
  int block = 5;
  int per_layer_iterations = 20;
  bool no_check = false;
  bool json = false;
  std::string lock = "wait";
};

int run_explain_cmd(const Options& o) {
  const measure::BenchSettings base = o.f.resolve();
  measure::CompareSettings cs;
  cs.base = base;
  cs.base.check = !o.no_check;
  cs.backends = split_list(o.backends);
  cs.block = o.block;
  cs.per_layer_iterations = o.per_layer_iterations;
  if (cs.per_layer_iterations < 1) fail("--per-layer-iterations must be >= 1, got {}", cs.per_layer_iterations);
  const measure::MeasurementLock lock = measure::MeasurementLock::take(measure::parse_lock_mode(o.lock), note_line);
  measure::ExplainResult x = measure::run_explain(cs, terminal_progress());
  end_progress();
  x.compare.beside_other_measurement = lock.beside_other();
  std::cout << (o.json ? x.to_json().dump(2) + "\n" : x.table());
  return all_agree(x.compare, "its speedup and attribution are not to be trusted") ? k_exit_ok : k_exit_error;
}

CommandRegistrar reg(32, [](CLI::App& app) {
  auto* sub = app.add_subcommand("explain", "Where a speedup comes from: the gain over the native backend split into "
                                            "overhead, fusion, layout, kernels and residual, per op class");
  auto o = std::make_shared<Options>();
  sub->add_option("model", o->f.s.model, "model reference")->required();
  sub->add_option("--backends", o->backends, "comma-separated backends; native: torch if listed, else the first")
      ->capture_default_str();
  add_point_flags(sub, o->f);
  add_timing_flags(sub, o->f);
  sub->add_option("--block", o->block, "timed runs per backend per round")->capture_default_str();
  sub->add_option("--per-layer-iterations", o->per_layer_iterations, "profiled runs per backend (in up to 5 alternating rounds)")
      ->capture_default_str();
  sub->add_flag("--no-check", o->no_check, "skip the reference run (agreement)");
  sub->add_option("--check-tol", o->f.check_tol, "relative tolerance (default by precision: fp32 1e-3)");
  sub->add_option("--lock", o->lock, "beside another measurement on this machine: wait, refuse, or ignore (and record it)")
      ->capture_default_str();
  sub->add_flag("--json", o->json, "JSON output (compare's, plus \"attributions\")");
  return [o]() { return run_explain_cmd(*o); };
});

}  // namespace
}  // namespace fb::cli
