// `formbench study run` end to end, through the real CLI and `bench`: crash isolation, resume after kill -9,
// and shard + merge. The test-only fixtures (FORMBENCH_ENABLE_TEST_FAULTS=1) give a millisecond model
// (`test_tiny`) and backends that abort, hang or run out of memory.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "study/sqlite_db.h"
#include "study_test_util.h"

namespace fb::study {
namespace {

using testing::formbench;
using testing::read_text;
using testing::ScratchDir;

// 6 points on the reference backend, quick measurement settings.
constexpr const char* k_spec = R"(
name = "runner-test"
backend = "reference"
threads = [1, 2]
[measure]
warmup = 1
warmup_ms = 0
repetitions = 3
min_time_ms = 0
ceilings = false
check = true
timeout_s = 120
[[models]]
model = "test_tiny"
resolution = [8, 12, 16]
)";

std::string sql_text(Db& db, const std::string& sql) {
  Stmt q(db, sql);
  return q.step() ? q.text(0) : "";
}
int64_t sql_int(Db& db, const std::string& sql) {
  Stmt q(db, sql);
  return q.step() ? q.int64(0) : -1;
}
std::set<std::string> sql_set(Db& db, const std::string& sql) {
  std::set<std::string> s;
  Stmt q(db, sql);
  while (q.step()) s.insert(q.text(0));
  return s;
}

std::set<std::string> planned_ids(const std::string& spec) {
  ScratchDir d;
  EXPECT_EQ(formbench("study plan --json " + spec, d.file("plan.json")), 0);
  std::set<std::string> ids;
  const std::string text = read_text(d.file("plan.json"));
  const nlohmann::json plan = nlohmann::json::parse(text);
  for (const auto& p : plan["points"]) ids.insert(p["id"].get<std::string>());
  EXPECT_FALSE(ids.empty()) << text;
  return ids;
}

TEST(StudyRun, CrashIsolationRecordsEachFailureAndGoesOn) {
  ScratchDir dir;
  const std::string spec = dir.write("faults.toml", R"(
name = "faults"
backend = ["test_abort", "reference", "test_oom", "no_such_backend"]
resolution = 8
[measure]
warmup = 1
warmup_ms = 0
repetitions = 3
min_time_ms = 0
ceilings = false
[[models]]
model = "test_tiny"
[[models]]
model = "test_tiny"
backend = "test_hang"
measure = { timeout_s = 1 }
)");
  const std::string db_path = dir.file("r.sqlite");
  EXPECT_EQ(formbench(fmt::format("study run {} --db {}", spec, db_path), "/dev/null", dir.file("err.txt")), 1)
      << read_text(dir.file("err.txt"));
  Db db(db_path, false);
  std::map<std::string, std::pair<std::string, std::string>> by_backend;
  Stmt q(db, "SELECT p.backend, f.kind, f.reason FROM failures f JOIN points p ON p.id = f.point_id");
  while (q.step()) by_backend[q.text(0)] = {q.text(1), q.text(2)};
  ASSERT_EQ(by_backend.size(), 4u) << read_text(dir.file("err.txt"));
  EXPECT_EQ(by_backend["test_abort"].first, "crash");
  EXPECT_EQ(by_backend["test_abort"].second.rfind("killed by signal SIGABRT", 0), 0u) << by_backend["test_abort"].second;
  EXPECT_EQ(by_backend["test_oom"].first, "oom");
  EXPECT_NE(by_backend["test_oom"].second.find("bad_alloc"), std::string::npos);
  EXPECT_EQ(by_backend["test_hang"].first, "timeout");
  EXPECT_EQ(by_backend["no_such_backend"].first, "error");
  EXPECT_EQ(by_backend["no_such_backend"].second.rfind("backend not built: 'no_such_backend'", 0), 0u);
  // The one healthy point, measured after a crash and before the others, completed.
  EXPECT_EQ(sql_int(db, "SELECT count(*) FROM measurements"), 1);
  EXPECT_EQ(sql_text(db, "SELECT p.backend FROM measurements m JOIN points p ON p.id = m.point_id"), "reference");
  EXPECT_GT(sql_int(db, "SELECT count(*) FROM measurements WHERE median_ms > 0 AND samples >= 3"), 0);
  EXPECT_EQ(sql_text(db, "PRAGMA integrity_check"), "ok");
  // A rerun skips every recorded point.
  EXPECT_EQ(formbench(fmt::format("study run {} --db {}", spec, db_path), "/dev/null", dir.file("err2.txt")), 0);
  EXPECT_NE(read_text(dir.file("err2.txt")).find("5 already done, 0 to run"), std::string::npos) << read_text(dir.file("err2.txt"));
}

TEST(StudyRun, ResumesAfterSigkillWithEveryPointExactlyOnce) {
  ScratchDir dir;
  // Points of >= 300 ms each, so the kills land while points are in flight.
  std::string text = k_spec;
  text.replace(text.find("min_time_ms = 0"), 15, "min_time_ms = 300");
  const std::string spec = dir.write("s.toml", text);
  const std::string db_path = dir.file("r.sqlite");
  const std::set<std::string> planned = planned_ids(spec);
  ASSERT_EQ(planned.size(), 6u);
  std::map<std::string, std::string> before;  // point -> result_json measured before the last kill
  // Kill the runner at several moments (while starting, while measuring, between points).
  for (int attempt = 0; attempt < 3; ++attempt) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      setenv("FORMBENCH_ENABLE_TEST_FAULTS", "1", 1);
      freopen("/dev/null", "w", stderr);
      execl(FORMBENCH_CLI_PATH, FORMBENCH_CLI_PATH, "study", "run", spec.c_str(), "--db", db_path.c_str(), nullptr);
      _exit(127);
    }
    // Wait for this attempt's first new measurement (or a short while on the first attempt), then kill -9.
    const size_t target = before.size() + (attempt == 0 ? 0 : 1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt == 0 ? 150 : 20));
      if (attempt == 0) break;
      try {
        Db db(db_path, false);
        if (sql_int(db, "SELECT count(*) FROM measurements") >= static_cast<int64_t>(target)) break;
      } catch (const std::exception&) {  // not created yet
      }
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    if (!std::filesystem::exists(db_path)) continue;
    Db db(db_path, false);
    EXPECT_EQ(sql_text(db, "PRAGMA integrity_check"), "ok");
    // What was committed before this kill is still there, unchanged.
    for (const auto& [id, result] : before)
      EXPECT_EQ(sql_text(db, "SELECT result_json FROM measurements WHERE point_id = '" + id + "'"), result);
    Stmt q(db, "SELECT point_id, result_json FROM measurements");
    while (q.step()) before[q.text(0)] = q.text(1);
  }
  EXPECT_GT(before.size(), 0u);
  EXPECT_LT(before.size(), 6u);
  // Rerun to completion: only the missing points run.
  ASSERT_EQ(formbench(fmt::format("study run {} --db {}", spec, db_path), "/dev/null", dir.file("err.txt")), 0)
      << read_text(dir.file("err.txt"));
  EXPECT_NE(read_text(dir.file("err.txt")).find(fmt::format("{} already done, {} to run", before.size(), 6 - before.size())),
            std::string::npos)
      << read_text(dir.file("err.txt"));
  Db db(db_path, false);
  EXPECT_EQ(sql_text(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(sql_int(db, "SELECT count(*) FROM points"), 6);
  EXPECT_EQ(sql_int(db, "SELECT count(*) FROM measurements"), 6);
  EXPECT_EQ(sql_int(db, "SELECT count(*) FROM failures"), 0);
  EXPECT_EQ(sql_set(db, "SELECT point_id FROM measurements"), planned);
  for (const auto& [id, result] : before)  // done points were skipped, not redone
    EXPECT_EQ(sql_text(db, "SELECT result_json FROM measurements WHERE point_id = '" + id + "'"), result);
  EXPECT_EQ(sql_text(db, "PRAGMA journal_mode"), "wal");
}

// A point measured with outputs that disagreed with the reference is done for a plain rerun and redone by
// --retry-failed (after a backend fix); a retry that agrees clears the flag. The flag is the measurement's
// own: a retry that timed out (its failure row replacing the 'disagreement' one) must stay retryable.
TEST(StudyRun, RetryFailedRedoesDisagreeingMeasurements) {
  ScratchDir dir;
  const std::string spec = dir.write("spec.toml", k_spec);
  const std::string db_path = dir.file("r.sqlite");
  ASSERT_EQ(formbench(fmt::format("study run {} --db {}", spec, db_path)), 0);
  std::string flagged;
  {
    Db db(db_path, false);
    flagged = sql_text(db, "SELECT point_id FROM measurements ORDER BY point_id LIMIT 1");
    db.exec("UPDATE measurements SET agreement_passed = 0 WHERE point_id = '" + flagged + "'");
    db.exec("INSERT INTO failures(point_id, machine_id, finished_at, kind, reason) VALUES ('" + flagged +
            "', 1, '2026-01-01T00:00:00Z', 'timeout', 'a retry of the disagreeing point timed out (injected)')");
  }
  ASSERT_EQ(formbench(fmt::format("study run {} --db {}", spec, db_path), "/dev/null", dir.file("err1.txt")), 0);
  EXPECT_NE(read_text(dir.file("err1.txt")).find("6 already done, 0 to run"), std::string::npos)
      << read_text(dir.file("err1.txt"));
  ASSERT_EQ(formbench(fmt::format("study run {} --db {} --retry-failed", spec, db_path), "/dev/null", dir.file("err2.txt")), 0);
  EXPECT_NE(read_text(dir.file("err2.txt")).find("5 already done, 1 to run"), std::string::npos)
      << read_text(dir.file("err2.txt"));
  Db db(db_path, false);
  EXPECT_EQ(sql_int(db, "SELECT count(*) FROM failures"), 0);
  EXPECT_EQ(sql_int(db, "SELECT agreement_passed FROM measurements WHERE point_id = '" + flagged + "'"), 1);
}

// explain = true: the first process of each point profiles both backends per layer; the accelerated point
// keeps the attribution of its speedup (parts that add up to its gain), both keep their profiles, and the
// report draws where the speedup comes from.
TEST(StudyRun, ExplainRecordsWhereEachSpeedupComesFrom) {
  ScratchDir dir;
  const std::string spec = dir.write("explain.toml", R"(
name = "explain-test"
backend = ["torch", "onednn"]
threads = 1
[measure]
warmup = 1
warmup_ms = 0
repetitions = 3
min_time_ms = 0
ceilings = false
check = true
processes = 2
explain = true
[[models]]
model = "test_tiny"
resolution = 16
)");
  const std::string db_path = dir.file("e.sqlite");
  ASSERT_EQ(formbench(fmt::format("study run {} --db {}", spec, db_path)), 0);
  Db db(db_path, false);
  const nlohmann::json on = nlohmann::json::parse(sql_text(
      db, "SELECT m.result_json FROM measurements m JOIN points p ON p.id = m.point_id WHERE p.backend = 'onednn'"));
  const nlohmann::json torch = nlohmann::json::parse(sql_text(
      db, "SELECT m.result_json FROM measurements m JOIN points p ON p.id = m.point_id WHERE p.backend = 'torch'"));
  ASSERT_TRUE(on["attribution"].is_object()) << on.dump().substr(0, 2000);
  const nlohmann::json& a = on["attribution"];
  double sum = 0;
  for (const auto& [part, ms] : a["parts_ms"].items()) sum += ms.get<double>();
  EXPECT_NEAR(sum, a["gain_ms"].get<double>(), 1e-9);
  EXPECT_EQ(a["native"], "torch");
  EXPECT_TRUE(torch.value("attribution", nlohmann::json()).is_null());
  // The profiles are in their own table, one row per step, with the nodes each computes; not in result_json.
  EXPECT_FALSE(on.contains("layers"));
  EXPECT_GT(sql_int(db, "SELECT count(*) FROM layers l JOIN points p ON p.id = l.point_id WHERE p.backend = 'torch'"), 0);
  EXPECT_EQ(sql_int(db, "SELECT count(*) FROM layers l JOIN points p ON p.id = l.point_id "
                        "WHERE p.backend = 'onednn' AND l.kind = 'compute' AND l.nodes_json = '[]'"), 0);
  EXPECT_EQ(sql_int(db, "SELECT count(*) FROM layers WHERE kind = 'overhead'"), 2);  // one per backend
  // merge carries each profile with its measurement
  ASSERT_EQ(formbench(fmt::format("study merge {} -o {}", db_path, dir.file("m.sqlite"))), 0);
  Db merged(dir.file("m.sqlite"), false);
  EXPECT_EQ(sql_int(merged, "SELECT count(*) FROM layers"), sql_int(db, "SELECT count(*) FROM layers"));
  ASSERT_EQ(formbench(fmt::format("report {} -o {}", db_path, dir.file("report"))), 0);
  const std::string html = read_text(dir.file("report/index.html"));
  EXPECT_NE(html.find("Zoo networks: where the speedup comes from"), std::string::npos);
  EXPECT_NE(html.find("passes eliminated by fusion"), std::string::npos);
  // and reads the profiles back from the table: the roofline has its layers
  EXPECT_NE(html.find("triangles: layers"), std::string::npos);
}

TEST(StudyRun, ShardsMergeToTheUnshardedSet) {
  ScratchDir dir;
  const std::string spec = dir.write("s.toml", k_spec);
  for (const char* shard : {"1/2", "2/2"})
    ASSERT_EQ(formbench(fmt::format("study run {} --db {} --shard {}", spec, dir.file(std::string("s") + shard[0] + ".sqlite"), shard)), 0);
  ASSERT_EQ(formbench(fmt::format("study run {} --db {}", spec, dir.file("full.sqlite"))), 0);
  ASSERT_EQ(formbench(fmt::format("study merge {} {} -o {}", dir.file("s1.sqlite"), dir.file("s2.sqlite"), dir.file("all.sqlite"))), 0);
  Db s1(dir.file("s1.sqlite"), false), s2(dir.file("s2.sqlite"), false), all(dir.file("all.sqlite"), false),
      full(dir.file("full.sqlite"), false);
  const auto a = sql_set(s1, "SELECT point_id FROM measurements"), b = sql_set(s2, "SELECT point_id FROM measurements");
  // One backend: every point is its own comparison group; shard 1/2 takes groups 0, 2, 4.
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(b.size(), 3u);
  for (const auto& id : a) EXPECT_EQ(b.count(id), 0u);
  EXPECT_EQ(sql_set(all, "SELECT point_id FROM measurements"), sql_set(full, "SELECT point_id FROM measurements"));
  EXPECT_EQ(sql_set(all, "SELECT id || seq || model || threads FROM points"), sql_set(full, "SELECT id || seq || model || threads FROM points"));
  EXPECT_EQ(sql_int(all, "SELECT count(*) FROM measurements"), 6);
  EXPECT_EQ(sql_text(all, "PRAGMA integrity_check"), "ok");
  // Export: one CSV row per point.
  ASSERT_EQ(formbench(fmt::format("study export {} --csv -o {}", dir.file("all.sqlite"), dir.file("all.csv"))), 0);
  const std::string csv = read_text(dir.file("all.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
}

TEST(StudyCli, PlanPrintsPointsCountAndEstimate) {
  ScratchDir dir;
  const std::string spec = dir.write("s.toml", k_spec);
  ASSERT_EQ(formbench("study plan " + spec, dir.file("out.txt")), 0);
  const std::string out = read_text(dir.file("out.txt"));
  EXPECT_NE(out.find("test_tiny?res=8"), std::string::npos) << out;
  EXPECT_NE(out.find("test_tiny?res=16"), std::string::npos) << out;
  EXPECT_NE(out.find("study 'runner-test': 6 points, estimated run time "), std::string::npos) << out;
  ASSERT_EQ(formbench("study plan --shard 2/3 " + spec, dir.file("out2.txt")), 0);
  EXPECT_NE(read_text(dir.file("out2.txt")).find("2 points in shard 2/3"), std::string::npos);
  // Bad input: exit 1 and one line naming the culprit.
  const std::string bad = dir.write("bad.toml", std::string(k_spec) + "[[patterns]]\npattern = \"plain\"\nwidth = 8\ndepth = \"0..4\"\n");
  EXPECT_EQ(formbench("study plan " + bad, "/dev/null", dir.file("err.txt")), 1);
  EXPECT_EQ(read_text(dir.file("err.txt")),
            "formbench: error: " + bad + ": patterns[0].depth: expected a positive integer, a list of positive integers or "
            "a range \"1..32\" (line 19)\n");
  EXPECT_EQ(formbench("study plan --shard 4/3 " + spec, "/dev/null", dir.file("err2.txt")), 1);
  EXPECT_NE(read_text(dir.file("err2.txt")).find("--shard '4/3': expected i/N with 1 <= i <= N"), std::string::npos);
  EXPECT_EQ(formbench("study export " + dir.file("missing.sqlite") + " --csv", "/dev/null", dir.file("err3.txt")), 1);
  EXPECT_NE(read_text(dir.file("err3.txt")).find("cannot open database"), std::string::npos) << read_text(dir.file("err3.txt"));
}

}  // namespace
}  // namespace fb::study
