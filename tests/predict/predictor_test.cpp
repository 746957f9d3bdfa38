// The latency predictor's parts against independent truths: least squares against hand-solved systems,
// fitting against synthetic data with known coefficients, features against hand-computed sizes, the kernel
// split against what each backend compiles (describe() and its profile), the sampler's draw.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "backends/backend.h"
#include "core/error.h"
#include "core/rng.h"
#include "models/model_ref.h"
#include "predict/check.h"
#include "predict/features.h"
#include "predict/model.h"
#include "predict/predictor.h"
#include "predict/sample.h"
#include "study/point.h"
#include "study/spec.h"

namespace fb::predict {
namespace {

bool built(const std::string& backend) {
  const auto names = backend_names();
  return std::find(names.begin(), names.end(), backend) != names.end();
}

TEST(PredictLeastSquares, SolvesAnExactSystem) {
  // y = 2 + 3 a - b on four points: the solution is exact without a ridge.
  const std::vector<std::vector<double>> x{{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 2, 3}};
  std::vector<double> y;
  for (const auto& r : x) y.push_back(2 + 3 * r[1] - r[2]);
  const std::vector<double> b = ridge_least_squares(x, y, 0.0);
  EXPECT_NEAR(b[0], 2.0, 1e-12);
  EXPECT_NEAR(b[1], 3.0, 1e-12);
  EXPECT_NEAR(b[2], -1.0, 1e-12);
}

TEST(PredictLeastSquares, TheRidgeShrinksSlopesNotTheIntercept) {
  // Centred regressor: with ridge r the slope is sum(xy) / (sum(x^2) + r n) and the intercept the mean of y.
  const std::vector<std::vector<double>> x{{1, -1}, {1, 1}};
  const std::vector<double> y{1, 5};  // mean 3, slope 2
  const std::vector<double> b = ridge_least_squares(x, y, 0.5);
  EXPECT_NEAR(b[0], 3.0, 1e-12);
  EXPECT_NEAR(b[1], 4.0 / (2.0 + 0.5 * 2), 1e-12);
}

TEST(PredictLeastSquares, AConstantRegressorGetsNoWeight) {
  const std::vector<std::vector<double>> x{{1, 5, 1}, {1, 5, 2}, {1, 5, 3}};
  const std::vector<double> y{2, 4, 6};
  const std::vector<double> b = ridge_least_squares(x, y, 0.0);
  EXPECT_NEAR(b[0] + 5 * b[1], 0.0, 1e-9);  // the constant column is collinear with the intercept
  EXPECT_NEAR(b[2], 2.0, 1e-9);
}

// Synthetic kernels whose time is a known power law of their work and bytes, per class.
std::vector<Sample> synthetic(int n, uint64_t seed) {
  Rng r(seed);
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.features.cls = i % 2 ? "conv 1x1" : "batchnorm";
    s.features.macs = s.features.cls == "conv 1x1" ? std::exp(r.uniform(10, 20)) : 0;
    s.features.bytes_in = std::exp(r.uniform(8, 18));
    s.features.bytes_out = s.features.bytes_in;
    s.features.cin_per_group = s.features.cout = 64;
    s.features.out_elements = s.features.bytes_out / 4;
    const double log_ms = s.features.cls == "conv 1x1" ? -14 + 0.9 * std::log1p(s.features.macs)
                                                       : -12 + 0.7 * std::log1p(2 * s.features.bytes_in);
    s.ms = std::exp(log_ms);
    out.push_back(s);
  }
  return out;
}

TEST(PredictModel, RecoversKnownPowerLawsPerClass) {
  const KernelModel m = KernelModel::fit(synthetic(200, 1), 4, 1e-9);
  ASSERT_TRUE(m.knows("conv 1x1"));
  ASSERT_TRUE(m.knows("batchnorm"));
  for (const Sample& s : synthetic(40, 2))  // points it was not fitted on
    EXPECT_NEAR(m.predict_ms(s.features) / s.ms, 1.0, 1e-3) << s.features.cls;
  EXPECT_LT(m.classes().at("conv 1x1").rms_log_error, 1e-3);
}

TEST(PredictModel, AClassWithTooFewSamplesIsNotFittedAndIsNeverGuessed) {
  std::vector<Sample> s = synthetic(20, 3);
  Sample odd = s[0];
  odd.features.cls = "pooling";
  s.push_back(odd);
  const KernelModel m = KernelModel::fit(s, 4);
  EXPECT_FALSE(m.knows("pooling"));
  try {
    m.predict_ms(odd.features);
    FAIL() << "predicted an unseen class";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("never seen a 'pooling' kernel"), std::string::npos) << e.what();
  }
}

