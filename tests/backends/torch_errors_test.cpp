// Options the LibTorch backends cannot honour, bad inputs, the BLAS start-up decision, diagnostics and
// describe(): each must say what is wrong or what happened, never ignore it silently.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "backends/torch/blas_tuning.h"
#include "ir/builder.h"
#include "torch_test_util.h"

namespace fb {
namespace {

Graph small_net() {
  GraphBuilder b("small_net");
  ValueId x = b.input("input", {1, 3, 16, 16});
  x = b.relu(b.batch_norm(b.conv(x, {.out = 16, .k = 3}, "conv1"), "bn1"), "relu");
  b.output(b.linear(b.flatten(b.global_avg_pool(x)), 10, "fc"));
  Graph g = b.finish();
  materialize_weights(g, 1);
  return g;
}

std::string compile_error(const std::string& backend, const Graph& g, const CompileOptions& opt) {
  try {
    make_backend(backend)->compile(g, opt);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class TorchErrors : public ::testing::TestWithParam<std::string> {};

// bf16 on the cpu: eager converts weights and inputs as a PyTorch user would and says so; TorchScript's
// frozen module stays fp32 and refuses it.
TEST_P(TorchErrors, Bf16OnTheCpuIsEagerOnly) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  CompileOptions opt;
  opt.precision = Precision::BF16;
  const std::string msg = compile_error(GetParam(), small_net(), opt);
  if (GetParam() == "torch") {
    EXPECT_EQ(msg, "");
    auto exe = make_backend("torch")->compile(small_net(), opt);
    const auto notes = exe->describe().notes;
    EXPECT_TRUE(std::any_of(notes.begin(), notes.end(),
                            [](const std::string& n) { return n.find("cpu bf16: weights and inputs as bfloat16") == 0; }));
    return;
  }
  EXPECT_NE(msg.find("fp32 only"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bf16"), std::string::npos) << msg;
  EXPECT_NE(msg.find(GetParam()), std::string::npos) << msg;
}

TEST_P(TorchErrors, RefusesUnknownDeviceAndOption) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  CompileOptions opt;
  opt.device = "tpu";
  EXPECT_NE(compile_error(GetParam(), small_net(), opt).find("no device 'tpu'"), std::string::npos);
  opt.device = "cpu";
  opt.extra["fuse"] = "off";
  const std::string msg = compile_error(GetParam(), small_net(), opt);
  EXPECT_NE(msg.find("no option 'fuse'"), std::string::npos) << msg;
  opt.extra.clear();
  opt.threads = 0;
  EXPECT_NE(compile_error(GetParam(), small_net(), opt).find("threads"), std::string::npos);
}

TEST_P(TorchErrors, CudaWithoutCudaSaysSo) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  CompileOptions opt;
  opt.device = "cuda";
  const std::string msg = compile_error(GetParam(), small_net(), opt);
  if (msg.empty()) GTEST_SKIP() << "this LibTorch has CUDA and sees a GPU";
  EXPECT_NE(msg.find(GetParam() + ": --device cuda needs a CUDA-enabled LibTorch and a GPU (this LibTorch: "),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("CUDA available: no)"), std::string::npos) << msg;
  opt.device = "cuda:1";
  EXPECT_NE(compile_error(GetParam(), small_net(), opt).find("--device cuda:1 needs"), std::string::npos);
}

// tf32 and fp16 are GPU precisions: the cpu says so instead of computing fp32 under another name.
TEST_P(TorchErrors, CpuRefusesReducedPrecisionsAndPointsToCuda) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  for (Precision p : {Precision::TF32, Precision::F16}) {
    CompileOptions opt;
    opt.precision = p;
    const std::string msg = compile_error(GetParam(), small_net(), opt);
    const std::string can = GetParam() == "torch" ? "fp32, bf16 or int8" : "fp32 only";
    EXPECT_NE(msg.find(can + " on the cpu, not " + precision_name(p)), std::string::npos) << msg;
    EXPECT_NE(msg.find("need --device cuda"), std::string::npos) << msg;
  }
}

TEST_P(TorchErrors, WrongInputShapeNamesTheInput) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  Graph g = small_net();
  auto exe = make_backend(GetParam())->compile(g, {});
  std::vector<Tensor> out;
  try {
    exe->run({Tensor({1, 3, 8, 8})}, out);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input 'input' must be 1x3x16x16, got 1x3x8x8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(exe->run({}, out), Error);
}

TEST_P(TorchErrors, NoWeightsIsAnError) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  GraphBuilder b("unweighted");
  b.output(b.conv(b.input("input", {1, 3, 8, 8}), {.out = 4, .k = 3}));
  Graph g = b.finish();
  EXPECT_NE(compile_error(GetParam(), g, {}).find("no weights"), std::string::npos);
}

TEST_P(TorchErrors, SupportsEveryOpOfTheTable) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  auto backend = make_backend(GetParam());
  Graph g;
  for (const OpInfo& info : k_op_table) {
    Node n;
    n.name = std::string("n_") + info.name;
    n.op = info.op;
    EXPECT_TRUE(backend->supports(g, n, {}).ok) << info.name;
  }
}

