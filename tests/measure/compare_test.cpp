// compare in-process with two backends: the reference and a registered wrapper around it that can profile
// layers. Checks what compare assembles (speedups vs the native backend, agreement, per-layer, each backend's
// options), not timings.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "backends/backend.h"
#include "core/error.h"
#include "measure/compare_run.h"
#include "measure/stats.h"

using namespace fb;
using namespace fb::measure;

namespace {

class ProfilingExecutable : public Executable {
 public:
  explicit ProfilingExecutable(std::unique_ptr<Executable> inner, const Graph& g) : inner_(std::move(inner)) {
    for (const Node& n : g.nodes) names_.push_back({n.name, op_name(n.op)});
  }
  void run(const std::vector<Tensor>& in, std::vector<Tensor>& out) override { inner_->run(in, out); }
  Description describe() const override {
    Description d = inner_->describe();
    d.backend = "profiling_ref";
    d.fusions.push_back("conv1+bn1+relu (pretend)");
    return d;
  }
  std::vector<LayerTime> profile_layers(const std::vector<Tensor>&, int iterations) override {
    std::vector<LayerTime> l;
    for (size_t i = 0; i < names_.size(); ++i) l.push_back({names_[i].first, names_[i].second, 0.01 * (i + 1), {names_[i].first}, LayerKind::Compute});
    return l;
  }

 private:
  std::unique_ptr<Executable> inner_;
  std::vector<std::pair<std::string, std::string>> names_;
};

class ProfilingBackend : public Backend {
 public:
  std::string name() const override { return "profiling_ref"; }
  std::string summary() const override { return "test: the reference with fake per-layer times"; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    CompileOptions o = opt;
    return std::make_unique<ProfilingExecutable>(make_backend("reference")->compile(g, o), g);
  }
};

CompareSettings settings() {
  CompareSettings s;
  s.base.model = "resnet18?res=16&classes=10";
  s.base.run.warmup_runs = 1;
  s.base.run.warmup_ms = 0;
  s.base.run.min_runs = 6;
  s.base.run.min_time_ms = 0;
  s.base.check = true;
  s.base.ceilings = false;
  s.block = 3;
  return s;
}

}  // namespace

TEST(MeasureCompare, SpeedupAgainstNativeAgreementAndPerLayer) {
  register_backend("profiling_ref", [] { return std::make_unique<ProfilingBackend>(); });
  CompareSettings s = settings();
  s.backends = {"reference", "profiling_ref"};
  s.per_layer = true;
  CompareResult r = run_compare(s);
  EXPECT_EQ(r.native, "reference");  // no torch in the list: the first
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_FALSE(r.entries[0].speedup.has_value());
  ASSERT_TRUE(r.entries[1].speedup.has_value());
  const SpeedupCi& sp = *r.entries[1].speedup;
  // Paired: the median of the per-round ratios of block medians, one ratio per round.
  const std::vector<double> ratios = round_ratios(r.entries[0].run.samples_ms, r.entries[1].run.samples_ms, 3);
  EXPECT_EQ(r.entries[1].round_ratios, ratios);
  EXPECT_EQ(ratios.size(), r.rounds.size());
  std::vector<double> sorted = ratios;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NEAR(sp.speedup, percentile_sorted(sorted, 50), 1e-12);
  EXPECT_EQ(sp.rounds, ratios.size());
  for (const RoundLog& round : r.rounds) EXPECT_EQ(round.order.size(), 2u);
  EXPECT_LE(sp.low, sp.speedup);
  EXPECT_GE(sp.high, sp.speedup);
  for (const auto& e : r.entries) {
    EXPECT_EQ(e.stats.n % 3, 0u);  // whole blocks
    EXPECT_GE(e.stats.n, 6u);
    ASSERT_TRUE(e.agreement.has_value());
    EXPECT_EQ(e.agreement->rel_max_error, 0.0);
  }
  EXPECT_EQ(r.entries[0].stats.n, r.entries[1].stats.n);  // alternating rounds: equal counts
  EXPECT_FALSE(r.entries[0].layers_supported);
  EXPECT_TRUE(r.entries[1].layers_supported);
  nlohmann::json j = r.to_json();
  EXPECT_EQ(j["backends"][1]["describe"]["num_fusions"], 1);
  EXPECT_EQ(j["backends"][1]["layers"].size(), r.entries[1].layers.size());
  EXPECT_TRUE(j["backends"][0]["speedup_ci95_low"].is_null());
  EXPECT_EQ(j["schema"], "formbench.compare/2");
  EXPECT_EQ(j["rounds"].size(), r.rounds.size());
  EXPECT_EQ(j["backends"][1]["round_ratios"].size(), ratios.size());
  const std::string table = r.table();
  EXPECT_NE(table.find("per-layer times on profiling_ref"), std::string::npos);
  EXPECT_NE(table.find("reference cannot profile layers"), std::string::npos);
  const std::string csv = r.csv();
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // header + 2 rows
}

