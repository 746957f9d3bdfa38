// The cudnn backend as users see it: listed (or its absence explained), clear errors without a GPU, and
// on a GPU, agreement with the reference backend at every precision (fp32 <= 1e-3, tf32 <= 1e-2,
// fp16 <= 5e-2, top-1 identical unless ambiguous). GPU tests skip with the reason where there is none.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/compare.h"
#include "ir/builder.h"
#include "models/model_ref.h"
#include "kernel_ops_graph.h"
#include "../registry_params.h"

namespace fb {
namespace {

bool cudnn_built() {
  const auto names = backend_names();
  return std::find(names.begin(), names.end(), "cudnn") != names.end();
}

// "" when a GPU is usable, else why not.
std::string no_gpu_reason() {
  if (!cudnn_built()) return "cudnn backend not built";
  const nlohmann::json d = make_backend("cudnn")->diagnostics(CompileOptions{});
  if (d["devices"].empty()) return d.value("no_device_reason", std::string("no CUDA device"));
  return "";
}

#define FB_REQUIRE_GPU()                                \
  do {                                                  \
    const std::string why_ = no_gpu_reason();           \
    if (!why_.empty()) GTEST_SKIP() << why_;            \
  } while (0)

Graph tiny() {
  GraphBuilder b("tiny");
  ValueId x = b.input("x", {1, 3, 8, 8});
  b.output(b.relu(b.conv(x, {.out = 4, .k = 3})));
  Graph g = b.finish();
  materialize_weights(g, 1);
  return g;
}

CompileOptions on_gpu(Precision p = Precision::F32, std::map<std::string, std::string> extra = {}) {
  CompileOptions o;
  o.device = "cuda";
  o.precision = p;
  o.extra = std::move(extra);
  return o;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CudnnBackend, ListedOrItsAbsenceExplained) {
  const auto avail = backend_availability();
  auto it = std::find_if(avail.begin(), avail.end(), [](const BackendAvailability& a) { return a.name == "cudnn"; });
  ASSERT_NE(it, avail.end()) << "cudnn must always appear in `formbench list backends`";
#ifdef FORMBENCH_HAVE_CUDNN
  EXPECT_TRUE(it->built);
  EXPECT_TRUE(cudnn_built());
  EXPECT_NE(it->reason.find("cuDNN 9"), std::string::npos) << it->reason;
#else
  EXPECT_FALSE(it->built);
  EXPECT_FALSE(it->reason.empty());
  EXPECT_NE(error_of([] { make_backend("cudnn"); }).find("cudnn is not built into this binary"), std::string::npos);
#endif
}

TEST(CudnnBackend, OptionErrorsNeedNoGpu) {
  if (!cudnn_built()) GTEST_SKIP() << "cudnn backend not built";
  auto b = make_backend("cudnn");
  CompileOptions cpu;
  EXPECT_NE(error_of([&] { b->compile(tiny(), cpu); }).find("runs on CUDA devices only"), std::string::npos);
  EXPECT_NE(error_of([&] { b->compile(tiny(), on_gpu(Precision::BF16)); }).find("does not implement bf16"), std::string::npos);
  EXPECT_NE(error_of([&] { b->compile(tiny(), on_gpu(Precision::F32, {{"nope", "1"}})); }).find("has no option 'nope'"),
            std::string::npos);
}

TEST(CudnnBackend, NoDeviceIsAClearError) {
  if (!cudnn_built()) GTEST_SKIP() << "cudnn backend not built";
  if (no_gpu_reason().empty()) GTEST_SKIP() << "a GPU is present";
  const std::string e = error_of([] { make_backend("cudnn")->compile(tiny(), on_gpu()); });
  EXPECT_NE(e.find("backend 'cudnn': no CUDA device"), std::string::npos) << e;
}

// ---- on a GPU ----

struct GpuRun {
  Agreement a;
  Description d;
};

GpuRun against_reference(const Graph& g, const CompileOptions& o, double tol) {
  auto exe = make_backend("cudnn")->compile(g, o);
  const auto inputs = make_inputs(g, 5);
  std::vector<Tensor> got, want;
  exe->run(inputs, got);
  exe->run(inputs, got);  // a second run (graph replay) must give the same answer
  make_backend("reference")->compile(g, CompileOptions{})->run(inputs, want);
  return {compare_outputs(want.at(0), got.at(0), tol), exe->describe()};
}

Graph load_first(const std::vector<std::string>& refs) {
  std::string why;
  for (const auto& r : refs) {
    try {
      return load_model(r);
    } catch (const Error& e) {
      why = e.what();
    }
  }
  throw Error(why);
}

class CudnnGpuPatterns : public ::testing::TestWithParam<std::string> {};

TEST_P(CudnnGpuPatterns, AgreeInFp32) {
  FB_REQUIRE_GPU();
  const std::string name = GetParam();
  for (int batch : {1, 3}) {
    SCOPED_TRACE(fmt::format("{} batch {}", name, batch));
    Graph g = load_first({fmt::format("pattern:{}?depth=3&width=16&res=32&batch={}", name, batch),
                          fmt::format("pattern:{}?depth=3&width=64&res=32&batch={}", name, batch)});
    GpuRun r = against_reference(g, on_gpu(), 1e-3);
    EXPECT_TRUE(r.a.passed(1e-3)) << r.a.summary() << "\n" << r.d.summary();
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, CudnnGpuPatterns, ::testing::ValuesIn(test::pattern_names()), test::param_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CudnnGpuPatterns);

class CudnnGpuZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(CudnnGpuZoo, AgreesInFp32) {
  FB_REQUIRE_GPU();
  const std::string name = GetParam();
  if (name.rfind("vgg", 0) == 0) GTEST_SKIP() << "224 px only: the reference is too slow";
  for (int batch : {1, 2}) {
    SCOPED_TRACE(fmt::format("{} batch {}", name, batch));
    Graph g = load_first({fmt::format("{}?res=32&batch={}&classes=100", name, batch),
                          fmt::format("{}?res=64&batch={}&classes=100", name, batch),
                          fmt::format("{}?res=75&batch={}&classes=100", name, batch)});
    // Batch 2 with the heuristic algorithm choice: both paths checked, and the device check stays short.
    GpuRun r = against_reference(g, batch == 1 ? on_gpu() : on_gpu(Precision::F32, {{"find", "heuristic"}}), 1e-3);
    EXPECT_TRUE(r.a.passed(1e-3)) << r.a.summary() << "\n" << r.d.summary();
    EXPECT_EQ(r.a.top1_agree + r.a.top1_ambiguous, r.a.rows) << r.a.summary();
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, CudnnGpuZoo, ::testing::ValuesIn(test::zoo_names()), test::param_name);

TEST(CudnnGpu, Tf32AndFp16WithinTheirTolerances) {
  FB_REQUIRE_GPU();
  for (const char* ref : {"resnet18?res=64&batch=2&classes=100", "mobilenet_v3_large?res=64&batch=2&classes=100",
                          "densenet121?res=32&batch=1&classes=100", "pattern:residual?depth=4&width=32&res=32"}) {
    SCOPED_TRACE(ref);
    Graph g = load_first({ref});
    for (auto [p, tol] : {std::pair{Precision::TF32, 1e-2}, std::pair{Precision::F16, 5e-2}}) {
      GpuRun r = against_reference(g, on_gpu(p), tol);
      EXPECT_TRUE(r.a.passed(tol)) << precision_name(p) << ": " << r.a.summary();
      EXPECT_TRUE(std::any_of(r.d.notes.begin(), r.d.notes.end(),
                              [&](const std::string& n) { return n.find(std::string("precision ") + precision_name(p)) == 0; }));
    }
  }
}

TEST(CudnnGpu, OptionsChangeHowNotWhat) {
  FB_REQUIRE_GPU();
  Graph g = load_first({"densenet121?res=32&batch=1&classes=100"});
  const auto inputs = make_inputs(g, 2);
  auto run = [&](std::map<std::string, std::string> extra) {
    std::vector<Tensor> out;
    make_backend("cudnn")->compile(g, on_gpu(Precision::F32, std::move(extra)))->run(inputs, out);
    return out.at(0);
  };
  const Tensor base = run({});
  for (auto extra : std::vector<std::map<std::string, std::string>>{
           {{"graph", "off"}}, {{"fuse", "off"}}, {{"views", "off"}}, {{"find", "heuristic"}}}) {
    const Agreement a = compare_outputs(base, run(extra), 1e-4);
    EXPECT_TRUE(a.passed(1e-4)) << extra.begin()->first << ": " << a.summary();
  }
}

TEST(CudnnGpu, ResidentRunsMatchRunAndAreDeviceTimed) {
  FB_REQUIRE_GPU();
  Graph g = load_first({"resnet18?res=64&batch=2&classes=100"});
  auto exe = make_backend("cudnn")->compile(g, on_gpu());
  ASSERT_TRUE(exe->resident());
  const auto inputs = make_inputs(g, 4);
  std::vector<Tensor> a, b;
  exe->run(inputs, a);
  EXPECT_GT(exe->last_device_ms(), 0.0);
  exe->upload(inputs);
  exe->run_resident();
  EXPECT_GT(exe->last_device_ms(), 0.0);
  exe->fetch(b);
  EXPECT_EQ(compare_outputs(a.at(0), b.at(0), 0).max_abs_error, 0.0);
  const Description d = exe->describe();
  EXPECT_TRUE(std::any_of(d.notes.begin(), d.notes.end(), [](const std::string& n) { return n.find("one CUDA Graph") != std::string::npos; }))
      << d.summary();
  EXPECT_FALSE(d.fusions.empty());
  EXPECT_GT(d.arena_bytes, 0);
  EXPECT_FALSE(exe->profile_layers(inputs, 2).empty());
}

TEST(CudnnGpu, SingleOpsIncludingTheKernels) {
  FB_REQUIRE_GPU();
  // Ops that take the hand-written kernels or unusual cuDNN paths, at batch 2 (split/concat as copies).
  const Graph g = test::kernel_ops_graph(2);
  for (auto [prec, tol] : {std::pair{Precision::F32, 1e-3}, std::pair{Precision::F16, 5e-2}}) {
    GpuRun r = against_reference(g, on_gpu(prec), tol);
    EXPECT_TRUE(r.a.passed(tol)) << precision_name(prec) << ": " << r.a.summary() << "\n" << r.d.summary();
  }
}

}  // namespace
}  // namespace fb
