#include "backends/onednn/compiler.h"

#include <algorithm>
#include <map>
#include <optional>

#include <omp.h>

#include <dnnl_debug.h>
#include <fmt/format.h>

#include "backends/onednn/concat_buffers.h"
#include "backends/onednn/dnnl_compat.h"
#include "core/error.h"

namespace fb::onednn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

memory::dims to_dims(const Shape& s) { return memory::dims(s.begin(), s.end()); }

tag plain_tag(size_t rank) {
  switch (rank) {
    case 1: return tag::a;
    case 2: return tag::ab;
    case 3: return tag::abc;
    case 4: return tag::abcd;
    default: return tag::abcde;
  }
}

struct NamedTag {
  tag t;
  const char* name;
};
constexpr NamedTag k_tags4[] = {{tag::nchw, "nchw"},       {tag::nhwc, "nhwc"},       {tag::nChw16c, "nChw16c"},
                                {tag::nChw8c, "nChw8c"},   {tag::nChw4c, "nChw4c"}};

}  // namespace

memory::desc plain_md(const Shape& s) { return memory::desc(to_dims(s), dt::f32, plain_tag(s.size())); }

std::string layout_name(const memory::desc& md) {
  const memory::dims d = compat::dims(md);
  const dt t0 = compat::data_type(md);
  if (d.size() == 4)
    for (const NamedTag& t : k_tags4)
      if (md == memory::desc(d, t0, t.t)) return t.name;
  if (md == memory::desc(d, t0, plain_tag(d.size()))) return d.size() == 2 ? "nc" : "plain";
  return compat::is_offset_view(md) ? "view" : "blocked(other)";
}

int kernel_rank(const std::string& impl) {
  // "ref:any", "ref_fused_convolution:any", "bnorm_ref:any", "concat:ref:any" (a describe() kernel note)
  if (impl.rfind("ref", 0) == 0 || impl.find(":ref") != std::string::npos || impl.find("_ref") != std::string::npos) return 0;
  if (impl.find("gemm") != std::string::npos) return 1;
  if (impl.find("avx512") != std::string::npos || impl.find("amx") != std::string::npos) return 3;
  return 2;  // avx2, avx, sse41, jit:uni
}

std::optional<tag> named_tag(const memory::desc& md) {
  const memory::dims d = compat::dims(md);
  if (d.size() == 4)
    for (const NamedTag& t : k_tags4)
      if (md == memory::desc(d, compat::data_type(md), t.t)) return t.t;
  return std::nullopt;
}

namespace {

class Lowerer {
 public:
  Lowerer(const Plan& p, const dnnl::engine& eng, const LowerOptions& opt)
      : p_(p), eng_(eng), opt_(opt), adt_(opt.bf16 ? dt::bf16 : dt::f32) {
  }

  // A fresh attribute per primitive: dnnl::primitive_attr copies share one underlying object.
  static dnnl::primitive_attr new_attr() {
    dnnl::primitive_attr a;
    a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return a;
  }

  Lowered run() {
    val_slot_.assign(p_.g.values.size(), -1);
    if (int8_mode()) group_concat_scales();
    for (size_t i = 0; i < p_.g.inputs.size(); ++i) {
      const ValueId v = p_.g.inputs[i];
      int s = new_slot(plain_md(p_.g.value(v).shape), p_.g.value(v).name);
      out_.prog.slots[static_cast<size_t>(s)].kind = Slot::Kind::Input;
      out_.prog.slots[static_cast<size_t>(s)].external_index = static_cast<int>(i);
      val_slot_[static_cast<size_t>(v)] = s;
    }
    plan_concat_buffers();
    for (const ValueId v : p_.g.inputs) place_in_buffer(v);
    for (size_t i = 0; i < p_.steps.size(); ++i) {
      if (p_.steps[i].removed) continue;
      step_index_ = static_cast<int>(i);
      lower_step(p_.steps[i]);
      for (const ValueId v : p_.steps[i].outputs) place_in_buffer(v);
    }
    step_index_ = -1;  // what follows converts layouts for the graph's outputs
    bind_outputs();
    concat_buffer_notes();
    if (std::string note = winograd_note(winograd_, opt_.winograd); !note.empty()) out_.notes.push_back(std::move(note));
    for (const auto& w : winograd_) out_.winograd_convs += w.second.pd ? 1 : 0;
    if (int8_mode())
      for (std::string& note : int8_notes()) out_.notes.push_back(std::move(note));
    return std::move(out_);
  }

 private:
  // ---- slots and reorders -------------------------------------------------------------------------------
  int new_slot(const memory::desc& md, std::string name) {
    Slot s;
    s.md = md;
    s.name = std::move(name);
    out_.prog.slots.push_back(std::move(s));
    return static_cast<int>(out_.prog.slots.size() - 1);
  }
  int view_of(int base, const memory::desc& md, std::string name) {
    int s = new_slot(md, std::move(name));
    out_.prog.slots[static_cast<size_t>(s)].alias_of = base;
    out_.prog.slots[static_cast<size_t>(s)].view = true;
    copy_q(base, s);
    return s;
  }

  // ---- int8 ---------------------------------------------------------------------------------------------
  bool int8_mode() const { return opt_.int8.has_value(); }
  static bool is_int8(const memory::desc& md) {
    const dt t = compat::data_type(md);
    return t == dt::u8 || t == dt::s8;
  }
  static dt int8_type(const QParams& q) { return q.type == QType::U8 ? dt::u8 : dt::s8; }
  // A value's calibrated quantization (its name as the passes left it).
  QParams calibrated(ValueId v) const {
    const std::string& name = p_.g.value(v).name;
    const auto it = opt_.int8->find(name);
    if (it == opt_.int8->end()) fail("onednn int8: no calibrated range for value '{}'", name);
    return it->second;
  }
  // What v's integers mean: its slot's parameters when the slot is int8 (pooling keeps its input's), else
  // the calibrated ones.
  QParams value_q(ValueId v) const {
    if (const auto it = slot_q_.find(slot_of(v)); it != slot_q_.end()) return it->second;
    return calibrated(v);
  }
  // Whether slot's integers mean q (its scale and type).
  bool holds_at(int slot, const QParams& q) const {
    const auto it = slot_q_.find(slot);
    return it != slot_q_.end() && it->second.scale == q.scale && it->second.type == q.type;
  }
  void copy_q(int from, int to) {
    if (const auto it = slot_q_.find(from); it != slot_q_.end()) slot_q_[to] = it->second;
  }
  const memory::desc& md_of(int slot) const { return out_.prog.slots[static_cast<size_t>(slot)].md; }
  int slot_of(ValueId v) const {
    const int s = val_slot_[static_cast<size_t>(v)];
    FB_ASSERT(s >= 0);
    return s;
  }

  void add_exec(dnnl::primitive prim, const dnnl::primitive_desc_base& pd, std::string name, std::string kind,
                std::vector<std::pair<int, int>> slot_args, std::unordered_map<int, memory> consts = {}) {
    Exec e;
    e.prim = std::move(prim);
    e.name = std::move(name);
    e.kind = std::move(kind);
    e.impl = pd.impl_info_str();
    // A reorder converts a layout for its step; any other primitive computes the step's nodes.
    if (e.kind != "reorder" && step_index_ >= 0) e.covers = p_.steps[static_cast<size_t>(step_index_)].covers;
    e.slot_args = std::move(slot_args);
    e.const_args = std::move(consts);
    out_.prog.scratchpad_bytes = std::max(out_.prog.scratchpad_bytes, pd.scratchpad_desc().get_size());
    if (pd.scratchpad_desc().get_size() > 0) e.const_args[DNNL_ARG_SCRATCHPAD] = memory(pd.scratchpad_desc(), eng_, nullptr);
    out_.prog.execs.push_back(std::move(e));
  }