TEST(MeasureCompare, NativeIsTorchWhenListed) {
  EXPECT_EQ(pick_native({"onednn", "torch", "torchscript"}), "torch");
  EXPECT_EQ(pick_native({"onednn", "torchscript"}), "onednn");
  EXPECT_THROW(pick_native({}), fb::Error);
  CompareSettings s = settings();
  s.backends = {"reference", "no_such_backend"};
  EXPECT_THROW(run_compare(s), fb::Error);
}

namespace {
class RefusingBackend : public Backend {
 public:
  std::string name() const override { return "refusing_ref"; }
  std::string summary() const override { return "test: refuses every graph"; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions&) const override {
    fail("refusing_ref: cannot compile '{}' (on purpose)", g.name);
  }
};
}  // namespace

TEST(MeasureCompare, KeepGoingRecordsAFailingBackendAndMeasuresTheRest) {
  register_backend("refusing_ref", [] { return std::make_unique<RefusingBackend>(); });
  CompareSettings s = settings();
  s.backends = {"reference", "refusing_ref"};
  EXPECT_THROW(run_compare(s), fb::Error);
  s.keep_going = true;
  CompareResult r = run_compare(s);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_TRUE(r.entries[0].error.empty());
  EXPECT_GE(r.entries[0].stats.n, 6u);
  EXPECT_NE(r.entries[1].error.find("on purpose"), std::string::npos);
  EXPECT_FALSE(r.entries[1].speedup.has_value());
  for (const RoundLog& round : r.rounds) EXPECT_EQ(round.order, std::vector<size_t>{0});
  nlohmann::json j = r.to_json();
  EXPECT_NE(j["backends"][1]["error"].get<std::string>().find("on purpose"), std::string::npos);
  EXPECT_TRUE(j["backends"][0]["error"].is_null());
}

namespace {
// What each compile was given, by backend name.
std::map<std::string, std::map<std::string, std::string>>& options_received() {
  static std::map<std::string, std::map<std::string, std::string>> m;
  return m;
}
// The reference, recording the options it is given (and compiling without them: the reference has none).
class RecordingBackend : public Backend {
 public:
  explicit RecordingBackend(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::string summary() const override { return "test: the reference, recording its options"; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    options_received()[name_] = opt.extra;
    CompileOptions o = opt;
    o.extra.clear();
    return make_backend("reference")->compile(g, o);
  }

 private:
  std::string name_;
};
}  // namespace

// --opt [BACKEND:]KEY=VALUE: unscoped options go to every backend, scoped ones to theirs only (winning there).
TEST(MeasureCompare, ScopedOptionsReachTheirBackendOnly) {
  register_backend("options_a", [] { return std::make_unique<RecordingBackend>("options_a"); });
  register_backend("options_b", [] { return std::make_unique<RecordingBackend>("options_b"); });
  CompareSettings s = settings();
  s.base.check = false;
  s.base.counters = false;
  s.backends = {"options_a", "options_b"};
  s.base.extra = {{"mode", "x"}, {"options_a:mode", "y"}, {"options_b:depth", "2"}};
  options_received().clear();
  const CompareResult r = run_compare(s);
  ASSERT_EQ(r.entries.size(), 2u);
  using Options = std::map<std::string, std::string>;
  EXPECT_EQ(options_received()["options_a"], (Options{{"mode", "y"}}));
  EXPECT_EQ(options_received()["options_b"], (Options{{"depth", "2"}, {"mode", "x"}}));
  EXPECT_EQ(compile_options(s.base, "options_b").extra, options_received()["options_b"]);
  EXPECT_EQ(compile_options(s.base, "options_c").extra, (Options{{"mode", "x"}}));
  // The cache-simulation child compiles one backend: it is given that backend's options only, resolved.
  const std::vector<std::string> child = cachesim_child_args(s.base, "options_a", 1, 1);
  std::vector<std::string> opts;
  for (size_t i = 0; i + 1 < child.size(); ++i)
    if (child[i] == "--opt") opts.push_back(child[i + 1]);
  EXPECT_EQ(opts, std::vector<std::string>{"mode=y"});
  // A scoped option for a backend that is not measured is an error naming it, before anything runs.
  s.base.extra = {{"onednn:fuse", "off"}};
  try {
    run_compare(s);
    ADD_FAILURE() << "no error";
  } catch (const fb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--opt 'onednn:fuse=off': backend 'onednn' is not measured here"), std::string::npos)
        << e.what();
  }
}
