#include "predict/model.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "core/error.h"

namespace fb::predict {
namespace {

double log1(double x) { return std::log1p(std::max(x, 0.0)); }

}  // namespace

std::vector<double> regressors(const KernelFeatures& f) {
  const double work = log1(f.macs), bytes = log1(f.bytes_in + f.bytes_out + f.weight_bytes);
  const double cin = log1(f.cin_per_group), cout = log1(f.cout);
  const double spatial = log1(f.cout > 0 ? f.out_elements / f.cout : f.out_elements);  // output pixels
  return {work,    work * work,   bytes,      bytes * bytes,      log1(f.out_elements), cin,
          cout,    cin * cin,     cin * cout, spatial,            spatial * spatial,    work * spatial,
          log1(f.window), f.stride > 1 ? 1.0 : 0.0, f.fused};
}

const std::vector<std::string>& regressor_names() {
  static const std::vector<std::string> n{"log MACs",       "log MACs^2",     "log bytes",     "log bytes^2",
                                          "log outputs",    "log Cin/g",      "log Cout",      "log Cin/g^2",
                                          "log Cin/g x log Cout", "log pixels", "log pixels^2", "log MACs x log pixels",
                                          "log window",     "strided",        "fused nodes"};
  return n;
}


std::vector<double> ridge_least_squares(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                        double ridge) {
  FB_ASSERT(!x.empty() && x.size() == y.size());
  const size_t p = x[0].size(), n = x.size();
  std::vector<std::vector<double>> a(p, std::vector<double>(p + 1, 0.0));  // [X'X + ridge | X'y]
  for (size_t r = 0; r < n; ++r)
    for (size_t i = 0; i < p; ++i) {
      for (size_t j = 0; j < p; ++j) a[i][j] += x[r][i] * x[r][j];
      a[i][p] += x[r][i] * y[r];
    }
  for (size_t i = 1; i < p; ++i) a[i][i] += ridge * static_cast<double>(n);
  // Gaussian elimination with partial pivoting; a singular system (a ridge of 0 and a constant regressor)
  // leaves that coefficient at 0.
  for (size_t c = 0; c < p; ++c) {
    size_t best = c;
    for (size_t r = c + 1; r < p; ++r)
      if (std::abs(a[r][c]) > std::abs(a[best][c])) best = r;
    std::swap(a[c], a[best]);
    if (std::abs(a[c][c]) < 1e-12) continue;
    for (size_t r = 0; r < p; ++r) {
      if (r == c) continue;
      const double m = a[r][c] / a[c][c];
      for (size_t k = c; k <= p; ++k) a[r][k] -= m * a[c][k];
    }
  }
  std::vector<double> b(p, 0.0);
  for (size_t i = 0; i < p; ++i) b[i] = std::abs(a[i][i]) < 1e-12 ? 0.0 : a[i][p] / a[i][i];
  return b;
}

int count_field(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = j.at(key);
  if (!v.is_number_integer() || (v.is_number_unsigned() ? v.get<uint64_t>() > INT_MAX : v.get<int64_t>() < 0 ||
                                                                                         v.get<int64_t>() > INT_MAX))
    fail("\"{}\" must be a count (an integer from 0 to {}), got {}", key, INT_MAX, v.dump());
  return static_cast<int>(v.get<int64_t>());
}

double ClassModel::predict_ms(const KernelFeatures& f) const {
  const std::vector<double> r = regressors(f);
  double y = coef[0];
  for (size_t i = 0; i < r.size() && i + 1 < coef.size(); ++i) y += coef[i + 1] * (r[i] - mean[i]) / scale[i];
  return std::exp(y);
}

KernelModel KernelModel::fit(const std::vector<Sample>& samples, int min_samples, double ridge) {
  std::map<std::string, std::vector<const Sample*>> by_class;
  for (const Sample& s : samples)
    if (s.ms > 0) by_class[s.features.cls].push_back(&s);
  KernelModel m;
  for (const auto& [cls, list] : by_class) {
    if (static_cast<int>(list.size()) < min_samples) continue;
    ClassModel c;
    const size_t p = regressor_names().size();
    std::vector<std::vector<double>> raw;
    for (const Sample* s : list) raw.push_back(regressors(s->features));
    c.mean.assign(p, 0.0);
    c.scale.assign(p, 0.0);
    for (const auto& r : raw)
      for (size_t i = 0; i < p; ++i) c.mean[i] += r[i] / static_cast<double>(raw.size());
    for (const auto& r : raw)
      for (size_t i = 0; i < p; ++i) c.scale[i] += (r[i] - c.mean[i]) * (r[i] - c.mean[i]) / static_cast<double>(raw.size());
    for (double& s : c.scale) s = s > 1e-18 ? std::sqrt(s) : 1.0;  // a constant regressor: its column is 0
    std::vector<std::vector<double>> x;
    std::vector<double> y;
    c.min_ms = list[0]->ms;
    for (size_t k = 0; k < raw.size(); ++k) {
      std::vector<double> row{1.0};
      for (size_t i = 0; i < p; ++i) row.push_back((raw[k][i] - c.mean[i]) / c.scale[i]);
      x.push_back(std::move(row));
      y.push_back(std::log(list[k]->ms));
      c.min_ms = std::min(c.min_ms, list[k]->ms);
      c.max_ms = std::max(c.max_ms, list[k]->ms);
    }
    c.coef = ridge_least_squares(x, y, ridge);
    double sq = 0;
    for (size_t k = 0; k < x.size(); ++k) {
      double fit = 0;
      for (size_t i = 0; i < c.coef.size(); ++i) fit += c.coef[i] * x[k][i];
      sq += (fit - y[k]) * (fit - y[k]);
    }
    c.rms_log_error = std::sqrt(sq / std::max<double>(1.0, static_cast<double>(x.size()) - static_cast<double>(c.coef.size())));
    c.samples = static_cast<int>(list.size());
    m.classes_[cls] = std::move(c);
  }
  return m;
}

double KernelModel::predict_ms(const KernelFeatures& f) const {
  const auto it = classes_.find(f.cls);
  if (it == classes_.end()) fail("the predictor has never seen a '{}' kernel: it was fitted without one", f.cls);
  return it->second.predict_ms(f);
}

nlohmann::json KernelModel::to_json() const {
  nlohmann::json j = {{"regressors", regressor_names()}, {"classes", nlohmann::json::object()}};
  for (const auto& [cls, c] : classes_)
    j["classes"][cls] = {{"samples", c.samples}, {"mean", c.mean},       {"scale", c.scale}, {"coef", c.coef},
                         {"rms_log_error", c.rms_log_error},             {"min_ms", c.min_ms}, {"max_ms", c.max_ms}};
  return j;
}

KernelModel KernelModel::from_json(const nlohmann::json& j) {
  KernelModel m;
  try {
    if (j.at("regressors").get<std::vector<std::string>>() != regressor_names())
      fail("its regressors are not this formbench's ({}); fit it again", regressor_names().size());
    for (const auto& [cls, c] : j.at("classes").items()) {
      ClassModel cm;
      cm.samples = count_field(c, "samples");
      cm.mean = c.at("mean").get<std::vector<double>>();
      cm.scale = c.at("scale").get<std::vector<double>>();
      cm.coef = c.at("coef").get<std::vector<double>>();
      cm.rms_log_error = c.at("rms_log_error").get<double>();
      cm.min_ms = c.at("min_ms").get<double>();
      cm.max_ms = c.at("max_ms").get<double>();
      const size_t p = regressor_names().size();
      if (cm.mean.size() != p || cm.scale.size() != p || cm.coef.size() != p + 1)
        fail("class '{}' has {} coefficients, expected {}", cls, cm.coef.size(), p + 1);
      for (double s : cm.scale)
        if (!(s > 0)) fail("class '{}' has a non-positive scale", cls);
      m.classes_[cls] = std::move(cm);
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}", e.what());
  }
  return m;
}

}  // namespace fb::predict
