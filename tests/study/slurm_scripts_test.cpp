// The Slurm scripts and the readers of sbatch, squeue, sacct and scontrol output, without Slurm: expected texts
// are written out by hand (the outputs below are what Debian 12's Slurm 22.05 prints).
#include <gtest/gtest.h>

#include "core/error.h"
#include "study/progress_file.h"
#include "study/slurm.h"
#include "study/slurm_submit.h"
#include "study_test_util.h"

namespace fb::study::slurm {
namespace {

ScriptParams params() {
  ScriptParams p;
  p.study = "paper full";
  p.exe = "/shared/formbench/build/release/formbench";
  p.dir = "/shared/studies/paper";
  p.shards = 16;
  p.tasks = {1, 2, 3, 5, 16};
  p.cpus_per_task = 8;
  p.cores = 8;
  p.partition = "cpu";
  p.time = "02:00:00";
  p.sbatch_args = {"--constraint=skylake", "--account=ml"};
  return p;
}

TEST(SlurmScripts, ArrayScriptRunsOneShardPerTaskOnWholeCores) {
  EXPECT_EQ(array_script(params()),
            "#!/bin/bash\n"
            "# formbench study 'paper full': one shard of 16 per array task, each into its own database in the study\n"
            "# directory (written by `formbench study submit`; docs/cluster.md).\n"
            "#SBATCH --job-name=fb-paper_full\n"
            "#SBATCH --partition=cpu\n"
            "#SBATCH --time=02:00:00\n"
            "#SBATCH --output=/shared/studies/paper/logs/shard-%a-job%A.out\n"
            "#SBATCH --constraint=skylake\n"
            "#SBATCH --account=ml\n"
            "#SBATCH --array=1-3,5,16\n"
            "#SBATCH --nodes=1\n"
            "#SBATCH --ntasks=1\n"
            "#SBATCH --cpus-per-task=8\n"
            "#SBATCH --hint=nomultithread\n"
            "set -eu\n"
            "# Whole cores (one thread per core); tasks that share a node take turns through its measurement lock.\n"
            "exec /shared/formbench/build/release/formbench study run /shared/studies/paper/study.toml --db "
            "/shared/studies/paper/shard-\"$SLURM_ARRAY_TASK_ID\"-of-16.sqlite --shard \"$SLURM_ARRAY_TASK_ID\"/16 "
            "--cores 8 --no-progress --progress-file "
            "/shared/studies/paper/shard-\"$SLURM_ARRAY_TASK_ID\"-of-16.progress.json\n");
}

TEST(SlurmScripts, MergeScriptWritesTheStatusMergesAndReports) {
  ScriptParams p = params();
  p.partition.clear();
  p.time.clear();
  p.sbatch_args.clear();
  EXPECT_EQ(merge_script(p),
            "#!/bin/bash\n"
            "# formbench study 'paper full': after every array task has ended (done, failed or cancelled), the status of\n"
            "# each shard, the merged database and the report (written by `formbench study submit`).\n"
            "#SBATCH --job-name=fb-paper_full-merge\n"
            "#SBATCH --output=/shared/studies/paper/logs/merge-job%j.out\n"
            "#SBATCH --nodes=1\n"
            "#SBATCH --ntasks=1\n"
            "#SBATCH --cpus-per-task=1\n"
            "set -u\n"
            "fb=/shared/formbench/build/release/formbench\n"
            "dir=/shared/studies/paper\n"
            "\"$fb\" study status \"$dir\" > \"$dir/status.txt\"  # every shard: done, failed, pending\n"
            "cat \"$dir/status.txt\"\n"
            "shopt -s nullglob\n"
            "dbs=(\"$dir\"/shard-*-of-16.sqlite)\n"
            "[ ${#dbs[@]} -gt 0 ] || { echo \"formbench: no shard database in $dir\" >&2; exit 1; }\n"
            "rm -f \"$dir/merged.sqlite\" \"$dir/merged.sqlite-wal\" \"$dir/merged.sqlite-shm\"\n"
            "\"$fb\" study merge \"${dbs[@]}\" -o \"$dir/merged.sqlite\" || exit 1\n"
            "\"$fb\" report \"$dir/merged.sqlite\" -o \"$dir/report\"\n");
}

TEST(SlurmScripts, ArrayListsBothWays) {
  EXPECT_EQ(array_list({1, 2, 3, 4}), "1-4");
  EXPECT_EQ(array_list({1, 3, 5, 6, 7}), "1,3,5-7");
  EXPECT_EQ(array_list({2}), "2");
  EXPECT_EQ(parse_array_list("1,3,5-7"), (std::vector<int>{1, 3, 5, 6, 7}));
  EXPECT_EQ(parse_array_list("4-4"), (std::vector<int>{4}));
  for (const char* bad : {"", "a", "3-1", "1,,2", "-2", "1-"}) EXPECT_THROW(parse_array_list(bad), Error) << bad;
}

TEST(SlurmScripts, TimeLimitsInSbatchForms) {
  for (const char* ok : {"30", "30:00", "02:00:00", "1-00", "1-12:00", "2-00:00:00", "UNLIMITED"})
    EXPECT_EQ(check_time(ok), ok);
  for (const char* bad : {"", "2h", "1:2:3:4", "-1", "02:00:00 ", "1-"}) EXPECT_THROW(check_time(bad), Error) << bad;
  try {
    check_time("2h");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--time '2h': expected HH:MM:SS (or MM, MM:SS, D-HH, D-HH:MM, D-HH:MM:SS), e.g. 02:00:00");
  }
  EXPECT_EQ(parse_duration("1:02"), 62);         // squeue's %M: minutes and seconds
  EXPECT_EQ(parse_duration("01:02:03"), 3723);
  EXPECT_EQ(parse_duration("1-00:00:10"), 86410);
  EXPECT_EQ(parse_duration("0:00"), 0);
  EXPECT_FALSE(parse_duration("INVALID"));
  EXPECT_FALSE(parse_duration("UNLIMITED"));
}

TEST(SlurmScripts, ShellQuoting) {
  EXPECT_EQ(shell_quote("/a/b-c_d.e"), "/a/b-c_d.e");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

TEST(SlurmOutput, SbatchJobIdsAndRefusals) {
  EXPECT_EQ(parse_sbatch_job_id("123\n"), "123");
  EXPECT_EQ(parse_sbatch_job_id("4567;cluster2\n"), "4567");
  EXPECT_THROW(parse_sbatch_job_id(""), Error);
  EXPECT_EQ(sbatch_reason("sbatch: error: invalid partition specified: nope\n"
                          "sbatch: error: Batch job submission failed: Invalid partition name specified\n"),
            "Invalid partition name specified");
  EXPECT_EQ(sbatch_reason("sbatch: error: Batch job submission failed: Requested time limit is invalid (missing or "
                          "exceeds some limit)\n"),
            "Requested time limit is invalid (missing or exceeds some limit)");
  EXPECT_EQ(sbatch_reason("sbatch: error: Unable to contact slurm controller (connect failure)\n"),
            "Unable to contact slurm controller (connect failure)");
}

TEST(SlurmOutput, SqueueOneLinePerTask) {
  const auto t = parse_squeue("12_1|RUNNING|1:02\n12_2|PENDING|0:00\n13|PENDING|0:00\n12_[3-4%2]|PENDING|0:00\n"
                              "garbage\n");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].job, "12");
  EXPECT_EQ(t[0].task, 1);
  EXPECT_EQ(t[0].state, "RUNNING");
  EXPECT_EQ(t[0].elapsed_s, 62);
  EXPECT_EQ(t[2].job, "13");
  EXPECT_EQ(t[2].task, 0);  // a plain job (the merge job)
  EXPECT_EQ(t[3].task, 3);
  EXPECT_EQ(t[4].task, 4);
  EXPECT_EQ(t[4].state, "PENDING");
}

TEST(SlurmOutput, SacctEndedTasks) {
  const auto t = parse_sacct("12_1|COMPLETED|00:00:05\n12_2|CANCELLED by 0|00:00:03\n12_[3-4]|PENDING|00:00:00\n"
                             "13|FAILED|00:00:01\n");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].state, "COMPLETED");
  EXPECT_EQ(t[0].elapsed_s, 5);
  EXPECT_EQ(t[1].state, "CANCELLED");
  EXPECT_EQ(t[2].task, 3);
  EXPECT_EQ(t[3].task, 4);
  EXPECT_EQ(t[4].job, "13");
  EXPECT_EQ(t[4].state, "FAILED");
  EXPECT_TRUE(is_live("PENDING"));
  EXPECT_TRUE(is_live("RUNNING"));
  EXPECT_FALSE(is_live("CANCELLED"));
  EXPECT_FALSE(is_live("COMPLETED"));
  EXPECT_FALSE(is_live(""));
}

