// The results store: schema, recording, failures, merge rules and export, without running any benchmark.
#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "study/merge.h"
#include "study/store.h"
#include "study_test_util.h"

namespace fb::study {
namespace {

using testing::ScratchDir;

Point make_point(const std::string& model, const std::string& backend, int64_t seq) {
  Point p;
  p.model = model;
  p.family = "hand-crafted";
  p.resolution = 32;
  p.backend = backend;
  p.seq = seq;
  p.id = point_id(p);
  return p;
}

nlohmann::json bench_json(double median, const std::string& cpu) {
  return {{"schema", "formbench.bench/1"}, {"median_ms", median}, {"mean_ms", median + 0.5}, {"samples", 7},
          {"macs", 123456789}, {"peak_gflops", nullptr},
          {"counters", {{"source", "unavailable"}, {"reason", "perf_event_open: EACCES"}, {"ll_misses_per_inference", nullptr}}},
          {"agreement", {{"rel_max_error", 1e-6}, {"passed", true}}},
          {"describe", {{"backend", "x"}, {"fusions", {"a+b"}}}},
          {"machine", {{"cpu_model", cpu}, {"timestamp", "2026-01-01T00:00:00Z"}}}};
}

int64_t count(Store& s, const std::string& sql) {
  Stmt q(s.db(), sql);
  EXPECT_TRUE(q.step());
  return q.int64(0);
}

TEST(StudyStore, RecordsEveryFieldAndNullsForMissingOnes) {
  ScratchDir dir;
  Store s(dir.file("r.sqlite"));
  const int64_t study = s.add_study("t", "name='t'");
  EXPECT_EQ(s.add_study("t", "name='t'"), study);  // the same spec reuses its row
  const Point p = make_point("resnet18?res=32", "reference", 0);
  s.add_points(study, {p});
  s.add_points(study, {p});  // idempotent
  EXPECT_EQ(count(s, "SELECT count(*) FROM points"), 1);
  const nlohmann::json j = bench_json(2.5, "cpu A");
  s.record_measurement(p.id, s.machine_id(j["machine"]), j);
  Stmt q(s.db(), "SELECT median_ms, mean_ms, samples, macs, peak_gflops, counters_source, counters_reason, "
                 "ll_misses_per_inference, agreement_rel_error, agreement_passed, describe_json, result_json, "
                 "p90_ms FROM measurements");
  ASSERT_TRUE(q.step());
  EXPECT_DOUBLE_EQ(q.real(0), 2.5);
  EXPECT_DOUBLE_EQ(q.real(1), 3.0);
  EXPECT_EQ(q.int64(2), 7);
  EXPECT_EQ(q.int64(3), 123456789);
  EXPECT_TRUE(q.is_null(4));  // null in the JSON stays NULL, never 0
  EXPECT_EQ(q.text(5), "unavailable");
  EXPECT_EQ(q.text(6), "perf_event_open: EACCES");
  EXPECT_TRUE(q.is_null(7));
  EXPECT_DOUBLE_EQ(q.real(8), 1e-6);
  EXPECT_EQ(q.int64(9), 1);
  EXPECT_EQ(nlohmann::json::parse(q.text(10))["fusions"][0], "a+b");
  EXPECT_EQ(nlohmann::json::parse(q.text(11)), j);
  EXPECT_TRUE(q.is_null(12));  // absent from the JSON
}

TEST(StudyStore, MachinesByStableFingerprint) {
  ScratchDir dir;
  Store s(dir.file("r.sqlite"));
  nlohmann::json a = bench_json(1, "cpu A")["machine"], a_later = a, b = bench_json(1, "cpu B")["machine"];
  a_later["timestamp"] = "2027-05-05T00:00:00Z";
  EXPECT_EQ(s.machine_id(a), s.machine_id(a_later));
  EXPECT_NE(s.machine_id(a), s.machine_id(b));
}

TEST(StudyStore, MeasurementReplacesFailureAndDisagreementIsKeptBeside) {
  ScratchDir dir;
  Store s(dir.file("r.sqlite"));
  const Point p = make_point("resnet18?res=32", "reference", 0), q = make_point("resnet34?res=32", "reference", 1);
  s.add_points(s.add_study("t", "x"), {p, q});
  s.record_failure(p.id, std::nullopt, {"timeout", "slow"});
  EXPECT_EQ(s.failures().size(), 1u);
  const nlohmann::json j = bench_json(1, "A");
  s.record_measurement(p.id, s.machine_id(j["machine"]), j);
  EXPECT_TRUE(s.failures().empty());
  s.record_measurement(q.id, s.machine_id(j["machine"]), j, FailureRecord{"disagreement", "rel error 0.5"});
  EXPECT_EQ(s.failures().at(q.id).kind, "disagreement");
  EXPECT_EQ(s.measured_ids().size(), 2u);
}

TEST(StudyStore, RefusesForeignDatabasesAndMissingFiles) {
  ScratchDir dir;
  {
    Db other(dir.file("other.sqlite"), true);
    other.exec("CREATE TABLE t(x)");
  }
  EXPECT_THROW(Store(dir.file("other.sqlite")), Error);
  EXPECT_THROW(Store(dir.file("missing.sqlite"), false), Error);
  EXPECT_THROW(merge_databases({dir.file("missing.sqlite")}, dir.file("o.sqlite")), Error);
  // A formbench 0.2 database (schema 1): a clear error naming the version, never a silent mix of methods.
  {
    Db old(dir.file("v1.sqlite"), true);
    old.exec("CREATE TABLE points(id TEXT); PRAGMA user_version=1;");
  }
  try {
    Store s(dir.file("v1.sqlite"));
    ADD_FAILURE() << "a schema-1 database was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("written by formbench 0.2 (results schema 1"), std::string::npos) << e.what();
  }
}

TEST(StudyStore, AnEarlySchema2DatabaseGainsTheColumnsAddedSince) {
  ScratchDir dir;
  const std::string path = dir.file("early.sqlite");
  // A schema-2 database as first written: no excluded_processes, no rerun-interval verdicts.
  {
    Store s(path);
    s.db().exec("ALTER TABLE measurements DROP COLUMN excluded_processes; DROP TABLE rechecks; CREATE TABLE rechecks(point_id TEXT NOT NULL, finished_at TEXT NOT NULL,"
                " median_ms REAL, median_inside INTEGER, speedup REAL, speedup_inside INTEGER);"
                " INSERT INTO rechecks VALUES('p', 't', 1.0, 1, 2.0, 0);");
  }
  Store s(path);
  EXPECT_EQ(count(s, "SELECT count(*) FROM pragma_table_info('rechecks') WHERE name IN"
                     " ('median_inside_rerun', 'speedup_inside_rerun')"),
            2);
  EXPECT_EQ(count(s, "SELECT count(*) FROM rechecks WHERE speedup_inside = 0 AND speedup_inside_rerun IS NULL"), 1);
  EXPECT_EQ(count(s, "SELECT count(*) FROM pragma_table_info('measurements') WHERE name = 'excluded_processes'"), 1);
}

TEST(StudyStore, MergeKeepsMachinesSkipsDuplicatesAndPrefersMeasurements) {
  ScratchDir dir;
  const Point p0 = make_point("m0", "reference", 0), p1 = make_point("m1", "reference", 1), p2 = make_point("m2", "reference", 2);
  {
    Store a(dir.file("a.sqlite"));
    a.add_points(a.add_study("t", "spec"), {p0, p1, p2});
    const nlohmann::json j = bench_json(1, "machine A");
    a.record_measurement(p0.id, a.machine_id(j["machine"]), j);
    a.record_failure(p1.id, std::nullopt, {"crash", "SIGSEGV"});
  }
  {
    Store b(dir.file("b.sqlite"));
    b.add_points(b.add_study("t", "spec"), {p1, p2});
    const nlohmann::json j = bench_json(2, "machine B");
    b.record_measurement(p1.id, b.machine_id(j["machine"]), j);  // B measured what crashed on A
    b.record_failure(p2.id, std::nullopt, {"timeout", "slow"});
  }
  MergeSummary m = merge_databases({dir.file("a.sqlite"), dir.file("b.sqlite")}, dir.file("all.sqlite"));
  EXPECT_EQ(m.points, 3);
  EXPECT_EQ(m.measurements, 2);
  EXPECT_EQ(m.conflicts, 0);
  Store all(dir.file("all.sqlite"));
  EXPECT_EQ(count(all, "SELECT count(*) FROM studies"), 1);
  EXPECT_EQ(count(all, "SELECT count(*) FROM machines"), 2);
  EXPECT_EQ(count(all, "SELECT count(*) FROM measurements"), 2);
  // Each measurement keeps the machine that made it.
  Stmt q(all.db(), "SELECT json_extract(ma.facts_json, '$.cpu_model') FROM measurements m JOIN machines ma ON ma.id = m.machine_id "
                   "JOIN points p ON p.id = m.point_id ORDER BY p.seq");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "machine A");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "machine B");
  auto f = all.failures();
  ASSERT_EQ(f.size(), 1u);  // p1's crash is superseded by B's measurement
  EXPECT_EQ(f.at(p2.id).kind, "timeout");
  // Merging again adds nothing.
  MergeSummary again = merge_databases({dir.file("b.sqlite"), dir.file("a.sqlite")}, dir.file("all.sqlite"));
  EXPECT_EQ(again.points + again.measurements + again.failures, 0);
  EXPECT_EQ(count(all, "SELECT count(*) FROM measurements"), 2);
  EXPECT_THROW(merge_databases({dir.file("all.sqlite")}, dir.file("all.sqlite")), Error);
}

TEST(StudyStore, MergeConflictKeepsTheFirstInput) {
  ScratchDir dir;
  const Point p = make_point("m0", "reference", 0);
  for (auto [name, median] : {std::pair{"a.sqlite", 1.0}, std::pair{"b.sqlite", 9.0}}) {
    Store s(dir.file(name));
    s.add_points(s.add_study("t", "spec"), {p});
    const nlohmann::json j = bench_json(median, name);
    s.record_measurement(p.id, s.machine_id(j["machine"]), j);
  }
  MergeSummary m = merge_databases({dir.file("a.sqlite"), dir.file("b.sqlite")}, dir.file("all.sqlite"));
  EXPECT_EQ(m.conflicts, 1);
  Store all(dir.file("all.sqlite"));
  Stmt q(all.db(), "SELECT median_ms FROM measurements");
  ASSERT_TRUE(q.step());
  EXPECT_DOUBLE_EQ(q.real(0), 1.0);
}

TEST(StudyStore, ExportCsvAndJson) {
  ScratchDir dir;
  const Point p0 = make_point("m,0", "reference", 0), p1 = make_point("m1", "reference", 1), p2 = make_point("m2", "x", 2);
  {
    Store s(dir.file("r.sqlite"));
    s.add_points(s.add_study("t", "spec"), {p0, p1, p2});
    const nlohmann::json j = bench_json(1.25, "A");
    s.record_measurement(p0.id, s.machine_id(j["machine"]), j);
    s.record_failure(p1.id, std::nullopt, {"crash", "killed by signal SIGABRT, \"quoted\""});
  }
  std::ostringstream csv, js;
  export_database(dir.file("r.sqlite"), ExportFormat::Csv, csv);
  export_database(dir.file("r.sqlite"), ExportFormat::Json, js);
  const std::string c = csv.str();
  EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 4);
  EXPECT_EQ(c.rfind("study,seq,point_id,model,", 0), 0u);
  EXPECT_NE(c.find("\"m,0\""), std::string::npos);
  EXPECT_NE(c.find("\"killed by signal SIGABRT, \"\"quoted\"\"\""), std::string::npos);
  const nlohmann::json rows = nlohmann::json::parse(js.str());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["status"], "ok");
  EXPECT_DOUBLE_EQ(rows[0]["median_ms"].get<double>(), 1.25);
  EXPECT_TRUE(rows[0]["p99_ms"].is_null());
  EXPECT_EQ(rows[1]["status"], "failed");
  EXPECT_EQ(rows[1]["failure_kind"], "crash");
  EXPECT_EQ(rows[2]["status"], "pending");
  EXPECT_TRUE(rows[2]["settings"].is_object());
}

}  // namespace
}  // namespace fb::study
