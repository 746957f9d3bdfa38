// formbench predict MODEL --backend B --predictor P [--json]: a network's latency on a backend, and its speedup
// over the native backend, predicted without running it: the backend compiles it, and each kernel it compiled
// is predicted from its sizes (docs/predict.md).
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "command.h"
#include "core/error.h"
#include "core/table.h"
#include "measure/machine.h"
#include "models/model_ref.h"
#include "predict/predictor.h"

namespace fb::cli {
namespace {

struct Options {
  std::string model, backend = "onednn", native = "torch", predictor;
  bool json = false;
};

int run_predict(const Options& o) {
  const predict::Predictor p = predict::Predictor::load(o.predictor);
  for (const std::string& w : predict::mismatches(p.fitted_for, measure::collect_machine_facts().to_json(), p.fitted_for.threads))
    fmt::print(stderr, "warning: predictor {}: {}: its predictions are for that machine\n", o.predictor, w);
  Graph g = load_model(o.model, /*with_weights=*/true);
  if (g.batch() != p.fitted_for.batch) {
    fmt::print(stderr, "warning: predictor {} was fitted at batch {}; predicting at that batch\n", o.predictor,
               p.fitted_for.batch);
    set_batch(g, p.fitted_for.batch);
  }
  const predict::Prediction x = predict::predict(p, g, o.backend);
  std::optional<predict::Prediction> native;
  if (o.native != o.backend && p.backends.count(o.native)) {
    try {  // the native side only gives the speedup: without it the prediction still stands
      native = predict::predict(p, g, o.native);
    } catch (const Error& e) {
      fmt::print(stderr, "warning: no predicted speedup: {}\n", e.what());
    }
  }
  if (o.json) {
    nlohmann::json j = {{"model", o.model},
                        {"backend", o.backend},
                        {"fitted_for", p.to_json()["fitted_for"]},
                        {"predicted_ms", x.total_ms},
                        {"kernels_ms", x.kernels_ms},
                        {"outside_kernels_ms", x.overhead_ms},
                        {"kernels", nlohmann::json::array()}};
    for (const auto& k : x.kernels)
      j["kernels"].push_back({{"name", k.kernel.step.name}, {"class", k.kernel.features.cls},
                              {"nodes", k.kernel.step.nodes}, {"predicted_ms", k.ms}});
    if (native) {
      j["native"] = o.native;
      j["native_predicted_ms"] = native->total_ms;
      j["predicted_speedup"] = native->total_ms / x.total_ms;
    }
    std::cout << j.dump(2) << "\n";
    return k_exit_ok;
  }
  TextTable t({"kernel", "class", "nodes", "predicted ms"});
  for (const auto& k : x.kernels)
    t.add_row({k.kernel.step.name, k.kernel.features.cls, std::to_string(k.kernel.step.nodes.size()), fmt::format("{:.4f}", k.ms)});
  std::cout << t.str();
  fmt::print("{} on {} ({} threads, {}, batch {}): predicted {:.3f} ms = {} kernels {:.3f} ms + outside them {:.3f} ms\n",
             o.model, o.backend, p.fitted_for.threads, p.fitted_for.precision, p.fitted_for.batch, x.total_ms,
             x.kernels.size(), x.kernels_ms, x.overhead_ms);
  if (native)
    fmt::print("predicted speedup over {}: {:.2f}x ({} predicted {:.3f} ms)\n", o.native, native->total_ms / x.total_ms,
               o.native, native->total_ms);
  return k_exit_ok;
}

CommandRegistrar reg(33, [](CLI::App& app) {
  auto* sub = app.add_subcommand("predict", "Predict a network's latency and speedup without running it (a predictor "
                                            "from `formbench predictor fit`)");
  auto o = std::make_shared<Options>();
  sub->add_option("model", o->model, "model reference (zoo, pattern:, kernel:, .onnx)")->required();
  sub->add_option("--backend", o->backend, "backend to predict")->capture_default_str();
  sub->add_option("--native", o->native, "the native backend the speedup is over (when the predictor has it)")
      ->capture_default_str();
  sub->add_option("--predictor", o->predictor, "predictor file")->required();
  sub->add_flag("--json", o->json, "JSON output");
  return [o]() { return run_predict(*o); };
});

}  // namespace
}  // namespace fb::cli