  // Copies slot `from` into slot `to` (converting the layout); the line goes to describe()'s reorders.
  // Between int8 and fp32 (or two int8 scales) the reorder quantizes, dequantizes or requantizes.
  void reorder_into(int from, int to, const std::string& why) {
    auto scale_of = [&](int s) -> std::optional<float> {
      if (!is_int8(md_of(s))) return std::nullopt;
      const auto it = slot_q_.find(s);
      if (it == slot_q_.end()) fail("onednn int8: slot '{}' holds integers without a scale", out_.prog.slots[static_cast<size_t>(s)].name);
      return it->second.scale;
    };
    const std::optional<float> from_scale = scale_of(from), to_scale = scale_of(to);
    const bool scaled = from_scale != to_scale;
    compat::Int8Attr scaling;
    if (scaled) scaling = compat::reorder_scales(eng_, new_attr(), from_scale, to_scale);
    dnnl::reorder::primitive_desc pd;
    try {
      pd = dnnl::reorder::primitive_desc(eng_, md_of(from), eng_, md_of(to), scaled ? scaling.attr : new_attr());
    } catch (const dnnl::error& e) {
      const std::string a = compat::debug_string(md_of(from)), b = compat::debug_string(md_of(to));
      fail("reorder {} ({} -> {}, {}): {}", out_.prog.slots[static_cast<size_t>(from)].name, a, b, why, e.what());
    }
    const dt from_type = compat::data_type(md_of(from)), to_type = compat::data_type(md_of(to));
    const std::string types =
        from_type == to_type && !scaled
            ? ""
            : fmt::format(" {} -> {}", dnnl_dt2str(static_cast<dnnl_data_type_t>(from_type)),
                          dnnl_dt2str(static_cast<dnnl_data_type_t>(to_type)));
    std::string line = fmt::format("{}: {} -> {}{} ({})", out_.prog.slots[static_cast<size_t>(from)].name,
                                   layout_name(md_of(from)), layout_name(md_of(to)), types, why);
    out_.prog.reorders.push_back(line);
    std::unordered_map<int, memory> consts;
    for (const auto& [arg, m] : scaling.args) consts[arg] = m;
    add_exec(dnnl::reorder(pd), pd, line, "reorder", {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}, std::move(consts));
  }

  // A slot holding value v in layout `want`: v's own slot, or a cached reordered copy. An int8 `want` holds
  // the integers at `q` (default: what v's own integers mean), so a different scale is a requantizing copy.
  int need(ValueId v, const memory::desc& want, const std::string& why, std::optional<QParams> q = std::nullopt) {
    if (is_int8(want) && !q) q = value_q(v);
    auto holds = [&](int slot) { return md_of(slot) == want && (!q || holds_at(slot, *q)); };
    const int s = slot_of(v);
    if (holds(s)) return s;
    for (const auto& [value, slot] : converted_)
      if (value == v && holds(slot)) return slot;
    const int t = new_slot(want, p_.g.value(v).name + "@" + layout_name(want));
    if (q) slot_q_[t] = *q;
    reorder_into(s, t, why);
    converted_.push_back({v, t});
    return t;
  }

  // Weight reorders run on one thread: each is small, and a parallel region per weight costs more in
  // thread wake-ups and barriers than it saves (about 20x slower on a busy 2-core machine).
  memory weights(const Tensor& t, const memory::desc& user_md, const memory::desc& want) {
    return reordered_once(const_cast<float*>(t.data()), user_md, want);
  }

  // A copy of the host data `user` (described by user_md) in the layout `want`, made once at compile time.
  memory reordered_once(void* user_data, const memory::desc& user_md, const memory::desc& want) {
    memory user(user_md, eng_, user_data);
    memory m(want, eng_);
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    dnnl::reorder(user, m).execute(stream_, user, m);
    stream_.wait();
    omp_set_num_threads(threads);
    return m;
  }

  // s8 weights quantized on the host (core/quantize.h), reordered into the kernel's layout (with any
  // compensation it keeps for s8 inputs).
  memory int8_weights(const QWeights& q, const memory::desc& user_md, const memory::desc& want) {
    std::vector<int8_t> values(q.values.size());
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<int8_t>(q.values[i]);
    return reordered_once(values.data(), user_md, want);
  }

  // An int8 convolution's or inner product's constant arguments: its s8 weights in the layout it wants, its
  // f32 bias times the factor the release needs (dnnl_compat.h's Int8Attr), and the scale memories (3.x).
  std::unordered_map<int, memory> int8_consts(const Node& n, const QWeights& qw, const memory::desc& user_wmd,
                                              const memory::desc& want_wmd, const memory::desc& bias_md,
                                              const memory::desc& want_bias_md, const compat::Int8Attr& ia) {
    std::unordered_map<int, memory> consts;
    consts[DNNL_ARG_WEIGHTS] = int8_weights(qw, user_wmd, want_wmd);
    if (n.has_param("bias")) {
      Tensor b = n.param("bias").clone();
      for (int64_t c = 0; c < b.numel(); ++c) b[c] *= ia.bias_factor[static_cast<size_t>(c)];
      consts[DNNL_ARG_BIAS] = weights(b, bias_md, want_bias_md);
    }
    for (const auto& [arg, m] : ia.args) consts[arg] = m;
    return consts;
  }

  // Activations inside the program are in the compute type (f32 or bf16); graph inputs/outputs stay f32.
  memory::desc act_plain(const Shape& s) const { return memory::desc(to_dims(s), adt_, plain_tag(s.size())); }
  memory::desc any_md(const Shape& s) const { return memory::desc(to_dims(s), adt_, tag::any); }
  // The slot holding v in the compute type (graph inputs are converted once, keeping their layout).
  int act(ValueId v) {
    const int s = slot_of(v);
    if (compat::data_type(md_of(s)) == adt_) return s;
    return need(v, compat::with_data_type(md_of(s), adt_), "to the compute type");
  }

  // The slot an op that keeps its input's scale (pooling, flatten, split, shuffle) reads v from: v's own
  // integers where int8 left it int8 (the output then means what they meant), else v in the compute type.
  int scale_keeping_src(ValueId v) { return int8_mode() && is_int8(md_of(slot_of(v))) ? slot_of(v) : act(v); }

  memory::desc act_md(const Shape& s) const {
    return opt_.blocked_layouts ? any_md(s) : act_plain(s);
  }

  dnnl::post_ops eltwise_post_ops(const Step& s, size_t from, size_t to) const {
    dnnl::post_ops ops;
    for (size_t i = from; i < to; ++i) {
      const PostOp& po = s.post_ops[i];
      if (po.kind == PostOp::Kind::Eltwise) compat::append_eltwise(ops, po.eltwise.alg, po.eltwise.alpha, po.eltwise.beta);
    }
    return ops;
  }

  // ---- steps --------------------------------------------------------------------------------------------
  void lower_step(const Step& s) {
    const Node& n = p_.node_of(s);
    switch (n.op) {
      case Op::Conv2d: return conv(s, n);
      case Op::BatchNorm: return batch_norm(s, n);
      case Op::Relu: case Op::Relu6: case Op::Sigmoid: case Op::HardSigmoid: case Op::Silu: case Op::HardSwish:
        return eltwise(s, n);
      case Op::Add: case Op::Mul: return binary(s, n);
      case Op::Concat: return concat(s, n);
      case Op::Split: return split(s, n);
      case Op::ChannelShuffle: return shuffle(s, n);
      case Op::MaxPool: case Op::AvgPool: case Op::GlobalAvgPool: return pool(s, n);
      case Op::Flatten: return flatten(s, n);
      case Op::Linear: return linear(s, n);
      case Op::Softmax: return softmax(s, n);
      case Op::Identity: case Op::Dropout: {
        const int in = slot_of(s.inputs[0]);
        const int o = new_slot(md_of(in), p_.g.value(s.outputs[0]).name);
        copy_q(in, o);
        reorder_into(in, o, "identity copy");
        val_slot_[static_cast<size_t>(s.outputs[0])] = o;
        return;
      }
    }
  }

