#pragma once
// The results database (docs/results_schema.md): SQLite in WAL mode, one transaction per finished point,
// so a killed runner loses at most the point in flight and never corrupts the file.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/file_lock.h"
#include "study/point.h"
#include "study/sqlite_db.h"

namespace fb::study {

struct FailureRecord {
  std::string kind;  // 'error', 'crash', 'timeout', 'oom', 'disagreement'
  std::string reason;
};

class Store {
 public:
  // Opens or creates `path` with the schema; refuses a file that is not a formbench results database.
  explicit Store(const std::string& path, bool create = true);

  Db& db() { return db_; }

  // The study row for this name and spec text (reused when the same spec runs again).
  int64_t add_study(const std::string& name, const std::string& spec_toml);
  // Inserts the points that are not there yet, in one transaction.
  void add_points(int64_t study_id, const std::vector<Point>& points);
  // The machine row for these facts (the `machine` object of bench --json), by fingerprint.
  int64_t machine_id(const nlohmann::json& facts);

  // Each commits at once.
  // `flag` (a 'disagreement') is written in the same transaction.
  void record_measurement(const std::string& point_id, int64_t machine_id, const nlohmann::json& bench,
                          const std::optional<FailureRecord>& flag = std::nullopt);
  void record_failure(const std::string& point_id, std::optional<int64_t> machine_id, const FailureRecord& f);
  // A comparison group's points (its backends, measured together) in one transaction: a measurement (with
  // an optional flag) or a failure each, so a kill leaves either the whole group or none of it.
  struct GroupOutcome {
    std::string point_id;
    int64_t machine_id = 0;
    std::optional<nlohmann::json> result;  // a point record (processes.h backend_record)
    std::optional<FailureRecord> failure;  // the failure, or the flag of a result
  };
  // `group_key`: the group's processes kept so far (process_results) are dropped in the same transaction.
  void record_group(const std::vector<GroupOutcome>& outcomes, const std::string& group_key = "");
  // One process of a group that is still being measured (its compare JSON), so a killed run resumes with it.
  void record_process(const std::string& group_key, int process, const nlohmann::json& result);
  std::vector<nlohmann::json> process_results(const std::string& group_key);
  void forget_failure(const std::string& point_id);

  std::vector<std::string> measured_ids();
  std::vector<std::string> disagreeing_ids();  // measured, but the outputs disagreed with the reference
  std::map<std::string, FailureRecord> failures();

 private:
  void insert_measurement(const std::string& point_id, int64_t machine_id, const nlohmann::json& bench,
                          const std::optional<FailureRecord>& flag);
  void insert_layers(const std::string& point_id, const nlohmann::json& layers);
  Db db_;
};

// The database belongs to one run (or recheck) at a time: two would measure the same points at once, on the
// same cores, and replace each other's rows. Holds DB.lock while the returned lock lives; throws fb::Error
// naming the holder when another process has it.
FileLock lock_database(const std::string& db_path);

// Fingerprint of the machine's hardware and OS facts (CPU, ISA, cores, caches, memory, OS, kernel, host).
std::string machine_fingerprint(const nlohmann::json& facts);
// Now, RFC 3339 UTC.
std::string now_rfc3339();
// The schema (CREATE TABLE IF NOT EXISTS ...), for merge's output.
std::string schema_sql();

}  // namespace fb::study
