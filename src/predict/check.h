#pragma once
// How well a predictor predicts networks it was not fitted on: every measured point of the given databases
// (at the predictor's threads, precision and batch, on the CPU, its outputs agreeing with the reference)
// predicted and set beside its measured median, and every paired speedup beside the predicted one (native /
// accelerated). The validation of docs/predict.md.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "predict/predictor.h"
#include "report/table.h"

namespace fb::predict {

struct CheckRow {
  std::string model, backend;
  std::optional<std::string> pattern;
  double measured_ms = 0, predicted_ms = 0;
  std::optional<double> measured_speedup, predicted_speedup;  // accelerated points with a paired speedup
  std::string error;  // why it could not be predicted (an unseen kernel class): then no prediction
};

struct CheckSummary {
  std::string backend;
  int networks = 0, predicted = 0, within_5 = 0, within_10 = 0;
  double rmse_ms = 0, rms_relative = 0;  // over the predicted networks
  int speedups = 0, speedups_within_15 = 0;
};

struct CheckResult {
  std::vector<CheckRow> rows;
  std::vector<CheckSummary> summaries;  // one per backend
  // Kendall's tau between measured and predicted speedups: over the networks, and over the patterns'
  // geometric means (when two or more patterns were measured).
  std::optional<double> tau_networks, tau_patterns;
  nlohmann::json to_json() const;
  std::string table() const;
};

CheckResult check_predictor(const Predictor& p, const std::vector<std::string>& dbs);

// The report's view of a check (`formbench report DB --predictor P`): one summary line per backend, and the
// tables "predictor_summary" (per backend) and "predictor_networks" (per point).
std::vector<std::string> check_lines(const CheckResult& c, const std::string& predictor_path);
std::vector<report::Table> check_tables(const CheckResult& c, const std::string& predictor_path);

// Kendall's tau-a of two equally long lists (ties count as neither concordant nor discordant).
double kendall_tau(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace fb::predict
