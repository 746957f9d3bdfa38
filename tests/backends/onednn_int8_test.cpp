// One int8 convolution through the oneDNN adapter (dnnl_compat.h) against the integer oracle
// (reference_int8.h), on whichever oneDNN this build has: 2.x's output scales and 3.x's per-argument scales
// must give the same integers (docs/int8_design.md, the first milestone).
#ifdef FORMBENCH_HAVE_ONEDNN
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <unordered_map>

#include "backends/accuracy.h"
#include "backends/backend.h"
#include "backends/compare.h"
#include "backends/onednn/dnnl_compat.h"
#include "backends/reference/reference_int8.h"
#include "backends/reference/reference_ops.h"
#include "conv_attrs.h"
#include "core/error.h"
#include "ir/builder.h"
#include "models/model_ref.h"
#include "onednn_test_support.h"

namespace fb::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

memory::dims to_dims(const Shape& s) { return memory::dims(s.begin(), s.end()); }
dt dtype_of(QType t) { return t == QType::U8 ? dt::u8 : dt::s8; }

memory int_memory(const memory::desc& md, const dnnl::engine& eng, const std::vector<int32_t>& v) {
  memory m(md, eng);
  if (compat::data_type(md) == dt::u8) {
    auto* p = static_cast<uint8_t*>(m.get_data_handle());
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<uint8_t>(v[i]);
  } else {
    auto* p = static_cast<int8_t*>(m.get_data_handle());
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<int8_t>(v[i]);
  }
  return m;
}

struct Int8Run {
  QTensor y;
  std::string impl;
};

// The convolution as the backend will run it: oneDNN picks the layouts (format_tag::any), the inputs are
// reordered into them, the output back to plain nchw.
Int8Run run_conv(const QTensor& x, const QWeights& w, const Tensor* bias, const Conv2dAttrs& a, const Shape& out_shape,
                 bool relu, const QParams& out) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream st(eng);
  const bool grouped = a.groups > 1;
  const int64_t cin = x.shape[1], cout = a.out_channels, g = a.groups;
  const memory::dims wdims = grouped ? memory::dims{g, cout / g, cin / g, a.kernel_h, a.kernel_w}
                                     : memory::dims{cout, cin, a.kernel_h, a.kernel_w};
  compat::Int8Scales scales;
  scales.src = x.params.scale;
  scales.wei = w.scales;
  scales.dst = out.scale;
  std::vector<compat::Eltwise> post;
  if (relu) post.push_back({dnnl::algorithm::eltwise_relu, 0.f, 0.f});
  const compat::Int8Attr ia = compat::int8_attr(eng, dnnl::primitive_attr(), post, scales, grouped);
  const memory::desc bias_md = bias ? memory::desc({cout}, dt::f32, tag::a) : memory::desc();
  const auto pd = compat::make_conv_pd(
      eng, memory::desc(to_dims(x.shape), dtype_of(x.params.type), tag::any), memory::desc(wdims, dt::s8, tag::any),
      bias_md, memory::desc(to_dims(out_shape), dtype_of(out.type), tag::any), {a.stride_h, a.stride_w},
      {a.dilation_h - 1, a.dilation_w - 1}, {a.pad_top, a.pad_left}, {a.pad_bottom, a.pad_right}, ia.attr);
  auto reordered = [&](memory from, const memory::desc& want) {
    memory to(want, eng);
    dnnl::reorder(from, to).execute(st, from, to);
    return to;
  };
  const memory src = reordered(int_memory(memory::desc(to_dims(x.shape), dtype_of(x.params.type), tag::nchw), eng, x.values),
                               pd.src_desc());
  const memory wei = reordered(int_memory(memory::desc(wdims, dt::s8, grouped ? tag::goihw : tag::oihw), eng, w.values),
                               pd.weights_desc());
  const memory dst(pd.dst_desc(), eng);
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
  if (bias) {
    memory b(bias_md, eng);
    auto* p = static_cast<float*>(b.get_data_handle());
    for (int64_t c = 0; c < cout; ++c) p[c] = (*bias)[c] * ia.bias_factor[static_cast<size_t>(c)];
    args[DNNL_ARG_BIAS] = b;
  }
  for (const auto& [arg, m] : ia.args) args[arg] = m;
  dnnl::convolution_forward(pd).execute(st, args);
  const memory plain = reordered(dst, memory::desc(to_dims(out_shape), dtype_of(out.type), tag::nchw));
  st.wait();
  Int8Run r{{out_shape, std::vector<int32_t>(static_cast<size_t>(shape_numel(out_shape))), out}, pd.impl_info_str()};
  for (size_t i = 0; i < r.y.values.size(); ++i)
    r.y.values[i] = out.type == QType::U8 ? static_cast<const uint8_t*>(plain.get_data_handle())[i]
                                          : static_cast<const int8_t*>(plain.get_data_handle())[i];
  return r;
}

