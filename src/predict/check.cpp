#include "predict/check.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/error.h"
#include "core/table.h"
#include "report/results_db.h"

namespace fb::predict {

double kendall_tau(const std::vector<double>& a, const std::vector<double>& b) {
  FB_ASSERT(a.size() == b.size());
  const size_t n = a.size();
  if (n < 2) return 0;
  double s = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const double x = (a[i] - a[j]) * (b[i] - b[j]);
      s += x > 0 ? 1 : x < 0 ? -1 : 0;
    }
  return s / (static_cast<double>(n) * static_cast<double>(n - 1) / 2.0);
}

CheckResult check_predictor(const Predictor& p, const std::vector<std::string>& dbs) {
  CheckResult out;
  for (const std::string& path : dbs) {
    const report::ResultsDb db = report::load_results(path);
    std::map<std::string, size_t> row_of;  // point id -> its row, once predicted
    GraphCache graphs(/*with_weights=*/true);
    for (const report::Record& r : db.records) {
      if (!usable_point(r, p.fitted_for.precision, p.fitted_for.batch, p.fitted_for.threads) || !p.backends.count(r.backend))
        continue;
      CheckRow row{r.model, r.backend, r.pattern, *r.median_ms, 0, std::nullopt, std::nullopt, ""};
      if (r.paired_speedup && !r.native_point_id.empty()) row.measured_speedup = *r.paired_speedup;
      try {  // a model that no longer loads (a moved .onnx file) is that row's error, not the check's
        row.predicted_ms = predict(p, graphs.at(r.model, r.batch), r.backend).total_ms;
        row_of[r.point_id] = out.rows.size();
      } catch (const Error& e) {
        row.error = e.what();
      }
      out.rows.push_back(std::move(row));
    }
    // A pair's predicted speedup, once both of its points are predicted.
    for (const report::Record& r : db.records)
      if (r.paired_speedup && row_of.count(r.point_id) && row_of.count(r.native_point_id))
        out.rows[row_of[r.point_id]].predicted_speedup =
            out.rows[row_of[r.native_point_id]].predicted_ms / out.rows[row_of[r.point_id]].predicted_ms;
  }
  std::map<std::string, CheckSummary> sums;
  std::map<std::string, std::pair<double, double>> sq;  // backend -> (squared ms, squared relative)
  std::vector<double> ms_speedup, ps_speedup;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> per_pattern;
  for (const CheckRow& row : out.rows) {
    CheckSummary& s = sums[row.backend];
    s.backend = row.backend;
    ++s.networks;
    if (!row.error.empty()) continue;
    ++s.predicted;
    const double rel = row.predicted_ms / row.measured_ms - 1.0;
    s.within_5 += std::abs(rel) <= 0.05;
    s.within_10 += std::abs(rel) <= 0.10;
    sq[row.backend].first += (row.predicted_ms - row.measured_ms) * (row.predicted_ms - row.measured_ms);
    sq[row.backend].second += rel * rel;
    if (row.measured_speedup && row.predicted_speedup) {
      ++s.speedups;
      s.speedups_within_15 += std::abs(*row.predicted_speedup / *row.measured_speedup - 1.0) <= 0.15;
      ms_speedup.push_back(*row.measured_speedup);
      ps_speedup.push_back(*row.predicted_speedup);
      if (row.pattern) {
        per_pattern[*row.pattern].first.push_back(std::log(*row.measured_speedup));
        per_pattern[*row.pattern].second.push_back(std::log(*row.predicted_speedup));
      }
    }
  }
  for (auto& [b, s] : sums) {
    if (s.predicted > 0) {
      s.rmse_ms = std::sqrt(sq[b].first / s.predicted);
      s.rms_relative = std::sqrt(sq[b].second / s.predicted);
    }
    out.summaries.push_back(s);
  }
  if (ms_speedup.size() >= 2) out.tau_networks = kendall_tau(ms_speedup, ps_speedup);
  if (per_pattern.size() >= 2) {
    std::vector<double> m, q;
    for (const auto& [name, v] : per_pattern) {
      double a = 0, b = 0;
      for (size_t i = 0; i < v.first.size(); ++i) a += v.first[i], b += v.second[i];
      m.push_back(a / static_cast<double>(v.first.size()));
      q.push_back(b / static_cast<double>(v.second.size()));
    }
    out.tau_patterns = kendall_tau(m, q);
  }
  return out;
}

nlohmann::json CheckResult::to_json() const {
  nlohmann::json j = {{"rows", nlohmann::json::array()}, {"summaries", nlohmann::json::array()}};
  for (const CheckRow& r : rows) {
    nlohmann::json x = {{"model", r.model}, {"backend", r.backend}, {"measured_ms", r.measured_ms}};
    if (r.error.empty()) x["predicted_ms"] = r.predicted_ms;
    else x["error"] = r.error;
    if (r.measured_speedup) x["measured_speedup"] = *r.measured_speedup;
    if (r.predicted_speedup) x["predicted_speedup"] = *r.predicted_speedup;
    j["rows"].push_back(x);
  }
  for (const CheckSummary& s : summaries)
    j["summaries"].push_back({{"backend", s.backend}, {"networks", s.networks}, {"predicted", s.predicted},
                              {"within_5pct", s.within_5}, {"within_10pct", s.within_10}, {"rmse_ms", s.rmse_ms},
                              {"rms_relative_error", s.rms_relative}, {"speedups", s.speedups},
                              {"speedups_within_15pct", s.speedups_within_15}});
  j["kendall_tau_networks"] = tau_networks ? nlohmann::json(*tau_networks) : nlohmann::json();
  j["kendall_tau_patterns"] = tau_patterns ? nlohmann::json(*tau_patterns) : nlohmann::json();
  return j;
}

