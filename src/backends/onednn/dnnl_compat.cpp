// The oneDNN 2.x / 3.x adapter (see dnnl_compat.h). The only file of the backend that tests the version.
#include "backends/onednn/dnnl_compat.h"

#include <algorithm>

#include <dnnl_version.h>
#include <fmt/format.h>

#include "core/error.h"

#if DNNL_VERSION_MAJOR >= 3
#define FB_DNNL_V3 1
#else
#define FB_DNNL_V3 0
#endif

namespace fb::onednn::compat {

using dnnl::algorithm;
using dnnl::prop_kind;
using tag = memory::format_tag;

std::string Version::str() const { return fmt::format("{}.{}.{}", major, minor, patch); }

Version runtime_version() {
  const dnnl_version_t* v = dnnl_version();
  return {v->major, v->minor, v->patch};
}

Version header_version() { return {DNNL_VERSION_MAJOR, DNNL_VERSION_MINOR, DNNL_VERSION_PATCH}; }

bool fused_dw_wrong_on_nhwc(const Version& v) { return v < Version{2, 7, 0}; }

// ---- memory descriptors ----------------------------------------------------------------------------------
#if FB_DNNL_V3

memory::dims dims(const memory::desc& md) { return md.get_dims(); }
memory::data_type data_type(const memory::desc& md) { return md.get_data_type(); }

std::optional<memory::dims> plain_strides(const memory::desc& md) {
  if (md.get_format_kind() != memory::format_kind::blocked || md.get_inner_nblks() != 0 ||
      md.get_submemory_offset() != 0)
    return std::nullopt;
  return md.get_strides();
}

bool is_offset_view(const memory::desc& md) {
  return md.get_format_kind() == memory::format_kind::blocked && md.get_submemory_offset() != 0;
}

memory::desc with_data_type(const memory::desc& md, memory::data_type t) {
  if (md.get_data_type() == t) return md;
  if (const auto st = plain_strides(md)) return memory::desc(md.get_dims(), t, *st);
  // 3.x has no public way to copy a blocking description: find the tag that makes md.
  const memory::dims d = md.get_dims();
  if (d.size() == 4)
    for (tag k : {tag::nChw16c, tag::nChw8c, tag::nChw4c})
      if (md == memory::desc(d, md.get_data_type(), k)) return memory::desc(d, t, k);
  fail("onednn: no element-type change for this layout: {}", debug_string(md));
}

std::string debug_string(const memory::desc& md) {
  return fmt::format("dt{} fk{} dims{} padded{} strides{} inner_blks{} off{}", static_cast<int>(md.get_data_type()),
                     static_cast<int>(md.get_format_kind()), fmt::join(md.get_dims(), "x"),
                     fmt::join(md.get_padded_dims(), "x"), fmt::join(md.get_strides(), ","),
                     fmt::join(md.get_inner_blks(), ","), md.get_submemory_offset());
}

#else  // oneDNN 2.x: the C struct is public

memory::dims dims(const memory::desc& md) { return md.dims(); }
memory::data_type data_type(const memory::desc& md) { return md.data_type(); }

std::optional<memory::dims> plain_strides(const memory::desc& md) {
  const dnnl_memory_desc_t& c = md.data;
  if (c.format_kind != dnnl_blocked || c.format_desc.blocking.inner_nblks != 0 || c.offset0 != 0) return std::nullopt;
  return memory::dims(c.format_desc.blocking.strides, c.format_desc.blocking.strides + c.ndims);
}

bool is_offset_view(const memory::desc& md) { return md.data.format_kind == dnnl_blocked && md.data.offset0 != 0; }

memory::desc with_data_type(const memory::desc& md, memory::data_type t) {
  dnnl_memory_desc_t c = md.data;
  c.data_type = memory::convert_to_c(t);
  return memory::desc(c);
}

std::string debug_string(const memory::desc& md) {
  const dnnl_memory_desc_t& m = md.data;
  return fmt::format("ex{} pd{} dt{} fk{} dims{} str{} off{}", static_cast<int>(m.extra.flags),
                     fmt::join(m.padded_dims, m.padded_dims + m.ndims, "x"), static_cast<int>(m.data_type),
                     static_cast<int>(m.format_kind), fmt::join(md.dims(), "x"),
                     fmt::join(m.format_desc.blocking.strides, m.format_desc.blocking.strides + m.ndims, ","), m.offset0);
}

#endif

// ---- attributes ----------------------------------------------------------------------------------------
void append_eltwise(dnnl::post_ops& ops, algorithm alg, float alpha, float beta) {
#if FB_DNNL_V3
  ops.append_eltwise(alg, alpha, beta);
#else
  ops.append_eltwise(1.f, alg, alpha, beta);
#endif
}

void append_dw(dnnl::post_ops& ops, memory::data_type wei, memory::data_type bias, memory::data_type dst,
               memory::dim kernel, memory::dim stride, memory::dim pad_l) {
#if FB_DNNL_V3
  ops.append_dw(wei, bias, dst, kernel, stride, pad_l);
#else
  ops.append_dw(wei, bias, dst, kernel, stride, pad_l, 0, {});
#endif
}

std::pair<float, float> hardswish_alpha_beta() {
#if FB_DNNL_V3
  return {1.f / 6.f, 0.5f};  // 3.x: s * max(0, min(1, alpha * s + beta))
#else
  return {0.f, 0.f};  // 2.x: fixed s * relu6(s + 3) / 6, alpha and beta unused
#endif
}

// ---- int8 ----------------------------------------------------------------------------------------------------
#if FB_DNNL_V3
namespace {
// 3.x takes a scale per argument at run time: the attribute names its mask, the execution passes the values.
void add_runtime_scales(Int8Attr& r, const dnnl::engine& eng, int arg, int mask, const std::vector<float>& values) {
  memory m(memory::desc({static_cast<memory::dim>(values.size())}, memory::data_type::f32, tag::a), eng);
  std::copy(values.begin(), values.end(), static_cast<float*>(m.get_data_handle()));
  r.attr.set_scales_mask(arg, mask);
  r.args.push_back({DNNL_ARG_ATTR_SCALES | arg, m});
}
}  // namespace
#endif

Int8Attr int8_attr(const dnnl::engine& eng, dnnl::primitive_attr base, const std::vector<Eltwise>& post_ops,
                   const Int8Scales& s, bool grouped) {
  if (s.wei.empty()) fail("onednn int8: no weight scales");
  const bool positive = s.src > 0 && (!s.dst || *s.dst > 0) &&
                        std::all_of(s.wei.begin(), s.wei.end(), [](float w) { return w > 0; });
  if (!positive) fail("onednn int8: every scale must be positive");
  const size_t n = s.wei.size();
  Int8Attr r;
  r.attr = std::move(base);
  dnnl::post_ops ops;
  if (s.sum && !(*s.sum > 0)) fail("onednn int8: every scale must be positive");
  if (s.sum && s.sum_at > post_ops.size()) fail("onednn int8: the sum post-op after {} of {} eltwise post-ops", s.sum_at, post_ops.size());
  const bool sum_last = s.sum && s.sum_at == post_ops.size();
#if FB_DNNL_V3
  for (size_t i = 0; i < post_ops.size(); ++i) {
    if (s.sum && s.sum_at == i) ops.append_sum(*s.sum);
    ops.append_eltwise(post_ops[i].alg, post_ops[i].alpha, post_ops[i].beta);
  }
  if (sum_last) ops.append_sum(*s.sum);
  r.attr.set_post_ops(ops);
  add_runtime_scales(r, eng, DNNL_ARG_SRC, 0, {s.src});
  add_runtime_scales(r, eng, DNNL_ARG_WEIGHTS, n > 1 ? (grouped ? 3 : 1) : 0, s.wei);
  if (s.dst) add_runtime_scales(r, eng, DNNL_ARG_DST, 0, {*s.dst});
  r.bias_factor.assign(n, 1.0f);
#else
  std::vector<float> oscale(n);
  r.bias_factor.resize(n);
  for (size_t i = 0; i < n; ++i) {
    oscale[i] = s.src * s.wei[i];
    r.bias_factor[i] = 1.0f / oscale[i];
    if (s.dst && post_ops.empty() && !s.sum) oscale[i] /= *s.dst;
  }
  r.attr.set_output_scales(n > 1 ? 1 << 1 : 0, oscale);  // mask over the destination's channel dimension
  for (size_t i = 0; i < post_ops.size(); ++i) {
    if (s.sum && s.sum_at == i) ops.append_sum(*s.sum);
    const float scale = i + 1 == post_ops.size() && s.dst && !sum_last ? 1.0f / *s.dst : 1.0f;
    ops.append_eltwise(scale, post_ops[i].alg, post_ops[i].alpha, post_ops[i].beta);
  }
  if (sum_last) {
    ops.append_sum(*s.sum);
    if (s.dst) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 1.0f / *s.dst, 0.0f);
  }
  r.attr.set_post_ops(ops);
  (void)eng;
  (void)grouped;
#endif
  return r;
}