struct Case {
  const char* name;
  Conv2dAttrs a;
  Shape x, out;
  bool signed_input, relu;
};

TEST(OnednnInt8, ConvolutionMatchesTheIntegerOracle) {
  // 56 px and 64 channels: sizes where oneDNN offers its JIT int8 kernels; the small ones take what they get.
  const Case cases[] = {
      {"3x3, ReLU to u8", test::conv_attrs(64, 3, 1, 1, 1), {1, 64, 14, 14}, {1, 64, 14, 14}, false, true},
      {"1x1 stride 2, ReLU to u8", test::conv_attrs(32, 1, 2, 0, 1), {1, 64, 28, 28}, {1, 32, 14, 14}, false, true},
      {"depthwise 3x3, ReLU to u8", test::conv_attrs(64, 3, 1, 1, 64), {1, 64, 56, 56}, {1, 64, 56, 56}, false, true},
      {"grouped 1x1, s8 in, s8 out, no post-op", test::conv_attrs(16, 1, 1, 0, 2), {1, 16, 6, 6}, {1, 16, 6, 6}, true, false},
  };
  for (const Case& c : cases) {
    Tensor x = random_tensor(c.x, 21);
    if (!c.signed_input)
      for (int64_t i = 0; i < x.numel(); ++i) x[i] = std::fabs(x[i]);
    // 7-bit activations: a u8 x s8 pair sum then fits the 16-bit intermediate of CPUs without VNNI.
    const QTensor qx = quantize_tensor(x, c.signed_input ? choose_s8(1.0f) : choose_u8(1.0f, true));
    const QWeights qw = quantize_weights(random_tensor({c.a.out_channels, c.x[1] / c.a.groups, c.a.kernel_h, c.a.kernel_w}, 22));
    const Tensor bias = random_tensor({c.a.out_channels}, 23);
    // The output scale from the real-valued range (the fp32 convolution of the same numbers), so the outputs
    // use the grid.
    const Tensor probe = ref::conv2d(dequantize_tensor(qx), dequantize_weights(qw), &bias, c.a, c.out);
    float absmax = 0;
    for (int64_t i = 0; i < probe.numel(); ++i) absmax = std::max(absmax, c.relu ? probe[i] : std::fabs(probe[i]));
    const QParams out = c.relu ? choose_u8(absmax) : choose_s8(absmax);
    const QTensor want = ref::conv2d_int8(qx, qw, &bias, c.a, c.out, c.relu, out);
    const Int8Run got = run_conv(qx, qw, &bias, c.a, c.out, c.relu, out);
    ASSERT_EQ(got.y.values.size(), want.values.size()) << c.name;
    size_t exact = 0, inside = 0;
    for (size_t i = 0; i < want.values.size(); ++i) {
      EXPECT_LE(std::abs(got.y.values[i] - want.values[i]), 1) << c.name << " at " << i << " (" << got.impl << ")";
      exact += got.y.values[i] == want.values[i];
      inside += want.values[i] > out.qmin() && want.values[i] < out.qmax() && want.values[i] != 0;
    }
    EXPECT_GE(static_cast<double>(exact), 0.99 * static_cast<double>(want.values.size())) << c.name << " (" << got.impl << ")";
    EXPECT_GT(inside, want.values.size() / 4) << c.name << ": the outputs should mostly be on the grid, not clipped";
    std::cout << c.name << ": " << got.impl << "\n";  // which kernel oneDNN chose, for the log
  }
}

