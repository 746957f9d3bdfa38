// `study submit --slurm` and `study status` through the CLI: first the checks made before anything is
// submitted and the dry run (no Slurm needed), then end to end against a real Slurm that each test starts on
// loopback with scripts/slurm_local.sh (its own directory, ports, key and daemons, so tests may run in parallel).
// The studies use the test-only backends and the three-layer test model: seconds per shard.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "study/progress_file.h"
#include "study/sqlite_db.h"
#include "study_test_util.h"

namespace fb::study {
namespace {

using testing::formbench;
using testing::read_text;
using testing::ScratchDir;

// Four comparison groups (resolutions) of two backends each.
std::string spec_text(int min_time_ms) {
  return fmt::format(R"(name = "tiny"
backend = ["test_noisy", "test_noisy_fast"]
threads = 1
[measure]
warmup = 1
warmup_ms = 0
repetitions = 4
min_time_ms = {}
block = 2
processes = 2
max_processes = 2
check = false
max_preemptions_per_thread_s = 1e9
ceilings = false
counters = false
[[models]]
model = "test_tiny"
resolution = [8, 12, 16, 20]
)",
                     min_time_ms);
}

int sh(const std::string& cmd, const std::string& out = "/dev/null") {
  const int st = std::system((cmd + " > " + out + " 2>&1").c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

TEST(StudySubmit, DryRunPrintsTheScriptsAndCommandsAndIsStable) {
  ScratchDir dir;
  const std::string spec = dir.write("tiny.toml", spec_text(0));
  const std::string cmd = fmt::format("study submit {} --dir {} --slurm --shards 3 --partition debug --time 00:30:00 "
                                      "--sbatch-arg=--constraint=skylake --dry-run",
                                      spec, dir.file("study"));
  // No Slurm needed: the dry run neither looks for sbatch nor writes anything.
  ASSERT_EQ(formbench(cmd, dir.file("out1.txt"), dir.file("err1.txt"), "PATH=/nonexistent"), 0) << read_text(dir.file("err1.txt"));
  ASSERT_EQ(formbench(cmd, dir.file("out2.txt"), dir.file("err2.txt"), "PATH=/nonexistent"), 0);
  EXPECT_EQ(read_text(dir.file("out1.txt")), read_text(dir.file("out2.txt")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("study")));
  const std::string expected = R"(# DIR/slurm/shards.sbatch
#!/bin/bash
# formbench study 'tiny': one shard of 3 per array task, each into its own database in the study
# directory (written by `formbench study submit`; docs/cluster.md).
#SBATCH --job-name=fb-tiny
#SBATCH --partition=debug
#SBATCH --time=00:30:00
#SBATCH --output=DIR/logs/shard-%a-job%A.out
#SBATCH --constraint=skylake
#SBATCH --array=1-3
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --hint=nomultithread
set -eu
# Whole cores (one thread per core); tasks that share a node take turns through its measurement lock.
exec EXE study run DIR/study.toml --db DIR/shard-"$SLURM_ARRAY_TASK_ID"-of-3.sqlite --shard "$SLURM_ARRAY_TASK_ID"/3 --no-progress --progress-file DIR/shard-"$SLURM_ARRAY_TASK_ID"-of-3.progress.json

# DIR/slurm/merge.sbatch
#!/bin/bash
# formbench study 'tiny': after every array task has ended (done, failed or cancelled), the status of
# each shard, the merged database and the report (written by `formbench study submit`).
#SBATCH --job-name=fb-tiny-merge
#SBATCH --partition=debug
#SBATCH --time=00:30:00
#SBATCH --output=DIR/logs/merge-job%j.out
#SBATCH --constraint=skylake
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
set -u
fb=EXE
dir=DIR
"$fb" study status "$dir" > "$dir/status.txt"  # every shard: done, failed, pending
cat "$dir/status.txt"
shopt -s nullglob
dbs=("$dir"/shard-*-of-3.sqlite)
[ ${#dbs[@]} -gt 0 ] || { echo "formbench: no shard database in $dir" >&2; exit 1; }
rm -f "$dir/merged.sqlite" "$dir/merged.sqlite-wal" "$dir/merged.sqlite-shm"
"$fb" study merge "${dbs[@]}" -o "$dir/merged.sqlite" || exit 1
"$fb" report "$dir/merged.sqlite" -o "$dir/report"

# the commands (dry run: nothing was written or submitted)
sbatch --parsable DIR/slurm/shards.sbatch
sbatch --parsable --dependency=afterany:ARRAY_JOB_ID DIR/slurm/merge.sbatch
)";
  const std::string exe = std::filesystem::canonical(FORMBENCH_CLI_PATH).string();
  EXPECT_EQ(read_text(dir.file("out1.txt")),
            replace_all(replace_all(expected, "DIR", dir.file("study")), "EXE", exe));
}

TEST(StudySubmit, ClearErrorsBeforeAnythingIsSubmitted) {
  ScratchDir dir;
  const std::string spec = dir.write("tiny.toml", spec_text(0));
  auto error_of = [&](const std::string& args, const std::string& env = "") {
    EXPECT_EQ(formbench("study submit " + args, "/dev/null", dir.file("err.txt"), env), 1) << args;
    return read_text(dir.file("err.txt"));
  };
  // Threads that do not fit the cores granted.
  const std::string wide = dir.write("wide.toml", replace_all(spec_text(0), "threads = 1", "threads = [1, 2]"));
  EXPECT_EQ(error_of(wide + " --dir " + dir.file("w") + " --slurm --cpus-per-task 1 --dry-run"),
            "formbench: error: study submit: test_tiny?res=8 test_noisy t=2 b=1 asks for 2 threads, but a task gets 1 "
            "cores (--cpus-per-task 1): give --cpus-per-task 2 or more, so that every thread has a core of its own\n");
  // threads = "cores" needs to know the cores a task gets.
  const std::string cores = dir.write("cores.toml", replace_all(spec_text(0), "threads = 1", "threads = \"cores\""));
  EXPECT_EQ(error_of(cores + " --dir " + dir.file("c") + " --slurm --dry-run"),
            "formbench: error: study submit: " + cores +
                " asks for threads = \"cores\": give --cpus-per-task C (the whole cores each task gets; \"cores\" then "
                "means C)\n");
  EXPECT_EQ(error_of(spec + " --dir " + dir.file("t") + " --slurm --time 2h --dry-run"),
            "formbench: error: study submit: --time '2h': expected HH:MM:SS (or MM, MM:SS, D-HH, D-HH:MM, D-HH:MM:SS), "
            "e.g. 02:00:00\n");
  EXPECT_EQ(error_of(spec + " --dir " + dir.file("s") + " --slurm --shards 5 --dry-run"),
            "formbench: error: study submit: --shards 5: the study has 4 comparison groups and a shard holds whole "
            "groups: at most 4 shards\n");
  EXPECT_EQ(error_of(spec + " --dir " + dir.file("a") + " --slurm --sbatch-arg=--array=1-2 --dry-run"),
            "formbench: error: study submit: --sbatch-arg '--array=1-2': formbench sets --array itself\n");
  EXPECT_EQ(error_of(spec + " --dir " + dir.file("p") + " --slurm", "PATH=/nonexistent"),
            "formbench: error: study submit: sbatch is not on PATH: submit from a machine of the Slurm cluster "
            "(--dry-run prints the scripts)\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("p")));
}

// A Slurm cluster of one node on loopback for the test, started by scripts/slurm_local.sh and stopped after it.
class SlurmCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string script = std::string(FORMBENCH_SOURCE_DIR) + "/scripts/slurm_local.sh";
    const int rc = sh(script + " start " + dir_.file("slurm"), dir_.file("slurm_start.txt"));
    if (rc == 3) GTEST_SKIP() << read_text(dir_.file("slurm_start.txt"));  // slurm-wlm or munge missing
    ASSERT_EQ(rc, 0) << read_text(dir_.file("slurm_start.txt"));
    started_ = true;
    env_ = fmt::format("SLURM_CONF={}/slurm.conf FORMBENCH_MEASUREMENT_LOCK={}", dir_.file("slurm"), dir_.file("measure.lock"));
  }
  void TearDown() override {
    if (started_) sh(std::string(FORMBENCH_SOURCE_DIR) + "/scripts/slurm_local.sh stop " + dir_.file("slurm"));
  }

  int submit(const std::string& args, const std::string& err) {
    return formbench("study submit " + args, "/dev/null", err, env_);
  }
  nlohmann::json status(const std::string& study_dir) {
    EXPECT_EQ(formbench("study status --json " + study_dir, dir_.file("status.json"), dir_.file("status_err.txt"), env_), 0)
        << read_text(dir_.file("status_err.txt"));
    return nlohmann::json::parse(read_text(dir_.file("status.json")));
  }
  static bool live(const std::string& state) { return state.empty() || state == "PENDING" || state == "RUNNING" ||
                                                      state == "CONFIGURING" || state == "COMPLETING"; }
  // Waits until every task of the last submission and its merge job have ended; returns the status.
  nlohmann::json wait_until_ended(const std::string& study_dir, double limit_s = 300) {
    const auto start = std::chrono::steady_clock::now();
    nlohmann::json s;
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < limit_s) {
      s = status(study_dir);
      bool busy = live(s["merge_state"]);
      for (const auto& x : s["shard"]) busy = busy || (!x["job"].get<std::string>().empty() && live(x["state"]));
      if (!busy) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ADD_FAILURE() << "the jobs did not end within " << limit_s << " s: " << s.dump(2);
    return s;
  }
  std::string squeue() {
    sh(env_ + " squeue -h -o %i", dir_.file("squeue.txt"));
    return read_text(dir_.file("squeue.txt"));
  }

  ScratchDir dir_;
  std::string env_;
  bool started_ = false;
};

// Point id -> measurements of it, over the whole database; and its integrity check.
std::map<std::string, int> measurements_per_point(const std::string& db_path, std::string* integrity = nullptr) {
  Db db(db_path, false);
  std::map<std::string, int> out;
  Stmt q(db, "SELECT p.id, count(m.point_id) FROM points p LEFT JOIN measurements m ON m.point_id = p.id GROUP BY p.id");
  while (q.step()) out[q.text(0)] = static_cast<int>(q.int64(1));
  if (integrity) {
    Stmt c(db, "PRAGMA integrity_check");
    c.step();
    *integrity = c.text(0);
  }
  return out;
}

TEST_F(SlurmCluster, FourArrayTasksMergeIntoExactlyThePointsOfALocalRun) {
  const std::string spec = dir_.write("tiny.toml", spec_text(0));
  const std::string local = dir_.file("local.sqlite");
  ASSERT_EQ(formbench(fmt::format("study run {} --db {}", spec, local), "/dev/null", dir_.file("local.txt"), env_), 0)
      << read_text(dir_.file("local.txt"));

  const std::string study = dir_.file("study");
  ASSERT_EQ(submit(fmt::format("{} --dir {} --slurm --shards 4 --partition debug --time 00:10:00", spec, study),
                   dir_.file("submit.txt")),
            0)
      << read_text(dir_.file("submit.txt"));
  EXPECT_NE(read_text(dir_.file("submit.txt")).find("runs shards 1-4 of 4 (8 points to go"), std::string::npos)
      << read_text(dir_.file("submit.txt"));
  const nlohmann::json s = wait_until_ended(study);
  for (const auto& x : s["shard"]) {
    EXPECT_EQ(x["points"], 2) << x.dump();
    EXPECT_EQ(x["done"], 2) << x.dump();
    EXPECT_EQ(x["pending"], 0) << x.dump();
    EXPECT_EQ(x["state"], "COMPLETED") << x.dump();
  }
  EXPECT_EQ(s["eta_s"], nullptr);
  // Every task kept its progress file: the speed it ran at against the plan's estimate.
  EXPECT_TRUE(s["speed_factor"].is_number()) << s.dump();
  for (int i = 1; i <= 4; ++i) {
    const std::optional<ProgressFile> f = read_progress_file(fmt::format("{}/shard-{}-of-4.progress.json", study, i));
    ASSERT_TRUE(f.has_value()) << i;
    EXPECT_EQ(f->done, f->todo) << i;
    EXPECT_GT(f->estimate_done_s, 0) << i;
  }
  EXPECT_TRUE(std::filesystem::exists(study + "/status.txt"));
  ASSERT_TRUE(s["merged"].get<bool>()) << read_text(study + "/status.txt");

  std::string integrity;
  const auto merged = measurements_per_point(study + "/merged.sqlite", &integrity);
  const auto here = measurements_per_point(local);
  EXPECT_EQ(integrity, "ok");
  ASSERT_EQ(here.size(), 8u);
  EXPECT_EQ(merged.size(), here.size());
  for (const auto& [id, n] : here) {
    EXPECT_EQ(n, 1) << id;
    EXPECT_EQ(merged.count(id) ? merged.at(id) : -1, 1) << id << ": measured once in the merged database";
  }
  // Nothing is left to do: submitting again says so and submits nothing.
  ASSERT_EQ(submit(fmt::format("{} --dir {} --slurm", spec, study), dir_.file("again.txt")), 0);
  EXPECT_NE(read_text(dir_.file("again.txt")).find("is done (8 points): nothing to submit"), std::string::npos)
      << read_text(dir_.file("again.txt"));
  EXPECT_EQ(squeue(), "");
}

TEST_F(SlurmCluster, ACancelledTaskIsResubmittedAloneAndCompletesWithoutDuplicates) {
  // Each process times at least 1.5 s: a shard of two groups of two processes runs for 6 s or more.
  const std::string spec = dir_.write("slow.toml", spec_text(1500));
  const std::string study = dir_.file("study");
  ASSERT_EQ(submit(fmt::format("{} --dir {} --slurm --shards 2", spec, study), dir_.file("submit.txt")), 0)
      << read_text(dir_.file("submit.txt"));
  const nlohmann::json subs = nlohmann::json::parse(read_text(study + "/slurm/submissions.json"));
  const std::string job = subs["submissions"][0]["array_job"];
  // Cancel task 1 once it runs (measuring, or waiting for the measurement lock that task 2 holds).
  const auto start = std::chrono::steady_clock::now();
  while (status(study)["shard"][0]["state"] != "RUNNING") {
    ASSERT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 120) << "task 1 never ran";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(sh(env_ + " scancel " + job + "_1"), 0);
  nlohmann::json s = wait_until_ended(study);
  ASSERT_EQ(s["shard"][0]["state"], "CANCELLED") << s.dump(2);
  ASSERT_GT(s["shard"][0]["pending"].get<int>(), 0) << s.dump(2);
  EXPECT_EQ(s["shard"][1]["state"], "COMPLETED") << s.dump(2);
  EXPECT_EQ(s["shard"][1]["pending"], 0) << s.dump(2);

  // Submitting again runs shard 1 only, and it measures only its points not yet done.
  ASSERT_EQ(submit(fmt::format("{} --dir {} --slurm", spec, study), dir_.file("again.txt")), 0)
      << read_text(dir_.file("again.txt"));
  EXPECT_NE(read_text(dir_.file("again.txt")).find("runs shards 1 of 2"), std::string::npos)
      << read_text(dir_.file("again.txt"));
  const nlohmann::json subs2 = nlohmann::json::parse(read_text(study + "/slurm/submissions.json"));
  ASSERT_EQ(subs2["submissions"].size(), 2u);
  EXPECT_EQ(subs2["submissions"][1]["tasks"], nlohmann::json::array({1}));
  s = wait_until_ended(study);
  for (const auto& x : s["shard"]) {
    EXPECT_EQ(x["done"], 4) << x.dump();
    EXPECT_EQ(x["pending"], 0) << x.dump();
  }
  EXPECT_EQ(s["shard"][0]["job"], subs2["submissions"][1]["array_job"].get<std::string>() + "_1");
  ASSERT_TRUE(s["merged"].get<bool>());
  std::string integrity;
  const auto merged = measurements_per_point(study + "/merged.sqlite", &integrity);
  EXPECT_EQ(integrity, "ok");
  ASSERT_EQ(merged.size(), 8u);
  for (const auto& [id, n] : merged) EXPECT_EQ(n, 1) << id;
  // Each shard database holds its own points once.
  for (const char* shard : {"/shard-1-of-2.sqlite", "/shard-2-of-2.sqlite"})
    for (const auto& [id, n] : measurements_per_point(study + shard)) EXPECT_EQ(n, 1) << shard << " " << id;
}

TEST_F(SlurmCluster, RefusedSubmissionsAreOneLineErrorsAndSubmitNothing) {
  const std::string spec = dir_.write("tiny.toml", spec_text(0));
  const std::string study = dir_.file("study");
  EXPECT_EQ(submit(fmt::format("{} --dir {} --slurm --partition nope", spec, study), dir_.file("e1.txt")), 1);
  EXPECT_EQ(read_text(dir_.file("e1.txt")),
            "formbench: error: study submit: sbatch refused the array job: Invalid partition name specified; nothing "
            "was submitted\n");
  // The partition `short` allows 10 minutes.
  EXPECT_EQ(submit(fmt::format("{} --dir {} --slurm --partition short --time 00:20:00", spec, study), dir_.file("e2.txt")), 1);
  EXPECT_EQ(read_text(dir_.file("e2.txt")),
            "formbench: error: study submit: sbatch refused the array job: Requested time limit is invalid (missing or "
            "exceeds some limit); nothing was submitted\n");
  EXPECT_EQ(squeue(), "");
  EXPECT_FALSE(std::filesystem::exists(study + "/slurm/submissions.json"));
  EXPECT_EQ(formbench("study status " + study, "/dev/null", dir_.file("e3.txt"), env_), 1);
  EXPECT_NE(read_text(dir_.file("e3.txt")).find("is not a submitted study directory"), std::string::npos);
}

}  // namespace
}  // namespace fb::study