Predictor synthetic_predictor() {
  Predictor p;
  p.fitted_for = {"Test CPU", 2, {{"onednn", "2.6.3"}}, 2, 1, "fp32"};
  BackendModel b;
  b.kernels = KernelModel::fit(synthetic(100, 4));
  b.overhead_ms = 0.05;
  b.overhead_ms_per_kernel = 0.002;
  b.overhead_share = 0.1;
  b.networks = 3;
  b.kernel_samples = 100;
  p.backends["torch"] = b;
  p.sources = {"synthetic"};
  return p;
}

TEST(PredictFile, RoundTripsAndPredictsTheSame) {
  const Predictor p = synthetic_predictor();
  const std::string path = (std::filesystem::temp_directory_path() / "fb_predictor_rt.json").string();
  p.save(path);
  const Predictor q = Predictor::load(path);
  std::filesystem::remove(path);
  EXPECT_EQ(q.fitted_for.cpu_model, "Test CPU");
  EXPECT_EQ(q.fitted_for.threads, 2);
  EXPECT_EQ(q.backends.at("torch").overhead_ms, 0.05);
  for (const Sample& s : synthetic(10, 5))
    EXPECT_DOUBLE_EQ(q.backends.at("torch").kernels.predict_ms(s.features),
                     p.backends.at("torch").kernels.predict_ms(s.features));
}

TEST(PredictFile, AMalformedFileIsAnErrorNamingIt) {
  const std::string path = (std::filesystem::temp_directory_path() / "fb_predictor_bad.json").string();
  // 1e99999: a number no double holds, which the JSON parser reports apart from syntax errors (found by
  // fuzz/predictor_file_fuzzer.cpp in a coefficient)
  for (const std::string& text : {std::string("not json"), std::string("{\"format\": \"other\"}"),
                                  std::string("{\"format\": 0.1E52614}"),
                                  std::string("{\"format\": \"formbench.predictor/1\", \"fitted_for\": {}}")}) {
    std::ofstream(path) << text;
    try {
      Predictor::load(path);
      ADD_FAILURE() << "loaded " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  nlohmann::json j = synthetic_predictor().to_json();
  j["backends"]["torch"]["kernels"]["classes"]["batchnorm"]["coef"] = {1.0};
  std::ofstream(path) << j.dump();
  EXPECT_THROW(Predictor::load(path), Error);
  // A count given as a float beyond int (found by fuzzing: get<int>() of 2e53 is undefined behaviour).
  for (const nlohmann::json bad : {nlohmann::json(2e53), nlohmann::json(-1), nlohmann::json(1.5), nlohmann::json("8")}) {
    nlohmann::json k = synthetic_predictor().to_json();
    k["backends"]["torch"]["kernel_samples"] = bad;
    std::ofstream(path) << k.dump();
    try {
      Predictor::load(path);
      ADD_FAILURE() << "loaded kernel_samples = " << bad.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("\"kernel_samples\" must be a count"), std::string::npos) << e.what();
    }
  }
  std::filesystem::remove(path);
}

TEST(PredictFile, AnotherMachineVersionOrThreadCountWarns) {
  const FittedFor f{"Test CPU", 2, {{"onednn", "2.6.3"}}, 2, 1, "fp32"};
  const nlohmann::json same = {{"cpu_model", "Test CPU"}, {"logical_cpus", 2}, {"libraries", {{"onednn", "2.6.3"}}}};
  EXPECT_TRUE(mismatches(f, same, 2).empty());
  nlohmann::json other = same;
  other["cpu_model"] = "Other CPU";
  other["libraries"]["onednn"] = "3.5.3";
  const auto w = mismatches(f, other, 4);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].find("Other CPU"), std::string::npos);
  EXPECT_NE(w[1].find("3.5.3"), std::string::npos);
  EXPECT_NE(w[2].find("4"), std::string::npos);
}