std::vector<std::string> check_lines(const CheckResult& c, const std::string& predictor_path) {
  std::vector<std::string> out;
  for (const CheckSummary& s : c.summaries)
    out.push_back(fmt::format("Predictor {} on {}: {} of {} points within ±10% of the measured median ({} within ±5%)"
                              "{}.",
                              predictor_path, s.backend, s.within_10, s.networks, s.within_5,
                              s.speedups ? fmt::format("; speedup within ±15% on {} of {}", s.speedups_within_15, s.speedups)
                                         : ""));
  return out;
}

std::vector<report::Table> check_tables(const CheckResult& c, const std::string& predictor_path) {
  using report::Cell;
  report::Table sum{"predictor_summary", "Latency predicted without running, against measured",
                    fmt::format("Predictor {} (docs/predict.md): each point's network compiled by its backend and every "
                                "kernel predicted from its sizes, against the point's measured median. A point whose "
                                "network has a kernel class the predictor never saw is not predicted.",
                                predictor_path)};
  sum.columns = {"backend", "points", "predicted", "within ±5%", "within ±10%", "RMSE ms", "RMS relative error %",
                 "speedups", "speedups within ±15%"};
  for (const CheckSummary& s : c.summaries)
    sum.rows.push_back({Cell::str(s.backend), Cell::integer(s.networks), Cell::integer(s.predicted),
                        Cell::integer(s.within_5), Cell::integer(s.within_10), Cell::num(s.rmse_ms, 3),
                        Cell::num(100 * s.rms_relative, 1), Cell::integer(s.speedups),
                        Cell::integer(s.speedups_within_15)});
  report::Table rows{"predictor_networks", "Predicted and measured latency per point",
                     "Error = predicted / measured - 1. Speedup: the native backend's over this one (measured: "
                     "paired; predicted: the ratio of the two predictions)."};
  rows.columns = {"model", "backend", "measured ms", "predicted ms", "error %", "speedup", "predicted speedup"};
  for (const CheckRow& r : c.rows) {
    const std::optional<double> pred = r.error.empty() ? std::optional<double>(r.predicted_ms) : std::nullopt;
    const std::string why = r.error.empty() ? "" : r.error;
    rows.rows.push_back({Cell::str(r.model), Cell::str(r.backend), Cell::num(r.measured_ms, 3),
                         Cell::opt(pred, 3, why),
                         Cell::opt(pred ? std::optional<double>(100 * (*pred / r.measured_ms - 1)) : std::nullopt, 1, why),
                         Cell::opt(r.measured_speedup, 2, "not an accelerated point"),
                         Cell::opt(r.predicted_speedup, 2, r.measured_speedup ? why : "not an accelerated point")});
  }
  return {sum, rows};
}

std::string CheckResult::table() const {
  TextTable t({"model", "backend", "measured ms", "predicted ms", "error", "speedup", "predicted"});
  std::string refused;
  for (const CheckRow& r : rows) {
    t.add_row({r.model, r.backend, fmt::format("{:.3f}", r.measured_ms),
               r.error.empty() ? fmt::format("{:.3f}", r.predicted_ms) : "-",
               r.error.empty() ? fmt::format("{:+.1f}%", 100.0 * (r.predicted_ms / r.measured_ms - 1.0)) : "(below)",
               r.measured_speedup ? fmt::format("{:.2f}x", *r.measured_speedup) : "",
               r.predicted_speedup ? fmt::format("{:.2f}x", *r.predicted_speedup) : ""});
    if (!r.error.empty()) refused += r.error + "\n";
  }
  std::string s = t.str() + refused;
  for (const CheckSummary& x : summaries) {
    s += fmt::format("{}: {} of {} networks predicted; within ±5%: {}, within ±10%: {} ({:.0f}%); RMSE {:.3f} ms, "
                     "RMS relative error {:.1f}%",
                     x.backend, x.predicted, x.networks, x.within_5, x.within_10,
                     x.predicted ? 100.0 * x.within_10 / x.predicted : 0.0, x.rmse_ms, 100.0 * x.rms_relative);
    if (x.speedups) s += fmt::format("; speedup within ±15%: {} of {}", x.speedups_within_15, x.speedups);
    s += "\n";
  }
  if (tau_networks) s += fmt::format("Kendall's tau of the speedups: {:.2f} over networks", *tau_networks);
  if (tau_patterns) s += fmt::format(", {:.2f} over the patterns' geometric means", *tau_patterns);
  if (tau_networks) s += "\n";
  return s;
}

}  // namespace fb::predict
