// Constant folding of the shape arithmetic exporters emit (Shape -> Gather -> Unsqueeze -> Concat -> Reshape
// and friends), plus attribute access. Every result is counted against the import's element budget.
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "onnx/onnx_import_detail.h"

namespace fb::onnx_detail {

std::string node_label(const onnx::NodeProto& n) {
  return fmt::format("'{}' ({})", n.name().empty() ? (n.output_size() ? n.output(0) : "?") : n.name(), n.op_type());
}

const onnx::AttributeProto* NodeAttrs::find(const char* name) const {
  for (const auto& a : n_.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

const onnx::AttributeProto& NodeAttrs::typed(const char* name, int type) const {
  const onnx::AttributeProto* a = find(name);
  if (a->type() != type)
    fail("node {}: attribute '{}' has type {} but {} is expected", node_label(n_), name,
         onnx::AttributeProto::AttributeType_Name(a->type()),
         onnx::AttributeProto::AttributeType_Name(static_cast<onnx::AttributeProto::AttributeType>(type)));
  return *a;
}

int64_t NodeAttrs::i(const char* name, int64_t def) const {
  return has(name) ? typed(name, onnx::AttributeProto::INT).i() : def;
}
float NodeAttrs::f(const char* name, float def) const {
  return has(name) ? typed(name, onnx::AttributeProto::FLOAT).f() : def;
}
std::string NodeAttrs::s(const char* name, const std::string& def) const {
  return has(name) ? typed(name, onnx::AttributeProto::STRING).s() : def;
}
std::vector<int64_t> NodeAttrs::ints(const char* name, std::vector<int64_t> def) const {
  if (!has(name)) return def;
  const auto& a = typed(name, onnx::AttributeProto::INTS);
  return {a.ints().begin(), a.ints().end()};
}
std::vector<float> NodeAttrs::floats(const char* name) const {
  const auto& a = typed(name, onnx::AttributeProto::FLOATS);
  return {a.floats().begin(), a.floats().end()};
}
const onnx::TensorProto* NodeAttrs::t(const char* name) const {
  return has(name) ? &typed(name, onnx::AttributeProto::TENSOR).t() : nullptr;
}

bool is_foldable(const std::string& op) {
  static const std::set<std::string> k{"Constant", "Identity", "Shape", "Gather", "Unsqueeze", "Squeeze",
                                       "Concat", "Slice", "Cast", "Add", "Sub", "Mul", "Div", "Reshape",
                                       "ConstantOfShape", "Flatten"};
  return k.count(op) > 0;
}

Shape reshape_target(const Shape& in, const std::vector<int64_t>& spec, bool allowzero, const std::string& who) {
  int64_t in_numel = 1;
  for (int64_t d : in) in_numel *= d;
  Shape out(spec.size());
  int infer = -1;
  int64_t known = 1;
  for (size_t k = 0; k < spec.size(); ++k) {
    int64_t d = spec[k];
    if (d == 0 && !allowzero) {
      if (k >= in.size()) fail("{}: reshape dimension {} is 0 (copy) but the input has rank {}", who, k, in.size());
      d = in[k];
    }
    if (d == -1) {
      if (infer >= 0) fail("{}: reshape target has more than one -1", who);
      infer = static_cast<int>(k);
      continue;
    }
    if (d < 0) fail("{}: reshape target has a negative dimension {}", who, d);
    if (d > 0 && known > in_numel / d + 1) fail("{}: reshape target {} is too large", who, fmt::join(spec, ","));
    known *= d;
    out[k] = d;
  }
  if (infer >= 0) {
    if (known == 0 || in_numel % known != 0)
      fail("{}: cannot infer -1 reshaping {} to [{}]", who, shape_str(in), fmt::join(spec, ","));
    out[static_cast<size_t>(infer)] = in_numel / known;
  } else if (known != in_numel) {
    fail("{}: cannot reshape {} ({} elements) to [{}]", who, shape_str(in), in_numel, fmt::join(spec, ","));
  }
  return out;
}

namespace {

int64_t norm_axis(int64_t axis, int64_t rank, const std::string& who) {
  if (axis < -rank || axis >= rank) fail("{}: axis {} is out of range for rank {}", who, axis, rank);
  return axis < 0 ? axis + rank : axis;
}

const ConstTensor& need(const std::vector<ConstPtr>& in, size_t k, const std::string& who) {
  if (k >= in.size() || !in[k]) fail("{}: input {} is missing", who, k);
  return *in[k];
}

// Axes given as an attribute (older opsets) or as the second input (Unsqueeze/Squeeze 13+, Slice 10+).
std::vector<int64_t> axes_of(const onnx::NodeProto& n, const std::vector<ConstPtr>& in, size_t input, int opset,
                             int since, const std::string& who) {
  if (opset >= since) return input < in.size() && in[input] ? in[input]->ints() : std::vector<int64_t>{};
  return NodeAttrs(n).ints("axes", {});
}

ConstTensor with_shape(ConstTensor t, Shape s) {
  t.shape = std::move(s);
  return t;
}

// Copies blocks along `axis`: a view of any tensor as [outer, axis, inner].
void split_dims(const Shape& s, int64_t axis, int64_t& outer, int64_t& inner) {
  outer = inner = 1;
  for (int64_t k = 0; k < static_cast<int64_t>(s.size()); ++k)
    (k < axis ? outer : inner) *= k == axis ? 1 : s[static_cast<size_t>(k)];
}

ConstTensor elementwise(const std::string& op, const ConstTensor& a, const ConstTensor& b, const std::string& who) {
  const bool a1 = a.numel() == 1, b1 = b.numel() == 1;
  if (!(a.shape == b.shape || a1 || b1))
    fail("{}: folding {} of constants shaped {} and {} is not supported", who, op, shape_str(a.shape), shape_str(b.shape));
  const ConstTensor& big = a1 && !b1 ? b : a;
  const int64_t n = big.numel();
  ConstTensor out;
  out.shape = big.shape;
  out.is_int = a.is_int && b.is_int;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t ka = a1 ? 0 : k, kb = b1 ? 0 : k;
    if (out.is_int) {
      const int64_t x = a.i[static_cast<size_t>(ka)], y = b.i[static_cast<size_t>(kb)];
      int64_t r = 0;
      bool overflow = false;
      if (op == "Add") overflow = __builtin_add_overflow(x, y, &r);
      else if (op == "Sub") overflow = __builtin_sub_overflow(x, y, &r);
      else if (op == "Mul") overflow = __builtin_mul_overflow(x, y, &r);
      else {
        if (y == 0 || (x == INT64_MIN && y == -1)) fail("{}: integer division by zero", who);
        r = x / y;
      }
      if (overflow) fail("{}: integer overflow folding {}", who, op);
      out.i.push_back(r);
    } else {
      const double x = a.at(ka), y = b.at(kb);
      out.f.push_back(static_cast<float>(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y));
    }
  }
  return out;
}

}  // namespace

std::vector<ConstTensor> fold(const onnx::NodeProto& n, int opset, const std::vector<ConstPtr>& in, Budget& budget) {
  const std::string who = "node " + node_label(n);
  const std::string& op = n.op_type();
  NodeAttrs at(n);
  auto done = [&](ConstTensor t) {
    budget.take(t.numel(), who);
    return std::vector<ConstTensor>{std::move(t)};
  };
  if (op == "Constant") {
    if (const onnx::TensorProto* t = at.t("value")) return {decode_tensor(*t, budget, who)};
    if (at.has("value_float")) return done(make_float_tensor({at.f("value_float", 0)}, {}));
    if (at.has("value_floats")) {
      auto v = at.floats("value_floats");
      return done(make_float_tensor(v, {static_cast<int64_t>(v.size())}));
    }
    if (at.has("value_int")) return done(make_int_tensor({at.i("value_int", 0)}, {}));
    if (at.has("value_ints")) {
      auto v = at.ints("value_ints", {});
      return done(make_int_tensor(v, {static_cast<int64_t>(v.size())}));
    }
    fail("{}: Constant without a supported value attribute", who);
  }
  const ConstTensor& x = need(in, 0, who);
  const auto rank = static_cast<int64_t>(x.shape.size());
  if (op == "Identity") return done(x);
  if (op == "Shape") {
    int64_t start = at.i("start", 0), end = at.i("end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
    std::vector<int64_t> dims(x.shape.begin() + start, x.shape.begin() + std::max(start, end));
    const auto len = static_cast<int64_t>(dims.size());
    return done(make_int_tensor(std::move(dims), {len}));
  }
  if (op == "Gather") {
    const ConstTensor& idx = need(in, 1, who);
    if (!idx.is_int) fail("{}: Gather indices must be integers", who);
    if (rank == 0) fail("{}: Gather on a scalar", who);
    const int64_t axis = norm_axis(at.i("axis", 0), rank, who);
    const int64_t dim = x.shape[static_cast<size_t>(axis)];
    int64_t outer, inner;
    split_dims(x.shape, axis, outer, inner);
    Shape s(x.shape.begin(), x.shape.begin() + axis);
    s.insert(s.end(), idx.shape.begin(), idx.shape.end());
    s.insert(s.end(), x.shape.begin() + axis + 1, x.shape.end());
    budget.take(outer * idx.numel() * inner, who);
    ConstTensor out;
    out.is_int = x.is_int;
    out.shape = s;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j : idx.i) {
        if (j < -dim || j >= dim) fail("{}: Gather index {} is out of range for a dimension of {}", who, j, dim);
        if (j < 0) j += dim;
        for (int64_t k = 0; k < inner; ++k) {
          const auto src = static_cast<size_t>((o * dim + j) * inner + k);
          if (x.is_int) out.i.push_back(x.i[src]);
          else out.f.push_back(x.f[src]);
        }
      }
    return {out};
  }
  if (op == "Unsqueeze") {
    std::vector<int64_t> axes = axes_of(n, in, 1, opset, 13, who);
    const int64_t out_rank = rank + static_cast<int64_t>(axes.size());
    std::vector<bool> is_new(static_cast<size_t>(out_rank), false);
    for (int64_t a : axes) {
      a = norm_axis(a, out_rank, who);
      if (is_new[static_cast<size_t>(a)]) fail("{}: Unsqueeze axis {} repeated", who, a);
      is_new[static_cast<size_t>(a)] = true;
    }
    Shape s;
    size_t k = 0;
    for (int64_t d = 0; d < out_rank; ++d) s.push_back(is_new[static_cast<size_t>(d)] ? 1 : x.shape.at(k++));
    return done(with_shape(x, s));
  }
  if (op == "Squeeze") {
    std::vector<int64_t> axes = axes_of(n, in, 1, opset, 13, who);
    Shape s;
    for (int64_t d = 0; d < rank; ++d) {
      bool drop = axes.empty() ? x.shape[static_cast<size_t>(d)] == 1 : false;
      for (int64_t a : axes) drop = drop || norm_axis(a, rank, who) == d;
      if (drop && x.shape[static_cast<size_t>(d)] != 1) fail("{}: cannot squeeze a dimension of size {}", who, x.shape[static_cast<size_t>(d)]);
      if (!drop) s.push_back(x.shape[static_cast<size_t>(d)]);
    }
    return done(with_shape(x, s));
  }
  if (op == "Flatten") {
    const int64_t axis = at.i("axis", 1) < 0 ? at.i("axis", 1) + rank : at.i("axis", 1);
    if (axis < 0 || axis > rank) fail("{}: Flatten axis out of range", who);
    int64_t lead = 1;
    for (int64_t d = 0; d < axis; ++d) lead *= x.shape[static_cast<size_t>(d)];
    return done(with_shape(x, {lead, lead ? x.numel() / lead : 0}));
  }
  if (op == "Concat") {
    if (rank == 0) fail("{}: Concat of scalars", who);
    const int64_t axis = norm_axis(at.i("axis", 0), rank, who);
    ConstTensor out;
    out.is_int = x.is_int;
    out.shape = x.shape;
    out.shape[static_cast<size_t>(axis)] = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      const ConstTensor& t = need(in, k, who);
      if (t.is_int != x.is_int || t.shape.size() != x.shape.size()) fail("{}: Concat inputs differ in type or rank", who);
      for (int64_t d = 0; d < rank; ++d)
        if (d != axis && t.shape[static_cast<size_t>(d)] != x.shape[static_cast<size_t>(d)])
          fail("{}: Concat inputs {} and {} differ outside the axis", who, shape_str(x.shape), shape_str(t.shape));
      out.shape[static_cast<size_t>(axis)] += t.shape[static_cast<size_t>(axis)];
    }
    int64_t outer, inner;
    split_dims(x.shape, axis, outer, inner);
    budget.take(checked_numel(out.shape, budget.opt.max_tensor_elements, who), who);
    for (int64_t o = 0; o < outer; ++o)
      for (const ConstPtr& t : in) {
        const int64_t block = t->shape[static_cast<size_t>(axis)] * inner;
        for (int64_t k = 0; k < block; ++k) {
          const auto src = static_cast<size_t>(o * block + k);
          if (x.is_int) out.i.push_back(t->i[src]);
          else out.f.push_back(t->f[src]);
        }
      }
    return {out};
  }
  if (op == "Slice") {
    if (rank != 1) fail("{}: folding Slice is supported on 1-D constants only, not {}", who, shape_str(x.shape));
    std::vector<int64_t> starts, ends, axes, steps;
    if (opset >= 10) {
      starts = need(in, 1, who).ints();
      ends = need(in, 2, who).ints();
      if (in.size() > 3 && in[3]) axes = in[3]->ints();
      if (in.size() > 4 && in[4]) steps = in[4]->ints();
    } else {
      starts = at.ints("starts", {});
      ends = at.ints("ends", {});
      axes = at.ints("axes", {});
    }
    if (starts.size() != 1 || ends.size() != 1 || axes.size() > 1 || steps.size() > 1)
      fail("{}: Slice of a 1-D constant needs one start and one end", who);
    if (!axes.empty()) norm_axis(axes[0], 1, who);
    const int64_t step = steps.empty() ? 1 : steps[0];
    if (step != 1) fail("{}: folding Slice with step {} is not supported", who, step);
    const int64_t len = x.numel();
    auto clampi = [&](int64_t v) { return std::clamp(v < 0 ? v + len : v, int64_t{0}, len); };
    const int64_t b = clampi(starts[0]), e = std::max(b, clampi(ends[0]));
    ConstTensor out;
    out.is_int = x.is_int;
    out.shape = {e - b};
    for (int64_t k = b; k < e; ++k)
      if (x.is_int) out.i.push_back(x.i[static_cast<size_t>(k)]);
      else out.f.push_back(x.f[static_cast<size_t>(k)]);
    return done(out);
  }
  if (op == "Cast") {
    const int64_t to = at.i("to", 0);
    ConstTensor out;
    out.shape = x.shape;
    if (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE) {
      for (int64_t k = 0; k < x.numel(); ++k) out.f.push_back(static_cast<float>(x.at(k)));
    } else if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
      out.is_int = true;
      for (int64_t k = 0; k < x.numel(); ++k) {
        const double v = x.at(k);
        if (!(std::fabs(v) < 9.0e18)) fail("{}: Cast of {} to an integer overflows", who, v);
        out.i.push_back(static_cast<int64_t>(v));
      }
    } else {
      fail("{}: folding Cast to data type {} is not supported", who, to);
    }
    return done(out);
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return done(elementwise(op, x, need(in, 1, who), who));
  if (op == "Reshape") {
    return done(with_shape(x, reshape_target(x.shape, need(in, 1, who).ints(), at.i("allowzero", 0) != 0, who)));
  }
  if (op == "ConstantOfShape") {
    Shape s = x.ints();
    const int64_t count = checked_numel(s, budget.opt.max_tensor_elements, who);
    budget.take(count, who);
    ConstTensor v = make_float_tensor({0.0f}, {1});
    if (const onnx::TensorProto* t = at.t("value")) v = decode_tensor(*t, budget, who);
    if (v.numel() != 1) fail("{}: ConstantOfShape value must have one element", who);
    ConstTensor out;
    out.shape = s;
    out.is_int = v.is_int;
    if (v.is_int) out.i.assign(static_cast<size_t>(count), v.i[0]);
    else out.f.assign(static_cast<size_t>(count), v.f[0]);
    return {out};
  }
  fail("{}: cannot be folded", who);
}

}  // namespace fb::onnx_detail