Int8Attr reorder_scales(const dnnl::engine& eng, dnnl::primitive_attr base, std::optional<float> from,
                        std::optional<float> to) {
  if ((from && !(*from > 0)) || (to && !(*to > 0))) fail("onednn int8: every scale must be positive");
  Int8Attr r;
  r.attr = std::move(base);
#if FB_DNNL_V3
  if (from) add_runtime_scales(r, eng, DNNL_ARG_FROM, 0, {*from});
  if (to) add_runtime_scales(r, eng, DNNL_ARG_TO, 0, {*to});
#else
  (void)eng;
  r.attr.set_output_scales(0, {from.value_or(1.0f) / to.value_or(1.0f)});
#endif
  return r;
}

// ---- primitive descriptors ---------------------------------------------------------------------------------
#if FB_DNNL_V3

dnnl::convolution_forward::primitive_desc make_conv_pd(const dnnl::engine& eng, const memory::desc& src,
                                                       const memory::desc& weights, const memory::desc& bias,
                                                       const memory::desc& dst, const memory::dims& strides,
                                                       const memory::dims& dilates, const memory::dims& pad_l,
                                                       const memory::dims& pad_r, const dnnl::primitive_attr& attr,
                                                       algorithm alg) {
  return dnnl::convolution_forward::primitive_desc(eng, prop_kind::forward_inference, alg, src, weights, bias, dst,
                                                   strides, dilates, pad_l, pad_r, attr);
}