TEST(SlurmOutput, ScontrolRemembersEndedJobs) {
  const auto t = parse_scontrol(
      "JobId=1 ArrayJobId=1 ArrayTaskId=4 JobName=fb-tiny UserId=root(0) JobState=COMPLETED Reason=None "
      "RunTime=00:00:02 TimeLimit=1-00:00:00\n"
      "JobId=5 ArrayJobId=1 ArrayTaskId=2-3 JobName=fb-tiny JobState=PENDING Reason=Resources RunTime=00:00:00\n"
      "JobId=6 JobName=fb-tiny-merge JobState=CANCELLED Reason=None RunTime=00:00:01\n");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].job, "1");
  EXPECT_EQ(t[0].task, 4);
  EXPECT_EQ(t[0].state, "COMPLETED");
  EXPECT_EQ(t[0].elapsed_s, 2);
  EXPECT_EQ(t[1].task, 2);
  EXPECT_EQ(t[2].task, 3);
  EXPECT_EQ(t[3].job, "6");
  EXPECT_EQ(t[3].task, 0);
  EXPECT_EQ(t[3].state, "CANCELLED");
}

TEST(SlurmPlan, ShardsOfWholeGroupsStartInOrderAsNodesFreeUp) {
  // Groups of 10, 1, 1, 1, 5 s in 3 shards: {10, 1} {1, 5} {1}; on 2 nodes: 11 on the first, 6 then 1 on the second.
  const ClusterEstimate e = estimate_cluster({10, 1, 1, 1, 5}, 3, 2);
  EXPECT_EQ(e.shard_s, (std::vector<double>{11, 6, 1}));
  EXPECT_EQ(e.longest_s, 11);
  EXPECT_EQ(e.wall_s, 11);
  EXPECT_EQ(e.total_s, 18);
  EXPECT_EQ(estimate_cluster({10, 1, 1, 1, 5}, 3, 1).wall_s, 18);
  EXPECT_EQ(estimate_cluster({4, 4, 4, 4}, 4, 2).wall_s, 8);
}


