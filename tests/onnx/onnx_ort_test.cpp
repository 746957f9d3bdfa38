// Cross-runtime: our exports run in ONNX Runtime (onnxruntime-node, called through tests/onnx/ort_run.js)
// and agree with the reference backend to a relative max error of 1e-3. Without node or onnxruntime-node
// these tests fail, unless FORMBENCH_SKIP_NODE_TESTS=1 says to skip them (CI installs both).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>

#include <unistd.h>

#include "backends/compare.h"
#include "ir/cost.h"
#include "onnx/onnx_io.h"
#include "onnx_test_util.h"
#include "../registry_params.h"

namespace fb {
namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Empty when node and onnxruntime-node are usable, else why not.
std::string node_problem() {
  const std::string cmd = "cd " + shell_quote(FORMBENCH_SOURCE_DIR) +
                          " && node -e \"require('onnxruntime-node')\" > /dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 ? "" : "node or the npm package onnxruntime-node is not installed";
}

#define REQUIRE_NODE()                                                                                  \
  do {                                                                                                  \
    const std::string problem = node_problem();                                                         \
    if (!problem.empty()) {                                                                             \
      const char* skip = std::getenv("FORMBENCH_SKIP_NODE_TESTS");                                      \
      if (skip && std::string(skip) == "1") GTEST_SKIP() << problem;                                    \
      FAIL() << problem << " (run scripts/setup.sh, or set FORMBENCH_SKIP_NODE_TESTS=1 to skip)";       \
    }                                                                                                   \
  } while (0)

// Runs the exported graph in ONNX Runtime on `input` and returns its first output.
Tensor run_ort(const Graph& g, const Tensor& input, const OnnxExportOptions& opt = {}) {
  // One folder per process: ctest runs these tests in parallel processes.
  const fs::path dir = fs::temp_directory_path() / ("formbench_onnx_ort_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path model = dir / "model.onnx", in = dir / "input.f32", out = dir / "output.f32", err = dir / "err.txt";
  save_onnx(g, model.string(), opt);
  std::ofstream(in, std::ios::binary).write(reinterpret_cast<const char*>(input.data()),
                                            static_cast<std::streamsize>(input.numel() * sizeof(float)));
  std::string dims;
  for (int64_t d : input.shape()) dims += (dims.empty() ? "" : "x") + std::to_string(d);
  const std::string cmd = "node " + shell_quote(std::string(FORMBENCH_SOURCE_DIR) + "/tests/onnx/ort_run.js") + " " +
                          shell_quote(model.string()) + " " + shell_quote(in.string()) + " " + dims + " " +
                          shell_quote(out.string()) + " 2> " + shell_quote(err.string());
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw Error("cannot start node");
  char buf[256] = {0};
  std::string shape_text;
  while (fgets(buf, sizeof buf, p)) shape_text += buf;
  const int rc = pclose(p);
  if (rc != 0) {
    std::ifstream e(err);
    throw Error("onnxruntime failed on " + g.name + ": " + std::string(std::istreambuf_iterator<char>(e), {}));
  }
  Shape shape;
  for (size_t pos = 0; pos < shape_text.size();) {
    size_t end = shape_text.find_first_of("x\n", pos);
    if (end == std::string::npos) end = shape_text.size();
    if (end > pos) shape.push_back(std::stoll(shape_text.substr(pos, end - pos)));
    pos = end + 1;
  }
  Tensor t(shape);
  std::ifstream o(out, std::ios::binary);
  o.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(t.numel() * sizeof(float)));
  if (!o || o.peek() != EOF) throw Error("onnxruntime's output for " + g.name + " does not have shape " + shape_str(shape));
  return t;
}

void expect_agree(const Graph& g, const OnnxExportOptions& opt = {}, int64_t run_batch = 0) {
  SCOPED_TRACE(g.name);
  Graph ref_graph = g;
  if (run_batch > 0) set_batch(ref_graph, run_batch);
  const std::vector<Tensor> in = make_inputs(ref_graph, 17);
  const Tensor want = onnx_test::run_reference(ref_graph, in)[0];
  const Tensor got = run_ort(g, in[0], opt);
  ASSERT_EQ(got.shape(), want.shape());
  const Agreement a = compare_outputs(want, got, 1e-3);
  EXPECT_LE(a.rel_max_error, 1e-3) << a.summary();
  EXPECT_TRUE(a.passed(1e-3)) << a.summary();
}

// One test per zoo model; a model too large for the reference at its smallest resolution skips, saying so.
class OnnxOrtZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxOrtZoo, AgreesWithReference) {
  REQUIRE_NODE();
  Graph g = onnx_test::build_small(GetParam(), 2, "&batch=2");
  const int64_t macs = graph_cost(g).total.macs;
  if (macs > onnx_test::k_reference_mac_budget)
    GTEST_SKIP() << GetParam() << ": " << macs << " MACs at its smallest resolution, above the reference's budget of "
                 << onnx_test::k_reference_mac_budget;
  expect_agree(g);
}

INSTANTIATE_TEST_SUITE_P(Registry, OnnxOrtZoo, ::testing::ValuesIn(test::zoo_names()), test::param_name);

TEST(OnnxOrt, MostZooModelsFitTheReferenceBudget) {
  int too_large = 0;
  for (const ModelEntry& e : zoo_models())
    too_large += graph_cost(onnx_test::build_small(e.name, 2, "&batch=2")).total.macs > onnx_test::k_reference_mac_budget;
  EXPECT_LT(too_large, static_cast<int>(zoo_models().size()) / 4) << "zoo models skipped by OnnxOrtZoo: " << too_large;
}

TEST(OnnxOrt, EveryOpAgrees) {
  REQUIRE_NODE();
  expect_agree(onnx_test::every_op_graph());
}

TEST(OnnxOrt, DynamicBatchRunsAtAnotherBatch) {
  REQUIRE_NODE();
  OnnxExportOptions opt;
  opt.dynamic_batch = true;
  expect_agree(load_model("resnet18?res=32&batch=1", true, 4), opt, 3);
}

}  // namespace
}  // namespace fb