dnnl::inner_product_forward::primitive_desc make_inner_product_pd(const dnnl::engine& eng, const memory::desc& src,
                                                                  const memory::desc& weights,
                                                                  const memory::desc& bias, const memory::desc& dst,
                                                                  const dnnl::primitive_attr& attr) {
  return dnnl::inner_product_forward::primitive_desc(eng, prop_kind::forward_inference, src, weights, bias, dst, attr);
}

dnnl::pooling_forward::primitive_desc make_pooling_pd(const dnnl::engine& eng, algorithm alg, const memory::desc& src,
                                                      const memory::desc& dst, const memory::dims& strides,
                                                      const memory::dims& kernel, const memory::dims& pad_l,
                                                      const memory::dims& pad_r, const dnnl::primitive_attr& attr) {
  const memory::dims no_dilation(kernel.size(), 0);
  return dnnl::pooling_forward::primitive_desc(eng, prop_kind::forward_inference, alg, src, dst, strides, kernel,
                                               no_dilation, pad_l, pad_r, attr);
}

dnnl::eltwise_forward::primitive_desc make_eltwise_pd(const dnnl::engine& eng, algorithm alg, const memory::desc& src,
                                                      float alpha, float beta, const dnnl::primitive_attr& attr) {
  return dnnl::eltwise_forward::primitive_desc(eng, prop_kind::forward_inference, alg, src, src, alpha, beta, attr);
}

