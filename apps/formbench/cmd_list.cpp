// formbench list [ops|patterns|models|kernels|backends]
#include <iostream>

#include <fmt/format.h>

#include "backends/backend.h"
#include "command.h"
#include "core/table.h"
#include "ir/op_table.h"
#include "models/model_ref.h"

namespace fb::cli {
namespace {

void list_ops() {
  TextTable t({"op", "onnx", "inputs", "outputs"});
  for (const OpInfo& o : k_op_table)
    t.add_row({o.name, o.onnx_type, o.num_inputs < 0 ? "any" : std::to_string(o.num_inputs),
               o.num_outputs < 0 ? "attr" : std::to_string(o.num_outputs)});
  std::cout << t.str();
}

void list_models(const std::vector<ModelEntry>& list, const char* what) {
  TextTable t({what, "family", "description"});
  for (const ModelEntry& e : list) t.add_row({e.name, e.family, e.description});
  std::cout << t.str();
}

void list_backends() {
  TextTable t({"backend", "built", "about"});
  for (const BackendAvailability& a : backend_availability()) {
    std::string about = a.reason;
    if (a.built) about = make_backend(a.name)->summary();
    t.add_row({a.name, a.built ? "yes" : "no", about});
  }
  std::cout << t.str();
}

CommandRegistrar reg(10, [](CLI::App& app) {
  auto* sub = app.add_subcommand("list", "List ops, patterns, models, kernels or backends");
  auto what = std::make_shared<std::string>("all");
  sub->add_option("what", *what, "ops | patterns | models | kernels | backends (default: all)")
      ->check(CLI::IsMember({"all", "ops", "patterns", "models", "kernels", "backends"}));
  return [what]() {
    const bool all = *what == "all";
    if (all || *what == "ops") {
      if (all) std::cout << "ops:\n";
      list_ops();
    }
    if (all || *what == "patterns") {
      if (all) std::cout << "\npatterns (pattern:NAME?depth=N&width=W&res=R&batch=B):\n";
      list_models(patterns(), "pattern");
    }
    if (all || *what == "models") {
      if (all) std::cout << "\nmodels (NAME?res=R&batch=B):\n";
      list_models(zoo_models(), "model");
    }
    if (all || *what == "kernels") {
      if (all) std::cout << "\nkernels, single layers for latency samples (kernel:NAME?key=value):\n";
      list_models(kernel_models(), "kernel");
    }
    if (all || *what == "backends") {
      if (all) std::cout << "\nbackends:\n";
      list_backends();
    }
    return k_exit_ok;
  };
});

}  // namespace
}  // namespace fb::cli
