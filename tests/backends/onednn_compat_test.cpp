// The oneDNN 2.x / 3.x adapter: the version gates decide the same way whichever oneDNN this build has, and
// the memory-descriptor and primitive helpers behave alike on both (this build's library is one of them).
#ifdef FORMBENCH_HAVE_ONEDNN
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/onednn/dnnl_compat.h"
#include "ir/builder.h"
#include "onednn_test_support.h"

namespace fb::onednn {
namespace {

using compat::Version;
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

TEST(OnednnCompat, VersionIsTheLoadedLibrarys) {
  const Version run = compat::runtime_version(), built = compat::header_version();
  EXPECT_GE(run.major, 2);
  EXPECT_EQ(run.major, built.major);  // one soname per major version: 2.x headers never load a 3.x library
  EXPECT_EQ(Version({3, 7, 2}).str(), "3.7.2");
  EXPECT_LT(Version({2, 6, 3}), Version({2, 7, 0}));
  EXPECT_LT(Version({2, 7, 5}), Version({3, 0, 0}));
}

// oneDNN fixed its 1x1+depthwise JIT kernels on nxc tensors in 2.7 (sse41, avx2 and avx512): the
// workaround (the fused conv keeps oneDNN's own layout; nhwc refused) applies to 2.6 and nothing newer.
TEST(OnednnCompat, FusedDepthwiseNhwcWorkaroundOnlyBefore27) {
  EXPECT_TRUE(compat::fused_dw_wrong_on_nhwc({2, 6, 0}));
  EXPECT_TRUE(compat::fused_dw_wrong_on_nhwc({2, 6, 3}));  // Debian 12
  EXPECT_FALSE(compat::fused_dw_wrong_on_nhwc({2, 7, 0}));
  EXPECT_FALSE(compat::fused_dw_wrong_on_nhwc({3, 0, 0}));
  EXPECT_FALSE(compat::fused_dw_wrong_on_nhwc({3, 7, 2}));  // Debian 13
}

TEST(OnednnCompat, MemoryDescriptorHelpers) {
  const memory::desc nchw({2, 6, 5, 4}, dt::f32, tag::nchw), nhwc({2, 6, 5, 4}, dt::f32, tag::nhwc);
  EXPECT_EQ(compat::dims(nchw), (memory::dims{2, 6, 5, 4}));
  EXPECT_EQ(compat::data_type(nchw), dt::f32);
  ASSERT_TRUE(compat::plain_strides(nchw) && compat::plain_strides(nhwc));
  EXPECT_EQ(*compat::plain_strides(nchw), (memory::dims{120, 20, 4, 1}));
  EXPECT_EQ(*compat::plain_strides(nhwc), (memory::dims{120, 1, 24, 6}));
  const memory::desc blocked({2, 20, 5, 4}, dt::f32, tag::nChw16c);
  EXPECT_FALSE(compat::plain_strides(blocked));
  EXPECT_FALSE(compat::is_offset_view(nchw));
  const memory::desc view = nchw.submemory_desc({2, 3, 5, 4}, {0, 3, 0, 0});
  EXPECT_TRUE(compat::is_offset_view(view));
  EXPECT_FALSE(compat::plain_strides(view));
  // A change of element type keeps the layout, plain or blocked.
  for (const memory::desc& md : {nchw, nhwc, blocked}) {
    const memory::desc b = compat::with_data_type(md, dt::bf16);
    EXPECT_EQ(compat::data_type(b), dt::bf16);
    EXPECT_TRUE(b == memory::desc(compat::dims(md), dt::bf16, md == nchw ? tag::nchw : md == nhwc ? tag::nhwc : tag::nChw16c));
  }
  EXPECT_FALSE(compat::debug_string(view).empty());
}

// hardswish: 2.x has fixed parameters, 3.x takes alpha = 1/6, beta = 1/2; either way the primitive must
// compute x * relu6(x + 3) / 6.
TEST(OnednnCompat, HardswishMatchesPyTorch) {
  const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream st(eng);
  const memory::desc md({1, 1, 1, 8}, dt::f32, tag::nchw);
  std::vector<float> x = {-5.f, -3.f, -1.5f, -0.5f, 0.f, 1.f, 2.5f, 4.f}, y(x.size());
  const auto [alpha, beta] = compat::hardswish_alpha_beta();
  const auto pd = compat::make_eltwise_pd(eng, dnnl::algorithm::eltwise_hardswish, md, alpha, beta, {});
  memory mx(md, eng, x.data()), my(md, eng, y.data());
  dnnl::eltwise_forward(pd).execute(st, {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DST, my}});
  st.wait();
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(y[i], x[i] * std::min(std::max(x[i] + 3.f, 0.f), 6.f) / 6.f, 1e-6) << "x = " << x[i];
  }
}

// The depthwise post-op built through the adapter: oneDNN accepts it on this build's version.
TEST(OnednnCompat, DepthwisePostOpIsAccepted) {
  const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::post_ops ops;
  compat::append_eltwise(ops, dnnl::algorithm::eltwise_clip, 0.f, 6.f);
  compat::append_dw(ops, dt::f32, dt::f32, dt::f32, 3, 1, 1);
  EXPECT_EQ(ops.len(), 2);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  auto any = [](memory::dims d) { return memory::desc(d, dt::f32, tag::any); };
  const auto pd = compat::make_conv_pd(eng, any({1, 16, 28, 28}), any({64, 16, 1, 1}), memory::desc(),
                                       any({1, 64, 28, 28}), {1, 1}, {0, 0}, {0, 0}, {0, 0}, attr);
  EXPECT_EQ(compat::dims(pd.dst_desc()), (memory::dims{1, 64, 28, 28}));
  EXPECT_EQ(compat::dims(pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS)),
            (memory::dims{64, 1, 1, 3, 3}));
}

TEST(OnednnCompat, DescribeAndDoctorNameTheVersion) {
  FB_REQUIRE_ONEDNN();
  const std::string v = compat::runtime_version().str();
  auto b = make_backend("onednn");
  EXPECT_NE(b->summary().find("oneDNN " + v), std::string::npos) << b->summary();
  EXPECT_EQ(b->diagnostics(CompileOptions{}).value("version", ""), v);
  GraphBuilder gb("tiny");
  gb.output(gb.relu(gb.conv(gb.input("x", {1, 4, 6, 6}), {.out = 8, .k = 3}, "conv")));
  Graph g = gb.finish();
  materialize_weights(g, 1);
  const Description d = make_backend("onednn")->compile(g, CompileOptions{})->describe();
  EXPECT_TRUE(test::has_line(d.notes, "oneDNN " + v + ", isa ")) << d.summary();
}

}  // namespace
}  // namespace fb::onednn
#endif  // FORMBENCH_HAVE_ONEDNN
