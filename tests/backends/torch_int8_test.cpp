// int8 on the `torch` backend (PyTorch's eager static quantization, torch_int8.h), against independent
// truths: the fp32 reference (cosine similarity and the int8 tolerance; the error is int8's, not fp32's) and
// a second int8 runtime, the onednn backend, which takes the same calibrated scales through other code.
#include <gtest/gtest.h>

#include <algorithm>

#include "backends/accuracy.h"
#include "backends/backend.h"
#include "backends/compare.h"
#include "onednn_test_support.h"
#include "torch_test_util.h"
#include "core/error.h"
#include "ir/builder.h"
#include "models/model_ref.h"

namespace fb {
namespace {

using test::has_line;

struct Int8Run {
  Tensor out, ref;
  Description description;
};

Int8Run run_int8(const std::string& backend, const Graph& g, uint64_t seed) {
  CompileOptions opt;
  opt.threads = 2;
  opt.precision = Precision::I8;
  opt.extra = {{"calibration_inputs", "4"}};
  auto exe = make_backend(backend)->compile(g, opt);
  const std::vector<Tensor> inputs = make_inputs(g, seed);
  std::vector<Tensor> out, ref;
  exe->run(inputs, out);
  make_backend("reference")->compile(g, CompileOptions{})->run(inputs, ref);
  return {out.at(0), ref.at(0), exe->describe()};
}

// Conv+ReLU pairs become quantized::conv2d_relu, pooling stays quantized, the classifier is quantized::linear;
// the outputs agree with the fp32 reference as int8 does (not within fp32's 1e-5).
TEST(TorchInt8, ASmallNetworkAgreesWithTheReferenceAndSaysWhatRanInInt8) {
  FB_SKIP_UNLESS_BUILT("torch");
  GraphBuilder b("int8net");
  ValueId y = b.relu(b.conv(b.input("x", {1, 8, 32, 32}), {.out = 32, .k = 3, .bias = true}));
  y = b.max_pool(y, {.k = 2});
  y = b.relu6(b.conv(y, {.out = 64, .k = 3, .bias = true}));
  b.output(b.linear(b.flatten(b.global_avg_pool(y)), 10));
  Graph g = b.finish();
  materialize_weights(g, 3);
  const Int8Run r = run_int8("torch", g, 1);
  EXPECT_GE(cosine_similarity(r.ref, r.out), 0.999);
  const Agreement a = compare_outputs(r.ref, r.out, precision_info(Precision::I8).tolerance);
  EXPECT_TRUE(a.passed(precision_info(Precision::I8).tolerance)) << a.summary();
  EXPECT_GT(a.rel_max_error, 1e-3) << "an fp32 computation would be within 1e-5";
  EXPECT_TRUE(has_line(r.description.notes, "int8: Conv2d+Relu x1, Conv2d+Relu6 x1, Flatten x1, GlobalAvgPool x1, Linear x1, "
                                            "MaxPool x1; fp32 between dequantize and quantize (no quantized kernel "
                                            "used): none"))
      << ::testing::PrintToString(r.description.notes);
  EXPECT_TRUE(has_line(r.description.notes, "activation scales from 4 calibration inputs"));
  EXPECT_TRUE(has_line(r.description.notes, "int8 eager (PyTorch static quantization): engine"));
}

// resnet18 (residual adds as quantized::add_relu), mobilenet_v2 (ReLU6, linear bottlenecks) and squeezenet1_1
// (fire modules' concatenations): within the bound against fp32, and within a much tighter one against
// onednn's int8 from the same scales.
TEST(TorchInt8, ZooNetworksAgreeWithTheReferenceAndWithOnednnInt8) {
  FB_SKIP_UNLESS_BUILT("torch");
  for (const char* model : {"resnet18?res=32&classes=10", "mobilenet_v2?res=32&classes=10", "squeezenet1_1?res=64&classes=10"}) {
    const Graph g = load_model(model, true);
    const Int8Run t = run_int8("torch", g, 2);
    EXPECT_GE(cosine_similarity(t.ref, t.out), 0.99) << model;
    const Agreement a = compare_outputs(t.ref, t.out, precision_info(Precision::I8).tolerance);
    EXPECT_TRUE(a.passed(precision_info(Precision::I8).tolerance)) << model << ": " << a.summary();
    if (std::string(model).rfind("resnet18", 0) == 0)
      EXPECT_TRUE(has_line(t.description.notes, "Add+Relu x8")) << ::testing::PrintToString(t.description.notes);
    if (std::string(model).rfind("squeezenet", 0) == 0)  // quantized::cat here; onednn writes at the cat's scale
      EXPECT_TRUE(has_line(t.description.notes, "Concat x8")) << ::testing::PrintToString(t.description.notes);
    if (!torch_test::built("onednn")) continue;
    const Int8Run o = run_int8("onednn", g, 2);
    EXPECT_GE(cosine_similarity(o.out, t.out), 0.995) << model << ": two int8 runtimes, one set of scales";
  }
}

TEST(TorchInt8, OptionsAreCheckedAndTheCudaDeviceRefused) {
  FB_SKIP_UNLESS_BUILT("torch");
  GraphBuilder b("t");
  b.output(b.relu(b.conv(b.input("x", {1, 4, 8, 8}), {.out = 4, .k = 3})));
  Graph g = b.finish();
  materialize_weights(g, 1);
  CompileOptions opt;
  opt.precision = Precision::I8;
  opt.extra = {{"calibration_inputs", "0"}};
  EXPECT_THROW(make_backend("torch")->compile(g, opt), Error);
  opt.extra = {{"fuse", "off"}};
  EXPECT_THROW(make_backend("torch")->compile(g, opt), Error);
  opt.extra.clear();
  opt.device = "cuda";
  try {
    make_backend("torch")->compile(g, opt);
    ADD_FAILURE() << "int8 is a cpu precision here";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("int8 on the cpu only"), std::string::npos) << e.what();
  }
  opt.device = "cpu";
  opt.precision = Precision::F32;
  opt.extra = {{"calibration_inputs", "4"}};
  EXPECT_THROW(make_backend("torch")->compile(g, opt), Error);  // only for int8
}

}  // namespace
}  // namespace fb
