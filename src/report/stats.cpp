#include "report/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace fb::stats {

double mean(const std::vector<double>& v) {
  FB_ASSERT(!v.empty());
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double geomean(const std::vector<double>& v) {
  FB_ASSERT(!v.empty());
  double s = 0;
  for (double x : v) {
    FB_ASSERT(x > 0);
    s += std::log(x);
  }
  return std::exp(s / static_cast<double>(v.size()));
}

double normal_quantile(double p) {
  FB_ASSERT(p > 0 && p < 1);
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  if (p < lo) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

namespace {

// Centred sums of products: what both the correlation and the least-squares fit are made of.
struct CoMoments {
  double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
};

CoMoments co_moments(const std::vector<double>& x, const std::vector<double>& y) {
  CoMoments m{mean(x), mean(y)};
  for (size_t i = 0; i < x.size(); ++i) {
    m.sxy += (x[i] - m.mx) * (y[i] - m.my);
    m.sxx += (x[i] - m.mx) * (x[i] - m.mx);
    m.syy += (y[i] - m.my) * (y[i] - m.my);
  }
  return m;
}

std::optional<double> pearson_r(const std::vector<double>& x, const std::vector<double>& y) {
  const CoMoments m = co_moments(x, y);
  if (m.sxx <= 0 || m.syy <= 0) return std::nullopt;
  return std::clamp(m.sxy / std::sqrt(m.sxx * m.syy), -1.0, 1.0);
}

Correlation correlate(const std::vector<double>& x, const std::vector<double>& y, double se_scale) {
  FB_ASSERT(x.size() == y.size());
  Correlation c;
  c.n = static_cast<int>(x.size());
  if (c.n < 3) {
    c.why_missing = fmt::format("only {} point{}", c.n, c.n == 1 ? "" : "s");
    return c;
  }
  c.r = pearson_r(x, y);
  if (!c.r) {
    c.why_missing = "a variable is constant";
    return c;
  }
  if (c.n < 4) {
    c.why_missing = "CI needs at least 4 points";
    return c;
  }
  if (std::fabs(*c.r) >= 1.0) {
    c.why_missing = "CI undefined for |r| = 1";
    return c;
  }
  const double z = std::atanh(*c.r), se = std::sqrt(se_scale / (c.n - 3)), q = normal_quantile(0.975);
  c.ci95 = Interval{std::tanh(z - q * se), std::tanh(z + q * se)};
  return c;
}

}  // namespace

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double mid = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = mid;
    i = j + 1;
  }
  return r;
}

Correlation pearson(const std::vector<double>& x, const std::vector<double>& y) { return correlate(x, y, 1.0); }

Correlation spearman(const std::vector<double>& x, const std::vector<double>& y) {
  return correlate(ranks(x), ranks(y), 1.06);
}

std::optional<LinearFit> least_squares(const std::vector<double>& x, const std::vector<double>& y) {
  FB_ASSERT(x.size() == y.size());
  if (x.size() < 2) return std::nullopt;
  const auto [mx, my, sxy, sxx, syy] = co_moments(x, y);
  if (sxx <= 0) return std::nullopt;
  LinearFit f;
  f.n = static_cast<int>(x.size());
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  f.r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1.0;
  return f;
}

Interval ratio_ci(double a, Interval a_ci, double b, Interval b_ci) {
  FB_ASSERT(a > 0 && b > 0 && a_ci.low > 0 && b_ci.low > 0);
  const double la = std::log(a), lb = std::log(b);
  const double a_down = la - std::log(a_ci.low), a_up = std::log(a_ci.high) - la;
  const double b_down = lb - std::log(b_ci.low), b_up = std::log(b_ci.high) - lb;
  const double r = la - lb;
  return {std::exp(r - std::hypot(a_down, b_up)), std::exp(r + std::hypot(a_up, b_down))};
}

}  // namespace fb::stats