  void conv(const Step& s, const Node& n) {
    if (int8_mode()) return conv_int8(s, n);
    const auto& a = n.attr<Conv2dAttrs>();
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    const Shape& conv_out = p_.g.value(n.outputs[0]).shape;
    const int64_t cin = xs[1], cout = a.out_channels, g = a.groups;
    memory::dims wdims = g > 1 ? memory::dims{g, cout / g, cin / g, a.kernel_h, a.kernel_w}
                               : memory::dims{cout, cin, a.kernel_h, a.kernel_w};
    const tag wtag = g > 1 ? tag::goihw : tag::oihw;
    const bool has_bias = n.has_param("bias");
    const memory::desc bias_md = has_bias ? memory::desc({cout}, dt::f32, tag::a) : memory::desc();
    // Post-ops in order; a depthwise post-op splits them into the 1x1 part and the dw part.
    dnnl::post_ops ops;
    const Node* dw = nullptr;
    int sum_operand = -1;
    for (const PostOp& po : s.post_ops) {
      if (po.kind == PostOp::Kind::Eltwise) compat::append_eltwise(ops, po.eltwise.alg, po.eltwise.alpha, po.eltwise.beta);
      if (po.kind == PostOp::Kind::Sum) {
        ops.append_sum(1.f);
        sum_operand = po.sum_operand;
      }
      if (po.kind == PostOp::Kind::Depthwise) {
        dw = &p_.g.node(po.dw_node);
        const auto& da = dw->attr<Conv2dAttrs>();
        compat::append_dw(ops, adt_, dw->has_param("bias") ? dt::f32 : dt::undef, adt_, 3, da.stride_h, 1);
      }
    }
    dnnl::primitive_attr attr = new_attr();
    attr.set_post_ops(ops);
    const Shape& final_out = p_.g.value(s.outputs[0]).shape;
    auto make = [&](const memory::desc& src_md, const memory::desc& dst_md,
                    dnnl::algorithm alg = dnnl::algorithm::convolution_direct) {
      return compat::make_conv_pd(eng_, src_md, memory::desc(wdims, adt_, tag::any), bias_md, dst_md,
                                  {a.stride_h, a.stride_w}, {a.dilation_h - 1, a.dilation_w - 1},
                                  {a.pad_top, a.pad_left}, {a.pad_bottom, a.pad_right}, attr, alg);
    };
    dnnl::convolution_forward::primitive_desc pd =
        make(opt_.blocked_layouts ? any_md(xs) : md_of(act(s.inputs[0])), act_md(conv_out));
    // Layout propagation: when oneDNN's favourite input layout differs from the one the producer wrote (an
    // internal blocked/nhwc tensor), keep the producer's layout if a kernel of the same class takes it: a
    // reorder in and out of a layer usually costs more than a small kernel difference. "Same class" matters:
    // a layout that only narrower kernels read (nChw8c -> jit_1x1:avx2 instead of brgconv:avx512_core) would
    // otherwise spread through the rest of the network (regnet_y_400mf ran 2x slower than torch that way).
    // Before oneDNN 2.7, not for a 1x1 conv carrying a depthwise post-op: 2.6.3's JIT kernel for that fusion
    // (jit_1x1:avx512_core) accepts nhwc tensors but computes wrong values on them (most outputs off; it is
    // right on the blocked layout it picks itself), so there the fused conv keeps oneDNN's own choice.
    const memory::desc& have = md_of(slot_of(s.inputs[0]));
    const bool internal = out_.prog.slots[static_cast<size_t>(slot_of(s.inputs[0]))].kind == Slot::Kind::Arena;
    if ((!dw || !dw_nhwc_bug_) && opt_.blocked_layouts && internal && compat::data_type(have) == adt_ && pd.src_desc() != have) {
      const int best = kernel_rank(pd.impl_info_str());
      std::vector<memory::desc> dsts = {any_md(conv_out)};  // dst free first, then dst in src's layout
      if (const auto t = named_tag(have)) dsts.push_back(memory::desc(to_dims(conv_out), adt_, *t));
      for (const memory::desc& dmd : dsts) {
        try {
          auto kept = make(have, dmd);
          if (kernel_rank(kept.impl_info_str()) >= best) {
            pd = kept;
            break;
          }
        } catch (const dnnl::error&) {
        }
      }
    }
    if (!dw && sum_operand < 0)
      prefer_buffer_layout(s, pd, [&](const memory::desc& src, const memory::desc& dst) { return make(src, dst); });
    // Not under layout=plain: oneDNN's Winograd kernels read and write nChw16c only.
    if (!dw && !opt_.bf16 && opt_.blocked_layouts && opt_.winograd != WinogradMode::Off && winograd_shape(a)) {
      const memory::desc in_md = md_of(slot_of(s.inputs[0]));
      WinogradChoice w = choose_winograd(
          eng_, pd, [&] { return make(any_md(xs), act_md(conv_out), dnnl::algorithm::convolution_winograd); },
          opt_.winograd, in_md);
      if (w.pd) pd = *w.pd;
      winograd_.push_back({s.label, std::move(w)});
    }
    const bool fused_jit = dw && std::string(pd.impl_info_str()).rfind("ref_fused", 0) != 0;  // chained ones are right
    if (dw_nhwc_bug_ && fused_jit && (named_tag(pd.src_desc()) == tag::nhwc || named_tag(pd.dst_desc()) == tag::nhwc))
      fail("onednn: {} would run oneDNN's 1x1+depthwise kernel on nhwc tensors, where oneDNN {} computes "
           "wrong values (fixed in 2.7); use --opt depthwise_fusion=off", s.label, compat::runtime_version().str());
    const int src = need(s.inputs[0], pd.src_desc(), "conv " + n.name + " input");
    std::unordered_map<int, memory> consts;
    consts[DNNL_ARG_WEIGHTS] = weights(n.param("weight"), memory::desc(wdims, dt::f32, wtag), pd.weights_desc());
    if (has_bias) consts[DNNL_ARG_BIAS] = weights(n.param("bias"), bias_md, pd.bias_desc());
    if (dw) {
      const int64_t c = dw->attr<Conv2dAttrs>().out_channels;
      const int dw_w = DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS, dw_b = DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS;
      consts[dw_w] = weights(dw->param("weight"), memory::desc({c, 1, 1, 3, 3}, dt::f32, tag::goihw),
                             pd.query_md(dnnl::query::exec_arg_md, dw_w));
      if (dw->has_param("bias"))
        consts[dw_b] = weights(dw->param("bias"), memory::desc({c}, dt::f32, tag::a),
                               pd.query_md(dnnl::query::exec_arg_md, dw_b));
    }
    const memory::desc dst_md = pd.dst_desc();
    FB_ASSERT(compat::dims(dst_md) == to_dims(final_out));
    int dst;
    if (sum_operand >= 0) {
      dst = sum_destination(s, sum_operand, dst_md, n.name);
    } else {
      dst = new_slot(dst_md, p_.g.value(s.outputs[0]).name);
    }
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::convolution_forward(pd), pd, s.label, dw ? "conv+dw" : "conv",
             {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}, std::move(consts));
  }

