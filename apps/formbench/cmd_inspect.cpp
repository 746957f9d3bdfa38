// formbench inspect MODEL [--layers] [--json]: per-layer cost table and totals.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/table.h"
#include "ir/cost.h"
#include "models/model_ref.h"

namespace fb::cli {
namespace {

struct Options {
  std::string model;
  bool layers = false;
  bool json = false;
};

std::string out_shape(const Graph& g, const Node& n) {
  std::string s;
  for (size_t i = 0; i < n.outputs.size(); ++i) s += (i ? "," : "") + shape_str(g.value(n.outputs[i]).shape);
  return s;
}

nlohmann::json to_json(const Graph& g, const GraphCost& c) {
  nlohmann::json j;
  j["model"] = g.name;
  if (const ModelEntry* e = find_model_entry(g.name)) {
    j["family"] = e->family;
    j["source"] = e->source;
  }
  j["input_shape"] = g.value(g.inputs[0]).shape;
  j["output_shape"] = g.value(g.outputs[0]).shape;
  j["params"] = c.total.params;
  j["macs"] = c.total.macs;
  j["flops"] = c.total.flops;
  j["weight_bytes"] = c.total.weight_bytes;
  j["peak_activation_bytes"] = c.peak_activation_bytes;
  j["total_activation_bytes"] = c.total_activation_bytes;
  j["num_layers"] = g.nodes.size();
  j["layers"] = nlohmann::json::array();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    const NodeCost& nc = c.per_node[i];
    j["layers"].push_back({{"name", n.name},
                           {"op", op_name(n.op)},
                           {"output_shape", g.value(n.outputs[0]).shape},
                           {"macs", nc.macs},
                           {"flops", nc.flops},
                           {"params", nc.params},
                           {"weight_bytes", nc.weight_bytes},
                           {"activation_in_bytes", nc.activation_in_bytes},
                           {"activation_out_bytes", nc.activation_out_bytes},
                           {"arithmetic_intensity", nc.arithmetic_intensity()}});
  }
  return j;
}

int run(const Options& o) {
  Graph g = load_model(o.model, /*with_weights=*/false);
  GraphCost c = graph_cost(g);
  if (o.json) {
    std::cout << to_json(g, c).dump(2) << "\n";
    return k_exit_ok;
  }
  if (o.layers) {
    TextTable t({"layer", "op", "output", "MACs", "params", "FLOP/B"});
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& n = g.nodes[i];
      const NodeCost& nc = c.per_node[i];
      t.add_row({n.name, op_name(n.op), out_shape(g, n), with_commas(nc.macs), with_commas(nc.params),
                 fmt::format("{:.2f}", nc.arithmetic_intensity())});
    }
    std::cout << t.str() << "\n";
  }
  TextTable t({"model", "input", "layers", "params", "MACs", "FLOPs", "weights", "peak activations"});
  t.add_row({g.name, shape_str(g.value(g.inputs[0]).shape), std::to_string(g.nodes.size()),
             with_commas(c.total.params), si(static_cast<double>(c.total.macs)),
             si(static_cast<double>(c.total.flops)), fmt::format("{:.2f} MiB", c.total.weight_bytes / 1048576.0),
             fmt::format("{:.2f} MiB", c.peak_activation_bytes / 1048576.0)});
  std::cout << t.str();
  if (const ModelEntry* e = find_model_entry(o.model)) std::cout << "source: " << e->source << "\n";
  return k_exit_ok;
}

CommandRegistrar reg(20, [](CLI::App& app) {
  auto* sub = app.add_subcommand("inspect", "Show a model's layers, shapes and cost (MACs, FLOPs, params, memory)");
  auto o = std::make_shared<Options>();
  sub->add_option("model", o->model, "model reference: resnet18, resnet18?res=160&batch=4, pattern:residual?depth=8, file.onnx")
      ->required();
  sub->add_flag("--layers", o->layers, "per-layer table");
  sub->add_flag("--json", o->json, "machine-readable output (schema in docs/inspect_json.md)");
  return [o]() { return run(*o); };
});

}  // namespace
}  // namespace fb::cli