// The ETA of `study status` from the tasks' progress files, against hand-computed values. Shard 1 is done
// (its task ran 200 s for 100 s of the plan's estimate), shard 2 runs (150 s for 50 s, its file written 10 s
// ago says 90 s left), shard 3 waits in the queue (400 s of estimate pending), shard 4's cancelled task left
// a file from before its current task started (100 s ago; the task has run 30 s).
TEST(SlurmStatus, EtaFromTheObservedSpeed) {
  testing::ScratchDir dir;
  const double now = 2e9;
  StudyStatus s;
  s.dir = dir.file("");
  s.dir.pop_back();  // no trailing slash
  s.shards = 4;
  auto shard = [](int i, int pending, double estimate, const std::string& state, std::optional<double> elapsed) {
    ShardStatus x;
    x.shard = i;
    x.points = 10;
    x.pending = pending;
    x.done = 10 - pending;
    x.pending_estimate_s = estimate;
    x.state = state;
    x.elapsed_s = elapsed;
    return x;
  };
  s.shard = {shard(1, 0, 0, "COMPLETED", 250.0), shard(2, 5, 120, "RUNNING", 160.0), shard(3, 10, 400, "PENDING", {}),
             shard(4, 3, 60, "RUNNING", 30.0)};
  auto file = [&](int i, double updated_ago, double elapsed, double done_est, double eta) {
    ProgressFile f;
    f.updated_unix = now - updated_ago;
    f.elapsed_s = elapsed;
    f.estimate_done_s = done_est;
    f.eta_s = eta;
    ASSERT_TRUE(write_progress_file(shard_progress_file(s.dir, i, 4), f));
  };
  file(1, 50, 200, 100, 0);
  file(2, 10, 150, 50, 90);
  file(4, 100, 100, 50, 10);  // the cancelled task's: its work counts in the speed, its ETA is not this task's
  estimate_time_left(s, now);
  // Pooled speed: (200 + 150 + 100) s over (100 + 50 + 50) s of estimate.
  ASSERT_TRUE(s.speed_factor.has_value());
  EXPECT_DOUBLE_EQ(*s.speed_factor, 450.0 / 200.0);
  EXPECT_EQ(s.shard[0].left_s, 0);
  EXPECT_DOUBLE_EQ(s.shard[1].left_s, 80);                  // its own ETA, 10 s on
  EXPECT_DOUBLE_EQ(s.shard[2].left_s, 400 * 450.0 / 200.0);  // the plan's estimate at the observed speed
  EXPECT_DOUBLE_EQ(s.shard[3].left_s, 60 * 450.0 / 200.0);   // not its stale file's 10 s
  ASSERT_TRUE(s.eta_s.has_value());
  EXPECT_DOUBLE_EQ(*s.eta_s, 400 * 450.0 / 200.0);
  const std::string text = format_status(s);
  EXPECT_NE(text.find("ETA 15m00s at the speed observed so far (the tasks take 2.25x the plan's estimate)"),
            std::string::npos)
      << text;

  // Before any task finished work: the plan's estimate, said so.
  StudyStatus fresh;
  fresh.dir = dir.file("fresh");
  fresh.shards = 1;
  fresh.shard = {shard(1, 10, 500, "PENDING", {})};
  estimate_time_left(fresh, now);
  EXPECT_FALSE(fresh.speed_factor.has_value());
  EXPECT_DOUBLE_EQ(*fresh.eta_s, 500);
  EXPECT_NE(format_status(fresh).find("ETA 8m20s by the plan's estimate (no progress file shows finished work yet)"),
            std::string::npos)
      << format_status(fresh);
}

}  // namespace
}  // namespace fb::study::slurm