TEST_P(TorchErrors, DiagnosticsReportTheBlasAndItsGemmRate) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  CompileOptions opt;
  opt.threads = 1;
  const nlohmann::json d = make_backend(GetParam())->diagnostics(opt);
  ASSERT_TRUE(d.contains("gemm_gflops")) << d.dump();
  EXPECT_GT(d["gemm_gflops"].get<double>(), 0.0);
  EXPECT_TRUE(d["warnings"].is_array());
  EXPECT_FALSE(d["blas_tuning"].get<std::string>().empty());
  const std::string lib = d["blas_library"].get<std::string>();
  if (lib.find("openblas") != std::string::npos) {
    EXPECT_EQ(d["blas"], "openblas") << d.dump();
  }
  if (d.contains("onednn_gemm_gflops")) {
    EXPECT_GT(d["onednn_gemm_gflops"].get<double>(), 0.0);
  }
}

TEST_P(TorchErrors, DescribeCountsWork) {
  FB_SKIP_UNLESS_BUILT(GetParam());
  Graph g = small_net();
  const Description d = make_backend(GetParam())->compile(g, {})->describe();
  EXPECT_EQ(d.backend, GetParam());
  EXPECT_GT(d.ops_executed, 0);
  EXPECT_GT(d.naive_activation_bytes, 0);
  if (GetParam() == "torch") {
    EXPECT_EQ(d.ops_executed, 6);  // conv2d, batch_norm, relu_, adaptive_avg_pool2d, flatten, linear
  } else {
    // freeze folds the BatchNorm into the convolution: PyTorch's own optimisation is really applied.
    ASSERT_FALSE(d.fusions.empty());
    EXPECT_NE(d.fusions[0].find("1 BatchNorm folded"), std::string::npos) << d.fusions[0];
    ASSERT_FALSE(d.notes.empty());
    EXPECT_EQ(d.notes[0].find("aten::batch_norm"), std::string::npos) << d.notes[0];
  }
}

INSTANTIATE_TEST_SUITE_P(Both, TorchErrors, ::testing::Values("torch", "torchscript"));

TEST(TorchEager, ProfileLayersTimesEveryNode) {
  FB_SKIP_UNLESS_BUILT("torch");
  Graph g = small_net();
  auto exe = make_backend("torch")->compile(g, {});
  const auto layers = exe->profile_layers(make_inputs(g), 2);
  ASSERT_EQ(layers.size(), g.nodes.size() + 1);  // one step per node, then the time between the calls
  EXPECT_EQ(layers[0].name, "conv1");
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    EXPECT_EQ(layers[i].nodes, std::vector<std::string>{g.nodes[i].name});
    EXPECT_EQ(layers[i].kind, LayerKind::Compute);
  }
  EXPECT_EQ(layers.back().kind, LayerKind::Overhead);
  EXPECT_TRUE(layers.back().nodes.empty());
  for (const LayerTime& l : layers) EXPECT_GE(l.ms, 0.0);
}

