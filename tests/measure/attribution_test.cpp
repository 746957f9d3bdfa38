// The attribution of a speedup (attribution.h): hand-computed parts from synthetic profiles, and through the
// whole measured path (`explain`: interleaved timing, profiles in rounds) two test-only backends with known
// per-op costs, whose parts the decomposition must recover.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "backends/backend.h"
#include "backends/layer_clock.h"
#include "core/error.h"
#include "ir/builder.h"
#include "measure/attribution.h"
#include "measure/explain_run.h"
#include "models/model_ref.h"

using namespace fb;
using namespace fb::measure;

namespace {

// conv_a(3x3) -> bn_a -> relu_a -> conv_b(1x1) -> relu_b -> cat(relu_b, relu_a) -> gap -> flatten -> fc
Graph small_graph() {
  GraphBuilder b("small");
  ValueId x = b.input("x", {1, 8, 8, 8});
  ValueId a = b.relu(b.batch_norm(b.conv(x, {.out = 8, .k = 3}, "conv_a"), "bn_a"), "relu_a");
  ValueId c = b.relu(b.conv(a, {.out = 8, .k = 1}, "conv_b"), "relu_b");
  ValueId cat = b.concat({c, a}, "cat");
  b.output(b.linear(b.flatten(b.global_avg_pool(cat, "gap"), "flatten"), 4, "fc"));
  return b.finish();
}

LayerTime step(std::string name, std::vector<std::string> nodes, double ms, LayerKind kind = LayerKind::Compute) {
  return {std::move(name), "op", ms, std::move(nodes), kind};
}

const ClassRow* find_class(const Attribution& a, OpClass c) {
  for (const ClassRow& r : a.classes)
    if (r.cls == c) return &r;
  return nullptr;
}

}  // namespace

TEST(Attribution, HandComputedPartsAddUpToTheEndToEndGain) {
  const Graph g = small_graph();
  // Native: one step per node, plus the time between calls.
  std::vector<LayerTime> nat = {step("conv_a", {"conv_a"}, 4.0),   step("bn_a", {"bn_a"}, 1.0),
                                step("relu_a", {"relu_a"}, 0.5),  step("conv_b", {"conv_b"}, 2.0),
                                step("relu_b", {"relu_b"}, 0.5),  step("cat", {"cat"}, 0.4, LayerKind::Copy),
                                step("gap", {"gap"}, 0.2),        step("flatten", {"flatten"}, 0.1),
                                step("fc", {"fc"}, 0.3),          step("(between)", {}, 0.3, LayerKind::Overhead)};
  // Accelerated: conv_a+bn_a+relu_a and conv_b+relu_b fused, the concatenation done in place (no step), the
  // flatten absorbed by the linear, one reorder, less overhead.
  std::vector<LayerTime> acc = {step("conv_a+bn_a+relu_a", {"conv_a", "bn_a", "relu_a"}, 1.5),
                                step("x: nchw -> nChw16c", {}, 0.2, LayerKind::Reorder),
                                step("conv_b+relu_b", {"conv_b", "relu_b"}, 1.0),
                                step("gap", {"gap"}, 0.1),
                                step("flatten+fc", {"fc", "flatten"}, 0.2),
                                step("(between)", {}, 0.1, LayerKind::Overhead)};
  // Timed rounds 9.0 -> 3.0 ms; unprofiled runs between the profiles 9.5 -> 3.1 ms.
  const Attribution a = attribute(g, {"torch", nat, 9.0, 9.5}, {"onednn", acc, 3.0, 3.1});
  // By hand: overhead 0.3-0.1; fusion bn_a 1 + relu_a .5 + relu_b .5 + cat .4 + flatten .1; layout -0.2;
  // kernels (4-1.5) + (2-1) + (.2-.1) + (.3-.2); profiles 9.3 -> 3.1, so residual (9.5-3.1) - (9.3-3.1) = 0.2,
  // drift (9-3) - (9.5-3.1) = -0.4.
  EXPECT_NEAR(a.native_profiled_ms, 9.3, 1e-9);
  EXPECT_NEAR(a.accel_profiled_ms, 3.1, 1e-9);
  EXPECT_NEAR(a.overhead_ms, 0.2, 1e-9);
  EXPECT_NEAR(a.fusion_ms, 2.5, 1e-9);
  EXPECT_NEAR(a.layout_ms, -0.2, 1e-9);
  EXPECT_NEAR(a.kernels_ms, 3.7, 1e-9);
  EXPECT_NEAR(a.unmapped_ms, 0.0, 1e-9);
  EXPECT_NEAR(a.residual_ms, 0.2, 1e-9);
  EXPECT_NEAR(a.drift_ms, -0.4, 1e-9);
  EXPECT_NEAR(a.overhead_ms + a.fusion_ms + a.layout_ms + a.kernels_ms + a.unmapped_ms + a.residual_ms + a.drift_ms, a.gain_ms(),
              1e-9);
  EXPECT_EQ(a.reorders, 1);

  const ClassRow* kxk = find_class(a, OpClass::ConvKxK);
  ASSERT_NE(kxk, nullptr);
  EXPECT_NEAR(kxk->kernel_gain_ms, 2.5, 1e-9);
  EXPECT_EQ(kxk->accel_steps, 1);
  const ClassRow* bn = find_class(a, OpClass::BatchNorm);
  ASSERT_NE(bn, nullptr);
  EXPECT_EQ(bn->eliminated, 1);
  EXPECT_NEAR(bn->eliminated_ms, 1.0, 1e-9);
  const ClassRow* act = find_class(a, OpClass::Activation);
  ASSERT_NE(act, nullptr);
  EXPECT_EQ(act->eliminated, 2);
  EXPECT_NEAR(act->eliminated_ms, 1.0, 1e-9);
  const ClassRow* cat = find_class(a, OpClass::ConcatCopy);
  ASSERT_NE(cat, nullptr);
  EXPECT_EQ(cat->eliminated, 1);
  // The linear's kernel absorbed the flatten: fc's class gets the kernel gain, the flatten is eliminated.
  const ClassRow* lin = find_class(a, OpClass::Linear);
  ASSERT_NE(lin, nullptr);
  EXPECT_NEAR(lin->kernel_gain_ms, 0.1, 1e-9);

  // Largest first: the 3x3 kernel (2.5 ms of a 6 ms gain).
  ASSERT_EQ(a.top.size(), 5u);
  EXPECT_EQ(a.top[0].part, "kernels");
  EXPECT_EQ(a.top[0].cls, OpClass::ConvKxK);
  EXPECT_NE(a.top[0].sentence.find("42% of the gain"), std::string::npos) << a.top[0].sentence;
  ASSERT_EQ(a.groups.size(), 3u);
  EXPECT_EQ(a.groups[0].nodes, (std::vector<std::string>{"conv_a", "bn_a", "relu_a"}));
  EXPECT_NEAR(a.groups[0].native_ms, 5.5, 1e-9);
  const std::string t = a.table();
  EXPECT_NE(t.find("passes eliminated by fusion"), std::string::npos);
  EXPECT_NE(t.find("conv_a+bn_a+relu_a: conv_a, bn_a, relu_a"), std::string::npos);
  EXPECT_EQ(a.to_json()["parts_ms"]["fusion"].get<double>(), a.fusion_ms);
}

