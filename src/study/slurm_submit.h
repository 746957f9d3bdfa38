#pragma once
// `study submit --slurm` and `study status`: a study as a Slurm array job, one shard per task, each task writing
// its own database in the study directory on the shared filesystem; a merge-and-report job after the array
// (afterany, so it also runs, and lists them, when shards failed). Submitting again resumes: shards whose points
// are all done (measured or failed) and shards whose task is still queued or running are left alone.
// The scripts and the readers of Slurm's output are in slurm.h; docs/cluster.md is the recipe.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fb::study::slurm {

struct SubmitOptions {
  std::string spec_path;
  std::string dir;                   // the study directory (created), on a filesystem every node sees
  std::optional<int> shards;         // default: the earlier submission's, else about one hour each by the estimate
  std::string partition, time;       // empty: the cluster's defaults
  std::optional<int> cpus_per_task;  // default: the earlier submission's, else the most threads a point asks for
  std::vector<std::string> sbatch_args;
  bool dry_run = false;              // print the scripts and the sbatch commands; write and submit nothing
  std::string exe;                   // the formbench binary the jobs run (absolute)
};

struct SubmitResult {
  std::vector<int> tasks;  // the shards submitted (or that a dry run would submit)
  std::string array_job, merge_job;
};

// Checks everything it can first (the spec, --time, threads against the cores granted, the directory's earlier
// submissions), then writes the scripts and submits. `out` gets the dry run's scripts and commands; one-line
// notes go to stderr. Throws fb::Error with one line; when a job was submitted before a later step failed, the
// message names the job ids that exist.
SubmitResult submit(const SubmitOptions& opt, std::ostream& out);

struct ShardStatus {
  int shard = 0;
  int points = 0, done = 0, failed = 0, pending = 0;  // from the shard's database (missing: all pending)
  std::string job;    // the Slurm job of its latest task ("12_3"), empty when never submitted
  std::string state;  // from squeue, sacct or scontrol; empty when unknown
  std::optional<double> elapsed_s;
  double pending_estimate_s = 0;  // the plan's estimate of its pending points
  double left_s = 0;              // its time left: see estimate_time_left
};

struct StudyStatus {
  std::string study, dir;
  int shards = 0;
  std::vector<ShardStatus> shard;
  std::string merge_job, merge_state;
  bool merged = false;  // DIR/merged.sqlite exists
  std::optional<double> eta_s;  // until every unfinished shard is done, if they all run at once; none when done
  std::optional<double> speed_factor;  // seconds the tasks took per second of the plan's estimate; none: no work yet
  std::string slurm_note;  // why the Slurm states are unknown, when they are
};

// `query_slurm` false: from the databases only.
StudyStatus study_status(const std::string& dir, bool query_slurm = true);
// Fills each unfinished shard's left_s, speed_factor and eta_s from the tasks' progress files
// (DIR/shard-I-of-N.progress.json): a running task's own ETA where its file was written since it started;
// otherwise the plan's estimate of the pending points times the pooled speed factor of all tasks.
void estimate_time_left(StudyStatus& s, double now_unix);
std::string format_status(const StudyStatus& s);
nlohmann::json status_json(const StudyStatus& s);

}  // namespace fb::study::slurm
