// One method per ONNX op family: how each becomes IR, with the exporter idioms it recognises.
#include <cmath>
#include <cstring>
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "onnx/onnx_converter.h"

namespace fb::onnx_detail {

void Converter::require_input_rank(const onnx::NodeProto& n) {
  constexpr size_t any = std::numeric_limits<size_t>::max();
  struct Need {
    size_t lo, hi;
    const char* layout;
  };
  static const std::map<std::string, Need> needs{
      {"Conv", {4, 4, "NCHW"}},          {"MaxPool", {4, 4, "NCHW"}},    {"AveragePool", {4, 4, "NCHW"}},
      {"GlobalAveragePool", {4, 4, "NCHW"}}, {"Pad", {4, 4, "NCHW"}},    {"ReduceMean", {4, 4, "NCHW"}},
      {"Squeeze", {4, 4, "NCHW"}},       {"Gemm", {2, 2, "[batch, features]"}}, {"MatMul", {2, 2, "[batch, features]"}},
      {"BatchNormalization", {2, any, "N,C,..."}}, {"Split", {2, any, "N,C,..."}}, {"Slice", {2, any, "N,C,..."}}};
  auto it = needs.find(n.op_type());
  if (it == needs.end() || !has_input(n, 0)) return;
  auto s = syms_.find(n.input(0));
  if (s == syms_.end() || s->second.c) return;  // undefined or constant: the converter's own message says so
  const Shape& x = shape(s->second.v);
  const Need& need = it->second;
  if (x.size() < need.lo || x.size() > need.hi)
    fail("node {}: expects a rank-{}{} {} input, got '{}' of shape {}", node_label(n), need.lo, need.hi == any ? "+" : "",
         need.layout, n.input(0), shape_str(x));
}

// Pads of a Conv/pool: explicit pads, or auto_pad computed from the input as ONNX defines it.
void Converter::window_pads(const onnx::NodeProto& n, const Shape& x, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                            int64_t dh, int64_t dw, int64_t (&p)[4]) {
  NodeAttrs a(n);
  const std::string autopad = a.s("auto_pad", "NOTSET");
  std::vector<int64_t> pads = a.ints("pads", {0, 0, 0, 0});
  if (pads.size() != 4) fail("node {}: pads must have 4 values for a 2-D window, got {}", node_label(n), pads.size());
  if (autopad == "NOTSET" || autopad == "VALID") {
    if (autopad == "VALID") pads = {0, 0, 0, 0};
    p[0] = pads[0], p[1] = pads[1], p[2] = pads[2], p[3] = pads[3];
    return;
  }
  if (autopad != "SAME_UPPER" && autopad != "SAME_LOWER") fail("node {}: unknown auto_pad '{}'", node_label(n), autopad);
  if (pad_from_) fail("node {}: auto_pad {} after a Pad node is not supported", node_label(n), autopad);
  if (sh <= 0 || sw <= 0) fail("node {}: strides must be positive", node_label(n));
  const int64_t in[2] = {x.at(2), x.at(3)}, k[2] = {kh, kw}, s[2] = {sh, sw}, d[2] = {dh, dw};
  for (int i = 0; i < 2; ++i) {
    const int64_t out = (in[i] + s[i] - 1) / s[i];
    const int64_t total = std::max<int64_t>(0, (out - 1) * s[i] + d[i] * (k[i] - 1) + 1 - in[i]);
    const int64_t small = total / 2, big = total - small;
    p[i] = autopad == "SAME_UPPER" ? small : big;
    p[i + 2] = autopad == "SAME_UPPER" ? big : small;
  }
}

void Converter::conv(const onnx::NodeProto& n) {
  NodeAttrs a(n);
  const Sym& x = rt(n, 0, true);
  ConstPtr w = const_in(n, 1, "weight");
  ConstPtr b = opt_const(n, 2, "bias");
  if (w->shape.size() != 4) fail("node {}: only 2-D convolutions are supported (weight shape {})", node_label(n), shape_str(w->shape));
  Conv2dAttrs c;
  c.out_channels = w->shape[0];
  c.kernel_h = w->shape[2];
  c.kernel_w = w->shape[3];
  std::vector<int64_t> ks = a.ints("kernel_shape", {c.kernel_h, c.kernel_w});
  if (ks != std::vector<int64_t>{c.kernel_h, c.kernel_w})
    fail("node {}: kernel_shape [{}] disagrees with the weight shape {}", node_label(n), fmt::join(ks, ","), shape_str(w->shape));
  std::vector<int64_t> st = a.ints("strides", {1, 1}), dl = a.ints("dilations", {1, 1});
  if (st.size() != 2 || dl.size() != 2) fail("node {}: strides and dilations need 2 values", node_label(n));
  c.stride_h = st[0], c.stride_w = st[1], c.dilation_h = dl[0], c.dilation_w = dl[1];
  c.groups = a.i("group", 1);
  c.bias = b != nullptr;
  int64_t p[4];
  pad_from_ = !x.pad_node.empty();
  window_pads(n, shape(x.v), c.kernel_h, c.kernel_w, c.stride_h, c.stride_w, c.dilation_h, c.dilation_w, p);
  c.pad_top = p[0] + x.pad[0], c.pad_left = p[1] + x.pad[1], c.pad_bottom = p[2] + x.pad[2], c.pad_right = p[3] + x.pad[3];
  std::vector<std::pair<std::string, ConstPtr>> params{{"weight", w}};
  if (b) params.push_back({"bias", b});
  bind(n.output(0), emit1(Op::Conv2d, c, {x.v}, ir_name(n), params));
}

void Converter::pool(const onnx::NodeProto& n, bool max) {
  NodeAttrs a(n);
  require_unused(n, 1);
  const Sym& x = rt(n, 0, !max);
  std::vector<int64_t> ks = a.ints("kernel_shape", {});
  if (ks.size() != 2) fail("node {}: only 2-D pooling is supported (kernel_shape [{}])", node_label(n), fmt::join(ks, ","));
  std::vector<int64_t> st = a.ints("strides", {1, 1}), dl = a.ints("dilations", {1, 1});
  if (st.size() != 2) fail("node {}: strides need 2 values", node_label(n));
  if (dl != std::vector<int64_t>{1, 1}) fail("node {}: dilated pooling is not supported", node_label(n));
  PoolAttrs p;
  p.kernel_h = ks[0], p.kernel_w = ks[1], p.stride_h = st[0], p.stride_w = st[1];
  p.ceil_mode = a.i("ceil_mode", 0) != 0;
  p.count_include_pad = a.i("count_include_pad", 0) != 0;
  int64_t pads[4];
  pad_from_ = !x.pad_node.empty();
  window_pads(n, shape(x.v), p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, 1, 1, pads);
  if (!x.pad_node.empty()) {
    // Zeros from Pad are real elements of the window: exact only if every padded element is counted.
    const bool own = pads[0] || pads[1] || pads[2] || pads[3];
    if (own && !p.count_include_pad)
      fail("Pad '{}' feeds {} with count_include_pad=0 and its own padding: the two cannot be merged", x.pad_node, node_label(n));
    p.count_include_pad = true;
  }
  p.pad_top = pads[0] + x.pad[0], p.pad_left = pads[1] + x.pad[1], p.pad_bottom = pads[2] + x.pad[2], p.pad_right = pads[3] + x.pad[3];
  bind(n.output(0), emit1(max ? Op::MaxPool : Op::AvgPool, p, {x.v}, ir_name(n)));
}

// Gemm (weights [out, in] with transB=1, PyTorch's layout, or [in, out]) and MatMul(+Add) -> Linear.
void Converter::linear(const onnx::NodeProto& n, bool gemm) {
  NodeAttrs a(n);
  const ValueId x = rtv(n, 0);
  ConstPtr w = const_in(n, 1, "weight");
  if (w->shape.size() != 2 || w->is_int) fail("node {}: weight must be a 2-D float matrix, got {}", node_label(n), shape_str(w->shape));
  ConstPtr bias;
  std::string out = n.output(0), name = ir_name(n);
  bool trans_b = false;
  float alpha = 1, beta = 1;
  if (gemm) {
    if (a.i("transA", 0) != 0) fail("node {}: Gemm with transA=1 is not supported", node_label(n));
    trans_b = a.i("transB", 0) != 0;
    alpha = a.f("alpha", 1), beta = a.f("beta", 1);
    bias = opt_const(n, 2, "bias");
  } else if (const onnx::NodeProto* add = sole_consumer(n.output(0), "Add")) {
    const int other = add->input(0) == n.output(0) ? 1 : 0;
    ConstPtr c = lazy_const(add->input(other));
    if (c && add->input(0) != add->input(1)) {
      bias = c;
      out = add->output(0);
      mark_done(add);
    }
  }
  const int64_t in_f = trans_b ? w->shape[1] : w->shape[0], out_f = trans_b ? w->shape[0] : w->shape[1];
  if (in_f != shape(x)[1]) fail("node {}: weight {} does not match input features {}", node_label(n), shape_str(w->shape), shape(x)[1]);
  auto wt = std::make_shared<ConstTensor>(make_float_tensor(std::vector<float>(w->f.size()), {out_f, in_f}));
  budget_.take(wt->numel(), "node " + node_label(n));
  for (int64_t o = 0; o < out_f; ++o)
    for (int64_t i = 0; i < in_f; ++i)
      wt->f[static_cast<size_t>(o * in_f + i)] = alpha * w->f[static_cast<size_t>(trans_b ? o * in_f + i : i * out_f + o)];
  std::vector<std::pair<std::string, ConstPtr>> params{{"weight", alpha == 1 && trans_b ? w : ConstPtr(wt)}};
  if (bias) {
    if (bias->is_int || bias->numel() != out_f || (bias->shape.size() == 2 && bias->shape[0] != 1) || bias->shape.size() > 2)
      fail("node {}: bias of shape {} does not fit {} outputs", node_label(n), shape_str(bias->shape), out_f);
    std::vector<float> bv(bias->f);
    for (float& v : bv) v *= beta;
    params.push_back({"bias", std::make_shared<ConstTensor>(make_float_tensor(std::move(bv), {out_f}))});
  }
  bind(out, emit1(Op::Linear, LinearAttrs{out_f, bias != nullptr}, {x}, name, params));
}

// x * gate(x) written as two nodes -> one op (SiLU, HardSwish); otherwise the gate alone.
void Converter::gated(const onnx::NodeProto& n, Op fused, Op plain, Attrs plain_attrs) {
  const ValueId x = rtv(n, 0);
  if (fused != plain) {
    if (const onnx::NodeProto* mul = sole_consumer(n.output(0), "Mul")) {
      if (mul->input_size() == 2 &&
          ((mul->input(0) == n.input(0) && mul->input(1) == n.output(0)) ||
           (mul->input(1) == n.input(0) && mul->input(0) == n.output(0)))) {
        // The composite's last node carries the op's name (our exporter writes it that way).
        mark_done(mul);
        bind(mul->output(0), emit1(fused, NoAttrs{}, {x}, ir_name(*mul)));
        return;
      }
    }
  }
  bind(n.output(0), emit1(plain, std::move(plain_attrs), {x}, ir_name(n)));
}


// Reshape: Reshape-Transpose-Reshape is ChannelShuffle; a reshape to [N, -1] (or any [lead, rest]) is
// Flatten; a reshape that keeps the shape is dropped. Anything else is refused.
void Converter::reshape(const onnx::NodeProto& n) {
  const ValueId x = rtv(n, 0);
  const Shape& in = shape(x);
  const std::string who = "node " + node_label(n);
  const Shape to = reshape_target(in, const_in(n, 1, "shape")->ints(), NodeAttrs(n).i("allowzero", 0) != 0, who);
  if (in.size() == 4 && to.size() == 5 && to[0] == in[0] && to[3] == in[2] && to[4] == in[3]) {
    const onnx::NodeProto* tr = sole_consumer(n.output(0), "Transpose");
    const onnx::NodeProto* back = tr ? sole_consumer(tr->output(0), "Reshape") : nullptr;
    if (back && NodeAttrs(*tr).ints("perm", {}) == std::vector<int64_t>{0, 2, 1, 3, 4}) {
      ConstPtr spec = back->input_size() == 2 ? lazy_const(back->input(1)) : nullptr;
      if (spec) {
        const Shape transposed{to[0], to[2], to[1], to[3], to[4]};
        if (reshape_target(transposed, spec->ints(), NodeAttrs(*back).i("allowzero", 0) != 0, who) == in) {
          mark_done(tr);
          mark_done(back);
          bind(back->output(0), emit1(Op::ChannelShuffle, ChannelShuffleAttrs{to[1]}, {x}, ir_name(*back)));
          return;
        }
      }
    }
  }
  if (to == in) {
    bind(n.output(0), x);
    return;
  }
  if (to.size() == 2)
    for (int64_t axis = 0, lead = 1; axis <= static_cast<int64_t>(in.size()); lead *= axis < static_cast<int64_t>(in.size()) ? in[static_cast<size_t>(axis)] : 1, ++axis)
      if (lead == to[0]) {
        bind(n.output(0), emit1(Op::Flatten, AxisAttrs{axis}, {x}, ir_name(n)));
        return;
      }
  fail("{}: reshaping {} to {} is not supported (only flattening, and channel shuffles written as "
       "Reshape-Transpose-Reshape)", who, shape_str(in), shape_str(to));
}

void Converter::split(const onnx::NodeProto& n) {
  NodeAttrs a(n);
  const ValueId x = rtv(n, 0);
  const auto rank = static_cast<int64_t>(shape(x).size());
  int64_t axis = a.i("axis", 0);
  if (axis < 0) axis += rank;
  if (axis != 1) fail("node {}: only splits along channels (axis 1) are supported, not axis {}", node_label(n), a.i("axis", 0));
  std::vector<int64_t> sizes;
  if (opset_ < 13) sizes = a.ints("split", {});
  else if (ConstPtr s = opt_const(n, 1, "split")) sizes = s->ints();
  const int64_t outs = n.output_size();
  if (outs < 1) fail("node {}: Split has no outputs", node_label(n));
  if (sizes.empty()) {
    const int64_t parts = a.i("num_outputs", outs), c = shape(x)[1];
    if (parts != outs) fail("node {}: num_outputs={} but the node has {} outputs", node_label(n), parts, outs);
    const int64_t each = (c + parts - 1) / parts;  // opset 18: the last part may be smaller
    for (int64_t k = 0; k < parts; ++k) sizes.push_back(std::min(each, c - k * each));
  }
  if (static_cast<int64_t>(sizes.size()) != outs)
    fail("node {}: {} split sizes for {} outputs", node_label(n), sizes.size(), outs);
  std::vector<ValueId> vs = emit(Op::Split, SplitAttrs{sizes}, {x}, ir_name(n), static_cast<int>(outs));
  for (int k = 0; k < n.output_size(); ++k) bind(n.output(k), vs[static_cast<size_t>(k)]);
}

// Slice along channels with step 1 -> a Split whose other parts go unused (both move data only).
void Converter::slice(const onnx::NodeProto& n) {
  const ValueId x = rtv(n, 0);
  const Shape& in = shape(x);
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset_ >= 10) {
    starts = const_in(n, 1, "starts")->ints();
    ends = const_in(n, 2, "ends")->ints();
    if (ConstPtr c = opt_const(n, 3, "axes")) axes = c->ints();
    if (ConstPtr c = opt_const(n, 4, "steps")) steps = c->ints();
  } else {
    NodeAttrs a(n);
    starts = a.ints("starts", {}), ends = a.ints("ends", {}), axes = a.ints("axes", {});
  }
  if (axes.empty())
    for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  if (starts.size() != ends.size() || axes.size() != starts.size() || (!steps.empty() && steps.size() != starts.size()))
    fail("node {}: starts, ends, axes and steps differ in length", node_label(n));
  int64_t b = 0, e = in.at(1);
  for (size_t k = 0; k < axes.size(); ++k) {
    const int64_t axis = axes[k] < 0 ? axes[k] + rank : axes[k];
    if (axis < 0 || axis >= rank) fail("node {}: axis {} out of range", node_label(n), axes[k]);
    if (!steps.empty() && steps[k] != 1) fail("node {}: Slice with step {} is not supported", node_label(n), steps[k]);
    const int64_t dim = in[static_cast<size_t>(axis)];
    auto clampi = [&](int64_t v) { return std::clamp(v < 0 ? v + dim : v, int64_t{0}, dim); };
    const int64_t lo = clampi(starts[k]), hi = clampi(ends[k]);
    if (axis == 1) b = lo, e = hi;
    else if (lo != 0 || hi != dim)
      fail("node {}: slicing along axis {} is not supported (only along channels)", node_label(n), axis);
  }
  const int64_t c = in.at(1);
  if (b >= e) fail("node {}: the slice [{}, {}) of {} channels is empty", node_label(n), b, e, c);
  if (b == 0 && e == c) {
    bind(n.output(0), x);
    return;
  }
  std::vector<int64_t> sizes;
  if (b > 0) sizes.push_back(b);
  sizes.push_back(e - b);
  if (e < c) sizes.push_back(c - e);
  std::vector<ValueId> vs = emit(Op::Split, SplitAttrs{sizes}, {x}, ir_name(n), static_cast<int>(sizes.size()));
  bind(n.output(0), vs[b > 0 ? 1 : 0]);
}

