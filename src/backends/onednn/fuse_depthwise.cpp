// 1x1 convolution followed by a 3x3 depthwise convolution -> one primitive with oneDNN's depthwise
// post-op: the expanded tensor between them is never written to memory as a whole. oneDNN supports it only
// for some ISAs and shapes, so each candidate is tried with a real primitive descriptor first.
#include <algorithm>

#include <dnnl_debug.h>
#include <fmt/format.h>

#include "backends/onednn/dnnl_compat.h"
#include "backends/onednn/plan.h"

namespace fb::onednn {
namespace {

bool only_eltwise(const Step& s) {
  return std::all_of(s.post_ops.begin(), s.post_ops.end(),
                     [](const PostOp& p) { return p.kind == PostOp::Kind::Eltwise; });
}

// Why the pair cannot use the depthwise post-op, or "" if it may.
std::string shape_reason(const Plan& p, const Step& pw, const Step& dw) {
  const auto& a = p.node_of(pw).attr<Conv2dAttrs>();
  const auto& d = p.node_of(dw).attr<Conv2dAttrs>();
  const int64_t c = p.g.value(dw.inputs[0]).shape[1];
  if (a.stride_h != 1 || a.stride_w != 1 || a.pad_top || a.pad_left || a.pad_bottom || a.pad_right || a.groups != 1)
    return "the 1x1 conv is strided, padded or grouped";
  if (!(d.groups == c && d.out_channels == c)) return "the second conv is not depthwise";
  if (d.kernel_h != 3 || d.kernel_w != 3 || d.dilation_h != 1 || d.dilation_w != 1) return "the depthwise conv is not 3x3";
  if (d.stride_h != d.stride_w || (d.stride_h != 1 && d.stride_h != 2)) return "the depthwise stride is not 1 or 2";
  if (d.pad_top != 1 || d.pad_left != 1 || d.pad_bottom != 1 || d.pad_right != 1) return "the depthwise padding is not 1";
  if (!only_eltwise(pw) || !only_eltwise(dw)) return "a sum post-op is already attached";
  return "";
}

// The primitive descriptor oneDNN would build for the fused pair; "" when it is worth using. Where oneDNN
// has no single kernel for the pair (2.6: f32 at small sizes) it implements the fusion as
// "ref_fused_convolution", which runs the 1x1 and the depthwise JIT kernels one after the other over whole
// tensors: no cache-level fusion, so that is taken only when forced. Decided by the implementation oneDNN
// reports, not by its version.
std::string try_fused(const Plan& p, const Step& pw, const Step& dw, const dnnl::engine& eng, bool force) {
  using dnnl::memory;
  const Node& n = p.node_of(pw);
  const Node& d = p.node_of(dw);
  const Shape& xs = p.g.value(pw.inputs[0]).shape;
  const Shape& ys = p.g.value(n.outputs[0]).shape;
  dnnl::post_ops ops;
  for (const PostOp& po : pw.post_ops) compat::append_eltwise(ops, po.eltwise.alg, po.eltwise.alpha, po.eltwise.beta);
  compat::append_dw(ops, memory::data_type::f32, d.has_param("bias") ? memory::data_type::f32 : memory::data_type::undef,
                    memory::data_type::f32, 3, d.attr<Conv2dAttrs>().stride_h, 1);
  for (const PostOp& po : dw.post_ops) compat::append_eltwise(ops, po.eltwise.alg, po.eltwise.alpha, po.eltwise.beta);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  auto md = [](const Shape& s) { return memory::desc(memory::dims(s.begin(), s.end()), memory::data_type::f32, memory::format_tag::any); };
  const bool bias = n.has_param("bias");
  try {
    const auto pd = compat::make_conv_pd(
        eng, md(xs), md({ys[1], xs[1], 1, 1}),
        bias ? memory::desc({ys[1]}, memory::data_type::f32, memory::format_tag::a) : memory::desc(), md(ys), {1, 1},
        {0, 0}, {0, 0}, {0, 0}, attr);
    const std::string impl = pd.impl_info_str();
    const bool chained = impl.rfind("ref_fused_convolution", 0) == 0;
    const bool inner_jit = impl.find("jit") != std::string::npos || impl.find("brg") != std::string::npos ||
                           impl.find("brdgmm") != std::string::npos;
    if (!inner_jit) return "oneDNN has only reference kernels for it (" + impl + ")";
    if (chained && !force)
      return "oneDNN " + compat::runtime_version().str() + " would only chain the two kernels (" + impl +
             "), no cache-level fusion; depthwise_fusion=force takes it anyway";
    return "";
  } catch (const dnnl::error& e) {
    return fmt::format("oneDNN refuses it on this machine ({})", dnnl_status2str(e.status));
  }
}

}  // namespace

void fuse_depthwise(Plan& p, const dnnl::engine& eng, bool force) {
  for (size_t i = 0; i < p.steps.size(); ++i) {
    Step& pw = p.steps[i];
    if (pw.removed || p.node_of(pw).op != Op::Conv2d) continue;
    const auto& a = p.node_of(pw).attr<Conv2dAttrs>();
    if (a.kernel_h != 1 || a.kernel_w != 1 || pw.outputs.size() != 1) continue;
    const auto cons = p.consumer_steps(pw.outputs[0]);
    if (cons.size() != 1) continue;
    Step& dw = p.steps[static_cast<size_t>(cons[0])];
    const Node& dn = p.node_of(dw);
    if (dn.op != Op::Conv2d || dn.attr<Conv2dAttrs>().groups == 1) continue;  // not a pw -> dw candidate
    std::string why = p.is_graph_output(pw.outputs[0]) ? "the 1x1 output is a graph output" : shape_reason(p, pw, dw);
    if (why.empty()) why = try_fused(p, pw, dw, eng, force);
    if (!why.empty()) {
      p.report.rejected.push_back(fmt::format("{} -> {}: no depthwise post-op: {}", pw.label, dw.label, why));
      continue;
    }
    PostOp po;
    po.kind = PostOp::Kind::Depthwise;
    po.dw_node = dw.node;
    pw.post_ops.push_back(po);
    pw.post_ops.insert(pw.post_ops.end(), dw.post_ops.begin(), dw.post_ops.end());
    pw.outputs = dw.outputs;
    pw.label += " -> " + dw.label;
    pw.covers.insert(pw.covers.end(), dw.covers.begin(), dw.covers.end());
    dw.removed = true;
    p.report.applied.push_back(pw.label + " (depthwise post-op)");
  }
}

}  // namespace fb::onednn