TEST(OnednnInt8, BadScalesAreAClearError) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  compat::Int8Scales s;
  EXPECT_THROW(compat::int8_attr(eng, dnnl::primitive_attr(), {}, s, false), Error);  // no weight scales
  s.wei = {0.5f, 0.0f};
  EXPECT_THROW(compat::int8_attr(eng, dnnl::primitive_attr(), {}, s, false), Error);
  s.wei = {0.5f, 0.25f};
  s.dst = -1.0f;
  EXPECT_THROW(compat::int8_attr(eng, dnnl::primitive_attr(), {}, s, false), Error);
  s.dst = 0.5f;
  const compat::Int8Attr ok = compat::int8_attr(eng, dnnl::primitive_attr(), {}, s, false);
  ASSERT_EQ(ok.bias_factor.size(), 2u);
  // 2.x adds the bias before its output scale s_src * s_wei; 3.x adds it as it is.
  const bool v3 = compat::header_version().major >= 3;
  EXPECT_FLOAT_EQ(ok.bias_factor[1], v3 ? 1.0f : 1.0f / 0.25f);
  EXPECT_EQ(ok.args.size(), v3 ? 3u : 0u);
}

struct AgainstReference {
  double cosine = 0;
  Agreement agreement;
  Description description;
};

AgainstReference int8_against_reference(const Graph& g, uint64_t seed) {
  CompileOptions opt;
  opt.threads = 2;
  opt.precision = Precision::I8;
  opt.extra = {{"calibration_inputs", "4"}};
  auto exe = make_backend("onednn")->compile(g, opt);
  auto ref = make_backend("reference")->compile(g, CompileOptions{});
  const std::vector<Tensor> inputs = make_inputs(g, seed);
  std::vector<Tensor> out, want;
  exe->run(inputs, out);
  ref->run(inputs, want);
  return {cosine_similarity(want.at(0), out.at(0)), compare_outputs(want.at(0), out.at(0), precision_info(Precision::I8).tolerance),
          exe->describe()};
}

// A classifier head (global pool, linear to 10) on `features`, weights from `weight_seed`, then the graph in
// int8 against the reference on input `seed`.
AgainstReference classifier_in_int8(GraphBuilder& b, ValueId features, uint64_t weight_seed, uint64_t seed) {
  b.output(b.linear(b.flatten(b.global_avg_pool(features)), 10));
  Graph g = b.finish();
  materialize_weights(g, weight_seed);
  return int8_against_reference(g, seed);
}

// What every small network here meets against the fp32 reference: cosine similarity of 0.999 and int8's tolerance.
void expect_close_in_int8(const AgainstReference& r) {
  EXPECT_GE(r.cosine, 0.999) << r.agreement.summary();
  EXPECT_TRUE(r.agreement.passed(precision_info(Precision::I8).tolerance)) << r.agreement.summary();
}

// The backend in int8 on a small network: the outputs agree with the fp32 reference (cosine similarity, the
// bound docs/int8_design.md sets, and compare.h's relative error within int8's tolerance), the error is
// int8's and not fp32's (it really computed in integers), and describe() says what ran in int8.
TEST(OnednnInt8, ASmallNetworkAgreesWithTheReferenceAndSaysWhatRanInInt8) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("int8net");
  ValueId y = b.relu(b.conv(b.input("x", {1, 8, 32, 32}), {.out = 32, .k = 3, .bias = true}));
  y = b.max_pool(y, {.k = 2});
  y = b.relu(b.conv(y, {.out = 64, .k = 3, .bias = true}));
  const AgainstReference r = classifier_in_int8(b, y, 3, 1);
  expect_close_in_int8(r);
  EXPECT_GT(r.agreement.rel_max_error, 1e-3) << "an fp32 computation would be within 1e-5";
  EXPECT_TRUE(fb::test::has_line(r.description.notes, "int8: conv x2, linear x1, pool x2; fp32: none")) << r.description.summary();
  EXPECT_TRUE(fb::test::has_line(r.description.notes, "activation scales from 4 calibration inputs"));
}

