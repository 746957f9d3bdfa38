// A study point measured in k processes, end to end through the CLI, with deterministic process-level noise
// from the test-only backends test_noisy (reference + 30 ms sleep) and test_noisy_fast (+ 15 ms), both slowed
// alike in the processes that $FORMBENCH_TEST_NOISE names. No assertion rests on how fast a real kernel is.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/file_lock.h"
#include "measure/machine.h"

#include "study/sqlite_db.h"
#include "study/store.h"
#include "study_test_util.h"

namespace fb::study {
namespace {

using testing::formbench;
using testing::read_text;
using testing::ScratchDir;

constexpr const char* k_spec = R"(
name = "noisy"
backend = ["test_noisy", "test_noisy_fast"]
threads = 1
[measure]
warmup = 1
warmup_ms = 0
repetitions = 6
min_time_ms = 0
block = 2
processes = 3
max_processes = 5
check = false
max_preemptions_per_thread_s = 1e9  # the injected noise is the test's; the machine's load is not
ceilings = false
counters = false
[[models]]
model = "test_tiny"
resolution = 8
)";

struct Row {
  std::string backend, unstable, native_point_id, id;
  int64_t processes = 0, remeasured = -1;
  std::optional<double> speedup, low, high;
};

std::map<std::string, Row> rows(const std::string& db_path) {
  Db db(db_path, false);
  std::map<std::string, Row> out;
  Stmt q(db, "SELECT p.backend, m.unstable, m.native_point_id, p.id, m.processes, m.remeasured, m.speedup,"
             " m.speedup_ci95_low, m.speedup_ci95_high FROM measurements m JOIN points p ON p.id = m.point_id");
  while (q.step()) {
    Row r;
    r.backend = q.text(0);
    r.unstable = q.is_null(1) ? "" : q.text(1);
    r.native_point_id = q.is_null(2) ? "" : q.text(2);
    r.id = q.text(3);
    r.processes = q.int64(4);
    r.remeasured = q.int64(5);
    if (!q.is_null(6)) r.speedup = q.real(6);
    if (!q.is_null(7)) r.low = q.real(7);
    if (!q.is_null(8)) r.high = q.real(8);
    out[r.backend] = r;
  }
  return out;
}

std::string run_with_noise(const ScratchDir& dir, const std::string& noise, const std::string& db_path,
                           const std::string& fast_noise = "1") {
  const std::string spec = dir.write("noisy.toml", k_spec);
  const std::string counter = dir.file("counter-" + noise + "-" + fast_noise);
  const std::string env = fmt::format("FORMBENCH_TEST_NOISE={} FORMBENCH_TEST_NOISE_FAST={} FORMBENCH_TEST_NOISE_FILE={} "
                                      "FORMBENCH_MEASUREMENT_LOCK={}",
                                      noise, fast_noise, counter, dir.file("measure.lock"));
  EXPECT_EQ(formbench(fmt::format("study run {} --db {}", spec, db_path), "/dev/null", dir.file("err.txt"), env), 0)
      << read_text(dir.file("err.txt"));
  return read_text(counter);
}

TEST(StudyProcesses, PairingCancelsProcessNoiseAndAWideLatencyGetsProcessesButNoFlag) {
  ScratchDir dir;
  // The second and fifth processes run 1.6x slower: the latencies' two-level CIs stay wider than +-25%, so
  // the runner adds processes up to the limit of 5; the paired speedup stays 2 and no process was disturbed,
  // so the point is not flagged: its latency CI says how far the machine drifted.
  const std::string db_path = dir.file("noisy.sqlite");
  EXPECT_EQ(run_with_noise(dir, "1,1.6,1,1,1.6", db_path), "5\n");
  auto r = rows(db_path);
  ASSERT_EQ(r.size(), 2u);
  const Row& native = r["test_noisy"];
  const Row& fast = r["test_noisy_fast"];
  EXPECT_EQ(native.processes, 5);
  EXPECT_EQ(native.remeasured, 2);
  EXPECT_EQ(native.unstable, "") << native.unstable;
  EXPECT_EQ(fast.unstable, "") << fast.unstable;
  EXPECT_FALSE(native.speedup.has_value());
  EXPECT_EQ(fast.native_point_id, native.id);
  ASSERT_TRUE(fast.speedup && fast.low && fast.high);
  EXPECT_GT(*fast.speedup, 1.8);
  EXPECT_LT(*fast.speedup, 2.1);
  EXPECT_GT(*fast.low, 1.7);
  EXPECT_LT(*fast.high, 2.2);
  // Process-level noise reaches the latency interval: it spans the slow processes' level.
  Db db(db_path, false);
  Stmt q(db, "SELECT m.ci95_high_ms / m.median_ms FROM measurements m JOIN points p ON p.id = m.point_id"
             " WHERE p.backend = 'test_noisy'");
  ASSERT_TRUE(q.step());
  EXPECT_GT(q.real(0), 1.3);
}

TEST(StudyProcesses, ASpeedupWhoseProcessesDisagreeIsFlaggedUnstable) {
  ScratchDir dir;
  // The accelerated backend alone runs 1.4x slower in the second and fifth processes: the paired ratio is 2
  // in three processes and 2 / 1.4 = 1.43 in two. Its CI stays wider than +-5% after 5 processes: the point
  // (both backends) is flagged with the reason, and the latency of the native backend is unaffected.
  const std::string db_path = dir.file("split.sqlite");
  EXPECT_EQ(run_with_noise(dir, "1", db_path, "1,1.4,1,1,1.4"), "5\n");
  auto r = rows(db_path);
  ASSERT_EQ(r.size(), 2u);
  const Row& native = r["test_noisy"];
  const Row& fast = r["test_noisy_fast"];
  EXPECT_EQ(fast.processes, 5);
  EXPECT_EQ(fast.remeasured, 2);
  EXPECT_NE(fast.unstable.find("test_noisy_fast: speedup"), std::string::npos) << fast.unstable;
  EXPECT_EQ(native.unstable, fast.unstable);
  ASSERT_TRUE(fast.speedup && fast.low && fast.high);
  // The median over processes keeps the majority's 2 (less the runs' fixed overhead: 1.80 under ASan), far
  // from the slow processes' 1.43.
  EXPECT_GT(*fast.speedup, 1.7);
  EXPECT_LT(*fast.low, 2 / 1.3);  // and the CI reaches down to the slow processes' level
}

TEST(StudyProcesses, CalmProcessesNeedNoMoreAndRecheckCoverageIsRecorded) {
  ScratchDir dir;
  const std::string db_path = dir.file("calm.sqlite");
  EXPECT_EQ(run_with_noise(dir, "1", db_path), "3\n");
  auto r = rows(db_path);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r["test_noisy"].processes, 3);
  EXPECT_EQ(r["test_noisy"].remeasured, 0);
  EXPECT_EQ(r["test_noisy"].unstable, "") << r["test_noisy"].unstable;
  {
    Db db(db_path, false);
    Stmt kept(db, "SELECT count(*) FROM process_results");
    ASSERT_TRUE(kept.step());
    EXPECT_EQ(kept.int64(0), 0);  // a recorded group leaves no process behind
  }
  // A/A: rerun the one group; the stored verdicts agree with the first run's intervals.
  EXPECT_EQ(formbench("study recheck " + db_path + " --sample 5", dir.file("out.txt"), dir.file("err2.txt"),
                      "FORMBENCH_MEASUREMENT_LOCK=" + dir.file("measure.lock")),
            0)
      << read_text(dir.file("err2.txt"));
  EXPECT_NE(read_text(dir.file("out.txt")).find("recheck of 1 groups:"), std::string::npos) << read_text(dir.file("out.txt"));
  Db db(db_path, false);
  Stmt q(db, "SELECT count(*), sum(c.median_inside = (c.median_ms BETWEEN m.ci95_low_ms AND m.ci95_high_ms)),"
             " sum(c.speedup IS NOT NULL), sum(c.speedup_inside = (c.speedup BETWEEN m.speedup_ci95_low AND m.speedup_ci95_high)),"
             " sum(c.median_inside_rerun >= c.median_inside), sum(c.speedup_inside_rerun >= c.speedup_inside)"
             " FROM rechecks c JOIN measurements m USING(point_id)");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int64(0), 2);
  EXPECT_EQ(q.int64(1), 2);
  EXPECT_EQ(q.int64(2), 1);
  EXPECT_EQ(q.int64(3), 1);
  // The rerun interval contains the CI: every verdict recorded, none inside the CI but outside it.
  EXPECT_EQ(q.int64(4), 2);
  EXPECT_EQ(q.int64(5), 1);
}