TEST(Attribution, TwoKernelsInOneStepAndStepsNamingNoNode) {
  const Graph g = small_graph();
  std::vector<LayerTime> nat = {step("conv_a", {"conv_a"}, 4.0), step("bn_a", {"bn_a"}, 1.0), step("relu_a", {"relu_a"}, 0.5),
                                step("conv_b", {"conv_b"}, 2.0), step("relu_b", {"relu_b"}, 0.5), step("cat", {"cat"}, 0.4),
                                step("gap", {"gap"}, 0.2),       step("flatten", {"flatten"}, 0.1), step("fc", {"fc"}, 0.3)};
  // Both convolutions in one step (as a depthwise post-op chains two convs): conv_b is still computed, so it
  // is a kernel, not a pass eliminated; a step naming a node the graph lacks is unmapped, not dropped.
  std::vector<LayerTime> acc = {step("conv_a -> conv_b", {"conv_a", "bn_a", "relu_a", "conv_b", "relu_b"}, 2.0),
                                step("cat", {"cat"}, 0.4, LayerKind::Copy), step("gap", {"gap"}, 0.2),
                                step("flatten", {"flatten"}, 0.1), step("fc", {"fc"}, 0.3), step("mystery", {"nope"}, 0.25)};
  const Attribution a = attribute(g, {"torch", nat, 9.0}, {"onednn", acc, 3.25});  // no profile phase: no drift
  EXPECT_NEAR(a.fusion_ms, 2.0, 1e-9);    // bn_a, relu_a, relu_b
  EXPECT_NEAR(a.kernels_ms, 4.0, 1e-9);   // (4 + 2) - 2
  EXPECT_NEAR(a.unmapped_ms, -0.25, 1e-9);
  EXPECT_NEAR(a.residual_ms, 0.0, 1e-9);
  EXPECT_NEAR(a.drift_ms, 0.0, 1e-9);
  const ClassRow* conv1 = find_class(a, OpClass::Conv1x1);
  ASSERT_NE(conv1, nullptr);
  EXPECT_EQ(conv1->eliminated, 0);
  EXPECT_EQ(conv1->accel_steps, 0);  // the step's class is its first node's (conv kxk)
}