// FORMBENCH_TRACE_ATEN lists the ATen calls of each inference: the top level must be exactly the calls
// docs/native_backend.md promises for conv-BN-ReLU-pool-flatten-linear (plus the output copy), with the
// nested calls LibTorch makes below them.
TEST(TorchEager, AtenTraceListsTheCallsOfEachInference) {
  FB_SKIP_UNLESS_BUILT("torch");
  const std::string path = ::testing::TempDir() + "formbench_aten_trace.jsonl";
  std::remove(path.c_str());
  ::setenv("FORMBENCH_TRACE_ATEN", path.c_str(), 1);
  Graph g = small_net();
  auto exe = make_backend("torch")->compile(g, {});
  ::unsetenv("FORMBENCH_TRACE_ATEN");
  std::vector<Tensor> out;
  exe->run(make_inputs(g), out);
  exe->run(make_inputs(g), out);
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::vector<std::string> top;
  int walls = 0, nested = 0;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("wall_us")) {
      ++walls;
      EXPECT_EQ(j["model"], "small_net");
    } else if (j["run"] == 0) {
      if (j["depth"] == 0) top.push_back(j["op"].get<std::string>());
      else ++nested;
    }
  }
  EXPECT_EQ(walls, 2);
  const std::vector<std::string> want = {"aten::conv2d", "aten::batch_norm", "aten::relu_",
                                         "aten::adaptive_avg_pool2d", "aten::flatten", "aten::linear", "aten::to"};
  EXPECT_EQ(top, want);
  EXPECT_GT(nested, 6);  // e.g. conv2d -> convolution -> _convolution -> a kernel
  std::remove(path.c_str());
}

// The start-up decision, as a pure function.
using torch_blas::decide;
using torch_blas::TuningInputs;

TuningInputs slow_openblas_on_avx512() {
  TuningInputs in;
  in.cpu_avx512 = true;
  in.openblas_core = "Haswell";
  return in;
}

TEST(TorchBlasTuning, SetsSkylakeXWhenOpenBlasMissesAvx512) {
  const auto d = decide(slow_openblas_on_avx512());
  EXPECT_TRUE(d.reexec);
  EXPECT_EQ(d.coretype, "SKYLAKEX");
  EXPECT_NE(d.reason.find("Haswell"), std::string::npos) << d.reason;
  EXPECT_FALSE(d.warn);
}

TEST(TorchBlasTuning, LeavesAUserChoiceAlone) {
  auto in = slow_openblas_on_avx512();
  in.user_coretype = "ZEN";
  const auto d = decide(in);
  EXPECT_FALSE(d.reexec);  // also what stops a re-executed process from re-executing again
  EXPECT_NE(d.reason.find("ZEN"), std::string::npos);
}

TEST(TorchBlasTuning, CanBeDisabledButThenWarns) {
  auto in = slow_openblas_on_avx512();
  in.disabled = true;
  const auto d = decide(in);
  EXPECT_FALSE(d.reexec);
  EXPECT_TRUE(d.warn);
  EXPECT_NE(d.reason.find("FORMBENCH_NO_BLAS_TUNING"), std::string::npos);
}

TEST(TorchBlasTuning, NothingToDoWithoutAvx512OrOpenBlasOrWhenRecognised) {
  auto in = slow_openblas_on_avx512();
  in.cpu_avx512 = false;
  EXPECT_FALSE(decide(in).reexec);
  in = slow_openblas_on_avx512();
  in.openblas_core.reset();
  EXPECT_FALSE(decide(in).reexec);
  EXPECT_NE(decide(in).reason.find("not OpenBLAS"), std::string::npos);
  for (const char* core : {"SkylakeX", "Cooperlake", "SapphireRapids"}) {
    in = slow_openblas_on_avx512();
    in.openblas_core = core;
    EXPECT_FALSE(decide(in).reexec) << core;
    EXPECT_FALSE(decide(in).warn) << core;
  }
}

TEST(TorchBlasTuning, UnderValgrindKeepsOpenBlasChoiceAndWarnsAboutAvx512) {
  auto in = slow_openblas_on_avx512();
  in.under_valgrind = true;
  auto d = decide(in);
  EXPECT_FALSE(d.reexec);  // valgrind has no AVX-512: SKYLAKEX kernels would die with SIGILL
  EXPECT_FALSE(d.warn);
  in.user_coretype = "SKYLAKEX";
  d = decide(in);
  EXPECT_FALSE(d.reexec);
  EXPECT_TRUE(d.warn);
  EXPECT_NE(d.reason.find("SIGILL"), std::string::npos) << d.reason;
}

}  // namespace
}  // namespace fb
