#include "backends/torch/torchscript_source.h"

#include <fmt/format.h>

#include "backends/torch/torch_common.h"

namespace fb::torch_be {
namespace {

// A float literal TorchScript reads back exactly (always with a '.' or an exponent, so it is a float).
std::string flt(double v) {
  std::string s = fmt::format("{:.9g}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}
std::string ints(std::initializer_list<int64_t> xs) { return fmt::format("[{}]", fmt::join(xs, ", ")); }
std::string ints(const std::vector<int64_t>& xs) { return fmt::format("[{}]", fmt::join(xs, ", ")); }
const char* boolean(bool b) { return b ? "True" : "False"; }

class Emitter {
 public:
  explicit Emitter(const Graph& g) : g_(g), inplace_(plan_inplace(g)) {}

  ScriptSource emit() {
    std::vector<std::string> args{"self"};
    for (ValueId v : g_.inputs) args.push_back(var(v));
    line("def forward({}):", fmt::join(args, ", "));
    for (size_t i = 0; i < g_.nodes.size(); ++i) node(g_.nodes[i], inplace_[i], i);
    std::vector<std::string> outs;
    for (ValueId v : g_.outputs) outs.push_back(var(v));
    if (outs.size() == 1) line("    return {}", outs[0]);
    else line("    return ({})", fmt::join(outs, ", "));
    return std::move(out_);
  }

 private:
  template <typename... A>
  void line(fmt::format_string<A...> f, A&&... a) {
    out_.forward += fmt::format(f, std::forward<A>(a)...) + "\n";
  }
  static std::string var(ValueId v) { return fmt::format("v{}", v); }
  std::string in(const Node& n, size_t i = 0) const { return var(n.inputs.at(i)); }
  std::string out(const Node& n, size_t i = 0) const { return var(n.outputs.at(i)); }
  const Shape& out_shape(const Node& n) const { return g_.value(n.outputs[0]).shape; }

  // Registers a weight as attribute "p<node>_<k>" and returns "self.p<node>_<k>".
  std::string attr(size_t node_index, const char* key, at::Tensor t) {
    std::string name = fmt::format("p{}_{}", node_index, key);
    out_.params.emplace_back(name, std::move(t));
    return "self." + name;
  }
  std::string param(const Node& n, size_t i, const char* key) {
    return attr(i, key, to_at(n.param(key), c10::Device(c10::kCPU), true));
  }
  std::string crop(const std::string& x, const Node& n) const {
    return fmt::format("torch.narrow(torch.narrow({}, 2, 0, {}), 3, 0, {})", x, out_shape(n)[2], out_shape(n)[3]);
  }

  void node(const Node& n, bool inplace, size_t i) {
    switch (n.op) {
      case Op::Conv2d: {
        const auto& a = n.attr<Conv2dAttrs>();
        const std::string w = param(n, i, "weight");
        const std::string b = n.has_param("bias") ? param(n, i, "bias") : "None";
        std::string x = in(n);
        std::vector<int64_t> pad{a.pad_top, a.pad_left};
        if (!symmetric(a)) {
          line("    {} = torch.constant_pad_nd({}, {}, 0.0)", out(n), x,
               ints({a.pad_left, a.pad_right, a.pad_top, a.pad_bottom}));
          x = out(n);
          pad = {0, 0};
        }
        line("    {} = torch.conv2d({}, {}, {}, {}, {}, {}, {})", out(n), x, w, b, ints({a.stride_h, a.stride_w}),
             ints(pad), ints({a.dilation_h, a.dilation_w}), a.groups);
        break;
      }
      case Op::BatchNorm: {
        ++out_.batch_norms;
        const std::string w = param(n, i, "weight"), b = param(n, i, "bias"), m = param(n, i, "running_mean"),
                          v = param(n, i, "running_var");
        line("    {} = torch.batch_norm({}, {}, {}, {}, {}, False, 0.1, {}, True)", out(n), in(n), w, b, m, v,
             flt(n.attr<BatchNormAttrs>().eps));
        break;
      }
      case Op::Relu: line("    {} = torch.relu{}({})", out(n), inplace ? "_" : "", in(n)); break;
      case Op::Relu6: line("    {} = torch.hardtanh{}({}, 0.0, 6.0)", out(n), inplace ? "_" : "", in(n)); break;
      case Op::Sigmoid: line("    {} = torch.sigmoid({})", out(n), in(n)); break;
      case Op::HardSigmoid: {
        const auto& a = n.attr<HardSigmoidAttrs>();
        if (is_torch_hardsigmoid(a)) line("    {} = torch.hardsigmoid({})", out(n), in(n));
        else
          line("    {} = torch.clamp(torch.add(torch.mul({}, {}), {}), 0.0, 1.0)", out(n), in(n), flt(a.alpha),
               flt(a.beta));
        break;
      }
      case Op::Silu: line("    {} = torch.silu{}({})", out(n), inplace ? "_" : "", in(n)); break;
      case Op::HardSwish: line("    {} = torch.hardswish{}({})", out(n), inplace ? "_" : "", in(n)); break;
      case Op::Add:
        if (inplace) line("    {} = {}.add_({})", out(n), in(n, 0), in(n, 1));
        else line("    {} = torch.add({}, {})", out(n), in(n, 0), in(n, 1));
        break;
      case Op::Mul: line("    {} = torch.mul({}, {})", out(n), in(n, 0), in(n, 1)); break;
      case Op::Concat: {
        std::vector<std::string> xs;
        for (size_t k = 0; k < n.inputs.size(); ++k) xs.push_back(in(n, k));
        line("    {} = torch.cat([{}], {})", out(n), fmt::join(xs, ", "), n.attr<AxisAttrs>().axis);
        break;
      }
      case Op::Split: {
        const std::string parts = fmt::format("s{}", i);
        line("    {} = torch.split_with_sizes({}, {}, 1)", parts, in(n), ints(n.attr<SplitAttrs>().sizes));
        for (size_t k = 0; k < n.outputs.size(); ++k) line("    {} = {}[{}]", out(n, k), parts, k);
        break;
      }
      case Op::ChannelShuffle: {
        const int64_t grp = n.attr<ChannelShuffleAttrs>().groups;
        const Shape& s = out_shape(n);
        line("    {} = torch.transpose(torch.reshape({}, {}), 1, 2).contiguous().view({})", out(n), in(n),
             ints({s[0], grp, s[1] / grp, s[2], s[3]}), ints({s[0], -1, s[2], s[3]}));
        break;
      }
      case Op::MaxPool: {
        const auto& a = n.attr<PoolAttrs>();
        const std::string k = ints({a.kernel_h, a.kernel_w}), st = ints({a.stride_h, a.stride_w});
        if (symmetric(a)) {
          line("    {} = torch.max_pool2d({}, {}, {}, {}, [1, 1], {})", out(n), in(n), k, st,
               ints({a.pad_top, a.pad_left}), boolean(a.ceil_mode));
        } else {
          line("    {} = torch.constant_pad_nd({}, {}, float('-inf'))", out(n), in(n),
               ints({a.pad_left, a.pad_right, a.pad_top, a.pad_bottom}));
          line("    {} = {}", out(n),
               crop(fmt::format("torch.max_pool2d({}, {}, {}, [0, 0], [1, 1], {})", out(n), k, st,
                                boolean(a.ceil_mode)),
                    n));
        }
        break;
      }
      case Op::AvgPool: {
        const auto& a = n.attr<PoolAttrs>();
        const std::string k = ints({a.kernel_h, a.kernel_w}), st = ints({a.stride_h, a.stride_w});
        if (symmetric(a)) {
          line("    {} = torch.avg_pool2d({}, {}, {}, {}, {}, {}, None)", out(n), in(n), k, st,
               ints({a.pad_top, a.pad_left}), boolean(a.ceil_mode), boolean(a.count_include_pad));
        } else {
          const Shape& x = g_.value(n.inputs[0]).shape;
          const std::string d = attr(i, "divisor", avg_pool_divisor(a, x[2], x[3], out_shape(n)[2], out_shape(n)[3]));
          line("    {} = torch.constant_pad_nd({}, {}, 0.0)", out(n), in(n),
               ints({a.pad_left, a.pad_right, a.pad_top, a.pad_bottom}));
          line("    {} = torch.div({}, {})", out(n),
               crop(fmt::format("torch.avg_pool2d({}, {}, {}, [0, 0], {}, True, 1)", out(n), k, st,
                                boolean(a.ceil_mode)),
                    n),
               d);
        }
        break;
      }
      case Op::GlobalAvgPool: line("    {} = torch.adaptive_avg_pool2d({}, [1, 1])", out(n), in(n)); break;
      case Op::Flatten:
        if (n.attr<AxisAttrs>().axis == 1) line("    {} = torch.flatten({}, 1)", out(n), in(n));
        else line("    {} = torch.reshape({}, {})", out(n), in(n), ints(out_shape(n)));
        break;
      case Op::Linear: {
        const std::string w = param(n, i, "weight");
        const std::string b = n.has_param("bias") ? param(n, i, "bias") : "None";
        line("    {} = torch.linear({}, {}, {})", out(n), in(n), w, b);
        break;
      }
      case Op::Softmax: line("    {} = torch.softmax({}, {})", out(n), in(n), n.attr<AxisAttrs>().axis); break;
      case Op::Identity: line("    {} = {}", out(n), in(n)); break;
      case Op::Dropout: line("    {} = torch.dropout({}, 0.5, False)", out(n), in(n)); break;
    }
  }

  const Graph& g_;
  std::vector<bool> inplace_;
  ScriptSource out_;
};

}  // namespace

ScriptSource to_torchscript(const Graph& g) { return Emitter(g).emit(); }

}  // namespace fb::torch_be