TEST(PredictFeatures, AFusedConvolutionHasItsHandComputedSizes) {
  if (!built("onednn")) GTEST_SKIP() << "onednn not built";
  const Graph g = load_model("kernel:conv?cin=16&cout=32&k=3&res=8&act=relu");
  const auto exe = make_backend("onednn")->compile(g, CompileOptions{});
  const Featurizer fz(g);
  bool seen_conv = false;
  for (const LayerTime& k : exe->kernels()) {
    const KernelFeatures f = fz.features(k);
    if (k.kind == LayerKind::Reorder) {
      EXPECT_EQ(f.cls, "reorder");
      EXPECT_GT(f.bytes_in, 0);
      continue;
    }
    seen_conv = true;
    EXPECT_EQ(f.cls, "conv kxk");
    EXPECT_EQ(k.nodes, (std::vector<std::string>{"conv", "bn", "act"}));
    EXPECT_EQ(f.macs, 8.0 * 8 * 32 * 16 * 9);
    EXPECT_EQ(f.bytes_in, 16.0 * 8 * 8 * 4);
    EXPECT_EQ(f.bytes_out, 32.0 * 8 * 8 * 4);
    EXPECT_EQ(f.fused, 2);
    EXPECT_EQ(f.cin_per_group, 16);
    EXPECT_EQ(f.cout, 32);
    EXPECT_EQ(f.window, 9);
  }
  EXPECT_TRUE(seen_conv);
  LayerTime unknown{"x", "conv", 0, {"no_such_node"}, LayerKind::Compute};
  EXPECT_THROW(fz.features(unknown), Error);
}

// onednn's flatten -> linear lists the Flatten after the Linear that absorbed it: the kernel still writes the
// Linear's output.
TEST(PredictFeatures, AFusedFlattenLinearWritesTheLinearsOutput) {
  if (!built("onednn")) GTEST_SKIP() << "onednn not built";
  const Graph g = load_model("kernel:linear?in=64&out=10&res=2");
  const auto exe = make_backend("onednn")->compile(g, CompileOptions{});
  const Featurizer fz(g);
  int linears = 0;
  for (const LayerTime& k : exe->kernels()) {
    if (k.kind == LayerKind::Reorder) continue;
    const KernelFeatures f = fz.features(k);
    if (f.cls != "linear") continue;
    ++linears;
    EXPECT_EQ(k.nodes.size(), 2u);
    EXPECT_EQ(f.macs, 64.0 * 4 * 10);
    EXPECT_EQ(f.bytes_out, 10.0 * 4);
    EXPECT_EQ(f.out_elements, 10.0);
  }
  EXPECT_EQ(linears, 1);
}

TEST(PredictFeatures, AReorderIsTheSizeOfTheValueItNames) {
  const Graph g = load_model("kernel:conv?cin=16&cout=32&k=3&res=8", false);
  const Featurizer fz(g);
  const KernelFeatures f = fz.features({"input: nchw -> nChw16c (conv conv input)", "reorder", 0, {}, LayerKind::Reorder});
  EXPECT_EQ(f.bytes_in, 16.0 * 8 * 8 * 4);
}

// The split a predictor uses is what the backend compiled: as many kernels as describe() says it executes,
// every fused group one of describe()'s fusions, no node in two kernels, and the same steps its profile times.
TEST(PredictSplit, EqualsWhatTheBackendCompilesForEveryZooNetwork) {
  if (!built("onednn")) GTEST_SKIP() << "onednn not built";
  CompileOptions o;
  o.threads = 1;
  o.extra = {{"winograd", "off"}};  // Winograd's timing changes kernels, not groups; this keeps the test short
  for (const ModelEntry& e : zoo_models()) {
    Graph g;
    try {
      g = load_model(e.name + "?res=96&classes=10");
    } catch (const Error&) {  // VGG's adaptive pooling takes multiples of 224 only
      g = load_model(e.name + "?res=224&classes=10");
    }
    const auto exe = make_backend("onednn")->compile(g, o);
    const Description d = exe->describe();
    const std::vector<LayerTime> k = exe->kernels();
    EXPECT_EQ(static_cast<int64_t>(k.size()), d.ops_executed) << e.name;
    std::map<std::string, size_t> covered;  // a node with several outputs (a split) may take a primitive each
    const Featurizer fz(g);
    for (const LayerTime& s : k) {
      for (const std::string& n : s.nodes) ++covered[n];
      EXPECT_NO_THROW(fz.features(s)) << e.name << ": " << s.name;
      if (s.nodes.size() < 2 || s.kind != LayerKind::Compute) continue;
      const bool listed = std::any_of(d.fusions.begin(), d.fusions.end(),
                                      [&](const std::string& f) { return f.rfind(s.name, 0) == 0; });
      EXPECT_TRUE(listed) << e.name << ": fused kernel " << s.name << " is not among describe()'s fusions";
    }
    for (const Node& n : g.nodes)
      if (covered.count(n.name)) EXPECT_LE(covered[n.name], n.outputs.size()) << e.name << ": " << n.name;
  }
}