namespace {

// Test-only backends with known per-op costs: each step spins for a fixed time (load cannot shorten a spin
// until a deadline). `cost_native` runs one step per node: conv 300 us, BatchNorm 100, ReLU 60, anything else
// 40. `cost_fused` runs each conv with the BatchNorm and ReLU right after it as one 150 us step, preceded by a
// 30 us reorder, and anything else at 40 us.
void spin_us(double us) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double, std::micro>(us);
  while (std::chrono::steady_clock::now() < end) {
  }
}

class CostExecutable : public Executable {
 public:
  CostExecutable(std::vector<LayerTime> steps, Shape out) : steps_(std::move(steps)), out_(std::move(out)) {}
  void run(const std::vector<Tensor>&, std::vector<Tensor>& outputs) override {
    for (const LayerTime& s : steps_) spin_us(s.ms * 1000);
    outputs.resize(1);
    if (!outputs[0].has_data()) outputs[0] = Tensor(out_);
  }
  Description describe() const override {
    Description d;
    d.backend = "cost";
    return d;
  }
  std::vector<LayerTime> profile_layers(const std::vector<Tensor>&, int iterations) override {
    LayerClock lc(steps_.size(), iterations);
    for (int it = 0; it < iterations; ++it) {
      lc.begin_run();
      for (size_t i = 0; i < steps_.size(); ++i) {
        lc.begin_step();
        spin_us(steps_[i].ms * 1000);
        lc.end_step(i);
      }
      lc.end_run();
    }
    std::vector<LayerTime> out = steps_;
    for (size_t i = 0; i < out.size(); ++i) out[i].ms = lc.step_ms(i);
    out.push_back({"(between)", "overhead", lc.overhead_ms(), {}, LayerKind::Overhead});
    return out;
  }

 private:
  std::vector<LayerTime> steps_;  // ms = the step's cost
  Shape out_;
};

class CostBackend : public Backend {
 public:
  explicit CostBackend(bool fused) : fused_(fused) {}
  std::string name() const override { return fused_ ? "cost_fused" : "cost_native"; }
  std::string summary() const override { return "test: fixed cost per op"; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions&) const override {
    std::vector<LayerTime> steps;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& n = g.nodes[i];
      if (!fused_) {
        const double us = n.op == Op::Conv2d ? 300 : n.op == Op::BatchNorm ? 100 : n.op == Op::Relu ? 60 : 40;
        steps.push_back({n.name, op_name(n.op), us / 1000, {n.name}, LayerKind::Compute});
        continue;
      }
      if (n.op != Op::Conv2d) {
        steps.push_back({n.name, op_name(n.op), 0.040, {n.name}, LayerKind::Compute});
        continue;
      }
      steps.push_back({"reorder before " + n.name, "reorder", 0.030, {}, LayerKind::Reorder});
      LayerTime group{n.name, "conv", 0.150, {n.name}, LayerKind::Compute};
      while (i + 1 < g.nodes.size() && (g.nodes[i + 1].op == Op::BatchNorm || g.nodes[i + 1].op == Op::Relu))
        group.nodes.push_back(g.nodes[++i].name);
      steps.push_back(group);
    }
    return std::make_unique<CostExecutable>(steps, g.value(g.outputs[0]).shape);
  }

 private:
  bool fused_;
};

}  // namespace

TEST(Attribution, ExplainRecoversTheKnownCostsOfTwoBackends) {
  register_backend("cost_native", [] { return std::make_unique<CostBackend>(false); });
  register_backend("cost_fused", [] { return std::make_unique<CostBackend>(true); });
  CompareSettings s;
  s.base.model = "pattern:plain?depth=2&width=8&res=16";  // 3x (conv, bn, relu), gap, flatten, fc
  s.base.run.warmup_runs = 1;
  s.base.run.warmup_ms = 0;
  s.base.run.min_runs = 30;
  s.base.run.min_time_ms = 0;
  s.base.check = false;
  s.base.ceilings = false;
  s.base.counters = false;
  s.block = 3;
  s.backends = {"cost_native", "cost_fused"};
  s.per_layer_iterations = 20;
  const ExplainResult x = run_explain(s);
  ASSERT_EQ(x.attributions.size(), 1u);
  const Attribution& a = x.attributions[0];
  EXPECT_EQ(a.native, "cost_native");
  // Native 3 x (300 + 100 + 60) + 3 x 40 = 1500 us; fused 3 x (30 + 150) + 3 x 40 = 660 us.
  // fusion 3 x (100 + 60) = 480 us, kernels 3 x (300 - 150) = 450 us, layout -90 us, overhead ~0.
  const double tol = 0.06;  // ms: a spin overshoots by a scheduler slice at most now and then
  EXPECT_NEAR(a.native_profiled_ms, 1.500, tol);
  EXPECT_NEAR(a.accel_profiled_ms, 0.660, tol);
  EXPECT_NEAR(a.fusion_ms, 0.480, tol);
  EXPECT_NEAR(a.kernels_ms, 0.450, tol);
  EXPECT_NEAR(a.layout_ms, -0.090, 0.02);
  EXPECT_NEAR(a.overhead_ms, 0.0, 0.02);
  EXPECT_LT(std::fabs(a.residual_ms), 0.15 * a.gain_ms());
  EXPECT_LT(std::fabs(a.drift_ms), 0.15 * a.gain_ms());  // spins do not drift
  const ClassRow* bn = find_class(a, OpClass::BatchNorm);
  ASSERT_NE(bn, nullptr);
  EXPECT_EQ(bn->eliminated, 3);
  EXPECT_EQ(a.groups.size(), 3u);
  EXPECT_EQ(x.to_json()["schema"], "formbench.explain/1");
}

