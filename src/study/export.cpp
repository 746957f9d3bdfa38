// `study export DB --csv|--json`: one flat row per point.
#include <sqlite3.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "study/merge.h"
#include "study/store.h"

namespace fb::study {
namespace {

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

void export_database(const std::string& db_path, ExportFormat format, std::ostream& out) {
  Store store(db_path, /*create=*/false);
  Db& db = store.db();
  // Every measurement column except the two JSON blobs (they are in the database for whoever needs them).
  std::string m_cols;
  {
    Stmt q(db, "PRAGMA table_info(measurements)");
    while (q.step()) {
      const std::string c = q.text(1);
      if (c == "point_id" || c == "machine_id" || c == "describe_json" || c == "result_json") continue;
      m_cols += ", m." + c;
    }
  }
  const std::string sql = fmt::format(
      "SELECT s.name AS study, p.seq, p.id AS point_id, p.model, p.family, p.pattern, p.depth, p.width, p.resolution, "
      "p.batch, p.backend, p.threads, p.precision, p.device, "
      "CASE WHEN m.point_id IS NOT NULL AND f.kind = 'disagreement' THEN 'disagreement' "
      "     WHEN m.point_id IS NOT NULL THEN 'ok' WHEN f.point_id IS NOT NULL THEN 'failed' ELSE 'pending' END AS status, "
      "f.kind AS failure_kind, f.reason AS failure_reason, ma.fingerprint AS machine{}, p.settings_json "
      "FROM points p JOIN studies s ON s.id = p.study_id LEFT JOIN measurements m ON m.point_id = p.id "
      "LEFT JOIN failures f ON f.point_id = p.id LEFT JOIN machines ma ON ma.id = COALESCE(m.machine_id, f.machine_id) "
      "ORDER BY p.study_id, p.seq, p.id",
      m_cols);
  Stmt q(db, sql);
  const int n = q.columns();
  if (format == ExportFormat::Csv) {
    for (int c = 0; c < n; ++c) out << (c ? "," : "") << q.column_name(c);
    out << "\n";
    while (q.step()) {
      for (int c = 0; c < n; ++c) {
        if (c) out << ",";
        switch (q.column_type(c)) {
          case SQLITE_NULL: break;
          case SQLITE_INTEGER: out << q.int64(c); break;
          case SQLITE_FLOAT: out << fmt::format("{}", q.real(c)); break;
          default: out << csv_cell(q.text(c));
        }
      }
      out << "\n";
    }
    return;
  }
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();  // keeps the column order
  while (q.step()) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (int c = 0; c < n; ++c) {
      const std::string name = q.column_name(c);
      switch (q.column_type(c)) {
        case SQLITE_NULL: row[name] = nullptr; break;
        case SQLITE_INTEGER: row[name] = q.int64(c); break;
        case SQLITE_FLOAT: row[name] = q.real(c); break;
        default:
          if (name == "settings_json") row["settings"] = nlohmann::ordered_json::parse(q.text(c), nullptr, false);
          else row[name] = q.text(c);
      }
    }
    rows.push_back(std::move(row));
  }
  out << rows.dump(1) << "\n";
}

}  // namespace fb::study
