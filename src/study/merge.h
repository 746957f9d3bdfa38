#pragma once
// `study merge` and `study export`: combine results databases; flatten one for pandas and friends.
#include <ostream>
#include <string>
#include <vector>

namespace fb::study {

struct MergeSummary {
  int points = 0, measurements = 0, failures = 0;
  int conflicts = 0;  // points measured in more than one input: the first input's measurement is kept
};

// Merges `inputs` into `output` (created when missing; merging again adds nothing twice). Points are
// matched by identity; machines by fingerprint, so each measurement keeps the machine that made it.
MergeSummary merge_databases(const std::vector<std::string>& inputs, const std::string& output);

enum class ExportFormat { Csv, Json };
// One row per point: its settings, status ('ok', 'failed', 'pending', 'disagreement'), the failure's kind and
// reason, the machine fingerprint and every measurement column (docs/results_schema.md).
void export_database(const std::string& db_path, ExportFormat format, std::ostream& out);

}  // namespace fb::study
