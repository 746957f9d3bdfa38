// formbench predictor fit|sample|check: a latency predictor per backend (docs/predict.md). `fit` learns it
// from results databases with per-layer profiles, `sample` measures single-layer networks into a database
// for it, `check` predicts every measured point of databases it was not fitted on and says how close it is.
#include <fstream>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "bench_options.h"
#include "command.h"
#include "core/error.h"
#include "core/table.h"
#include "measure/measurement_lock.h"
#include "predict/check.h"
#include "predict/predictor.h"
#include "predict/sample.h"
#include "study/point.h"
#include "study/runner.h"
#include "study/spec.h"

namespace fb::cli {
namespace {

struct Options {
  std::vector<std::string> dbs;
  std::string output, predictor, db, backends = "torch,onednn", precision = "fp32", lock = "wait";
  int threads = 0, batch = 1, min_samples = predict::k_min_class_samples;
  double budget_min = 10;
  uint64_t seed = 1;
  bool json = false;
};

int fit(const Options& o) {
  predict::FitOptions f;
  f.backends = split_list(o.backends);
  if (o.threads > 0) f.threads = o.threads;
  f.precision = o.precision;
  f.batch = o.batch;
  f.min_class_samples = o.min_samples;
  const predict::Predictor p = predict::fit_predictor(o.dbs, f);
  p.save(o.output);
  fmt::print("predictor for '{}' ({} logical CPUs), {} threads, {}, batch {}: {}\n", p.fitted_for.cpu_model,
             p.fitted_for.logical_cpus, p.fitted_for.threads, p.fitted_for.precision, p.fitted_for.batch, o.output);
  for (const std::string& s : p.sources) fmt::print("  from {}\n", s);
  TextTable t({"backend", "class", "samples", "typical error", "range ms"});
  for (const auto& [name, m] : p.backends) {
    for (const auto& [cls, c] : m.kernels.classes())
      t.add_row({name, cls, std::to_string(c.samples), fmt::format("x{:.2f}", std::exp(c.rms_log_error)),
                 fmt::format("{:.4f}..{:.3f}", c.min_ms, c.max_ms)});
    fmt::print("  {}: {} networks, {} kernel samples; outside kernels {:.3f} ms + {:.4f} ms per kernel {:+.1f}% of "
               "their time\n",
               name, m.networks, m.kernel_samples, m.overhead_ms, m.overhead_ms_per_kernel, 100.0 * m.overhead_share);
  }
  std::cout << t.str();
  return k_exit_ok;
}

int sample(const Options& o) {
  predict::SampleSpecOptions so;
  so.backends = split_list(o.backends);
  so.threads = o.threads > 0 ? o.threads : 2;
  so.precision = o.precision;
  if (o.budget_min <= 0) fail("--budget must be > 0 minutes, got {}", o.budget_min);
  // Draw kernels until the plan's estimate of their measurement fills the budget.
  const std::vector<predict::SampledKernel> all = predict::draw_kernels(5000, o.seed);
  std::vector<predict::SampledKernel> chosen;
  std::set<std::string> refs;
  double total_s = 0;
  for (const predict::SampledKernel& k : all) {
    if (!refs.insert(k.ref()).second) continue;  // drawn twice: measured once
    const study::Spec one = study::parse_spec(predict::sample_spec({k}, so), "sample");
    double s = 0;
    for (const study::Point& p : study::expand(one, study::registry_resolver())) s += study::estimate_seconds(p);
    if (total_s + s > o.budget_min * 60.0) break;
    total_s += s;
    chosen.push_back(k);
  }
  if (chosen.empty()) fail("--budget {} min is too short for even one kernel", o.budget_min);
  const std::string spec_path = o.db + ".sample.toml";
  {
    std::ofstream out(spec_path);
    out << predict::sample_spec(chosen, so);
    if (!out) fail("cannot write the sample's spec to {}", spec_path);
  }
  fmt::print(stderr, "sampling {} kernels (spec: {}), estimated {:.1f} min\n", chosen.size(), spec_path, total_s / 60.0);
  const study::Spec spec = study::load_spec(spec_path);
  study::RunOptions r;
  r.db_path = o.db;
  r.lock_mode = measure::parse_lock_mode(o.lock);
  const study::RunSummary s = study::run_study(spec, study::expand(spec, study::registry_resolver()), r);
  fmt::print("{} points measured ({} kernels x {} backends), {} failed, {} already in {}\n", s.measured, chosen.size(),
             so.backends.size(), s.failed, s.skipped, o.db);
  return s.failed > 0 ? k_exit_error : k_exit_ok;
}

int check(const Options& o) {
  const predict::Predictor p = predict::Predictor::load(o.predictor);
  const predict::CheckResult c = predict::check_predictor(p, o.dbs);
  std::cout << (o.json ? c.to_json().dump(2) + "\n" : c.table());
  return k_exit_ok;
}

CommandRegistrar reg(34, [](CLI::App& app) {
  auto* sub = app.add_subcommand("predictor", "Fit, feed and check a latency predictor (docs/predict.md)");
  sub->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto action = std::make_shared<Action>();

  auto* f = sub->add_subcommand("fit", "Fit a predictor per backend from results databases with per-layer profiles");
  f->add_option("db", o->dbs, "results databases (studies with explain = true, predictor sample)")->required();
  f->add_option("-o,--output", o->output, "the predictor file (JSON)")->required();
  f->add_option("--backend", o->backends, "comma-separated backends to fit")->capture_default_str();
  f->add_option("--threads", o->threads, "the thread count to fit (default: the only one in the databases)")
      ->check(CLI::PositiveNumber);
  f->add_option("--precision", o->precision, "precision to fit")->capture_default_str();
  f->add_option("--batch", o->batch, "batch to fit")->capture_default_str()->check(CLI::PositiveNumber);
  f->add_option("--min-samples", o->min_samples, "a kernel class with fewer samples is not fitted (its kernels are "
                                                 "then not predicted)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  f->callback([o, action] { *action = [o] { return fit(*o); }; });

  auto* s = sub->add_subcommand("sample", "Measure sampled single-layer networks (kernel:...) with per-layer profiles "
                                          "into a database, within a time budget; running it again resumes");
  s->add_option("--db", o->db, "results database (created when missing)")->required();
  s->add_option("--backend", o->backends, "comma-separated backends, measured together")->capture_default_str();
  s->add_option("--budget", o->budget_min, "minutes, by the study plan's estimate")->capture_default_str();
  s->add_option("--threads", o->threads, "threads (default 2)")->check(CLI::PositiveNumber);
  s->add_option("--precision", o->precision, "precision")->capture_default_str();
  s->add_option("--seed", o->seed, "the draw's seed")->capture_default_str();
  s->add_option("--lock", o->lock, "beside another measurement on this machine: wait, refuse, or ignore (and record it)")
      ->capture_default_str();
  s->callback([o, action] { *action = [o] { return sample(*o); }; });

  auto* c = sub->add_subcommand("check", "Predict every measured point of databases and compare: within ±5%/±10%, "
                                         "RMSE, speedups within ±15%, Kendall's tau");
  c->add_option("predictor", o->predictor, "predictor file")->required();
  c->add_option("db", o->dbs, "results databases of networks it was not fitted on")->required();
  c->add_flag("--json", o->json, "JSON output");
  c->callback([o, action] { *action = [o] { return check(*o); }; });
  return [action]() { return (*action)(); };
});

}  // namespace
}  // namespace fb::cli