dnnl::batch_normalization_forward::primitive_desc make_batch_norm_pd(const dnnl::engine& eng,
                                                                     const memory::desc& src, float eps,
                                                                     dnnl::normalization_flags flags,
                                                                     const dnnl::primitive_attr& attr) {
  return dnnl::batch_normalization_forward::primitive_desc(eng, prop_kind::forward_inference, src, src, eps, flags,
                                                           attr);
}

dnnl::binary::primitive_desc make_binary_pd(const dnnl::engine& eng, algorithm alg, const memory::desc& src0,
                                            const memory::desc& src1, const memory::desc& dst,
                                            const dnnl::primitive_attr& attr) {
  return dnnl::binary::primitive_desc(eng, alg, src0, src1, dst, attr);
}

dnnl::softmax_forward::primitive_desc make_softmax_pd(const dnnl::engine& eng, const memory::desc& src, int axis,
                                                      const dnnl::primitive_attr& attr) {
  return dnnl::softmax_forward::primitive_desc(eng, prop_kind::forward_inference, algorithm::softmax_accurate, src, src,
                                               axis, attr);
}

dnnl::shuffle_forward::primitive_desc make_shuffle_pd(const dnnl::engine& eng, const memory::desc& src, int axis,
                                                      memory::dim group_size, const dnnl::primitive_attr& attr) {
  return dnnl::shuffle_forward::primitive_desc(eng, prop_kind::forward_inference, src, src, axis,
                                               static_cast<int>(group_size), attr);
}

dnnl::concat::primitive_desc make_concat_pd(const dnnl::engine& eng, const memory::desc& dst, int axis,
                                            const std::vector<memory::desc>& srcs, const dnnl::primitive_attr& attr) {
  return dnnl::concat::primitive_desc(eng, dst, axis, srcs, attr);
}

#else  // oneDNN 2.x: an operation descriptor, then its primitive descriptor

dnnl::convolution_forward::primitive_desc make_conv_pd(const dnnl::engine& eng, const memory::desc& src,
                                                       const memory::desc& weights, const memory::desc& bias,
                                                       const memory::desc& dst, const memory::dims& strides,
                                                       const memory::dims& dilates, const memory::dims& pad_l,
                                                       const memory::dims& pad_r, const dnnl::primitive_attr& attr,
                                                       algorithm alg) {
  dnnl::convolution_forward::desc d(prop_kind::forward_inference, alg, src, weights, bias, dst, strides, dilates,
                                    pad_l, pad_r);
  return dnnl::convolution_forward::primitive_desc(d, attr, eng);
}

dnnl::inner_product_forward::primitive_desc make_inner_product_pd(const dnnl::engine& eng, const memory::desc& src,
                                                                  const memory::desc& weights,
                                                                  const memory::desc& bias, const memory::desc& dst,
                                                                  const dnnl::primitive_attr& attr) {
  dnnl::inner_product_forward::desc d(prop_kind::forward_inference, src, weights, bias, dst);
  return dnnl::inner_product_forward::primitive_desc(d, attr, eng);
}

dnnl::pooling_forward::primitive_desc make_pooling_pd(const dnnl::engine& eng, algorithm alg, const memory::desc& src,
                                                      const memory::desc& dst, const memory::dims& strides,
                                                      const memory::dims& kernel, const memory::dims& pad_l,
                                                      const memory::dims& pad_r, const dnnl::primitive_attr& attr) {
  dnnl::pooling_forward::desc d(prop_kind::forward_inference, alg, src, dst, strides, kernel, pad_l, pad_r);
  return dnnl::pooling_forward::primitive_desc(d, attr, eng);
}

dnnl::eltwise_forward::primitive_desc make_eltwise_pd(const dnnl::engine& eng, algorithm alg, const memory::desc& src,
                                                      float alpha, float beta, const dnnl::primitive_attr& attr) {
  dnnl::eltwise_forward::desc d(prop_kind::forward_inference, alg, src, alpha, beta);
  return dnnl::eltwise_forward::primitive_desc(d, attr, eng);
}

