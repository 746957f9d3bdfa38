#pragma once
// Small statistics used by the report: means, correlations with Fisher-z intervals, least squares, and the
// confidence interval of a ratio of two medians. Functions return std::nullopt where a value is undefined
// (too few points, a constant variable) so callers can show it as missing with a reason.
#include <optional>
#include <string>
#include <vector>

namespace fb::stats {

double mean(const std::vector<double>& v);
// exp(mean(log v)); every value must be > 0.
double geomean(const std::vector<double>& v);
// Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
double normal_quantile(double p);

struct Interval {
  double low = 0, high = 0;
};

struct Correlation {
  int n = 0;
  std::optional<double> r;        // nullopt: fewer than 3 points or a constant variable
  std::optional<Interval> ci95;   // nullopt: fewer than 4 points or |r| == 1
  std::string why_missing;        // reason when r or ci95 is missing
};
// Pearson r; 95% CI from Fisher's z with standard error 1/sqrt(n-3).
Correlation pearson(const std::vector<double>& x, const std::vector<double>& y);
// Spearman rho (Pearson on mid-ranks, ties averaged); 95% CI from Fisher's z with the
// Fieller-Hartley-Pearson standard error sqrt(1.06/(n-3)).
Correlation spearman(const std::vector<double>& x, const std::vector<double>& y);
std::vector<double> ranks(const std::vector<double>& v);  // 1-based mid-ranks

struct LinearFit {
  double intercept = 0, slope = 0, r2 = 0;
  int n = 0;
};
// Ordinary least squares y = intercept + slope * x; nullopt when n < 2 or x is constant.
std::optional<LinearFit> least_squares(const std::vector<double>& x, const std::vector<double>& y);

// Ratio a/b of two medians, each with its own 95% CI, by MOVER on the log scale (Zou & Donner 2008):
// log(a/b) -/+ sqrt(da^2 + db^2) using the lower (upper) distance of a and the upper (lower) distance of b.
// Assumes the two measurements are independent. Every input must be > 0.
Interval ratio_ci(double a, Interval a_ci, double b, Interval b_ci);

}  // namespace fb::stats