// A real network, all in int8: the residual adds as sum post-ops of the convolutions before them (the
// downsampling blocks' s8 shortcuts make their destinations s8), both pools and the classifier; one reorder
// quantizes the input.
TEST(OnednnInt8, ResNet18WithinTheBound) {
  FB_REQUIRE_ONEDNN();
  const Graph g = load_model("resnet18?res=32&classes=10", true);
  for (uint64_t seed : {1, 2}) {
    const AgainstReference r = int8_against_reference(g, seed);
    EXPECT_GE(r.cosine, 0.99) << "seed " << seed;
    EXPECT_TRUE(r.agreement.passed(precision_info(Precision::I8).tolerance)) << r.agreement.summary();
    EXPECT_TRUE(fb::test::has_line(r.description.notes, "int8: conv x20, linear x1, pool x2; fp32: none; 1 reorders"))
        << ::testing::PrintToString(r.description.notes);
  }
}

// A fire module (squeezenet's form): both expand convolutions write their integers at the concatenation's
// scale, so the concatenation copies bytes in int8 and nothing is requantized; the one reorder quantizes the
// input. Before, the concatenation ran in fp32 between dequantizing and quantizing reorders.
TEST(OnednnInt8, ConcatenationStaysInInt8AtOneScale) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("fire");
  const ValueId sq = b.relu(b.conv(b.input("x", {1, 16, 24, 24}), {.out = 8, .k = 1, .bias = true}, "squeeze"));
  const ValueId e1 = b.relu(b.conv(sq, {.out = 32, .k = 1, .bias = true}, "expand1x1"));
  const ValueId e3 = b.relu(b.conv(sq, {.out = 32, .k = 3, .pad = 1, .bias = true}, "expand3x3"));
  ValueId y = b.max_pool(b.concat({e1, e3}), {.k = 2});
  y = b.relu(b.conv(y, {.out = 32, .k = 3, .bias = true}, "next"));
  const AgainstReference r = classifier_in_int8(b, y, 5, 1);
  expect_close_in_int8(r);
  EXPECT_GT(r.agreement.rel_max_error, 1e-3) << "an fp32 computation would be within 1e-5";
  EXPECT_TRUE(fb::test::has_line(r.description.notes, "int8: concat x1, conv x4, linear x1, pool x2; fp32: none; 1 reorders"))
      << ::testing::PrintToString(r.description.notes);
  EXPECT_EQ(r.description.reorders.size(), 1u) << ::testing::PrintToString(r.description.reorders);
}

// DenseNet's form: concatenations that share inputs take one scale, so a feature two of them read is
// written (or requantized) once, not once per concatenation. `c0` is also read by a convolution, so it keeps
// its own scale and is requantized once for both concatenations; `f1`, read only by them, is written at it.
TEST(OnednnInt8, ConcatenationsSharingInputsShareOneScale) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("dense");
  const ValueId c0 = b.relu(b.conv(b.input("x", {1, 8, 16, 16}), {.out = 16, .k = 3, .pad = 1}, "stem"));
  const ValueId f1 = b.relu(b.conv(c0, {.out = 8, .k = 3, .pad = 1}, "layer1"));
  const ValueId cat1 = b.concat({c0, f1}, "cat1");
  const ValueId f2 = b.relu(b.conv(cat1, {.out = 8, .k = 3, .pad = 1}, "layer2"));
  const AgainstReference r = classifier_in_int8(b, b.concat({c0, f1, f2}, "cat2"), 7, 2);
  expect_close_in_int8(r);
  EXPECT_TRUE(fb::test::has_line(r.description.notes, "int8: concat x2, conv x3, linear x1, pool x1; fp32: none; 1 reorders"))
      << ::testing::PrintToString(r.description.notes);
  int requantized = 0;
  for (const std::string& line : r.description.reorders) requantized += line.find("input at its scale") != std::string::npos;
  EXPECT_EQ(requantized, 1) << ::testing::PrintToString(r.description.reorders);
}

