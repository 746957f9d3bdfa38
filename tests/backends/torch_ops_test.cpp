// Every op on the LibTorch backends (eager and TorchScript) against the reference backend, at small odd
// shapes with the attribute corners that differ between frameworks (asymmetric padding, ceil mode,
// count_include_pad, groups, dilation) and with in-place hazards (a value read by two nodes).
#include <functional>

#include "ir/builder.h"
#include "torch_test_util.h"

namespace fb {
namespace {

struct OpCase {
  std::string name;
  Shape input;
  std::function<void(GraphBuilder&, ValueId)> body;  // adds nodes and outputs
};

PoolAttrs pool(int64_t k, int64_t s, int64_t t, int64_t l, int64_t b, int64_t r, bool ceil, bool cip) {
  PoolAttrs a;
  a.kernel_h = a.kernel_w = k;
  a.stride_h = a.stride_w = s;
  a.pad_top = t, a.pad_left = l, a.pad_bottom = b, a.pad_right = r;
  a.ceil_mode = ceil;
  a.count_include_pad = cip;
  return a;
}

std::vector<OpCase> op_cases() {
  const Shape img{1, 6, 13, 13};
  auto out = [](GraphBuilder& b, ValueId v) { b.output(v); };
  return {
      {"conv3x3_bias", img, [=](GraphBuilder& b, ValueId x) { out(b, b.conv(x, {.out = 7, .k = 3, .bias = true})); }},
      {"conv_stride2_odd", img, [=](GraphBuilder& b, ValueId x) { out(b, b.conv(x, {.out = 5, .k = 3, .stride = 2})); }},
      {"conv_groups3", img, [=](GraphBuilder& b, ValueId x) { out(b, b.conv(x, {.out = 9, .k = 3, .groups = 3})); }},
      {"conv_depthwise", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.conv(x, {.out = 6, .k = 5, .stride = 2, .groups = 6, .bias = true})); }},
      {"conv_dilation2", img, [=](GraphBuilder& b, ValueId x) { out(b, b.conv(x, {.out = 4, .k = 3, .dilation = 2})); }},
      {"conv_1x7", img, [=](GraphBuilder& b, ValueId x) { out(b, b.conv(x, {.out = 4, .kh = 1, .kw = 7, .pad_h = 0, .pad_w = 3})); }},
      {"conv_asymmetric_pad", img,
       [=](GraphBuilder& b, ValueId x) {
         Conv2dAttrs a;
         a.out_channels = 5, a.kernel_h = a.kernel_w = 3, a.stride_h = a.stride_w = 2;
         a.pad_top = 0, a.pad_left = 1, a.pad_bottom = 1, a.pad_right = 2, a.bias = true;
         out(b, b.conv2d(x, a));
       }},
      {"batch_norm", img, [=](GraphBuilder& b, ValueId x) { out(b, b.batch_norm(x)); }},
      {"relu", img, [=](GraphBuilder& b, ValueId x) { out(b, b.relu(x)); }},
      {"relu6", img, [=](GraphBuilder& b, ValueId x) { out(b, b.relu6(b.conv(x, {.out = 6, .k = 3}))); }},
      {"sigmoid", img, [=](GraphBuilder& b, ValueId x) { out(b, b.sigmoid(x)); }},
      {"hardsigmoid_torch", img, [=](GraphBuilder& b, ValueId x) { out(b, b.hard_sigmoid(b.conv(x, {.out = 6, .k = 1}))); }},
      {"hardsigmoid_onnx", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.hard_sigmoid(b.conv(x, {.out = 6, .k = 1}), "hs", {0.2f, 0.5f})); }},
      {"silu", img, [=](GraphBuilder& b, ValueId x) { out(b, b.silu(b.conv(x, {.out = 6, .k = 1}))); }},
      {"hardswish", img, [=](GraphBuilder& b, ValueId x) { out(b, b.hard_swish(b.conv(x, {.out = 6, .k = 1}))); }},
      {"add_residual", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.relu(b.add(b.batch_norm(b.conv(x, {.out = 6, .k = 3})), x))); }},
      {"add_broadcast", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.add(b.conv(x, {.out = 6, .k = 1}), b.global_avg_pool(x))); }},
      {"mul_squeeze_excite", img,
       [=](GraphBuilder& b, ValueId x) {
         ValueId s = b.hard_sigmoid(b.conv(b.relu(b.conv(b.global_avg_pool(x), {.out = 3, .bias = true})), {.out = 6, .bias = true}));
         out(b, b.mul(x, s));
       }},
      {"concat", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.concat({b.conv(x, {.out = 3, .k = 1}), x, b.relu(x)})); }},
      {"split_shuffle", img,
       [=](GraphBuilder& b, ValueId x) {
         auto parts = b.split(b.conv(x, {.out = 6, .k = 1}), {2, 4});
         ValueId r = b.relu(parts[1]);  // in-place here would corrupt the split's input
         out(b, b.channel_shuffle(b.concat({parts[0], r}), 3));
       }},
      {"channel_shuffle", {1, 12, 5, 7}, [=](GraphBuilder& b, ValueId x) { out(b, b.channel_shuffle(b.relu(x), 4)); }},
      {"maxpool_pad", img, [=](GraphBuilder& b, ValueId x) { out(b, b.max_pool(x, {.k = 3, .stride = 2, .pad = 1})); }},
      {"maxpool_ceil", img, [=](GraphBuilder& b, ValueId x) { out(b, b.max_pool(x, {.k = 2, .stride = 2, .ceil_mode = true})); }},
      {"maxpool_ceil_pad", {1, 3, 14, 14},
       [=](GraphBuilder& b, ValueId x) { out(b, b.max_pool(x, {.k = 3, .stride = 2, .pad = 1, .ceil_mode = true})); }},
      {"maxpool_asymmetric", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.add_node(Op::MaxPool, pool(3, 2, 0, 1, 1, 0, true, true), {x}, "mp")[0]); }},
      {"avgpool_include_pad", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.avg_pool(x, {.k = 3, .stride = 2, .pad = 1})); }},
      {"avgpool_exclude_pad", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.avg_pool(x, {.k = 3, .stride = 2, .pad = 1, .count_include_pad = false})); }},
      {"avgpool_ceil_pad", {1, 3, 14, 14},
       [=](GraphBuilder& b, ValueId x) { out(b, b.avg_pool(x, {.k = 3, .stride = 2, .pad = 1, .ceil_mode = true})); }},
      {"avgpool_asymmetric_include", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.add_node(Op::AvgPool, pool(3, 2, 1, 0, 0, 1, true, true), {x}, "ap")[0]); }},
      {"avgpool_asymmetric_exclude", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.add_node(Op::AvgPool, pool(3, 2, 1, 1, 0, 1, false, false), {x}, "ap")[0]); }},
      {"classifier_head", img,
       [=](GraphBuilder& b, ValueId x) { out(b, b.softmax(b.linear(b.flatten(b.global_avg_pool(b.relu(x))), 11))); }},
      {"linear_no_bias", {2, 6, 3, 3}, [=](GraphBuilder& b, ValueId x) { out(b, b.linear(b.flatten(x), 5, "fc", false)); }},
      {"identity_dropout", img, [=](GraphBuilder& b, ValueId x) { out(b, b.dropout(b.identity(b.relu(b.batch_norm(x))))); }},
      {"shared_input_two_outputs", img,
       [=](GraphBuilder& b, ValueId x) {
         ValueId y = b.batch_norm(b.conv(x, {.out = 6, .k = 3}));
         b.output(b.relu(y));              // y is read twice: no in-place
         b.output(b.add(y, b.hard_swish(y)));
       }},
  };
}