TEST(StudyProcesses, OneRunPerDatabaseAndTheMeasurementLockIsRespected) {
  ScratchDir dir;
  const std::string db_path = dir.file("busy.sqlite");
  dir.write("s.toml", k_spec);
  // Another study run holds the database: a second one names it and exits before measuring anything.
  {
    auto held = FileLock::try_acquire(db_path + ".lock");
    ASSERT_TRUE(held.has_value());
    held->write_holder("pid 4242: formbench study run other.toml");
    EXPECT_EQ(formbench(fmt::format("study run {} --db {}", dir.file("s.toml"), db_path), "/dev/null", dir.file("e1.txt")), 1);
    EXPECT_NE(read_text(dir.file("e1.txt")).find("in use by another study run (pid 4242: formbench study run other.toml)"),
              std::string::npos)
        << read_text(dir.file("e1.txt"));
  }
  // Another measurement holds the machine: --lock refuse says who and measures nothing.
  const std::string lock_path = dir.file("measure.lock");
  auto held = FileLock::try_acquire(lock_path);
  ASSERT_TRUE(held.has_value());
  held->write_holder("pid 4343: formbench bench resnet18");
  const std::string env = "FORMBENCH_MEASUREMENT_LOCK=" + lock_path;
  EXPECT_EQ(formbench("bench test_tiny --backend reference --lock refuse --min-time 0", "/dev/null", dir.file("e2.txt"), env),
            1);
  EXPECT_NE(read_text(dir.file("e2.txt")).find("another measurement is running on this machine (pid 4343: formbench bench resnet18)"),
            std::string::npos)
      << read_text(dir.file("e2.txt"));
  // --lock ignore measures and records that it ran beside another measurement.
  EXPECT_EQ(formbench("bench test_tiny --backend reference --lock ignore --min-time 0 --no-ceilings --json",
                      dir.file("o3.json"), "/dev/null", env),
            0);
  const nlohmann::json j = nlohmann::json::parse(read_text(dir.file("o3.json")));
  EXPECT_EQ(j["beside_other_measurement"], true);
}

