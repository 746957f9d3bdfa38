#include "study/store.h"

#include <chrono>
#include <ctime>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "report/results_columns.h"

namespace fb::study {
namespace {

// 2: a point's backends measured together in k processes (formbench 0.3): paired speedups, two-level CIs,
// noise evidence. 1: one backend per process (formbench 0.2).
constexpr int k_schema_version = 2;

const char* k_schema_before = R"SQL(
CREATE TABLE IF NOT EXISTS machines (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT UNIQUE NOT NULL,
  facts_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS studies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  spec_toml TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS points (
  id TEXT PRIMARY KEY,
  study_id INTEGER NOT NULL REFERENCES studies(id),
  seq INTEGER NOT NULL,
  model TEXT NOT NULL,
  family TEXT NOT NULL,
  pattern TEXT,
  depth INTEGER, width INTEGER,
  resolution INTEGER NOT NULL,
  batch INTEGER NOT NULL,
  backend TEXT NOT NULL,
  threads INTEGER NOT NULL,
  precision TEXT NOT NULL,
  device TEXT NOT NULL DEFAULT 'cpu',
  settings_json TEXT NOT NULL
);
)SQL";

// After `measurements`, whose DDL comes from its column table (report/results_columns.h).
const char* k_schema_after = R"SQL(
CREATE TABLE IF NOT EXISTS process_results (
  group_key TEXT NOT NULL,
  process INTEGER NOT NULL,
  finished_at TEXT NOT NULL,
  result_json TEXT NOT NULL,
  PRIMARY KEY (group_key, process)
);
CREATE TABLE IF NOT EXISTS rechecks (
  point_id TEXT NOT NULL REFERENCES points(id),
  finished_at TEXT NOT NULL,
  median_ms REAL,
  median_inside INTEGER,
  speedup REAL,
  speedup_inside INTEGER,
  median_inside_rerun INTEGER,
  speedup_inside_rerun INTEGER
);
CREATE TABLE IF NOT EXISTS failures (
  point_id TEXT PRIMARY KEY REFERENCES points(id),
  machine_id INTEGER REFERENCES machines(id),
  finished_at TEXT NOT NULL,
  kind TEXT NOT NULL,
  reason TEXT NOT NULL
);
)SQL";

// A measurement's per-layer profile (`explain = true`), one row per executed step; created in databases of
// schema 2 written before it existed as well (empty there).
const char* k_layers_table = R"SQL(
CREATE TABLE IF NOT EXISTS layers (
  point_id TEXT NOT NULL REFERENCES points(id),
  step INTEGER NOT NULL,
  name TEXT NOT NULL,
  op TEXT NOT NULL,
  kind TEXT NOT NULL,
  ms REAL NOT NULL,
  nodes_json TEXT NOT NULL,
  PRIMARY KEY (point_id, step)
);
)SQL";