class TorchOps : public ::testing::TestWithParam<std::tuple<std::string, OpCase>> {};

TEST_P(TorchOps, MatchesReference) {
  const auto& [backend, c] = GetParam();
  FB_SKIP_UNLESS_BUILT(backend);
  GraphBuilder b("op_" + c.name);
  c.body(b, b.input("input", c.input));
  Graph g = b.finish();
  materialize_weights(g, 11);
  const auto inputs = make_inputs(g, 5);
  const auto ref = torch_test::run("reference", g, inputs);
  const auto out = torch_test::run(backend, g, inputs);
  ASSERT_EQ(ref.size(), out.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    Agreement a = compare_outputs(ref[i], out[i], 1e-4);
    EXPECT_TRUE(a.passed(1e-4)) << c.name << " output " << i << ": " << a.summary() << "\n" << make_backend(backend)->compile(g, {})->describe().to_json().dump(1);
    EXPECT_GT(a.ref_max_magnitude, 0.0) << "degenerate case: the reference output is all zeros";
  }
  // A second run reuses the executable and the output buffers: same numbers.
  CompileOptions opt;
  opt.threads = 1;
  auto exe = make_backend(backend)->compile(g, opt);
  std::vector<Tensor> again;
  exe->run(inputs, again);
  exe->run(inputs, again);
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_LE(compare_outputs(ref[i], again[i], 1e-4).rel_max_error, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(All, TorchOps,
                         ::testing::Combine(::testing::Values("torch", "torchscript"), ::testing::ValuesIn(op_cases())),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param).name;
                         });

}  // namespace
}  // namespace fb