// threads = "cores" means the cores a cluster task was granted (--cores), not the cores of the machine that
// rechecks: recheck finds the value from the database, and refuses to rerun more threads than it has CPUs.
TEST(StudyProcesses, RecheckExpandsCoresAsTheStudyMeasuredThem) {
  ScratchDir dir;
  std::string text = k_spec;
  text.replace(text.find("threads = 1"), 11, "threads = \"cores\"");
  const std::string spec = dir.write("cores.toml", text);
  const std::string env = "FORMBENCH_MEASUREMENT_LOCK=" + dir.file("measure.lock");
  const std::string db_path = dir.file("cores.sqlite");
  ASSERT_EQ(formbench(fmt::format("study run {} --db {} --cores 1", spec, db_path), "/dev/null", dir.file("e1.txt"), env), 0)
      << read_text(dir.file("e1.txt"));
  EXPECT_EQ(formbench("study recheck " + db_path, dir.file("o2.txt"), dir.file("e2.txt"), env), 0)
      << read_text(dir.file("e2.txt"));
  EXPECT_NE(read_text(dir.file("o2.txt")).find("recheck of 1 groups:"), std::string::npos) << read_text(dir.file("o2.txt"));
  // Told a value under which nothing was measured: the one-line error says so.
  EXPECT_EQ(formbench("study recheck " + db_path + " --cores 7", "/dev/null", dir.file("e3.txt"), env), 1);
  EXPECT_EQ(read_text(dir.file("e3.txt")),
            fmt::format("formbench: error: '{}' has no fully measured point to recheck "
                        "(threads = \"cores\" taken as 7)\n",
                        db_path));

  // Measured with one thread more than this machine has CPUs (a bigger cluster node): not rerun here.
  const int more = measure::collect_machine_facts().logical_cpus + 1;
  const std::string big = dir.file("big.sqlite");
  ASSERT_EQ(formbench(fmt::format("study run {} --db {} --cores {}", spec, big, more), "/dev/null", dir.file("e4.txt"), env), 0)
      << read_text(dir.file("e4.txt"));
  EXPECT_EQ(formbench("study recheck " + big, "/dev/null", dir.file("e5.txt"), env), 1);
  EXPECT_NE(read_text(dir.file("e5.txt")).find(fmt::format("was measured with {} threads and this machine has {} CPUs", more,
                                                            more - 1)),
            std::string::npos)
      << read_text(dir.file("e5.txt"));
}

}  // namespace
}  // namespace fb::study