// Zero Pad over H and W only: remembered on the tensor and added to the padding of the Conv/AveragePool that
// reads it (PyTorch exports explicit padding this way, TF converters too).
void Converter::pad(const onnx::NodeProto& n) {
  NodeAttrs a(n);
  const Sym x = rt(n, 0, true);
  const std::string mode = a.s("mode", "constant");
  std::vector<int64_t> pads;
  float value = 0;
  if (opset_ < 11) {
    pads = a.ints("pads", {});
    value = a.f("value", 0);
  } else {
    pads = const_in(n, 1, "pads")->ints();
    if (ConstPtr v = opt_const(n, 2, "constant_value")) value = v->numel() == 1 ? static_cast<float>(v->at(0)) : 1;
    if (ConstPtr ax = opt_const(n, 3, "axes")) {  // opset 18: pads for the listed axes only
      std::vector<int64_t> full(8, 0), axes = ax->ints();
      if (pads.size() != 2 * axes.size()) fail("node {}: pads and axes differ in length", node_label(n));
      for (size_t k = 0; k < axes.size(); ++k) {
        const int64_t axis = axes[k] < 0 ? axes[k] + 4 : axes[k];
        if (axis < 0 || axis > 3) fail("node {}: axis {} out of range", node_label(n), axes[k]);
        full[static_cast<size_t>(axis)] = pads[k];
        full[static_cast<size_t>(axis) + 4] = pads[k + axes.size()];
      }
      pads = full;
    }
  }
  if (mode != "constant" || value != 0)
    fail("node {}: only zero padding is supported (mode '{}', value {})", node_label(n), mode, value);
  if (pads.size() != 8) fail("node {}: pads must have 8 values for an NCHW tensor, got {}", node_label(n), pads.size());
  if (pads[0] || pads[1] || pads[4] || pads[5]) fail("node {}: padding of batch or channels is not supported", node_label(n));
  for (int64_t p : pads)
    if (p < 0) fail("node {}: negative padding (cropping) is not supported", node_label(n));
  Sym out = x;
  out.pad[0] += pads[2], out.pad[1] += pads[3], out.pad[2] += pads[6], out.pad[3] += pads[7];
  out.pad_node = n.name().empty() ? n.output(0) : n.name();
  syms_[n.output(0)] = out;
}

