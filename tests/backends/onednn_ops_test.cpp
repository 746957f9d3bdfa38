// Single ops on the onednn backend against the reference (the ops ResNets do not exercise), in the default
// blocked mode and with plain layouts.
#include "backends/onednn/refusals.h"
#include "ir/builder.h"
#include "onednn_test_support.h"

namespace fb {
namespace {

struct OpCase {
  const char* name;
  std::function<ValueId(GraphBuilder&, ValueId)> build;
};

TEST(OnednnOps, EachOpAgreesWithReference) {
  FB_REQUIRE_ONEDNN();
  const std::vector<OpCase> cases = {
      {"shuffle", [](GraphBuilder& b, ValueId x) { return b.channel_shuffle(x, 4); }},
      {"shuffle3", [](GraphBuilder& b, ValueId x) { return b.channel_shuffle(b.conv(x, {.out = 24, .k = 1}), 3); }},
      {"maxpool_ceil", [](GraphBuilder& b, ValueId x) { return b.max_pool(x, {.k = 3, .stride = 2, .ceil_mode = true}); }},
      {"maxpool_pad", [](GraphBuilder& b, ValueId x) { return b.max_pool(x, {.k = 3, .stride = 2, .pad = 1}); }},
      {"avgpool_ceil_excl", [](GraphBuilder& b, ValueId x) {
         return b.avg_pool(x, {.k = 2, .stride = 2, .ceil_mode = true, .count_include_pad = false}); }},
      {"avgpool_ceil_incl_nopad", [](GraphBuilder& b, ValueId x) {
         return b.avg_pool(x, {.k = 3, .stride = 2, .ceil_mode = true}); }},
      {"avgpool_pad_incl", [](GraphBuilder& b, ValueId x) { return b.avg_pool(x, {.k = 3, .stride = 1, .pad = 1}); }},
      {"avgpool_pad_excl", [](GraphBuilder& b, ValueId x) {
         return b.avg_pool(x, {.k = 3, .stride = 1, .pad = 1, .count_include_pad = false}); }},
      {"split_off_block", [](GraphBuilder& b, ValueId x) {
         auto p = b.split(b.conv(x, {.out = 40, .k = 1}), {8, 32});
         return b.concat({p[1], p[0]}); }},
      {"concat_mixed", [](GraphBuilder& b, ValueId x) { return b.concat({b.conv(x, {.out = 8, .k = 1}), x}); }},
      {"hardsigmoid", [](GraphBuilder& b, ValueId x) { return b.hard_sigmoid(x); }},
      {"mul_broadcast", [](GraphBuilder& b, ValueId x) { return b.mul(x, b.sigmoid(b.global_avg_pool(x))); }},
      {"add_broadcast_first", [](GraphBuilder& b, ValueId x) { return b.add(b.global_avg_pool(x), x); }},
      {"batchnorm_unfolded", [](GraphBuilder& b, ValueId x) { return b.batch_norm(b.relu(x)); }},
      {"softmax", [](GraphBuilder& b, ValueId x) { return b.softmax(b.linear(b.flatten(b.global_avg_pool(x)), 7)); }},
      {"grouped_dilated_conv", [](GraphBuilder& b, ValueId x) {
         return b.conv(x, {.out = 24, .k = 3, .groups = 4, .dilation = 2, .bias = true}); }},
      {"asym_kernel", [](GraphBuilder& b, ValueId x) { return b.conv(x, {.out = 8, .kh = 1, .kw = 7, .pad_h = 0, .pad_w = 3}); }},
      {"identity_out", [](GraphBuilder& b, ValueId x) { return b.identity(b.relu(x)); }},
  };
  for (const OpCase& c : cases)
    for (bool plain : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (plain ? " plain" : " blocked"));
      GraphBuilder b(c.name);
      ValueId x = b.input("x", {2, 16, 11, 11});
      b.output(c.build(b, x));
      Graph g = b.finish();
      materialize_weights(g, 2);
      std::map<std::string, std::string> extra;
      if (plain) extra["layout"] = "plain";
      test::RunResult r = test::run_against_reference(g, extra);
      EXPECT_TRUE(r.agreement.passed(1e-4)) << r.agreement.summary() << "\n" << r.description.summary();
    }
}

TEST(OnednnOps, EachOpInBf16) {
  FB_REQUIRE_ONEDNN();
  GraphBuilder b("bf16_ops");
  ValueId x = b.input("x", {2, 16, 11, 11});
  auto parts = b.split(b.relu(b.conv(x, {.out = 40, .k = 1})), {8, 32});
  ValueId y = b.channel_shuffle(b.concat({parts[1], parts[0], x}), 4);
  y = b.mul(y, b.hard_sigmoid(b.global_avg_pool(y)));
  y = b.avg_pool(b.max_pool(y, {.k = 3, .stride = 2, .ceil_mode = true}), {.k = 2, .stride = 1});
  b.output(b.softmax(b.linear(b.flatten(b.global_avg_pool(b.silu(b.batch_norm(y)))), 7)));
  Graph g = b.finish();
  materialize_weights(g, 2);
  CompileOptions opt;
  opt.threads = 2;
  opt.precision = Precision::BF16;
  std::unique_ptr<Executable> exe;
  try {
    exe = make_backend("onednn")->compile(g, opt);
  } catch (const Error& e) {
    if (onednn::is_bf16_refusal(e.what())) GTEST_SKIP() << e.what();
    FAIL() << "bf16 compile failed: " << e.what();
  }
  auto ref = make_backend("reference")->compile(g, CompileOptions{});
  std::vector<Tensor> out, want;
  exe->run(make_inputs(g, 3), out);
  ref->run(make_inputs(g, 3), want);
  const Agreement a = compare_outputs(want[0], out[0], 3e-2);
  EXPECT_TRUE(a.passed(3e-2)) << a.summary();
}

}  // namespace
}  // namespace fb