TEST(Attribution, ExplainNeedsTwoBackendsThatProfileLayers) {
  CompareSettings s;
  s.base.model = "pattern:plain?depth=1&width=8&res=16";
  s.backends = {"reference"};
  EXPECT_THROW(run_explain(s), Error);
}

namespace {

// Every step of a real backend's profile names IR nodes of the graph it compiled, none twice (steps over the
// same nodes, like a BatchNorm and the ReLU it could not take, are one group); returns the nodes no step
// covers.
std::set<std::string> check_coverage(const Graph& g, const std::string& backend) {
  CompileOptions opt;
  opt.threads = 1;
  std::unique_ptr<Executable> exe = make_backend(backend)->compile(g, opt);
  const std::vector<Tensor> inputs = make_inputs(g, 3);
  const std::vector<LayerTime> layers = exe->profile_layers(inputs, 1);
  std::set<std::string> names, covered;
  for (const Node& n : g.nodes) names.insert(n.name);
  std::map<std::string, std::vector<std::string>> owner;  // node -> the node list of the step covering it
  int overhead = 0;
  for (const LayerTime& l : layers) {
    if (l.kind == LayerKind::Overhead) ++overhead;
    if (l.kind == LayerKind::Reorder || l.kind == LayerKind::Overhead) {
      EXPECT_TRUE(l.nodes.empty()) << l.name;
      continue;
    }
    EXPECT_FALSE(l.nodes.empty()) << backend << ": " << l.name << " names no node";
    for (const std::string& n : l.nodes) {
      EXPECT_TRUE(names.count(n)) << backend << ": " << l.name << " names '" << n << "', not a node of " << g.name;
      const auto [it, fresh] = owner.emplace(n, l.nodes);
      EXPECT_TRUE(fresh || it->second == l.nodes) << backend << ": " << n << " is covered by two different steps";
      covered.insert(n);
    }
  }
  EXPECT_EQ(overhead, 1) << backend;
  std::set<std::string> uncovered;
  for (const std::string& n : names)
    if (!covered.count(n)) uncovered.insert(n);
  return uncovered;
}

}  // namespace

TEST(Attribution, TorchProfileCoversEveryNodeWithItsOwnStep) {
  const Graph g = load_model("mobilenet_v2?res=32&classes=10");
  EXPECT_TRUE(check_coverage(g, "torch").empty());
}

TEST(Attribution, OnednnProfileNamesTheNodesEachPrimitiveComputes) {
  // MobileNet-V2: every BatchNorm folded into its convolution and every activation fused, so all are
  // covered by a conv step; only the dropout (removed) is covered by none.
  const Graph mv2 = load_model("mobilenet_v2?res=32&classes=10");
  const std::set<std::string> gone = check_coverage(mv2, "onednn");
  for (const std::string& n : gone) {
    const Node& node = *std::find_if(mv2.nodes.begin(), mv2.nodes.end(), [&](const Node& x) { return x.name == n; });
    EXPECT_TRUE(node.op == Op::Dropout || node.op == Op::Identity) << n << " (" << op_name(node.op) << ") is covered by no step";
  }
  // DenseNet at batch 1: the block's concatenations are written in place, so they are covered by no step.
  const Graph dn = load_model("densenet121?res=32&classes=10");
  int concats_gone = 0;
  for (const std::string& n : check_coverage(dn, "onednn")) {
    const Node& node = *std::find_if(dn.nodes.begin(), dn.nodes.end(), [&](const Node& x) { return x.name == n; });
    EXPECT_TRUE(node.op == Op::Concat || node.op == Op::Dropout || node.op == Op::Identity) << n;
    concats_gone += node.op == Op::Concat;
  }
  EXPECT_GT(concats_gone, 0);
}
