// formbench report DB -o DIR [--against DB2] [--predictor P]: tables and charts of a results database.
#include <iostream>

#include "command.h"
#include "predict/check.h"
#include "report/report.h"

namespace fb::cli {
namespace {

struct Options {
  std::string db, out = "report", against, native = "torch", predictor;
  bool no_cost_model = false;
};

int run(const Options& o) {
  report::ReportOptions ro;
  ro.out_dir = o.out;
  ro.against = o.against;
  ro.analysis.native = o.native;
  ro.analysis.cost_model = !o.no_cost_model;
  if (!o.predictor.empty()) {  // its check on this database's points, before anything is written
    const predict::CheckResult c = predict::check_predictor(predict::Predictor::load(o.predictor), {o.db});
    ro.extra_lines = predict::check_lines(c, o.predictor);
    ro.extra_tables = predict::check_tables(c, o.predictor);
  }
  const report::ReportFiles f = report::write_report(o.db, ro);
  std::cerr << "wrote " << f.report_md << " and " << f.csvs.size() << " CSV files\n";
  std::cout << f.index_html << "\n";
  return k_exit_ok;
}

CommandRegistrar reg(60, [](CLI::App& app) {
  auto* sub = app.add_subcommand("report", "Analyse a results database: index.html (charts), report.md and CSV tables");
  auto o = std::make_shared<Options>();
  sub->add_option("db", o->db, "results database written by `formbench study run`")->required();
  sub->add_option("-o,--out", o->out, "output folder (created)")->capture_default_str();
  sub->add_option("--against", o->against, "a second results database to compare side by side (ratio B/A)");
  sub->add_option("--native", o->native, "the native backend speedups are measured against")->capture_default_str();
  sub->add_option("--predictor", o->predictor, "a latency predictor (predictor fit): its predictions beside the "
                                               "measured points (docs/predict.md)");
  sub->add_flag("--no-cost-model", o->no_cost_model, "do not rebuild models to compute roofline intensity");
  return [o]() { return run(*o); };
});

}  // namespace
}  // namespace fb::cli
