#include "study/merge.h"

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "core/error.h"
#include "study/store.h"

namespace fb::study {
namespace {

std::vector<std::string> columns_of(Db& db, const std::string& table) {
  std::vector<std::string> cols;
  Stmt q(db, fmt::format("PRAGMA main.table_info({})", table));
  while (q.step()) cols.push_back(q.text(1));
  return cols;
}

int64_t count(Db& db, const std::string& sql) {
  Stmt q(db, sql);
  q.step();
  return q.int64(0);
}

}  // namespace

MergeSummary merge_databases(const std::vector<std::string>& inputs, const std::string& output) {
  if (inputs.empty()) fail("study merge: no input databases");
  for (const std::string& in : inputs) {
    if (!std::filesystem::exists(in)) fail("study merge: '{}' does not exist", in);
    std::error_code ec;
    if (std::filesystem::equivalent(in, output, ec)) fail("study merge: '{}' is both an input and the output", in);
    Store check(in, /*create=*/false);  // refuses files that are not results databases
  }
  Store out(output);
  Db& db = out.db();
  MergeSummary sum;
  const auto m_cols = columns_of(db, "measurements");
  std::string m_select;
  for (const std::string& c : m_cols) m_select += (m_select.empty() ? "" : ", ") + (c == "machine_id" ? "mm.new" : "m." + c);
  const auto p_cols = columns_of(db, "points");
  std::string p_select;
  for (const std::string& c : p_cols) p_select += (p_select.empty() ? "" : ", ") + (c == "study_id" ? "sm.new" : "p." + c);

  for (const std::string& in : inputs) {
    Stmt attach(db, "ATTACH DATABASE ?1 AS src");
    attach.bind(1, in).run();
    try {
      Transaction t(db);
      db.exec("CREATE TEMP TABLE study_map(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);"
              "CREATE TEMP TABLE machine_map(old INTEGER PRIMARY KEY, new INTEGER NOT NULL);");
      db.exec("INSERT OR IGNORE INTO main.machines(fingerprint, facts_json) SELECT fingerprint, facts_json FROM src.machines;"
              "INSERT INTO machine_map SELECT s.id, m.id FROM src.machines s JOIN main.machines m USING(fingerprint);");
      {
        Stmt studies(db, "SELECT id, name, spec_toml, created_at FROM src.studies ORDER BY id");
        Stmt find(db, "SELECT id FROM main.studies WHERE name=?1 AND spec_toml=?2 ORDER BY id LIMIT 1");
        Stmt ins(db, "INSERT INTO main.studies(name, spec_toml, created_at) VALUES(?1, ?2, ?3)");
        Stmt map(db, "INSERT INTO study_map VALUES(?1, ?2)");
        while (studies.step()) {
          find.bind(1, studies.text(1)).bind(2, studies.text(2));
          int64_t id;
          if (find.step()) {
            id = find.int64(0);
          } else {
            ins.bind(1, studies.text(1)).bind(2, studies.text(2)).bind(3, studies.text(3)).run();
            id = db.last_insert_id();
          }
          find.reset();
          map.bind(1, studies.int64(0)).bind(2, id).run();
        }
      }
      db.exec(fmt::format("INSERT OR IGNORE INTO main.points SELECT {} FROM src.points p JOIN study_map sm ON sm.old = p.study_id "
                          "ORDER BY p.seq",
                          p_select));
      sum.points += db.changes();
      sum.conflicts += static_cast<int>(count(db, "SELECT count(*) FROM src.measurements s JOIN main.measurements m USING(point_id) "
                                                 "WHERE s.finished_at <> m.finished_at OR s.result_json <> m.result_json"));
      db.exec(fmt::format("INSERT OR IGNORE INTO main.measurements SELECT {} FROM src.measurements m "
                          "JOIN machine_map mm ON mm.old = m.machine_id",
                          m_select));
      sum.measurements += db.changes();
      // A measurement wins over another machine's failure of the same point; a 'disagreement' flag travels
      // with the measurement it flags (same finished_at).
      db.exec("DELETE FROM main.failures WHERE kind <> 'disagreement' AND point_id IN (SELECT point_id FROM main.measurements)");
      db.exec("INSERT OR IGNORE INTO main.failures(point_id, machine_id, finished_at, kind, reason) "
              "SELECT f.point_id, mm.new, f.finished_at, f.kind, f.reason FROM src.failures f "
              "LEFT JOIN machine_map mm ON mm.old = f.machine_id "
              "WHERE (f.kind <> 'disagreement' AND f.point_id NOT IN (SELECT point_id FROM main.measurements)) "
              "   OR (f.kind = 'disagreement' AND EXISTS (SELECT 1 FROM main.measurements m JOIN src.measurements s "
              "       USING(point_id) WHERE m.point_id = f.point_id AND m.finished_at = s.finished_at))");
      sum.failures += db.changes();
      // A profile travels with the measurement it belongs to (same finished_at); older files have none.
      if (count(db, "SELECT count(*) FROM src.sqlite_master WHERE type='table' AND name='layers'") > 0)
        db.exec("INSERT OR IGNORE INTO main.layers SELECT l.point_id, l.step, l.name, l.op, l.kind, l.ms, l.nodes_json "
                "FROM src.layers l WHERE EXISTS (SELECT 1 FROM main.measurements m JOIN src.measurements s USING(point_id) "
                "WHERE m.point_id = l.point_id AND m.finished_at = s.finished_at) "
                "AND l.point_id NOT IN (SELECT point_id FROM main.layers)");
      db.exec("DROP TABLE temp.study_map; DROP TABLE temp.machine_map;");
      t.commit();
    } catch (...) {
      db.exec("DETACH DATABASE src");
      throw;
    }
    db.exec("DETACH DATABASE src");
  }
  return sum;
}

}  // namespace fb::study