namespace fb::study {
namespace {

// A run killed after a group's last process but before the group was recorded: the next run records the
// group from the kept processes and measures nothing again.
TEST(StudyProcesses, KeptProcessesOfAKilledRunAreUsedOnResume) {
  ScratchDir dir;
  const std::string spec = dir.write("noisy.toml", k_spec);
  const std::string db_path = dir.file("resume.sqlite");
  ASSERT_EQ(formbench("study plan --json " + spec, dir.file("plan.json")), 0);
  const nlohmann::json plan = nlohmann::json::parse(read_text(dir.file("plan.json")));
  ASSERT_EQ(plan["points"].size(), 2u);
  const std::string key = plan["points"][0]["id"].get<std::string>() + "," + plan["points"][1]["id"].get<std::string>();
  std::string args;
  for (const auto& a : plan["points"][0]["measure_args"]) args += " '" + a.get<std::string>() + "'";
  {
    Store store(db_path);
    for (int i = 0; i < 3; ++i) {  // what passes 1 to 3 of the killed run had kept
      ASSERT_EQ(formbench(args, dir.file("p.json")), 0);
      store.record_process(key, i, nlohmann::json::parse(read_text(dir.file("p.json"))));
    }
  }
  const std::string counter = dir.file("counter");
  const std::string env = fmt::format("FORMBENCH_TEST_NOISE=1 FORMBENCH_TEST_NOISE_FILE={} FORMBENCH_MEASUREMENT_LOCK={}",
                                      counter, dir.file("measure.lock"));
  ASSERT_EQ(formbench(fmt::format("study run {} --db {}", spec, db_path), "/dev/null", dir.file("err.txt"), env), 0)
      << read_text(dir.file("err.txt"));
  const auto r = rows(db_path);
  ASSERT_EQ(r.size(), 2u) << read_text(dir.file("err.txt"));
  EXPECT_GE(r.at("test_noisy").processes, 3);
  // Only the stability rule may have added processes: the three kept ones were not measured again.
  const std::string added = read_text(counter);
  EXPECT_EQ(r.at("test_noisy").processes, 3 + (added.empty() ? 0 : std::stoi(added)));
  EXPECT_EQ(r.at("test_noisy").remeasured, added.empty() ? 0 : std::stoi(added));
  Db db(db_path, false);
  Stmt kept(db, "SELECT count(*) FROM process_results");
  ASSERT_TRUE(kept.step());
  EXPECT_EQ(kept.int64(0), 0);
}

}  // namespace
}  // namespace fb::study