TEST(PredictSplit, IsTheStepListTheProfileTimes) {
  for (const std::string backend : {"torch", "onednn"}) {
    if (!built(backend)) continue;
    for (const std::string model : {"mobilenet_v2?res=32&classes=10", "densenet121?res=32&classes=10"}) {
      const Graph g = load_model(model);
      const auto exe = make_backend(backend)->compile(g, CompileOptions{});
      const std::vector<LayerTime> k = exe->kernels(), p = exe->profile_layers(make_inputs(g), 1);
      ASSERT_EQ(p.size(), k.size() + 1) << backend << " " << model;  // the profile adds its Overhead entry
      for (size_t i = 0; i < k.size(); ++i) {
        EXPECT_EQ(k[i].name, p[i].name);
        EXPECT_EQ(k[i].nodes, p[i].nodes);
        EXPECT_EQ(k[i].kind, p[i].kind);
      }
      if (backend == "torch") EXPECT_EQ(k.size(), g.nodes.size());
    }
  }
}

TEST(PredictPredict, AnUnseenKernelClassIsAnErrorNamingTheKernel) {
  if (!built("torch")) GTEST_SKIP() << "torch not built";
  const Predictor p = synthetic_predictor();  // knows conv 1x1 and batchnorm only
  const Graph g = load_model("kernel:conv?cin=8&cout=8&k=3&res=8");
  try {
    predict(p, g, "torch");
    FAIL() << "predicted a 3x3 convolution";
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("kernel 'conv'"), std::string::npos) << w;
    EXPECT_NE(w.find("never seen a 'conv kxk' kernel"), std::string::npos) << w;
  }
  try {
    predict(p, g, "onednn");
    FAIL() << "predicted a backend it has no model for";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no model for backend 'onednn' (it has: torch)"), std::string::npos) << e.what();
  }
}

TEST(PredictPredict, SumsItsKernelsAndTheTimeOutsideThem) {
  if (!built("torch")) GTEST_SKIP() << "torch not built";
  const Predictor p = synthetic_predictor();
  const Graph g = load_model("kernel:conv?cin=64&cout=128&k=1&res=14&act=none");  // conv 1x1 + BN on torch
  const Prediction x = predict(p, g, "torch");
  ASSERT_EQ(x.kernels.size(), 2u);
  double sum = 0;
  for (const auto& k : x.kernels) sum += p.backends.at("torch").kernels.predict_ms(k.kernel.features);
  EXPECT_DOUBLE_EQ(x.kernels_ms, sum);
  EXPECT_DOUBLE_EQ(x.overhead_ms, 0.05 + 2 * 0.002 + 0.1 * sum);
  EXPECT_DOUBLE_EQ(x.total_ms, sum + x.overhead_ms);
  Predictor broken = p;  // an outside-kernels term that swallows the kernels is an error, never a latency
  broken.backends.at("torch").overhead_ms = -1000;
  try {
    predict(broken, g, "torch");
    FAIL() << "predicted a non-positive latency";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("add up to"), std::string::npos) << e.what();
  }
}

TEST(PredictCheck, KendallTauOfHandCountedPairs) {
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3}, {10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3}, {30, 20, 10}), -1.0);
  // pairs (1,2) concordant, (1,3) concordant, (2,3) discordant: (2 - 1) / 3
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3}, {1, 3, 2}), 1.0 / 3.0);
}

