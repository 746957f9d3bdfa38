// gpu_graph_dump MODEL [MODEL...] --out DIR: writes each model's graph (values with shapes, nodes with ops,
// attributes and parameter shapes; no weights) as DIR/<index>.json, so bench/gpu/torch_eager.py can run the
// very same network in Python PyTorch (eager and as a CUDA Graph) on the GPU machine.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/model_ref.h"

namespace {

nlohmann::json attrs_json(const fb::Node& n) {
  using nlohmann::json;
  switch (n.op) {
    case fb::Op::Conv2d: {
      const auto& a = n.attr<fb::Conv2dAttrs>();
      return {{"kernel", {a.kernel_h, a.kernel_w}}, {"stride", {a.stride_h, a.stride_w}},
              {"pad", {a.pad_top, a.pad_left, a.pad_bottom, a.pad_right}}, {"dilation", {a.dilation_h, a.dilation_w}},
              {"groups", a.groups}, {"bias", a.bias}, {"out_channels", a.out_channels}};
    }
    case fb::Op::BatchNorm: return {{"eps", n.attr<fb::BatchNormAttrs>().eps}};
    case fb::Op::MaxPool: case fb::Op::AvgPool: {
      const auto& a = n.attr<fb::PoolAttrs>();
      return {{"kernel", {a.kernel_h, a.kernel_w}}, {"stride", {a.stride_h, a.stride_w}},
              {"pad", {a.pad_top, a.pad_left, a.pad_bottom, a.pad_right}}, {"ceil_mode", a.ceil_mode},
              {"count_include_pad", a.count_include_pad}};
    }
    case fb::Op::HardSigmoid: return {{"alpha", n.attr<fb::HardSigmoidAttrs>().alpha}, {"beta", n.attr<fb::HardSigmoidAttrs>().beta}};
    case fb::Op::Linear: return {{"out_features", n.attr<fb::LinearAttrs>().out_features}, {"bias", n.attr<fb::LinearAttrs>().bias}};
    case fb::Op::Concat: case fb::Op::Softmax: case fb::Op::Flatten: return {{"axis", n.attr<fb::AxisAttrs>().axis}};
    case fb::Op::Split: return {{"sizes", n.attr<fb::SplitAttrs>().sizes}};
    case fb::Op::ChannelShuffle: return {{"groups", n.attr<fb::ChannelShuffleAttrs>().groups}};
    default: return json::object();
  }
}

nlohmann::json graph_json(const std::string& ref, const fb::Graph& g) {
  nlohmann::json j;
  j["model"] = ref;
  j["name"] = g.name;
  j["inputs"] = g.inputs;
  j["outputs"] = g.outputs;
  j["values"] = nlohmann::json::array();
  for (const fb::Value& v : g.values) j["values"].push_back({{"name", v.name}, {"shape", v.shape}});
  j["nodes"] = nlohmann::json::array();
  for (const fb::Node& n : g.nodes) {
    nlohmann::json params = nlohmann::json::object();
    for (const fb::Param& p : n.params) params[p.name] = p.tensor.shape();
    j["nodes"].push_back({{"name", n.name}, {"op", fb::op_name(n.op)}, {"inputs", n.inputs}, {"outputs", n.outputs},
                          {"attrs", attrs_json(n)}, {"params", params}});
  }
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> models;
  std::string out = ".";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) out = argv[++i];
    else models.push_back(a);
  }
  if (models.empty()) {
    std::fprintf(stderr, "usage: gpu_graph_dump MODEL [MODEL...] --out DIR\n");
    return 2;
  }
  int failed = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    try {
      const fb::Graph g = fb::load_model(models[i], /*with_weights=*/false);
      std::ofstream f(out + "/" + std::to_string(i) + ".json");
      f << graph_json(models[i], g).dump() << "\n";
    } catch (const fb::Error& e) {
      std::fprintf(stderr, "gpu_graph_dump: %s: %s\n", models[i].c_str(), e.what());
      ++failed;
    }
  }
  return failed == 0 ? 0 : 1;
}
