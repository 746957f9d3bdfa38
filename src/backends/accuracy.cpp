#include "backends/accuracy.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace fb {

std::string Accuracy::summary() const {
  std::string s = fmt::format("{} accuracy over {} inputs: cosine {:.4f} (min {:.4f}; bound {:.2f})",
                              passed() ? "ok" : "FAIL", inputs, mean_cosine, min_cosine, min_mean_cosine);
  if (rows) s += fmt::format(", top-1 {}/{} agree (bound {:.0f}%)", top1_agree, rows, 100 * min_top1);
  if (inputs > 1)
    s += fmt::format("; error {:.1f}% of the output, which moves {:.1f}% between inputs", 100 * mean_error,
                     100 * input_spread);
  return s;
}

nlohmann::json Accuracy::to_json() const {
  return {{"inputs", inputs},
          {"mean_cosine", mean_cosine},
          {"min_cosine", min_cosine},
          {"top1_rows", rows},
          {"top1_agree", top1_agree},
          {"bound_mean_cosine", min_mean_cosine},
          {"bound_top1", min_top1},
          {"input_spread", input_spread},
          {"mean_error", mean_error},
          {"passed", passed()}};
}

double cosine_similarity(const Tensor& a, const Tensor& b) {
  if (a.numel() != b.numel()) fail("cosine similarity of tensors of {} and {} elements", a.numel(), b.numel());
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  if (aa == 0 && bb == 0) return 1;
  if (aa == 0 || bb == 0) return 0;
  return ab / std::sqrt(aa * bb);
}

Accuracy judge_accuracy(const std::vector<Tensor>& ref, const std::vector<Tensor>& out, const PrecisionInfo& p) {
  if (ref.size() != out.size() || ref.empty()) fail("accuracy: {} reference outputs for {} outputs", ref.size(), out.size());
  Accuracy a;
  a.inputs = static_cast<int>(ref.size());
  a.min_mean_cosine = p.min_cosine;
  a.min_top1 = p.min_top1;
  a.min_cosine = 1;
  const auto norm = [](const Tensor& t) {
    double n = 0;
    for (int64_t k = 0; k < t.numel(); ++k) n += static_cast<double>(t[k]) * t[k];
    return std::sqrt(n);
  };
  const auto distance = [](const Tensor& x, const Tensor& y) {
    double n = 0;
    for (int64_t k = 0; k < x.numel(); ++k) n += (static_cast<double>(x[k]) - y[k]) * (static_cast<double>(x[k]) - y[k]);
    return std::sqrt(n);
  };
  for (size_t i = 0; i < ref.size(); ++i) {
    if (ref[i].numel() != out[i].numel()) fail("accuracy: input {} has {} outputs against {} in the reference", i, out[i].numel(), ref[i].numel());
    const double r = std::max(norm(ref[i]), 1e-30);
    a.mean_error += distance(out[i], ref[i]) / r / static_cast<double>(ref.size());
    if (i + 1 < ref.size()) a.input_spread += distance(ref[i + 1], ref[i]) / r / static_cast<double>(ref.size() - 1);
    double c = cosine_similarity(ref[i], out[i]);
    if (!std::isfinite(c)) c = 0;  // NaN or Inf in the output
    a.mean_cosine += c / static_cast<double>(ref.size());
    a.min_cosine = std::min(a.min_cosine, c);
    const Shape& s = ref[i].shape();
    if (s.size() != 2 || s[1] < 2) continue;
    for (int64_t r = 0; r < s[0]; ++r) {
      const float* x = ref[i].data() + r * s[1];
      const float* y = out[i].data() + r * s[1];
      a.rows++;
      a.top1_agree += std::max_element(x, x + s[1]) - x == std::max_element(y, y + s[1]) - y;
    }
  }
  return a;
}

std::vector<std::vector<Tensor>> accuracy_inputs(const Graph& g, int n) {
  std::vector<std::vector<Tensor>> in;
  for (int i = 1; i <= n; ++i) in.push_back(make_inputs(g, static_cast<uint64_t>(i)));
  return in;
}

std::vector<Tensor> first_output_of_each(Executable& exe, const std::vector<std::vector<Tensor>>& inputs) {
  std::vector<Tensor> firsts, out;
  for (const auto& in : inputs) {
    exe.run(in, out);
    firsts.push_back(out.at(0));
  }
  return firsts;
}

std::vector<Tensor> reference_first_outputs(const Graph& g, const std::vector<std::vector<Tensor>>& inputs) {
  auto exe = make_backend("reference")->compile(g, CompileOptions{});
  return first_output_of_each(*exe, inputs);
}

}  // namespace fb
