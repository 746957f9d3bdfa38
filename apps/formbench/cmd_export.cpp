// formbench export MODEL -o model.onnx [--dynamic-batch]: the model with its weights as ONNX (opset 13).
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "core/error.h"
#include "ir/cost.h"
#include "models/model_ref.h"
#include "onnx/onnx_io.h"

namespace fb::cli {
namespace {

struct Options {
  std::string model;
  std::string output;
  bool dynamic_batch = false;
  uint64_t seed = 0;
  int64_t max_bytes = 0;
  int64_t max_elements = 0;
};

int run(const Options& o) {
  std::string ref = o.model;
  // Import limits apply when MODEL is itself an ONNX file; they travel as reference parameters.
  if (o.max_bytes > 0 || o.max_elements > 0) {
    if (parse_model_ref(ref).scheme != "onnx") fail("--onnx-max-bytes/--onnx-max-elements apply to .onnx models only");
    std::string sep = ref.find('?') == std::string::npos ? "?" : "&";
    if (o.max_bytes > 0) ref += fmt::format("{}max_bytes={}", sep, o.max_bytes), sep = "&";
    if (o.max_elements > 0) ref += fmt::format("{}max_elements={}", sep, o.max_elements);
  }
  Graph g = load_model(ref, /*with_weights=*/true, o.seed);
  OnnxExportOptions opt;
  opt.dynamic_batch = o.dynamic_batch;
  save_onnx(g, o.output, opt);
  const GraphCost c = graph_cost(g);
  std::cout << fmt::format("wrote {}: {} nodes, {} params, input {}{}\n", o.output, g.nodes.size(), c.total.params,
                           shape_str(g.value(g.inputs[0]).shape), o.dynamic_batch ? " (batch symbolic)" : "");
  return k_exit_ok;
}

CommandRegistrar reg(60, [](CLI::App& app) {
  auto* sub = app.add_subcommand("export", "Write a model with its weights as ONNX (opset 13, checked with the ONNX checker)");
  auto o = std::make_shared<Options>();
  sub->add_option("model", o->model, "model reference: resnet18?res=160, pattern:residual?depth=8, file.onnx")->required();
  sub->add_option("-o,--output", o->output, "the .onnx file to write")->required();
  sub->add_flag("--dynamic-batch", o->dynamic_batch, "make the batch dimension symbolic ('batch')");
  sub->add_option("--seed", o->seed, "weight seed for zoo models and patterns (default 0)");
  sub->add_option("--onnx-max-bytes", o->max_bytes, "import limit on the size of an input .onnx file");
  sub->add_option("--onnx-max-elements", o->max_elements, "import limit on the elements of one tensor of an input .onnx file");
  return [o]() { return run(*o); };
});

}  // namespace
}  // namespace fb::cli