std::optional<double> real_of(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}
std::optional<int64_t> int_of(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it != j.end() && it->is_boolean()) return it->get<bool>() ? 1 : 0;
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
}
std::optional<std::string> text_of(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::string schema_sql() { return k_schema_before + report::measurements_ddl() + k_schema_after + k_layers_table; }

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

FileLock lock_database(const std::string& db_path) {
  auto lock = FileLock::try_acquire(db_path + ".lock");
  if (!lock) {
    const std::string who = FileLock::holder(db_path + ".lock");
    fail("'{}' is in use by another study run ({}); wait for it to finish", db_path,
         who.empty() ? "a process that did not say who it is" : who);
  }
  lock->write_holder(this_process_description());
  return std::move(*lock);
}

std::string machine_fingerprint(const nlohmann::json& facts) {
  // The hardware and its OS identify a machine; volatile facts (timestamp) or per-binary ones (library
  // versions, git revision) would split one machine into many. Each result keeps its full facts anyway.
  nlohmann::json stable = nlohmann::json::object();
  if (facts.is_object())
    for (const char* k : {"cpu_model", "isa", "logical_cpus", "physical_cores", "sockets", "caches", "memory_bytes", "os",
                          "kernel", "hostname"})
      if (facts.contains(k)) stable[k] = facts[k];
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : stable.dump()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

Store::Store(const std::string& path, bool create) : db_(path, create) {
  // WAL: readers never block the runner, and a commit is one append that survives a kill -9.
  // Statements are scoped: an unfinished one would keep the transaction below from committing.
  {
    Stmt mode(db_, "PRAGMA journal_mode=WAL");
    if (!mode.step() || mode.text(0) != "wal") fail("database '{}': cannot switch to WAL mode", path);
  }
  db_.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  int64_t version = 0, n_tables = 0;
  {
    Stmt ver(db_, "PRAGMA user_version");
    ver.step();
    version = ver.int64(0);
    Stmt tables(db_, "SELECT count(*) FROM sqlite_master WHERE type='table'");
    tables.step();
    n_tables = tables.int64(0);
  }
  if (version == 0 && n_tables > 0)
    fail("'{}' is an SQLite database but not a formbench results database", path);
  if (version > k_schema_version)
    fail("database '{}' has schema version {}, newer than this formbench understands ({})", path, version,
         k_schema_version);
  if (version > 0 && version < k_schema_version)
    fail("database '{}' was written by formbench 0.2 (results schema {}: one backend per process, unpaired); "
         "this formbench measures a point's backends together and writes schema {}: use a new database "
         "(`formbench report` still reads the old one)",
         path, version, k_schema_version);
  if (version == 0) {
    Transaction t(db_);
    db_.exec(schema_sql());
    db_.exec(fmt::format("PRAGMA user_version={}", k_schema_version));
    t.commit();
    return;
  }
  // Schema 2 as first written lacked columns added since (NULL in old rows): every measurement column the
  // table (report/results_columns.h) has and the file lacks, and the A/A rechecks' rerun-interval verdicts.
  // Each table's columns are read once, then every missing one is added.
  auto ensure_columns = [&](const char* table, const std::vector<std::pair<std::string, std::string>>& wanted) {
    std::set<std::string> has;
    {
      Stmt cols(db_, fmt::format("SELECT name FROM pragma_table_info('{}')", table));
      while (cols.step()) has.insert(cols.text(0));
    }
    for (const auto& [column, type] : wanted)
      if (!has.count(column)) db_.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", table, column, type));
  };
  std::vector<std::pair<std::string, std::string>> measurement_columns;
  for (const report::Column& c : report::measurement_columns())
    if (!*c.constraint) measurement_columns.emplace_back(c.name, report::sql_type_name(c.type));
  ensure_columns("measurements", measurement_columns);
  ensure_columns("rechecks", {{"median_inside_rerun", "INTEGER"}, {"speedup_inside_rerun", "INTEGER"}});
  db_.exec(k_layers_table);
}

int64_t Store::add_study(const std::string& name, const std::string& spec_toml) {
  Stmt find(db_, "SELECT id FROM studies WHERE name=?1 AND spec_toml=?2 ORDER BY id LIMIT 1");
  find.bind(1, name).bind(2, spec_toml);
  if (find.step()) return find.int64(0);
  Stmt ins(db_, "INSERT INTO studies(name, spec_toml, created_at) VALUES(?1, ?2, ?3)");
  ins.bind(1, name).bind(2, spec_toml).bind(3, now_rfc3339()).run();
  return db_.last_insert_id();
}

void Store::add_points(int64_t study_id, const std::vector<Point>& points) {
  Transaction t(db_);
  Stmt ins(db_,
           "INSERT OR IGNORE INTO points(id, study_id, seq, model, family, pattern, depth, width, resolution, batch, "
           "backend, threads, precision, device, settings_json) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)");
  for (const Point& p : points) {
    ins.bind(1, p.id).bind(2, study_id).bind(3, p.seq).bind(4, p.model).bind(5, p.family).bind(6, p.pattern);
    ins.bind(7, p.depth).bind(8, p.width).bind(9, p.resolution).bind(10, p.batch).bind(11, p.backend);
    ins.bind(12, p.threads).bind(13, p.precision).bind(14, p.device).bind(15, p.settings_json().dump());
    ins.run();
  }
  t.commit();
}

int64_t Store::machine_id(const nlohmann::json& facts) {
  const std::string fp = machine_fingerprint(facts);
  Stmt find(db_, "SELECT id FROM machines WHERE fingerprint=?1");
  find.bind(1, fp);
  if (find.step()) return find.int64(0);
  Stmt ins(db_, "INSERT INTO machines(fingerprint, facts_json) VALUES(?1, ?2)");
  ins.bind(1, fp).bind(2, facts.dump()).run();
  return db_.last_insert_id();
}

// Replaces the point's profile with `layers` (compare's "layers" array; entries without a name or a time are
// skipped).
void Store::insert_layers(const std::string& point_id, const nlohmann::json& layers) {
  Stmt del(db_, "DELETE FROM layers WHERE point_id=?1");
  del.bind(1, point_id).run();
  if (!layers.is_array()) return;
  Stmt ins(db_, "INSERT INTO layers(point_id, step, name, op, kind, ms, nodes_json) VALUES(?1,?2,?3,?4,?5,?6,?7)");
  int64_t step = 0;
  for (const nlohmann::json& l : layers) {
    const auto name = text_of(l, "name");
    const auto ms = real_of(l, "ms");
    if (!name || !ms) continue;
    const nlohmann::json nodes = l.value("nodes", nlohmann::json::array());
    ins.bind(1, point_id).bind(2, step++).bind(3, *name).bind(4, text_of(l, "op").value_or(""));
    ins.bind(5, text_of(l, "kind").value_or("compute")).bind(6, *ms).bind(7, nodes.is_array() ? nodes.dump() : "[]");
    ins.run();
  }
}

void Store::insert_measurement(const std::string& point_id, int64_t machine_id, const nlohmann::json& b,
                               const std::optional<FailureRecord>& flag) {
  std::string cols, vals;
  int n = 0;
  for (const report::Column& c : report::measurement_columns()) {
    const char* sep = n++ ? ", " : "";
    cols += fmt::format("{}{}", sep, c.name);
    vals += fmt::format("{}?{}", sep, n);
  }
  Stmt ins(db_, fmt::format("INSERT OR REPLACE INTO measurements({}) VALUES({})", cols, vals));
  // The per-layer profile goes to its own table, not into result_json.
  nlohmann::json without_layers = b;
  if (without_layers.is_object()) without_layers.erase("layers");
  const nlohmann::json counters = b.value("counters", nlohmann::json());
  const nlohmann::json agreement = b.value("agreement", nlohmann::json());
  int i = 0;
  for (const report::Column& c : report::measurement_columns()) {
    const nlohmann::json* from = &b;
    switch (c.source) {
      case report::ColumnSource::PointId: ins.bind(++i, point_id); continue;
      case report::ColumnSource::MachineId: ins.bind(++i, machine_id); continue;
      case report::ColumnSource::FinishedAt: ins.bind(++i, now_rfc3339()); continue;
      case report::ColumnSource::Record: ins.bind(++i, without_layers.dump()); continue;
      case report::ColumnSource::JsonText:
        ins.bind(++i, b.is_object() && b.contains(c.key) ? std::optional<std::string>(b[c.key].dump()) : std::nullopt);
        continue;
      case report::ColumnSource::Counters: from = &counters; break;
      case report::ColumnSource::Agreement: from = &agreement; break;
      case report::ColumnSource::Key: break;
    }
    switch (c.type) {
      case report::ColumnType::Real: ins.bind(++i, real_of(*from, c.key)); break;
      case report::ColumnType::Integer: ins.bind(++i, int_of(*from, c.key)); break;
      case report::ColumnType::Text: ins.bind(++i, text_of(*from, c.key)); break;
    }
  }
  ins.run();
  insert_layers(point_id, b.is_object() ? b.value("layers", nlohmann::json()) : nlohmann::json());
  // A measurement replaces an earlier failure of the same point (a retry that worked).
  Stmt del(db_, "DELETE FROM failures WHERE point_id=?1");
  del.bind(1, point_id).run();
  if (flag) {
    Stmt f(db_, "INSERT INTO failures(point_id, machine_id, finished_at, kind, reason) VALUES(?1,?2,?3,?4,?5)");
    f.bind(1, point_id).bind(2, machine_id).bind(3, now_rfc3339()).bind(4, flag->kind).bind(5, flag->reason).run();
  }
}

void Store::record_measurement(const std::string& point_id, int64_t machine_id, const nlohmann::json& b,
                               const std::optional<FailureRecord>& flag) {
  Transaction t(db_);
  insert_measurement(point_id, machine_id, b, flag);
  t.commit();
}

void Store::record_process(const std::string& group_key, int process, const nlohmann::json& result) {
  Stmt ins(db_, "INSERT OR REPLACE INTO process_results(group_key, process, finished_at, result_json) VALUES(?1,?2,?3,?4)");
  ins.bind(1, group_key).bind(2, int64_t{process}).bind(3, now_rfc3339()).bind(4, result.dump()).run();
}

std::vector<nlohmann::json> Store::process_results(const std::string& group_key) {
  std::vector<nlohmann::json> out;
  Stmt q(db_, "SELECT result_json FROM process_results WHERE group_key=?1 ORDER BY process");
  q.bind(1, group_key);
  while (q.step()) {
    nlohmann::json j = nlohmann::json::parse(q.text(0), nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

void Store::record_group(const std::vector<GroupOutcome>& outcomes, const std::string& group_key) {
  Transaction t(db_);
  if (!group_key.empty()) {
    Stmt del(db_, "DELETE FROM process_results WHERE group_key=?1");
    del.bind(1, group_key).run();
  }
  for (const GroupOutcome& o : outcomes) {
    if (o.result) {
      insert_measurement(o.point_id, o.machine_id, *o.result, o.failure);
    } else {
      Stmt ins(db_, "INSERT OR REPLACE INTO failures(point_id, machine_id, finished_at, kind, reason) VALUES(?1,?2,?3,?4,?5)");
      ins.bind(1, o.point_id).bind(2, o.machine_id).bind(3, now_rfc3339()).bind(4, o.failure->kind).bind(5, o.failure->reason).run();
    }
  }
  t.commit();
}

void Store::record_failure(const std::string& point_id, std::optional<int64_t> machine_id, const FailureRecord& f) {
  Transaction t(db_);
  Stmt ins(db_, "INSERT OR REPLACE INTO failures(point_id, machine_id, finished_at, kind, reason) VALUES(?1,?2,?3,?4,?5)");
  ins.bind(1, point_id).bind(2, machine_id).bind(3, now_rfc3339()).bind(4, f.kind).bind(5, f.reason).run();
  t.commit();
}

void Store::forget_failure(const std::string& point_id) {
  Stmt del(db_, "DELETE FROM failures WHERE point_id=?1");
  del.bind(1, point_id).run();
}

std::vector<std::string> Store::measured_ids() {
  std::vector<std::string> ids;
  Stmt q(db_, "SELECT point_id FROM measurements");
  while (q.step()) ids.push_back(q.text(0));
  return ids;
}

std::vector<std::string> Store::disagreeing_ids() {
  std::vector<std::string> ids;
  Stmt q(db_, "SELECT point_id FROM measurements WHERE agreement_passed = 0");
  while (q.step()) ids.push_back(q.text(0));
  return ids;
}

std::map<std::string, FailureRecord> Store::failures() {
  std::map<std::string, FailureRecord> out;
  Stmt q(db_, "SELECT point_id, kind, reason FROM failures");
  while (q.step()) out[q.text(0)] = {q.text(1), q.text(2)};
  return out;
}

}  // namespace fb::study