// ShuffleNet's unit: the channel split, the concatenation and the channel shuffle all move integers at one
// scale, so the whole network is int8 (before, split and shuffle ran in fp32 and the concatenation's inputs
// were quantized on the way in). A concatenation that only fp32 ops read (DenseNet's pre-activation
// BatchNorm) stays an fp32 copy: in int8 it would be copied and then dequantized whole.
TEST(OnednnInt8, SplitAndShuffleStayInInt8AndAnFp32ReaderKeepsItsConcatenationFp32) {
  FB_REQUIRE_ONEDNN();
  {
    GraphBuilder b("shuffle_unit");
    ValueId x = b.relu(b.conv(b.input("x", {1, 8, 16, 16}), {.out = 32, .k = 3, .bias = true}, "stem"));
    for (int unit = 0; unit < 2; ++unit) {
      const std::vector<ValueId> halves = b.split(x, {16, 16});
      const ValueId branch = b.relu(b.conv(halves[1], {.out = 16, .k = 3, .bias = true}, "branch"));
      x = b.channel_shuffle(b.concat({halves[0], branch}), 2);
    }
    const AgainstReference r = classifier_in_int8(b, x, 9, 3);
    expect_close_in_int8(r);
    EXPECT_TRUE(fb::test::has_line(r.description.notes, "int8: concat x2, conv x3, linear x1, pool x1, shuffle x2, split x4; fp32: none; 1 reorders"))
        << ::testing::PrintToString(r.description.notes);
  }
  {
    GraphBuilder b("preactivation");
    const ValueId c0 = b.relu(b.conv(b.input("x", {1, 8, 16, 16}), {.out = 16, .k = 3}, "stem"));
    const ValueId f1 = b.relu(b.conv(c0, {.out = 8, .k = 3}, "layer1"));
    const ValueId y = b.relu(b.conv(b.relu(b.batch_norm(b.concat({c0, f1}))), {.out = 8, .k = 3}, "layer2"));
    const AgainstReference r = classifier_in_int8(b, y, 11, 4);
    EXPECT_GE(r.cosine, 0.999);
    // The ReLU rides on the BatchNorm (fuse_norm_relu), so no eltwise pass is left.
    EXPECT_TRUE(fb::test::has_line(r.description.notes, "fp32: batchnorm x1, concat x1;"))
        << ::testing::PrintToString(r.description.notes);
    EXPECT_TRUE(fb::test::has_line(r.description.notes, "int8: 1 concatenation(s) in fp32: only fp32 ops read their result"));
    EXPECT_TRUE(fb::test::has_line(r.description.notes, "int8: why fp32: batchnorm (not folded into a convolution); concat "
                                                        "(only fp32 ops read its result)"))
        << ::testing::PrintToString(r.description.notes);
    EXPECT_FALSE(fb::test::has_line(r.description.notes, "eltwise")) << ::testing::PrintToString(r.description.notes);
  }
}

TEST(OnednnInt8, OptionsAndOtherBackendsSayWhatTheyTake) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("t");
  b.output(b.relu(b.conv(b.input("x", {1, 4, 8, 8}), {.out = 4, .k = 3})));
  Graph g = b.finish();
  materialize_weights(g, 1);
  CompileOptions opt;
  opt.precision = Precision::I8;
  opt.extra = {{"calibration_inputs", "0"}};
  EXPECT_THROW(make_backend("onednn")->compile(g, opt), Error);
  opt.precision = Precision::F32;
  opt.extra = {{"calibration_inputs", "4"}};
  EXPECT_THROW(make_backend("onednn")->compile(g, opt), Error);  // only for int8
  opt.extra.clear();
  opt.precision = Precision::I8;
  try {
    make_backend("reference")->compile(g, opt);
    ADD_FAILURE() << "the reference computes in fp32 only";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not int8"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_precision("int8"), Precision::I8);
  EXPECT_EQ(parse_precision("i8"), Precision::I8);
  EXPECT_STREQ(precision_name(Precision::I8), "int8");
}

}  // namespace
}  // namespace fb::onednn
#endif