dnnl::batch_normalization_forward::primitive_desc make_batch_norm_pd(const dnnl::engine& eng,
                                                                     const memory::desc& src, float eps,
                                                                     dnnl::normalization_flags flags,
                                                                     const dnnl::primitive_attr& attr) {
  dnnl::batch_normalization_forward::desc d(prop_kind::forward_inference, src, eps, flags);
  return dnnl::batch_normalization_forward::primitive_desc(d, attr, eng);
}

dnnl::binary::primitive_desc make_binary_pd(const dnnl::engine& eng, algorithm alg, const memory::desc& src0,
                                            const memory::desc& src1, const memory::desc& dst,
                                            const dnnl::primitive_attr& attr) {
  return dnnl::binary::primitive_desc(dnnl::binary::desc(alg, src0, src1, dst), attr, eng);
}

dnnl::softmax_forward::primitive_desc make_softmax_pd(const dnnl::engine& eng, const memory::desc& src, int axis,
                                                      const dnnl::primitive_attr& attr) {
  dnnl::softmax_forward::desc d(prop_kind::forward_inference, src, axis);
  return dnnl::softmax_forward::primitive_desc(d, attr, eng);
}

dnnl::shuffle_forward::primitive_desc make_shuffle_pd(const dnnl::engine& eng, const memory::desc& src, int axis,
                                                      memory::dim group_size, const dnnl::primitive_attr& attr) {
  dnnl::shuffle_forward::desc d(prop_kind::forward_inference, src, axis, group_size);
  return dnnl::shuffle_forward::primitive_desc(d, eng, attr);
}

dnnl::concat::primitive_desc make_concat_pd(const dnnl::engine& eng, const memory::desc& dst, int axis,
                                            const std::vector<memory::desc>& srcs, const dnnl::primitive_attr& attr) {
  return dnnl::concat::primitive_desc(dst, axis, srcs, eng, attr);
}

#endif

// ---- the CPU --------------------------------------------------------------------------------------------
// 3.x names the AVX10.1 ISAs too; their values alias the avx512_core_fp16/amx ones, so only those appear.
std::string isa_name(dnnl::cpu_isa isa) {
  using i = dnnl::cpu_isa;
  switch (isa) {
#if FB_DNNL_V3
    case i::avx512_core_amx_fp16: return "avx512_core_amx_fp16";
    case i::avx512_core_fp16: return "avx512_core_fp16";
    case i::avx2_vnni_2: return "avx2_vnni_2";
#endif
    case i::avx512_core_amx: return "avx512_core_amx";
    case i::avx512_core_bf16: return "avx512_core_bf16";
    case i::avx512_core_vnni: return "avx512_core_vnni";
    case i::avx512_core: return "avx512_core";
    case i::avx2_vnni: return "avx2_vnni";
    case i::avx2: return "avx2";
    case i::avx: return "avx";
    case i::sse41: return "sse41";
    default: return "other";
  }
}

bool has_native_bf16(dnnl::cpu_isa isa) {
  using i = dnnl::cpu_isa;
#if FB_DNNL_V3
  if (isa == i::avx512_core_fp16 || isa == i::avx512_core_amx_fp16) return true;
#endif
  return isa == i::avx512_core_bf16 || isa == i::avx512_core_amx;
}

bool has_int8_dot_product(dnnl::cpu_isa isa) {
  using i = dnnl::cpu_isa;
#if FB_DNNL_V3
  if (isa == i::avx2_vnni_2) return true;
#endif
  return has_native_bf16(isa) || isa == i::avx512_core_vnni || isa == i::avx2_vnni;
}

bool has_avx512_core(dnnl::cpu_isa isa) {
  using i = dnnl::cpu_isa;
  return has_native_bf16(isa) || isa == i::avx512_core || isa == i::avx512_core_vnni;
}

}  // namespace fb::onednn::compat
