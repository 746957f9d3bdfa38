#include "backends/compare.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"

namespace fb {
namespace {

std::vector<int64_t> top_k(const float* row, int64_t k_count, int64_t k) {
  std::vector<int64_t> idx(static_cast<size_t>(k_count));
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, k_count);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int64_t a, int64_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
  idx.resize(static_cast<size_t>(k));
  return idx;
}

}  // namespace

bool Agreement::passed(double tol) const {
  if (has_nan) return false;
  if (rel_max_error > tol) return false;
  if (accuracy && !accuracy->passed()) return false;
  return top1_agree + top1_ambiguous == rows;
}

std::string Agreement::summary() const {
  std::string s = fmt::format("rel max err {:.2e} (abs {:.2e}, |ref| max {:.3g})", rel_max_error, max_abs_error,
                              ref_max_magnitude);
  if (is_classifier)
    s += fmt::format(", top-1 {}/{}{}, top-5 overlap {:.0f}%", top1_agree, rows,
                     top1_ambiguous ? fmt::format(" ({} ambiguous)", top1_ambiguous) : "", 100 * top5_overlap);
  if (has_nan) s += ", NaN/Inf in output";
  if (accuracy) s += "; " + accuracy->summary();
  return s;
}

nlohmann::json Agreement::to_json() const {
  nlohmann::json j = {{"rel_max_error", rel_max_error},
                      {"max_abs_error", max_abs_error},
                      {"ref_max_magnitude", ref_max_magnitude},
                      {"has_nan", has_nan}};
  if (is_classifier) {
    j["top1_agree"] = top1_agree;
    j["top1_ambiguous"] = top1_ambiguous;
    j["rows"] = rows;
    j["top5_overlap"] = top5_overlap;
  }
  if (accuracy) j["accuracy"] = accuracy->to_json();
  return j;
}

Agreement compare_outputs(const Tensor& ref, const Tensor& out, double tol) {
  if (ref.shape() != out.shape())
    fail("output shape {} differs from the reference's {}", shape_str(out.shape()), shape_str(ref.shape()));
  Agreement a;
  const int64_t n = ref.numel();
  for (int64_t i = 0; i < n; ++i) {
    const double r = ref[i], o = out[i];
    if (!std::isfinite(o) && std::isfinite(r)) a.has_nan = true;
    a.ref_max_magnitude = std::max(a.ref_max_magnitude, std::fabs(r));
    if (std::isfinite(o)) a.max_abs_error = std::max(a.max_abs_error, std::fabs(o - r));
  }
  a.rel_max_error = a.ref_max_magnitude > 0 ? a.max_abs_error / a.ref_max_magnitude : a.max_abs_error;
  if (ref.rank() == 2 && ref.dim(1) > 1) {
    a.is_classifier = true;
    const int64_t rows = ref.dim(0), k = ref.dim(1);
    a.rows = static_cast<int>(rows);
    double overlap = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* pr = ref.data() + r * k;
      const float* po = out.data() + r * k;
      auto tr = top_k(pr, k, 5), to = top_k(po, k, 5);
      if (tr[0] == to[0]) {
        ++a.top1_agree;
      } else {
        auto t2 = top_k(pr, k, 2);
        if (std::fabs(pr[t2[0]] - pr[t2[1]]) < tol * a.ref_max_magnitude ||
            std::fabs(pr[tr[0]] - pr[to[0]]) < tol * a.ref_max_magnitude)
          ++a.top1_ambiguous;
      }
      int common = 0;
      for (int64_t x : tr) common += std::count(to.begin(), to.end(), x) > 0;
      overlap += static_cast<double>(common) / static_cast<double>(tr.size());
    }
    a.top5_overlap = rows ? overlap / static_cast<double>(rows) : 1.0;
  }
  return a;
}

}  // namespace fb