  // u8/s8 activations, per-channel s8 weights, f32 bias; the eltwise post-ops act on real numbers and the
  // result is quantized at the output value's calibrated scale (dnnl_compat.h's int8_attr).
  void conv_int8(const Step& s, const Node& n) {
    const auto& a = n.attr<Conv2dAttrs>();
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    const Shape& ys = p_.g.value(s.outputs[0]).shape;
    const int64_t cin = xs[1], cout = a.out_channels, g = a.groups;
    const memory::dims wdims = g > 1 ? memory::dims{g, cout / g, cin / g, a.kernel_h, a.kernel_w}
                                     : memory::dims{cout, cin, a.kernel_h, a.kernel_w};
    std::vector<Eltwise> post;
    ValueId sum_operand = -1;
    size_t sum_at = 0;
    for (const PostOp& po : s.post_ops) {
      if (po.kind == PostOp::Kind::Depthwise)
        fail("onednn int8: {} carries a depthwise post-op, which int8 lowering does not support", s.label);
      if (po.kind == PostOp::Kind::Sum) {
        sum_operand = po.sum_operand;
        sum_at = post.size();
        continue;
      }
      post.push_back(po.eltwise);
    }
    const QParams in_q = value_q(s.inputs[0]);
    QParams out_q = written_at(s.outputs[0]);
    // A residual sum accumulates the operand's integers as they lie in the destination, so both take one type:
    // an s8 operand makes the destination s8 (a u8 range re-chosen as s8), and a u8 operand under an s8
    // destination is requantized to s8 on its way in.
    std::optional<QParams> sum_q;
    if (sum_operand >= 0) {
      sum_q = value_q(sum_operand);
      if (sum_q->type == QType::S8 && out_q.type == QType::U8) out_q = as_s8(out_q);
      if (sum_q->type != out_q.type) sum_q = as_s8(*sum_q);
    }
    const QWeights qw = quantize_weights(n.param("weight"));
    compat::Int8Scales scales;
    scales.src = in_q.scale;
    scales.wei = qw.scales;
    scales.dst = out_q.scale;
    if (sum_q) {
      scales.sum = sum_q->scale;
      scales.sum_at = sum_at;
    }
    const compat::Int8Attr ia = compat::int8_attr(eng_, new_attr(), post, scales, g > 1);
    const bool has_bias = n.has_param("bias");
    const memory::desc bias_md = has_bias ? memory::desc({cout}, dt::f32, tag::a) : memory::desc();
    const tag act_tag = opt_.blocked_layouts ? tag::any : tag::nchw;
    const auto pd = compat::make_conv_pd(
        eng_, memory::desc(to_dims(xs), int8_type(in_q), act_tag), memory::desc(wdims, dt::s8, tag::any), bias_md,
        memory::desc(to_dims(ys), int8_type(out_q), act_tag), {a.stride_h, a.stride_w},
        {a.dilation_h - 1, a.dilation_w - 1}, {a.pad_top, a.pad_left}, {a.pad_bottom, a.pad_right}, ia.attr);
    const int src = need(s.inputs[0], pd.src_desc(), "conv " + n.name + " input");
    std::unordered_map<int, memory> consts = int8_consts(
        n, qw, memory::desc(wdims, dt::s8, g > 1 ? tag::goihw : tag::oihw), pd.weights_desc(), bias_md, pd.bias_desc(), ia);
    const int dst = sum_q ? sum_destination(s, sum_operand, pd.dst_desc(), n.name, sum_q)
                          : new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    slot_q_[dst] = out_q;
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::convolution_forward(pd), pd, s.label, "conv", {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}},
             std::move(consts));
  }

  // The scale a producer writes v at: its own calibrated one, or, when only int8 concatenations of one scale
  // read v, theirs, so that they copy the integers as they are (docs/int8_design.md section 2).
  QParams written_at(ValueId v) const {
    const std::vector<int> cons = p_.consumer_steps(v);
    if (cons.empty() || p_.is_graph_output(v)) return calibrated(v);
    std::optional<QParams> q;
    for (int c : cons) {
      const auto it = concat_q_.find(c);
      if (it == concat_q_.end() || (q && q->scale != it->second.scale)) return calibrated(v);
      q = it->second;
    }
    return *q;
  }

  // Whether a step reads its inputs as integers in int8 mode (the rest runs in fp32 between reorders).
  bool reads_int8(int step) const {
    switch (p_.node_of(p_.steps[static_cast<size_t>(step)]).op) {
      case Op::Conv2d: case Op::Linear: case Op::MaxPool: case Op::AvgPool: case Op::GlobalAvgPool:
      case Op::Concat: case Op::Split: case Op::ChannelShuffle: case Op::Flatten: case Op::Identity: case Op::Dropout:
        return true;
      default: return false;
    }
  }

  // Which concatenations run in int8, at which scale. Only those whose result something reads in int8: one
  // that only feeds fp32 ops (DenseNet's pre-activation BatchNorms) would be copied in int8 and then
  // dequantized whole, so it stays an fp32 copy of dequantized pieces. Concatenations that share an input
  // take one scale, the widest of their calibrated ranges, so a feature that several read is requantized
  // at most once (with a scale each, every feature would be requantized again for every one of them).
  void group_concat_scales() {
    std::vector<int> cats;
    int fp32 = 0;
    for (size_t i = 0; i < p_.steps.size(); ++i) {
      if (p_.steps[i].removed || p_.node_of(p_.steps[i]).op != Op::Concat) continue;
      const std::vector<int> readers = p_.consumer_steps(p_.steps[i].outputs[0]);
      if (std::any_of(readers.begin(), readers.end(), [&](int r) { return reads_int8(r); }))
        cats.push_back(static_cast<int>(i));
      else
        ++fp32;
    }
    if (fp32 > 0)
      out_.notes.push_back(fmt::format("int8: {} concatenation(s) in fp32: only fp32 ops read their result", fp32));
    std::vector<size_t> parent(cats.size());
    for (size_t k = 0; k < cats.size(); ++k) parent[k] = k;
    auto root = [&](size_t k) {
      while (parent[k] != k) k = parent[k] = parent[parent[k]];
      return k;
    };
    std::map<ValueId, size_t> first_reader;
    for (size_t k = 0; k < cats.size(); ++k)
      for (ValueId v : p_.steps[static_cast<size_t>(cats[k])].inputs)
        if (const auto [it, fresh] = first_reader.emplace(v, k); !fresh) parent[root(k)] = root(it->second);
    std::map<size_t, std::vector<QParams>> groups;
    for (size_t k = 0; k < cats.size(); ++k)
      groups[root(k)].push_back(calibrated(p_.steps[static_cast<size_t>(cats[k])].outputs[0]));
    for (size_t k = 0; k < cats.size(); ++k) {
      const std::vector<QParams>& g = groups[root(k)];
      bool all_u8 = true;
      float hi = 0;  // the widest real magnitude in the group
      for (const QParams& m : g) {
        all_u8 = all_u8 && m.type == QType::U8;
        hi = std::max(hi, m.scale * static_cast<float>(m.qmax()));
      }
      concat_q_[cats[k]] = all_u8 ? choose_u8(hi, g.front().reduce_range) : choose_s8(hi);
    }
  }

  // A u8 range as s8 parameters over the same real range (one bit less resolution).
  static QParams as_s8(const QParams& q) {
    if (q.type == QType::S8) return q;
    QParams r = q;
    r.type = QType::S8;
    r.scale = q.scale * static_cast<float>(q.qmax()) / 127.0f;
    r.reduce_range = false;
    return r;
  }

  // The conv accumulates into its destination, so the destination must hold the sum operand first: the
  // operand's own buffer when it dies here in the same layout (true in-place), else a copy made just before.
  // int8: `q` is what the operand's integers must mean in the destination (the sum post-op's scale); a slot
  // holding them otherwise is copied through a requantizing reorder.
  int sum_destination(const Step& s, ValueId operand, const memory::desc& dst_md, const std::string& conv_name,
                      std::optional<QParams> q = std::nullopt) {
    const int os = slot_of(operand);
    // Copies: new_slot() below may move the slots.
    const Slot sl = out_.prog.slots[static_cast<size_t>(os)];
    const Slot root = out_.prog.slots[static_cast<size_t>(out_.prog.root(os))];
    const bool same_meaning = !q || (is_int8(sl.md) && holds_at(os, *q));
    const auto cons = p_.consumer_steps(operand);
    const bool dies_here = !cons.empty() && cons.back() == step_index_ && !p_.is_graph_output(operand);
    const bool external = root.kind != Slot::Kind::Arena;
    if (dies_here && !external && !root.concat_buffer && !sl.view && sl.md == dst_md && same_meaning) {
      const int d = new_slot(dst_md, p_.g.value(s.outputs[0]).name);
      out_.prog.slots[static_cast<size_t>(d)].alias_of = os;
      return d;
    }
    const int d = new_slot(dst_md, p_.g.value(s.outputs[0]).name);
    if (q) slot_q_[d] = *q;
    const char* why = !dies_here ? "sum operand still needed later" : external ? "sum operand is a graph input"
                      : root.concat_buffer ? "sum operand is part of an in-place concatenation"
                      : sl.view ? "sum operand is a view"
                      : sl.md != dst_md ? "sum operand layout differs" : "sum operand requantized";
    out_.notes.push_back(fmt::format("{}: sum post-op copies its operand ({})", conv_name, why));
    reorder_into(os, d, fmt::format("sum operand copy for {}", conv_name));
    return d;
  }

  void batch_norm(const Step& s, const Node& n) {
    memory::desc src = compat::with_data_type(md_of(slot_of(s.inputs[0])), adt_);  // as act() would read it
    std::string why = "to the compute type";
    auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                 dnnl::normalization_flags::use_shift;
    if (!s.post_ops.empty()) flags |= dnnl::normalization_flags::fuse_norm_relu;  // fuse_eltwise: one ReLU
    const float eps = n.attr<BatchNormAttrs>().eps;
    auto pd = compat::make_batch_norm_pd(eng_, src, eps, flags, new_attr());
    // oneDNN 2.6's batch normalization has an AVX-512 JIT kernel only for some layouts: on others it falls to
    // narrower or reference loops (bf16 nchw from a concatenation: 'bnorm_ref', 6 ms where the JIT kernel
    // takes 0.1). A blocked or nhwc copy of the input costs less, as for binary ops.
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    if (kernel_rank(pd.impl_info_str()) < 3 && xs.size() == 4 && opt_.blocked_layouts) {
      for (const tag t0 : {tag::nChw16c, tag::nhwc}) {
        const memory::desc want(to_dims(xs), adt_, t0);
        if (want == src) continue;
        auto alt = compat::make_batch_norm_pd(eng_, want, eps, flags, new_attr());
        if (kernel_rank(alt.impl_info_str()) < 3) continue;
        why = fmt::format("{}: oneDNN has only '{}' for batchnorm in {}", n.name, pd.impl_info_str(), layout_name(src));
        src = want;
        pd = alt;
        break;
      }
    }
    const int in = need(s.inputs[0], src, why);
    const int64_t c = p_.g.value(s.inputs[0]).shape[1];
    const memory::desc cmd({c}, dt::f32, tag::a);
    std::unordered_map<int, memory> consts;
    consts[DNNL_ARG_MEAN] = weights(n.param("running_mean"), cmd, cmd);
    consts[DNNL_ARG_VARIANCE] = weights(n.param("running_var"), cmd, cmd);
    consts[DNNL_ARG_SCALE] = weights(n.param("weight"), cmd, cmd);
    consts[DNNL_ARG_SHIFT] = weights(n.param("bias"), cmd, cmd);
    const int dst = new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::batch_normalization_forward(pd), pd, s.label, "batchnorm", {{DNNL_ARG_SRC, in}, {DNNL_ARG_DST, dst}},
             std::move(consts));
  }

  void eltwise(const Step& s, const Node& n) {
    int src = act(s.inputs[0]);
    const int dst = new_slot(md_of(src), p_.g.value(s.outputs[0]).name);
    for (const Eltwise& e : eltwise_chain(n)) {  // a chain runs in place on dst after the first
      const auto pd = compat::make_eltwise_pd(eng_, e.alg, md_of(src), e.alpha, e.beta, new_attr());
      add_exec(dnnl::eltwise_forward(pd), pd, s.label, "eltwise", {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
      src = dst;
    }
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
  }

  void binary(const Step& s, const Node& n) {
    const Shape& out = p_.g.value(s.outputs[0]).shape;
    ValueId a = s.inputs[0], b = s.inputs[1];
    if (p_.g.value(a).shape != out) std::swap(a, b);  // both ops commute; oneDNN broadcasts src1 only
    if (p_.g.value(a).shape != out) fail("{}: both operands broadcast, which the onednn backend does not support", n.name);
    const bool same_shape = p_.g.value(b).shape == out;
    dnnl::primitive_attr attr = new_attr();
    attr.set_post_ops(eltwise_post_ops(s, 0, s.post_ops.size()));
    const auto alg = n.op == Op::Add ? dnnl::algorithm::binary_add : dnnl::algorithm::binary_mul;
    // Same-shape operands share a layout (a blocked/plain mix would take a slow path). A broadcast operand
    // (the squeeze-excitation scale, N x C x 1 x 1) is read as it is.
    auto make = [&](const memory::desc& ma, const memory::desc& mb) {
      return compat::make_binary_pd(eng_, alg, ma, mb, ma, attr);
    };
    int sa = act(a);
    int sb = same_shape ? need(b, md_of(sa), n.name + " operand layout") : act(b);
    dnnl::binary::primitive_desc pd = make(md_of(sa), md_of(sb));
    // oneDNN 2.6 has only reference loops for some blocked layouts (nChw8c on AVX-512, a broadcast operand
    // in nChw16c): 100-1000x slower than its JIT kernel, so converting to nhwc, which the JIT kernel takes,
    // is far cheaper than keeping the layout. Applies when a producer left such a layout.
    if (kernel_rank(pd.impl_info_str()) == 0 && out.size() == 4) {
      const memory::desc nhwc(to_dims(out), adt_, tag::nhwc);
      const std::vector<memory::desc> b_mds =
          same_shape ? std::vector<memory::desc>{nhwc} : std::vector<memory::desc>{md_of(sb), act_plain(p_.g.value(b).shape)};
      for (const memory::desc& mb : b_mds) {
        auto alt = make(nhwc, mb);
        if (kernel_rank(alt.impl_info_str()) == 0) continue;
        const std::string why = fmt::format("{}: oneDNN has only '{}' for binary in {}", n.name, pd.impl_info_str(),
                                            layout_name(md_of(sa)));
        pd = alt;
        sa = need(a, nhwc, why);
        sb = need(b, mb, why);
        break;
      }
    }
    const int dst = new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::binary(pd), pd, s.label, "binary", {{DNNL_ARG_SRC_0, sa}, {DNNL_ARG_SRC_1, sb}, {DNNL_ARG_DST, dst}});
  }

  // ---- in-place concatenation (concat_buffers.h) ----------------------------------------------------------
  // Batch 1 only: a channel range of a buffer in `buffer_tag_` is then itself a dense tensor. Blocked layouts
  // use nChw16c (ranges on 16-channel boundaries), layout=plain nchw (any channel).
  void plan_concat_buffers() {
    if (!opt_.inplace_concat) return;
    if (int8_mode()) {
      for (const Step& st : p_.steps)
        if (!st.removed && p_.node_of(st).op == Op::Concat)
          out_.rejected.push_back(p_.node_of(st).name +
                                  ": concat not in place: int8 (its inputs are requantized to the concatenation's scale)");
      return;
    }
    buffer_tag_ = opt_.blocked_layouts ? tag::nChw16c : tag::nchw;
    concat_ = place_concats(p_, opt_.blocked_layouts ? 16 : 1);
    for (std::string& why : concat_.declined) out_.rejected.push_back(std::move(why));
    buffer_slot_.assign(concat_.buffers.size(), -1);
    buffer_direct_.assign(concat_.buffers.size(), 0);
    buffer_copied_.assign(concat_.buffers.size(), {});
  }
  memory::desc buffer_md(const Shape& s) const { return memory::desc(to_dims(s), adt_, buffer_tag_); }
  int buffer_slot(int b) {
    if (buffer_slot_[static_cast<size_t>(b)] < 0) {
      const ConcatBuffer& cb = concat_.buffers[static_cast<size_t>(b)];
      const int s = new_slot(buffer_md(cb.shape), cb.name + "(buffer)");
      out_.prog.slots[static_cast<size_t>(s)].view = true;  // its parts are the tensors
      out_.prog.slots[static_cast<size_t>(s)].concat_buffer = true;
      buffer_slot_[static_cast<size_t>(b)] = s;
    }
    return buffer_slot_[static_cast<size_t>(b)];
  }
  // A value that goes into a concatenation buffer, just after it was written: its producer's tensor becomes
  // the buffer's range when it is a fresh tensor in the buffer's layout; otherwise it is copied in once.
  void place_in_buffer(ValueId v) {
    const auto it = concat_.input_place.find(v);
    if (it == concat_.input_place.end()) return;
    const auto [b, channel] = it->second;
    const Shape& vs = p_.g.value(v).shape;
    const memory::desc want = buffer_md(vs);
    const int64_t offset = channel * vs[2] * vs[3] * static_cast<int64_t>(memory::data_type_size(adt_));
    const int buf = buffer_slot(b);
    const int s = slot_of(v);
    const Slot sl = out_.prog.slots[static_cast<size_t>(s)];
    if (sl.kind == Slot::Kind::Arena && sl.alias_of < 0 && !sl.view && sl.md == want) {
      out_.prog.slots[static_cast<size_t>(s)].alias_of = buf;
      out_.prog.slots[static_cast<size_t>(s)].byte_offset = offset;
      ++buffer_direct_[static_cast<size_t>(b)];
      return;
    }
    const std::string& name = concat_.buffers[static_cast<size_t>(b)].name;
    const int t = new_slot(want, p_.g.value(v).name + "@" + name);
    out_.prog.slots[static_cast<size_t>(t)].alias_of = buf;
    out_.prog.slots[static_cast<size_t>(t)].byte_offset = offset;
    reorder_into(s, t, "into the concatenation buffer " + name);
    val_slot_[static_cast<size_t>(v)] = t;
    const std::string type = compat::data_type(sl.md) == adt_
                                 ? ""
                                 : std::string(" ") + dnnl_dt2str(static_cast<dnnl_data_type_t>(compat::data_type(sl.md)));
    buffer_copied_[static_cast<size_t>(b)].push_back(fmt::format(
        "{} ({})", p_.g.value(v).name,
        sl.kind == Slot::Kind::Input ? "a graph input"
        : sl.alias_of >= 0           ? "written in place into another"
                                     : layout_name(sl.md) + type));
  }
  // A concatenation of a buffer's first inputs: its result is the buffer's first channels, no copy.
  void concat_in_place(const Step& s, int b) {
    const int o = new_slot(buffer_md(p_.g.value(s.outputs[0]).shape), p_.g.value(s.outputs[0]).name);
    out_.prog.slots[static_cast<size_t>(o)].alias_of = buffer_slot(b);
    val_slot_[static_cast<size_t>(s.outputs[0])] = o;
  }
  void concat_buffer_notes() {
    for (size_t b = 0; b < concat_.buffers.size(); ++b) {
      const ConcatBuffer& cb = concat_.buffers[b];
      const auto& copied = buffer_copied_[b];
      out_.applied.push_back(fmt::format(
          "{}: {} concatenation(s) in place, as the first channels of one {} buffer of {} channels; {} of {} inputs "
          "written there by their producers{}",
          cb.name, cb.concat_steps.size(), layout_name(buffer_md(cb.shape)), cb.shape[1], buffer_direct_[b],
          cb.inputs.size(), copied.empty() ? "" : fmt::format(", copied in: {}", fmt::join(copied, ", "))));
    }
  }
  // A convolution whose result goes into a concatenation buffer writes the buffer's layout where a kernel as
  // good as its own choice does: then it writes straight into the buffer. It keeps the input layout it chose,
  // or, where its input is reordered anyway, lets the kernel pick that too.
  using ConvPd = dnnl::convolution_forward::primitive_desc;
  template <class Make>  // (src, dst) -> ConvPd
  void prefer_buffer_layout(const Step& s, ConvPd& pd, const Make& make) {
    if (!concat_.input_place.count(s.outputs[0])) return;
    const memory::desc want = buffer_md(p_.g.value(s.outputs[0]).shape);
    if (pd.dst_desc() == want) return;
    std::vector<memory::desc> srcs = {pd.src_desc()};
    if (md_of(slot_of(s.inputs[0])) != pd.src_desc()) srcs.push_back(any_md(p_.g.value(s.inputs[0]).shape));
    for (const memory::desc& src : srcs) {
      try {
        ConvPd alt = make(src, want);
        if (kernel_rank(alt.impl_info_str()) < kernel_rank(pd.impl_info_str())) continue;
        pd = alt;
        return;
      } catch (const dnnl::error&) {
      }
    }
  }

  void concat(const Step& s, const Node& n) {
    if (const auto b = concat_.step_buffer.find(step_index_); b != concat_.step_buffer.end())
      return concat_in_place(s, b->second);
    int64_t axis = n.attr<AxisAttrs>().axis;
    const Shape& out = p_.g.value(s.outputs[0]).shape;
    if (axis < 0) axis += static_cast<int64_t>(out.size());
    // int8 (where something reads the result in int8, group_concat_scales): a concatenation copies integers,
    // so every input must hold them at its scale; producers that only concatenations read already write them
    // so (written_at), any other input is requantized here.
    const auto grouped = concat_q_.find(step_index_);
    const std::optional<QParams> q = grouped != concat_q_.end() ? std::optional<QParams>(grouped->second) : std::nullopt;
    const dt t = q ? int8_type(*q) : adt_;
    // What each input is read as: its own layout in type t (the reorders come last, once the layout is known).
    std::vector<memory::desc> srcs;
    for (const ValueId v : s.inputs) srcs.push_back(compat::with_data_type(md_of(slot_of(v)), t));
    std::string why = q ? n.name + " input at its scale" : "to the compute type";
    // The output keeps the first input's layout when it can (blocked stays blocked). Left to `any`, oneDNN
    // 2.6 may pick a layout no other primitive has a JIT kernel for (Bacd16b for 16 + 8 channels of bf16;
    // the BatchNorm after it then ran reference loops).
    const memory::desc plain_out(to_dims(out), t, plain_tag(out.size()));
    dnnl::concat::primitive_desc pd = [&] {
      try {
        const std::optional<tag> first = named_tag(srcs[0]);
        const memory::desc want = !opt_.blocked_layouts ? plain_out
                                  : first               ? memory::desc(to_dims(out), t, *first)
                                                        : memory::desc(to_dims(out), t, tag::any);
        return compat::make_concat_pd(eng_, want, static_cast<int>(axis), srcs, new_attr());
      } catch (const dnnl::error&) {
        return compat::make_concat_pd(eng_, plain_out, static_cast<int>(axis), srcs, new_attr());
      }
    }();
    // oneDNN 2.6 has only its reference concat, 4-5x slower than its copy kernel, for inputs in different
    // layouts (nhwc from a direct conv beside nChw16c from a Winograd one: squeezenet's fire modules) and
    // for blocked inputs off a block boundary (DenseNet's growth of 8 channels in nChw16c). Moving the inputs
    // to one layout costs less: the one holding the most channels, else nhwc, which takes any offset.
    if (kernel_rank(pd.impl_info_str()) == 0 && out.size() == 4 && opt_.blocked_layouts) {
      std::map<tag, int64_t> channels;
      for (const memory::desc& md : srcs)
        if (const auto t0 = named_tag(md)) channels[*t0] += compat::dims(md)[1];
      std::vector<tag> layouts;
      if (const auto most = std::max_element(channels.begin(), channels.end(),
                                             [](const auto& x, const auto& y) { return x.second < y.second; });
          most != channels.end() && channels.size() > 1)
        layouts.push_back(most->first);
      layouts.push_back(tag::nhwc);
      for (const tag layout : layouts) {
        std::vector<memory::desc> moved;
        for (const memory::desc& have : srcs) moved.push_back(memory::desc(compat::dims(have), compat::data_type(have), layout));
        std::optional<dnnl::concat::primitive_desc> alt;
        try {
          alt = compat::make_concat_pd(eng_, memory::desc(to_dims(out), t, layout), static_cast<int>(axis), moved, new_attr());
        } catch (const dnnl::error&) {
        }
        if (!alt || kernel_rank(alt->impl_info_str()) == 0) continue;
        why = fmt::format("{}: oneDNN has only '{}' for this concat", n.name, pd.impl_info_str());
        pd = *alt;
        srcs = std::move(moved);
        break;
      }
    }
    std::vector<std::pair<int, int>> args;
    for (size_t i = 0; i < s.inputs.size(); ++i)
      args.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), need(s.inputs[i], srcs[i], why, q)});
    const int dst = new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    if (q) slot_q_[dst] = *q;
    args.push_back({DNNL_ARG_DST, dst});
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::concat(pd), pd, s.label, "concat", std::move(args));
  }

  void split(const Step& s, const Node& n) {
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    int src = scale_keeping_src(s.inputs[0]);  // a copy of some channels
    const dt t = compat::data_type(md_of(src));
    const auto& sizes = n.attr<SplitAttrs>().sizes;
    // Sub-tensors of a blocked layout must start on a block boundary; otherwise split the plain layout.
    auto try_views = [&](int from) {
      std::vector<memory::desc> views;
      int64_t off = 0;
      for (int64_t c : sizes) {
        memory::dims d = to_dims(xs), o(xs.size(), 0);
        d[1] = c;
        o[1] = off;
        off += c;
        views.push_back(md_of(from).submemory_desc(d, o));
      }
      return views;
    };
    std::vector<memory::desc> views;
    try {
      views = try_views(src);
    } catch (const dnnl::error&) {
      src = need(s.inputs[0], memory::desc(to_dims(xs), t, plain_tag(xs.size())), n.name + " channel split off block boundary");
      views = try_views(src);
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      const Shape& os = p_.g.value(s.outputs[i]).shape;
      memory::desc dmd(to_dims(os), t, plain_tag(os.size()));
      const std::string lay = layout_name(md_of(src));
      for (const NamedTag& nt : k_tags4)
        if (lay == nt.name) dmd = memory::desc(to_dims(os), t, nt.t);
      const int v = view_of(src, views[i], n.name + ".part");
      const int dst = new_slot(dmd, p_.g.value(s.outputs[i]).name);
      copy_q(src, dst);
      dnnl::reorder::primitive_desc pd(eng_, views[i], eng_, dmd, new_attr());
      add_exec(dnnl::reorder(pd), pd, s.label, "split", {{DNNL_ARG_FROM, v}, {DNNL_ARG_TO, dst}});
      val_slot_[static_cast<size_t>(s.outputs[i])] = dst;
    }
  }

  void shuffle(const Step& s, const Node& n) {
    const int src = scale_keeping_src(s.inputs[0]);  // a permutation
    const int64_t groups = n.attr<ChannelShuffleAttrs>().groups;
    const int64_t c = p_.g.value(s.inputs[0]).shape[1];
    // PyTorch's channel_shuffle(groups=g) views C as [g, C/g] and transposes; oneDNN's group_size is the
    // number of channels per group, C/g.
    const auto pd = compat::make_shuffle_pd(eng_, md_of(src), 1, c / groups, new_attr());
    // oneDNN (2.6, and 3.7 still) has a JIT shuffle only for channel-blocked layouts; on nhwc/nchw it runs
    // reference loops.
    // There the shuffle is a transpose copy, which a strided reorder does at memory speed.
    if (kernel_rank(pd.impl_info_str()) == 0 && shuffle_as_reorder(s, src, groups, pd.impl_info_str())) return;
    const int dst = new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    copy_q(src, dst);
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::shuffle_forward(pd), pd, s.label, "shuffle", {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  }

  // Channel shuffle on a layout without channel blocks (strides only): with k = C/g, input channel
  // j*k + i goes to output channel i*g + j. Both tensors seen as [N, k, g, H, W] with permuted channel
  // strides make that one reorder; the output keeps the input's layout.
  bool shuffle_as_reorder(const Step& s, int src, int64_t groups, const std::string& had) {
    const memory::desc md = md_of(src);  // a copy: new_slot() below may move the slots
    const std::optional<memory::dims> strides = compat::plain_strides(md);
    if (!strides || strides->size() != 4) return false;
    const memory::dims d = compat::dims(md), st = *strides;
    const int64_t k = d[1] / groups;
    const memory::dims dims5 = {d[0], k, groups, d[2], d[3]};
    const dt t = compat::data_type(md);
    const memory::desc from5(dims5, t, memory::dims{st[0], st[1], st[1] * k, st[2], st[3]});
    const memory::desc to5(dims5, t, memory::dims{st[0], st[1] * groups, st[1], st[2], st[3]});
    dnnl::reorder::primitive_desc pd;
    try {
      pd = dnnl::reorder::primitive_desc(eng_, from5, eng_, to5, new_attr());
    } catch (const dnnl::error&) {
      return false;
    }
    if (kernel_rank(pd.impl_info_str()) == 0) return false;
    const std::string& name = p_.g.value(s.outputs[0]).name;
    const int dst = new_slot(md, name);
    copy_q(src, dst);
    const int v_from = view_of(src, from5, name + ".shuffle_src"), v_to = view_of(dst, to5, name + ".shuffle_dst");
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    out_.notes.push_back(fmt::format("{}: shuffle as a strided reorder (oneDNN's shuffle is '{}' in {})", s.label, had,
                                     layout_name(md)));
    add_exec(dnnl::reorder(pd), pd, s.label, "shuffle", {{DNNL_ARG_FROM, v_from}, {DNNL_ARG_TO, v_to}});
    return true;
  }

  void pool(const Step& s, const Node& n) {
    // int8 stays int8 through pooling, at its input's scale (a maximum or a mean never leaves the range).
    const int src = scale_keeping_src(s.inputs[0]);
    const bool keep_int8 = is_int8(md_of(src));
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    const Shape& ys = p_.g.value(s.outputs[0]).shape;
    memory::dims kernel, strides, pl, pr;
    dnnl::algorithm alg = dnnl::algorithm::pooling_max;
    if (n.op == Op::GlobalAvgPool) {
      kernel = {xs[2], xs[3]};
      strides = {1, 1};
      pl = pr = {0, 0};
      alg = dnnl::algorithm::pooling_avg_exclude_padding;
    } else {
      const auto& a = n.attr<PoolAttrs>();
      kernel = {a.kernel_h, a.kernel_w};
      strides = {a.stride_h, a.stride_w};
      pl = {a.pad_top, a.pad_left};
      // Ceil mode: extend the right/bottom padding so oneDNN's floor arithmetic gives PyTorch's size.
      const int64_t ph = (ys[2] - 1) * a.stride_h + a.kernel_h - xs[2] - a.pad_top;
      const int64_t pw = (ys[3] - 1) * a.stride_w + a.kernel_w - xs[3] - a.pad_left;
      pr = {std::max(a.pad_bottom, ph), std::max(a.pad_right, pw)};
      const bool overhang = pr[0] > a.pad_bottom || pr[1] > a.pad_right;
      if (n.op == Op::AvgPool) {
        // Without declared padding, PyTorch's include-pad divisor equals the count of real elements.
        const bool no_pad = a.pad_top == 0 && a.pad_left == 0 && a.pad_bottom == 0 && a.pad_right == 0;
        alg = a.count_include_pad && !no_pad ? dnnl::algorithm::pooling_avg_include_padding
                                             : dnnl::algorithm::pooling_avg_exclude_padding;
        FB_ASSERT(!(overhang && alg == dnnl::algorithm::pooling_avg_include_padding));  // refused by supports()
      }
    }
    memory::desc dst_any = opt_.blocked_layouts ? any_md(ys) : act_plain(ys);
    if (keep_int8) dst_any = memory::desc(to_dims(ys), compat::data_type(md_of(src)), opt_.blocked_layouts ? tag::any : plain_tag(ys.size()));
    const auto pd = compat::make_pooling_pd(eng_, alg, md_of(src), dst_any, strides, kernel, pl, pr, new_attr());
    const int dst = new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    copy_q(src, dst);
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::pooling_forward(pd), pd, s.label, "pool", {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  }

  // Flatten is free when the bytes are already in row-major order: a plain layout, or a blocked/nhwc one
  // with 1x1 spatial size and whole channel blocks.
  void flatten(const Step& s, const Node& n) {
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    const Shape& ys = p_.g.value(s.outputs[0]).shape;
    int src = scale_keeping_src(s.inputs[0]);
    const std::string lay = layout_name(md_of(src));
    const bool free = lay == "nchw" || lay == "nc" || lay == "plain" ||
                      (xs.size() == 4 && xs[2] * xs[3] == 1 &&
                       (lay == "nhwc" || (lay == "nChw16c" && xs[1] % 16 == 0) || (lay == "nChw8c" && xs[1] % 8 == 0)));
    if (!free)
      src = need(s.inputs[0], memory::desc(to_dims(xs), compat::data_type(md_of(src)), plain_tag(xs.size())),
                 n.name + " needs row-major order");
    val_slot_[static_cast<size_t>(s.outputs[0])] =
        view_of(src, memory::desc(to_dims(ys), compat::data_type(md_of(src)), plain_tag(ys.size())), p_.g.value(s.outputs[0]).name);
  }

  // u8/s8 input (quantized on the way in where it arrives in fp32), per-output-channel s8 weights, f32 bias,
  // eltwise post-ops on real numbers; the result quantized at its calibrated scale when a node reads it, else
  // (the logits) written as f32.
  void linear_int8(const Step& s, const Node& n) {
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    const Shape& ys = p_.g.value(s.outputs[0]).shape;
    const int64_t out_f = n.attr<LinearAttrs>().out_features;
    const bool flat = s.flatten_input;
    const memory::dims wdims = flat ? memory::dims{out_f, xs[1], xs[2], xs[3]} : memory::dims{out_f, xs[1]};
    std::vector<Eltwise> post;
    for (const PostOp& po : s.post_ops) {
      if (po.kind != PostOp::Kind::Eltwise) fail("onednn int8: {} carries a post-op int8 lowering does not support", s.label);
      post.push_back(po.eltwise);
    }
    const bool real_out = p_.consumer_steps(s.outputs[0]).empty();
    const QParams in_q = value_q(s.inputs[0]);
    const QWeights qw = quantize_weights(n.param("weight"));  // one scale per row (output feature)
    compat::Int8Scales scales;
    scales.src = in_q.scale;
    scales.wei = qw.scales;
    std::optional<QParams> out_q;
    if (!real_out) out_q = calibrated(s.outputs[0]);
    if (out_q) scales.dst = out_q->scale;
    const compat::Int8Attr ia = compat::int8_attr(eng_, new_attr(), post, scales, false);
    const bool has_bias = n.has_param("bias");
    const memory::desc bias_md = has_bias ? memory::desc({out_f}, dt::f32, tag::a) : memory::desc();
    const memory::desc dst_md(to_dims(ys), out_q ? int8_type(*out_q) : dt::f32, tag::any);
    auto make = [&](const memory::desc& src_md) {
      return compat::make_inner_product_pd(eng_, src_md, memory::desc(wdims, dt::s8, tag::any), bias_md, dst_md, ia.attr);
    };
    // Read an int8 input in the layout it already has; otherwise (or when refused) the layout oneDNN prefers.
    const int have = slot_of(s.inputs[0]);
    dnnl::inner_product_forward::primitive_desc pd;
    bool made = false;
    if (is_int8(md_of(have))) {
      try {
        pd = make(md_of(have));
        made = true;
      } catch (const dnnl::error&) {
      }
    }
    if (!made) pd = make(memory::desc(to_dims(xs), int8_type(in_q), tag::any));
    const int src = need(s.inputs[0], pd.src_desc(), "linear " + n.name + " input");
    std::unordered_map<int, memory> consts = int8_consts(
        n, qw, memory::desc(wdims, dt::s8, flat ? tag::oihw : tag::ab), pd.weights_desc(), bias_md, pd.bias_desc(), ia);
    const int dst = new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    if (out_q) slot_q_[dst] = *out_q;
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::inner_product_forward(pd), pd, s.label, "linear", {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}},
             std::move(consts));
  }

  void linear(const Step& s, const Node& n) {
    if (int8_mode()) return linear_int8(s, n);
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    const Shape& ys = p_.g.value(s.outputs[0]).shape;
    const int64_t out_f = n.attr<LinearAttrs>().out_features;
    memory::dims wdims = {out_f, xs[1]};
    tag wtag = tag::ab;
    if (s.flatten_input) {
      wdims = {out_f, xs[1], xs[2], xs[3]};
      wtag = tag::oihw;
    }
    const bool has_bias = n.has_param("bias");
    const memory::desc bias_md = has_bias ? memory::desc({out_f}, dt::f32, tag::a) : memory::desc();
    dnnl::primitive_attr attr = new_attr();
    attr.set_post_ops(eltwise_post_ops(s, 0, s.post_ops.size()));
    auto make = [&](const memory::desc& src_md) {
      return compat::make_inner_product_pd(eng_, src_md, memory::desc(wdims, adt_, tag::any), bias_md, any_md(ys), attr);
    };
    // Read the input in the layout it already has; fall back to the layout oneDNN prefers.
    dnnl::inner_product_forward::primitive_desc pd;
    try {
      pd = make(md_of(act(s.inputs[0])));
    } catch (const dnnl::error&) {
      pd = make(any_md(xs));
    }
    const int src = need(s.inputs[0], pd.src_desc(), "linear " + n.name + " input");
    std::unordered_map<int, memory> consts;
    consts[DNNL_ARG_WEIGHTS] = weights(n.param("weight"), memory::desc(wdims, dt::f32, wtag), pd.weights_desc());
    if (has_bias) consts[DNNL_ARG_BIAS] = weights(n.param("bias"), bias_md, pd.bias_desc());
    const int dst = new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::inner_product_forward(pd), pd, s.label, "linear", {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}},
             std::move(consts));
  }

  void softmax(const Step& s, const Node& n) {
    const Shape& xs = p_.g.value(s.inputs[0]).shape;
    int64_t axis = n.attr<AxisAttrs>().axis;
    if (axis < 0) axis += static_cast<int64_t>(xs.size());
    const int src = need(s.inputs[0], act_plain(xs), n.name + " runs on the plain layout");
    const auto pd = compat::make_softmax_pd(eng_, md_of(src), static_cast<int>(axis), new_attr());
    const int dst = new_slot(pd.dst_desc(), p_.g.value(s.outputs[0]).name);
    val_slot_[static_cast<size_t>(s.outputs[0])] = dst;
    add_exec(dnnl::softmax_forward(pd), pd, s.label, "softmax", {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  }

  // "int8: conv x20, pool x2; fp32: binary x8, linear x1; 14 reorders convert between them", then, when some
  // primitive stayed fp32, why each kind of them is there.
  std::vector<std::string> int8_notes() const {
    static const std::map<std::string, const char*> why = {
        {"batchnorm", "not folded into a convolution"},
        {"eltwise", "an activation not fused into a convolution"},
        {"binary", "an add or multiply not fused into a convolution as its sum"},
        {"concat", "only fp32 ops read its result"},
        {"pool", "its input arrives in fp32"},
        {"split", "its input arrives in fp32"},
        {"shuffle", "its input arrives in fp32"},
        {"softmax", "no int8 lowering"},
    };
    std::map<std::string, int> int8, fp32;
    int converting = 0;
    for (const Exec& e : out_.prog.execs) {
      bool integer = false, real = false;
      for (const auto& [arg, slot] : e.slot_args) (is_int8(md_of(slot)) ? integer : real) = true;
      if (e.kind == "reorder") converting += integer && real;
      else (integer ? int8 : fp32)[e.kind]++;
    }
    auto list = [](const std::map<std::string, int>& m) {
      std::string o;
      for (const auto& [k, c] : m) o += fmt::format("{}{} x{}", o.empty() ? "" : ", ", k, c);
      return o.empty() ? std::string("none") : o;
    };
    std::vector<std::string> notes = {fmt::format("int8: {}; fp32: {}; {} reorders quantize or dequantize between them",
                                                  list(int8), list(fp32), converting)};
    std::string reasons;
    for (const auto& [k, c] : fp32) {
      const auto it = why.find(k);
      reasons += fmt::format("{}{} ({})", reasons.empty() ? "" : "; ", k, it != why.end() ? it->second : "no int8 lowering");
    }
    if (!reasons.empty()) notes.push_back("int8: why fp32: " + reasons);
    return notes;
  }

  // Graph outputs leave in the plain layout, written straight into the caller's tensors when possible.
  void bind_outputs() {
    for (size_t i = 0; i < p_.g.outputs.size(); ++i) {
      const ValueId v = p_.g.outputs[i];
      const int s = slot_of(v);
      const int r = out_.prog.root(s);
      Slot& rs = out_.prog.slots[static_cast<size_t>(r)];
      const memory::desc want = plain_md(p_.g.value(v).shape);
      const bool direct = s == r && rs.kind == Slot::Kind::Arena && rs.md == want && !output_bound_[r];
      if (direct) {
        rs.kind = Slot::Kind::Output;
        rs.external_index = static_cast<int>(i);
        output_bound_[r] = true;
        continue;
      }
      const int o = new_slot(want, p_.g.value(v).name + "(output)");
      out_.prog.slots[static_cast<size_t>(o)].kind = Slot::Kind::Output;
      out_.prog.slots[static_cast<size_t>(o)].external_index = static_cast<int>(i);
      reorder_into(s, o, "graph output");
    }
  }

  const Plan& p_;
  const dnnl::engine& eng_;
  LowerOptions opt_;
  dt adt_;
  // This library's fused 1x1+depthwise JIT kernel is wrong on nhwc (oneDNN before 2.7).
  const bool dw_nhwc_bug_ = compat::fused_dw_wrong_on_nhwc(compat::runtime_version());
  dnnl::stream stream_{eng_};
  Lowered out_;
  std::vector<int> val_slot_;
  std::vector<std::pair<ValueId, int>> converted_;
  ConcatPlacement concat_;
  tag buffer_tag_ = tag::nChw16c;
  std::vector<int> buffer_slot_, buffer_direct_;
  std::vector<std::vector<std::string>> buffer_copied_;
  std::map<int, QParams> slot_q_;  // what the integers of each int8 slot mean
  std::map<int, QParams> concat_q_;  // int8: each concatenation step's scale (group_concat_scales)
  std::map<int, bool> output_bound_;
  std::vector<std::pair<std::string, WinogradChoice>> winograd_;  // each candidate conv and what it got
  int step_index_ = 0;
};

}  // namespace

Lowered lower(const Plan& p, const dnnl::engine& eng, const LowerOptions& opt) { return Lowerer(p, eng, opt).run(); }

}  // namespace fb::onednn