TEST(PredictSample, TheDrawIsDeterministicLoadableAndRealSized) {
  const auto a = draw_kernels(200, 7), b = draw_kernels(200, 7), c = draw_kernels(200, 8);
  ASSERT_EQ(a.size(), 200u);
  std::set<std::string> kinds;
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].ref(), b[i].ref());
    differs = differs || a[i].ref() != c[i].ref();
    const Graph g = load_model(a[i].ref(), false);
    const GraphCost cost = graph_cost(g);
    EXPECT_LE(cost.total.macs, 600'000'000) << a[i].ref();
    for (const Node& n : g.nodes)
      if (n.op == Op::Conv2d) {
        const auto& at = n.attr<Conv2dAttrs>();
        kinds.insert(at.groups > 1 ? (at.groups == at.out_channels ? "depthwise" : "grouped")
                                   : at.kernel_h == 1 ? "1x1" : "kxk");
      } else if (n.op == Op::MaxPool || n.op == Op::AvgPool || n.op == Op::GlobalAvgPool || n.op == Op::Linear) {
        kinds.insert(op_name(n.op));
      }
  }
  EXPECT_TRUE(differs);
  for (const SampledKernel& k : a) {
    if (k.model == "kernel:eltwise") kinds.insert("eltwise");
    if (k.ref().find("pre=1") != std::string::npos) kinds.insert("pre-activation");
  }
  for (const char* k : {"1x1", "kxk", "depthwise", "grouped", "MaxPool", "AvgPool", "GlobalAvgPool", "Linear", "eltwise",
                        "pre-activation"})
    EXPECT_TRUE(kinds.count(k)) << k << " never drawn in 200";
}

TEST(PredictSample, ItsSpecProfilesEveryKernelOnEveryBackend) {
  const auto k = draw_kernels(5, 1);
  const study::Spec spec = study::parse_spec(sample_spec(k, {}), "sample");
  const auto points = study::expand(spec, study::registry_resolver());
  EXPECT_EQ(points.size(), 10u);
  for (const study::Point& p : points) {
    EXPECT_TRUE(p.measure.explain.value_or(false));
    EXPECT_EQ(p.family, "kernel");
    EXPECT_EQ(p.threads, 2);
  }
  EXPECT_EQ(points[0].model, k[0].ref());
}

TEST(KernelModels, BuildWhatTheyAreAskedAndRefuseNonsense) {
  const Graph g = load_model("kernel:conv?cin=32&cout=64&k=3&stride=2&groups=2&res=16&act=silu", false);
  const GraphCost c = graph_cost(g);
  // conv 3x3 stride 2 on 16 px: 8 x 8 outputs x 64 channels x (32 / 2) x 9
  EXPECT_EQ(c.total.macs, 8 * 8 * 64 * 16 * 9);
  EXPECT_EQ(c.total.params, 64 * 16 * 9 + 2 * 64);  // conv weights + BN scale and shift
  EXPECT_EQ(graph_cost(load_model("kernel:linear?in=512&out=10", false)).total.params, 512 * 10 + 10);
  // pre=1: the activation reads the input, the convolution reads the activation
  const Graph pre = load_model("kernel:conv?cin=8&cout=8&pre=1&act=relu6", false);
  ASSERT_EQ(pre.nodes.size(), 3u);
  EXPECT_EQ(pre.nodes[0].op, Op::Relu6);
  EXPECT_EQ(pre.nodes[1].op, Op::Conv2d);
  for (const std::string bad : {"kernel:conv?cin=30&groups=4", "kernel:conv?cin=8&cout=16&add=1",
                                "kernel:conv?act=gelu", "kernel:pool?type=median", "kernel:conv?res=2&k=3",
                                "kernel:conv?cin=8&cout=8&add=1&pre=1", "kernel:eltwise?op=tanh", "kernel:nonesuch",
                                "kernel:linear?in=1048576&out=1048576", "kernel:conv?cin=65536&cout=65536&k=15&res=16"})
    EXPECT_THROW(load_model(bad, false), Error) << bad;
}

}  // namespace
}  // namespace fb::predict