void Converter::convert(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  NodeAttrs a(n);
  auto unary = [&](Op o, Attrs at = NoAttrs{}) { bind(n.output(0), emit1(o, std::move(at), {rtv(n, 0)}, ir_name(n))); };
  auto binary = [&](Op o) {
    for (int k = 0; k < 2; ++k)
      if (sym(n.input(k), "node " + node_label(n)).c)
        fail("node {}: a constant operand ('{}') is not supported (only as the bias of a MatMul)", node_label(n), n.input(k));
    bind(n.output(0), emit1(o, NoAttrs{}, {rtv(n, 0), rtv(n, 1)}, ir_name(n)));
  };
  require_input_rank(n);
  if (op == "Conv") return conv(n);
  if (op == "MaxPool" || op == "AveragePool") return pool(n, op == "MaxPool");
  if (op == "Gemm" || op == "MatMul") return linear(n, op == "Gemm");
  if (op == "Reshape") return reshape(n);
  if (op == "Split") return split(n);
  if (op == "Slice") return slice(n);
  if (op == "Pad") return pad(n);
  if (op == "BatchNormalization") {
    if (a.i("training_mode", 0) != 0) fail("node {}: training_mode=1 is not supported", node_label(n));
    require_unused(n, 1);
    std::vector<std::pair<std::string, ConstPtr>> params{{"weight", const_in(n, 1, "scale")}, {"bias", const_in(n, 2, "B")},
                                                         {"running_mean", const_in(n, 3, "mean")},
                                                         {"running_var", const_in(n, 4, "var")}};
    bind(n.output(0), emit1(Op::BatchNorm, BatchNormAttrs{a.f("epsilon", 1e-5f)}, {rtv(n, 0)}, ir_name(n), params));
    return;
  }
  if (op == "Relu") return unary(Op::Relu);
  if (op == "Clip") {
    constexpr float inf = std::numeric_limits<float>::infinity();
    float lo = -inf, hi = inf;
    if (opset_ < 11) {
      lo = a.f("min", -inf), hi = a.f("max", inf);
    } else {
      if (ConstPtr c = opt_const(n, 1, "min")) lo = c->numel() == 1 ? static_cast<float>(c->at(0)) : NAN;
      if (ConstPtr c = opt_const(n, 2, "max")) hi = c->numel() == 1 ? static_cast<float>(c->at(0)) : NAN;
    }
    if (lo == 0 && hi == 6) return unary(Op::Relu6);
    if (lo == 0 && hi == inf) return unary(Op::Relu);
    fail("node {}: Clip(min={}, max={}) is not supported (only ReLU6 = Clip(0, 6) and ReLU = Clip(0))", node_label(n), lo, hi);
  }
  if (op == "Sigmoid") return gated(n, Op::Silu, Op::Sigmoid, NoAttrs{});
  if (op == "HardSigmoid") {
    HardSigmoidAttrs h{a.f("alpha", 0.2f), a.f("beta", 0.5f)};
    const bool swish = std::fabs(h.alpha - 1.0f / 6.0f) < 1e-6f && h.beta == 0.5f;
    return gated(n, swish ? Op::HardSwish : Op::HardSigmoid, Op::HardSigmoid, h);
  }
  if (op == "HardSwish") return unary(Op::HardSwish);
  if (op == "Add") return binary(Op::Add);
  if (op == "Mul") return binary(Op::Mul);
  if (op == "Concat") {
    std::vector<ValueId> xs;
    for (int k = 0; k < n.input_size(); ++k) xs.push_back(rtv(n, k));
    if (!a.has("axis")) fail("node {}: Concat without an axis", node_label(n));
    const int64_t axis = a.i("axis", 1);
    bind(n.output(0), emit1(Op::Concat, AxisAttrs{axis}, xs, ir_name(n)));
    return;
  }
  if (op == "GlobalAveragePool") return unary(Op::GlobalAvgPool);
  if (op == "Flatten") {
    const ValueId x = rtv(n, 0);
    int64_t axis = a.i("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(shape(x).size());
    return unary(Op::Flatten, AxisAttrs{axis});
  }
  if (op == "Softmax") {
    const auto rank = static_cast<int64_t>(shape(rtv(n, 0)).size());
    int64_t axis = a.i("axis", opset_ >= 13 ? -1 : 1);
    if (axis < -rank || axis >= rank) fail("node {}: axis {} out of range for rank {}", node_label(n), axis, rank);
    if (axis < 0) axis += rank;
    // Before opset 13 Softmax flattened everything from `axis` on: the same only when axis is the last.
    if (opset_ < 13 && axis != rank - 1) fail("node {}: opset-{} Softmax over axes {}.. is not supported", node_label(n), opset_, axis);
    return unary(Op::Softmax, AxisAttrs{axis});
  }
  if (op == "Dropout") {
    require_unused(n, 1);
    if (ConstPtr t = opt_const(n, 2, "training_mode"); t && t->numel() == 1 && t->at(0) != 0)
      fail("node {}: Dropout in training mode is not supported", node_label(n));
    return unary(Op::Dropout);
  }
  if (op == "Identity") return unary(Op::Identity);
  if (op == "Transpose") {
    const ValueId x = rtv(n, 0);
    std::vector<int64_t> perm = a.ints("perm", {});
    for (size_t k = 0; k < perm.size(); ++k)
      if (perm[k] != static_cast<int64_t>(k))
        fail("node {}: Transpose [{}] is only supported inside a channel shuffle (Reshape-Transpose-Reshape)",
             node_label(n), fmt::join(perm, ","));
    if (perm.empty() && shape(x).size() > 1) fail("node {}: a Transpose reversing the axes is not supported", node_label(n));
    bind(n.output(0), x);
    return;
  }
  if (op == "ReduceMean" || op == "Squeeze") {
    // ReduceMean over H,W is global average pooling; Squeeze of [N,C,1,1] to [N,C] is Flatten.
    const ValueId x = rtv(n, 0);
    const Shape& s = shape(x);
    std::vector<int64_t> axes = (op == "ReduceMean" ? opset_ >= 18 : opset_ >= 13)
                                    ? (has_input(n, 1) ? const_in(n, 1, "axes")->ints() : std::vector<int64_t>{})
                                    : a.ints("axes", {});
    for (int64_t& ax : axes)
      if (ax < 0) ax += static_cast<int64_t>(s.size());
    std::sort(axes.begin(), axes.end());
    if (s.size() != 4 || axes != std::vector<int64_t>{2, 3})
      fail("node {}: {} over axes [{}] of a {} tensor is not supported (only over H and W of NCHW)", node_label(n), op,
           fmt::join(axes, ","), shape_str(s));
    if (op == "Squeeze") {
      if (s[2] != 1 || s[3] != 1) fail("node {}: cannot squeeze {} over H and W", node_label(n), shape_str(s));
      return unary(Op::Flatten, AxisAttrs{1});
    }
    const std::string name = ir_name(n);
    ValueId y = emit1(Op::GlobalAvgPool, NoAttrs{}, {x}, name);
    if (a.i("keepdims", 1) == 0) {
      bind(n.output(0) + "/pooled", y);
      y = emit1(Op::Flatten, AxisAttrs{1}, {y}, unique_name(name + "/flatten"));
    }
    bind(n.output(0), y);
    return;
  }
  fail("node {}: {} is only supported on constants (shape arithmetic), not on computed tensors", node_label(n), op);
}

bool is_convertible(const std::string& op) {
  static const std::set<std::string> k{"Conv", "BatchNormalization", "Relu", "Clip", "Sigmoid", "HardSigmoid",
                                       "HardSwish", "Mul", "Add", "Concat", "MaxPool", "AveragePool",
                                       "GlobalAveragePool", "Flatten", "Gemm", "MatMul", "Reshape", "Transpose",
                                       "Split", "Slice", "Softmax", "Dropout", "Identity", "Pad", "ReduceMean",
                                       "Squeeze"};
  return k.count(op) > 0 || is_foldable(op);
}

}  // namespace fb::onnx_detail
