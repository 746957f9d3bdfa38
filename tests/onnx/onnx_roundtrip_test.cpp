// Export then import every zoo model and pattern: the same graph (ops, names, cost) and bit-identical outputs
// on the reference backend.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>

#include "ir/builder.h"
#include "ir/cost.h"
#include "models/model_ref.h"
#include "onnx/onnx_io.h"
#include "onnx_test_util.h"
#include "../registry_params.h"

namespace fb {
namespace {

using onnx_test::build_small;

// Returns false when the model was too large to run on the reference (compared structurally only).
bool expect_round_trip(const Graph& g) {
  SCOPED_TRACE(g.name);
  const std::string bytes = export_onnx(g);
  Graph h = import_onnx_bytes(bytes, {}, g.name + ".onnx");
  EXPECT_EQ(h.nodes.size(), g.nodes.size());
  if (h.nodes.size() != g.nodes.size()) return true;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    EXPECT_EQ(h.nodes[i].name, g.nodes[i].name);
    EXPECT_EQ(h.nodes[i].op, g.nodes[i].op) << g.nodes[i].name;
  }
  const GraphCost a = graph_cost(g), b = graph_cost(h);
  EXPECT_EQ(b.total.macs, a.total.macs);
  EXPECT_EQ(b.total.flops, a.total.flops);
  EXPECT_EQ(b.total.params, a.total.params);
  EXPECT_EQ(b.total.weight_bytes, a.total.weight_bytes);
  EXPECT_EQ(b.peak_activation_bytes, a.peak_activation_bytes);
  EXPECT_EQ(b.total_activation_bytes, a.total_activation_bytes);
  // Exporting the imported graph gives the same bytes: every attribute, weight, name and shape survived.
  h.name = g.name;
  EXPECT_TRUE(export_onnx(h) == bytes) << "re-export differs";
  if (a.total.macs > onnx_test::k_reference_mac_budget) return false;
  const std::vector<Tensor> in = make_inputs(g, 11);
  const std::vector<Tensor> ya = onnx_test::run_reference(g, in), yb = onnx_test::run_reference(h, in);
  EXPECT_EQ(ya.size(), yb.size());
  for (size_t k = 0; k < std::min(ya.size(), yb.size()); ++k) {
    EXPECT_EQ(ya[k].shape(), yb[k].shape());
    if (ya[k].shape() != yb[k].shape()) continue;
    int64_t differ = 0;
    for (int64_t i = 0; i < ya[k].numel(); ++i) differ += ya[k][i] != yb[k][i];
    EXPECT_EQ(differ, 0) << "output " << k << " differs in " << differ << " elements";
  }
  return true;
}

// One test per zoo model and per pattern. A model too large for the reference is compared structurally only,
// and says so.
void round_trip(const std::string& ref) {
  if (!expect_round_trip(build_small(ref, 5)))
    std::cout << ref << ": compared structurally only (too large for the reference)\n";
}

class OnnxRoundTripZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxRoundTripZoo, ExportImportIsIdentity) { round_trip(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Registry, OnnxRoundTripZoo, ::testing::ValuesIn(test::zoo_names()), test::param_name);

class OnnxRoundTripPatterns : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxRoundTripPatterns, ExportImportIsIdentity) { round_trip("pattern:" + GetParam()); }

INSTANTIATE_TEST_SUITE_P(Registry, OnnxRoundTripPatterns, ::testing::ValuesIn(test::pattern_names()), test::param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OnnxRoundTripPatterns);

TEST(OnnxRoundTrip, RegistriesAreNotEmpty) {
  EXPECT_FALSE(zoo_models().empty());
  EXPECT_FALSE(patterns().empty());
}

// Every IR op, including the composites (SiLU, HardSwish, ReLU6, ChannelShuffle, Split, Linear).
TEST(OnnxRoundTrip, EveryOp) {
  Graph g = onnx_test::every_op_graph();
  expect_round_trip(g);
}

TEST(OnnxRoundTrip, DynamicBatch) {
  Graph g = load_model("resnet18?res=32&batch=2", true, 1);
  OnnxExportOptions eo;
  eo.dynamic_batch = true;
  const std::string bytes = export_onnx(g, eo);
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(bytes));
  EXPECT_EQ(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(m.graph().output(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  OnnxImportOptions io;
  io.batch = 3;
  Graph h = import_onnx_bytes(bytes, io, "dyn.onnx");
  EXPECT_EQ(h.value(h.inputs[0]).shape, (Shape{3, 3, 32, 32}));
  EXPECT_EQ(h.value(h.outputs[0]).shape, (Shape{3, 1000}));
}

TEST(OnnxRoundTrip, NamesAndOpsetInFile) {
  Graph g = load_model("resnet18?res=32", true, 1);
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(export_onnx(g)));
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 13);
  bool found_node = false, found_weight = false;
  for (const auto& n : m.graph().node()) found_node = found_node || n.name() == "layer2.0.downsample.0";
  for (const auto& t : m.graph().initializer()) found_weight = found_weight || t.name() == "layer2.0.conv1.weight";
  EXPECT_TRUE(found_node);
  EXPECT_TRUE(found_weight);
}

// The CLI: export, then any command reads the .onnx file as a model.
TEST(OnnxCli, ExportThenInspect) {
  const auto dir = std::filesystem::temp_directory_path() / "formbench_onnx_cli";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "r18.onnx").string();
  const std::string cli = FORMBENCH_CLI_PATH;
  ASSERT_EQ(std::system((cli + " export 'resnet18?res=32' -o " + file + " > /dev/null").c_str()), 0);
  Graph g = load_model(file);
  EXPECT_EQ(graph_cost(g).total.params, 11689512);  // torchvision's published count
  Graph b4 = load_model(file + "?batch=4");
  EXPECT_EQ(b4.batch(), 4);
  const std::string out = (dir / "inspect.txt").string();
  ASSERT_EQ(std::system((cli + " inspect " + file + " > " + out).c_str()), 0);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("11,689,512"), std::string::npos) << text;
  // A too-small size limit is a clean error (exit code 1), not a crash.
  EXPECT_EQ(WEXITSTATUS(std::system((cli + " inspect '" + file + "?max_bytes=1000' 2> /dev/null").c_str())), 1);
}

}  // namespace
}  // namespace fb
