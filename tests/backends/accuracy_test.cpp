// The int8 accuracy bound (backends/accuracy.h): cosine similarity and top-1 agreement against hand-computed
// values, and its enforcement: through `compare`, an output quantized at a deliberately broken scale fails
// the check while the same output at its calibrated scale passes.
#include <gtest/gtest.h>

#include <cmath>

#include "backends/accuracy.h"
#include "backends/backend.h"
#include "backends/compare.h"
#include "core/error.h"
#include "core/quantize.h"
#include "measure/compare_run.h"

namespace fb {
namespace {

Tensor row(std::vector<float> v) {
  Tensor t({1, static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t[static_cast<int64_t>(i)] = v[i];
  return t;
}

TEST(Accuracy, CosineSimilarityByHand) {
  EXPECT_DOUBLE_EQ(cosine_similarity(row({1, 2}), row({2, 4})), 1.0);
  EXPECT_DOUBLE_EQ(cosine_similarity(row({1, 0}), row({0, 3})), 0.0);
  EXPECT_DOUBLE_EQ(cosine_similarity(row({1, 1}), row({-1, -1})), -1.0);
  EXPECT_NEAR(cosine_similarity(row({3, 4}), row({4, 3})), 24.0 / 25.0, 1e-12);  // (12 + 12) / (5 * 5)
  EXPECT_DOUBLE_EQ(cosine_similarity(row({0, 0}), row({0, 0})), 1.0);
  EXPECT_DOUBLE_EQ(cosine_similarity(row({0, 0}), row({1, 0})), 0.0);
  EXPECT_THROW(cosine_similarity(row({1, 2}), row({1, 2, 3})), Error);
}

TEST(Accuracy, MeanCosineAndTopOneAgainstTheBounds) {
  const PrecisionInfo& int8 = precision_info(Precision::I8);
  EXPECT_EQ(int8.accuracy_inputs, 100);
  EXPECT_DOUBLE_EQ(int8.min_cosine, 0.99);
  EXPECT_DOUBLE_EQ(int8.min_top1, 0.95);
  // Two inputs: one exact, one with its top-1 moved (cosine 24/25 as above).
  const std::vector<Tensor> ref = {row({1, 5, 2}), row({3, 4, 0})};
  const std::vector<Tensor> out = {row({1, 5, 2}), row({4, 3, 0})};
  const Accuracy a = judge_accuracy(ref, out, int8);
  EXPECT_EQ(a.inputs, 2);
  EXPECT_NEAR(a.mean_cosine, (1.0 + 0.96) / 2, 1e-12);
  EXPECT_NEAR(a.min_cosine, 0.96, 1e-12);
  EXPECT_EQ(a.rows, 2);
  EXPECT_EQ(a.top1_agree, 1);
  EXPECT_FALSE(a.passed());  // mean cosine 0.98 < 0.99, top-1 50% < 95%
  EXPECT_EQ(a.to_json()["passed"], false);
  EXPECT_NE(a.summary().find("FAIL accuracy over 2 inputs: cosine 0.9800"), std::string::npos) << a.summary();
  EXPECT_NE(a.summary().find("top-1 1/2 agree"), std::string::npos) << a.summary();
  // |out - ref| / |ref|: 0 and |(1, -1, 0)| / 5 = sqrt(2) / 5; |ref2 - ref1| / |ref1| = |(2, -1, -2)| / sqrt(30).
  EXPECT_NEAR(a.mean_error, std::sqrt(2.0) / 5 / 2, 1e-12);
  EXPECT_NEAR(a.input_spread, 3.0 / std::sqrt(30.0), 1e-12);
  EXPECT_NE(a.summary().find("error 14.1% of the output, which moves 54.8% between inputs"), std::string::npos) << a.summary();
  const Accuracy same = judge_accuracy(ref, ref, int8);
  EXPECT_TRUE(same.passed());
  EXPECT_DOUBLE_EQ(same.mean_cosine, 1.0);
  // An agreement carries it: a failed bound fails the agreement even within the relative tolerance.
  Agreement ag = compare_outputs(ref[1], out[1], int8.tolerance);
  ag.accuracy = same;
  const bool within_tolerance = ag.passed(int8.tolerance);
  ag.accuracy = a;
  EXPECT_FALSE(ag.passed(int8.tolerance));
  EXPECT_TRUE(ag.to_json().contains("accuracy"));
  (void)within_tolerance;
  EXPECT_THROW(judge_accuracy(ref, {out[0]}, int8), Error);
}

// The reference in fp32, its first output then quantized to s8 at a scale: the calibrated one (absmax / 127
// of this very output: int8 rounding only) or a deliberately broken one, 100x too small (almost every logit
// saturates at +-127 steps).
class QuantizedOutputExecutable : public Executable {
 public:
  QuantizedOutputExecutable(std::unique_ptr<Executable> inner, float broken) : inner_(std::move(inner)), broken_(broken) {}
  void run(const std::vector<Tensor>& in, std::vector<Tensor>& out) override {
    inner_->run(in, out);
    Tensor& y = out.at(0);
    float absmax = 0;
    for (int64_t i = 0; i < y.numel(); ++i) absmax = std::max(absmax, std::fabs(y[i]));
    const QParams q = choose_s8(absmax * broken_);
    y = dequantize_tensor(quantize_tensor(y, q));
  }
  Description describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<Executable> inner_;
  float broken_;
};

class QuantizedOutputBackend : public Backend {
 public:
  explicit QuantizedOutputBackend(std::string name, float broken) : name_(std::move(name)), broken_(broken) {}
  std::string name() const override { return name_; }
  std::string summary() const override { return "test: the reference with its output quantized to s8"; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    if (opt.precision != Precision::I8) fail("{}: int8 only", name_);
    return std::make_unique<QuantizedOutputExecutable>(make_backend("reference")->compile(g, CompileOptions{}), broken_);
  }

 private:
  std::string name_;
  float broken_;
};

TEST(Accuracy, ABrokenScaleFailsThePointThroughCompare) {
  register_backend("int8_calibrated", [] { return std::make_unique<QuantizedOutputBackend>("int8_calibrated", 1.0f); });
  register_backend("int8_broken", [] { return std::make_unique<QuantizedOutputBackend>("int8_broken", 0.01f); });
  measure::CompareSettings s;
  s.base.model = "resnet18?res=16&classes=10";
  s.base.precision = Precision::I8;
  s.base.run.warmup_runs = 1;
  s.base.run.warmup_ms = 0;
  s.base.run.min_runs = 3;
  s.base.run.min_time_ms = 0;
  s.base.check = true;
  s.base.ceilings = false;
  s.block = 3;
  s.backends = {"int8_calibrated", "int8_broken"};
  const measure::CompareResult r = measure::run_compare(s);
  ASSERT_EQ(r.entries.size(), 2u);
  const double tol = precision_info(Precision::I8).tolerance;
  ASSERT_TRUE(r.entries[0].agreement && r.entries[0].agreement->accuracy);
  ASSERT_TRUE(r.entries[1].agreement && r.entries[1].agreement->accuracy);
  const Accuracy& good = *r.entries[0].agreement->accuracy;
  const Accuracy& bad = *r.entries[1].agreement->accuracy;
  EXPECT_EQ(good.inputs, 100);
  EXPECT_EQ(good.rows, 100);
  EXPECT_TRUE(good.passed()) << good.summary();
  EXPECT_GT(good.mean_cosine, 0.999) << good.summary();
  EXPECT_TRUE(r.entries[0].agreement->passed(tol)) << r.entries[0].agreement->summary();
  EXPECT_FALSE(bad.passed()) << bad.summary();
  EXPECT_FALSE(r.entries[1].agreement->passed(tol));
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["backends"][0]["agreement"]["passed"], true);
  EXPECT_EQ(j["backends"][1]["agreement"]["passed"], false);  // what a study records as a failed point
  EXPECT_EQ(j["backends"][1]["agreement"]["accuracy"]["passed"], false);
  EXPECT_NE(r.table().find("FAIL accuracy over 100 inputs"), std::string::npos);
}

}  // namespace
}  // namespace fb
