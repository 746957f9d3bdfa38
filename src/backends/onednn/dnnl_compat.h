#pragma once
// Everything in the onednn backend that differs between oneDNN 2.x (Debian 12: 2.6) and 3.x (Debian 13:
// 3.7) goes through here; the rest of the backend uses only what both have. The differences: 3.x has no
// operation descriptors (a primitive descriptor is built from the engine and the parameters directly),
// eltwise post-ops lost their scale, the depthwise post-op lost its output scales, memory::desc lost its
// public C struct (.data) and dims()/data_type() became get_dims()/get_data_type(), concat takes the engine
// first, and hardswish takes alpha and beta. Known bugs of a release are gated here too, on the version of
// the library actually loaded.
#include <compare>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <dnnl.hpp>

namespace fb::onednn::compat {

using dnnl::memory;

struct Version {
  int major = 0, minor = 0, patch = 0;
  auto operator<=>(const Version&) const = default;
  std::string str() const;  // "3.7.2"
};

Version runtime_version();  // the loaded library's (dnnl_version())
Version header_version();   // the headers this was compiled against

// ---- memory descriptors ----------------------------------------------------------------------------------
memory::dims dims(const memory::desc& md);
memory::data_type data_type(const memory::desc& md);
// md with another element type, same layout (plain, strided or one of the blocked tags the backend uses).
memory::desc with_data_type(const memory::desc& md, memory::data_type t);
// The strides of a strided layout without inner blocks at offset 0 (nchw, nhwc, permutations); else none.
std::optional<memory::dims> plain_strides(const memory::desc& md);
// A view into a larger buffer: a strided/blocked layout with a non-zero offset.
bool is_offset_view(const memory::desc& md);
// Every field, for error messages.
std::string debug_string(const memory::desc& md);

// ---- attributes ----------------------------------------------------------------------------------------
// One oneDNN elementwise algorithm with its parameters (a post-op or an eltwise primitive).
struct Eltwise {
  dnnl::algorithm alg;
  float alpha = 0, beta = 0;
};
void append_eltwise(dnnl::post_ops& ops, dnnl::algorithm alg, float alpha, float beta);
// A depthwise convolution post-op (no output scales: the backend computes in f32/bf16).
void append_dw(dnnl::post_ops& ops, memory::data_type wei, memory::data_type bias, memory::data_type dst,
               memory::dim kernel, memory::dim stride, memory::dim pad_l);
// alpha and beta for eltwise_hardswish (PyTorch's x * relu6(x + 3) / 6).
std::pair<float, float> hardswish_alpha_beta();

// ---- int8 (docs/int8_design.md) -------------------------------------------------------------------------
// The scales of an int8 convolution or inner product in 3.x's terms: y = s_src * s_wei[oc] * acc + bias, then
// the eltwise post-ops (on real numbers), then y / s_dst into an integer destination (none: an f32 one).
struct Int8Scales {
  float src = 1;
  std::vector<float> wei;    // one per output channel, or one for all
  std::optional<float> dst;  // absent: an f32 destination, not scaled
  // A residual sum post-op (y += sum * q, q the integers already in the destination) before post_ops[sum_at].
  std::optional<float> sum;
  size_t sum_at = 0;
};
// What such a primitive needs on either release: its attribute (`base` with the post-ops and the scales), the
// scale memories to pass at every execution (3.x takes scales at run time; 2.x holds them in the attribute,
// so none), and the factor each output channel's f32 bias is multiplied by before it is handed over (2.x adds
// the bias before scaling: 1 / (s_src * s_wei[oc]); 3.x adds it as it is: 1). 2.x has no destination scale:
// it goes into the output scale when no post-op follows, else into the last eltwise post-op's own scale (or an
// eltwise_linear appended after a final sum).
struct Int8Attr {
  dnnl::primitive_attr attr;
  std::vector<std::pair<int, memory>> args;
  std::vector<float> bias_factor;
};
// `grouped`: weights with a leading groups dimension (goihw), where an output channel spans two dimensions.
// Throws fb::Error on missing or non-positive scales.
Int8Attr int8_attr(const dnnl::engine& eng, dnnl::primitive_attr base, const std::vector<Eltwise>& post_ops,
                   const Int8Scales& s, bool grouped);
// A reorder between real numbers and int8, or between two int8 scales: dst = src * from / to, where an
// absent scale is an f32 side (no bias factor).
Int8Attr reorder_scales(const dnnl::engine& eng, dnnl::primitive_attr base, std::optional<float> from,
                        std::optional<float> to);

// ---- primitive descriptors (forward inference) ---------------------------------------------------------
// `bias` may be a zero memory::desc (no bias). Dilations count from 0 (oneDNN's convention). `alg`:
// convolution_direct, or convolution_winograd (throws where the release offers no Winograd kernel).
dnnl::convolution_forward::primitive_desc make_conv_pd(
    const dnnl::engine& eng, const memory::desc& src, const memory::desc& weights, const memory::desc& bias,
    const memory::desc& dst, const memory::dims& strides, const memory::dims& dilates, const memory::dims& pad_l,
    const memory::dims& pad_r, const dnnl::primitive_attr& attr,
    dnnl::algorithm alg = dnnl::algorithm::convolution_direct);
dnnl::inner_product_forward::primitive_desc make_inner_product_pd(const dnnl::engine& eng, const memory::desc& src,
                                                                  const memory::desc& weights,
                                                                  const memory::desc& bias, const memory::desc& dst,
                                                                  const dnnl::primitive_attr& attr);
dnnl::pooling_forward::primitive_desc make_pooling_pd(const dnnl::engine& eng, dnnl::algorithm alg,
                                                      const memory::desc& src, const memory::desc& dst,
                                                      const memory::dims& strides, const memory::dims& kernel,
                                                      const memory::dims& pad_l, const memory::dims& pad_r,
                                                      const dnnl::primitive_attr& attr);
// dst in src's layout.
dnnl::eltwise_forward::primitive_desc make_eltwise_pd(const dnnl::engine& eng, dnnl::algorithm alg,
                                                      const memory::desc& src, float alpha, float beta,
                                                      const dnnl::primitive_attr& attr);
// Inference with the given mean/variance; dst in src's layout.
dnnl::batch_normalization_forward::primitive_desc make_batch_norm_pd(const dnnl::engine& eng,
                                                                     const memory::desc& src, float eps,
                                                                     dnnl::normalization_flags flags,
                                                                     const dnnl::primitive_attr& attr);
dnnl::binary::primitive_desc make_binary_pd(const dnnl::engine& eng, dnnl::algorithm alg, const memory::desc& src0,
                                            const memory::desc& src1, const memory::desc& dst,
                                            const dnnl::primitive_attr& attr);
// The accurate (max-subtracted) softmax; dst in src's layout.
dnnl::softmax_forward::primitive_desc make_softmax_pd(const dnnl::engine& eng, const memory::desc& src, int axis,
                                                      const dnnl::primitive_attr& attr);
// group_size: channels per group; dst in src's layout.
dnnl::shuffle_forward::primitive_desc make_shuffle_pd(const dnnl::engine& eng, const memory::desc& src, int axis,
                                                      memory::dim group_size, const dnnl::primitive_attr& attr);
dnnl::concat::primitive_desc make_concat_pd(const dnnl::engine& eng, const memory::desc& dst, int axis,
                                            const std::vector<memory::desc>& srcs, const dnnl::primitive_attr& attr);

// ---- the CPU --------------------------------------------------------------------------------------------
std::string isa_name(dnnl::cpu_isa isa);  // "avx512_core_bf16", ...; "other" for one the backend does not name
bool has_avx512_core(dnnl::cpu_isa isa);  // oneDNN's bf16 kernels need at least avx512_core
bool has_native_bf16(dnnl::cpu_isa isa);  // AVX512-BF16 (or AMX) instructions
// VNNI dot products (or AMX): u8 x s8 products accumulate in 32 bits. Without them a pair sum goes through a
// 16-bit intermediate that saturates unless activations use 7 bits.
bool has_int8_dot_product(dnnl::cpu_isa isa);

// ---- known bugs, by release -----------------------------------------------------------------------------
// The x64 JIT 1x1 convolution with a depthwise post-op computes wrong values on nxc (nhwc) tensors before
// oneDNN 2.7 (fixed upstream in 2.7 for sse41, avx2 and avx512, f32 and bf16). Where true, the fused conv
// keeps oneDNN's own (blocked) layout and lowering refuses that kernel on nhwc.
bool fused_dw_wrong_on_nhwc(const Version& v);

}  // namespace fb::onednn::compat
