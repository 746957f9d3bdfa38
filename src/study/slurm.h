#pragma once
// The Slurm side of `study submit --slurm` and `study status`, without Slurm: the sbatch scripts (an array job,
// one shard per task, and a merge-and-report job after it), the checks made before anything is submitted, and
// readers of what sbatch, squeue, sacct and scontrol print. slurm_submit.h runs the commands (docs/cluster.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fb::study::slurm {

// Everything the two scripts say. Paths are absolute: the tasks run on other nodes, in other directories.
struct ScriptParams {
  std::string study;      // the study's name (job names: fb-NAME, fb-NAME-merge)
  std::string exe;        // the formbench binary, on the shared filesystem
  std::string dir;        // the study directory on the shared filesystem
  int shards = 1;         // N: task i runs shard i/N
  std::vector<int> tasks;  // the shards (array task ids) this submission runs, ascending
  int cpus_per_task = 1;   // whole cores per task
  std::optional<int64_t> cores;  // what threads = "cores" means in the tasks (`study run --cores`)
  std::string partition;  // empty: the cluster's default
  std::string time;       // empty: the partition's default
  std::vector<std::string> sbatch_args;  // more #SBATCH lines, as given (e.g. --constraint=skylake)
};

// Files in the study directory.
std::string spec_file(const std::string& dir);        // DIR/study.toml: the spec the tasks run (a copy)
std::string shard_db(const std::string& dir, int i, int n);  // DIR/shard-I-of-N.sqlite
std::string shard_progress_file(const std::string& dir, int i, int n);  // DIR/shard-I-of-N.progress.json
std::string merged_db(const std::string& dir);        // DIR/merged.sqlite
std::string array_script_file(const std::string& dir);  // DIR/slurm/shards.sbatch
std::string merge_script_file(const std::string& dir);  // DIR/slurm/merge.sbatch
std::string state_file(const std::string& dir);       // DIR/slurm/submissions.json

// The array job: task i runs `formbench study run DIR/study.toml --db DIR/shard-i-of-N.sqlite --shard i/N`,
// keeping its progress in DIR/shard-i-of-N.progress.json.
std::string array_script(const ScriptParams& p);
// The merge-and-report job: the status of every shard (DIR/status.txt, failed shards included), the shard
// databases merged into DIR/merged.sqlite, the report in DIR/report/.
std::string merge_script(const ScriptParams& p);

// "1-4", "1,3,5-7": Slurm's --array syntax for ascending task ids; and back (throws fb::Error on bad text).
std::string array_list(const std::vector<int>& tasks);
std::vector<int> parse_array_list(const std::string& text);

// Checks a --time value in the forms sbatch takes (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS); throws
// fb::Error naming them. Returns the value.
std::string check_time(const std::string& text);
// A Slurm duration ("1-02:03:04", "03:04", "UNLIMITED") in seconds; nullopt when it is not one.
std::optional<double> parse_duration(const std::string& text);

// A word for a POSIX shell, quoted only when needed.
std::string shell_quote(const std::string& word);

// The job id of `sbatch --parsable` ("123" or "123;cluster"); throws fb::Error when there is none.
std::string parse_sbatch_job_id(const std::string& out);
// What sbatch said when it refused a job, on one line: "Invalid partition name specified" from
// "sbatch: error: Batch job submission failed: Invalid partition name specified".
std::string sbatch_reason(const std::string& err);

// The plan's estimate for a cluster: the estimate of each of `shards` shards (seconds), and the wall time when
// they run as array tasks on `nodes` nodes, one task per node at a time, started in order as nodes free up.
struct ClusterEstimate {
  std::vector<double> shard_s;
  double longest_s = 0, wall_s = 0, total_s = 0;
};
ClusterEstimate estimate_cluster(const std::vector<double>& group_s, int shards, int nodes);

// One array task as squeue, sacct or scontrol sees it.
struct TaskState {
  std::string job;  // the array job's id
  int task = 0;     // its task id (the shard)
  std::string state;  // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  std::optional<double> elapsed_s;
};
// `squeue -h -r -o '%i|%T|%M'`: "12_3|RUNNING|1:02" per line.
std::vector<TaskState> parse_squeue(const std::string& out);
// `sacct -n -P -X -o JobID,State,Elapsed`: "12_3|COMPLETED|00:01:02", "12_[4-6]|PENDING|00:00:00",
// "12_2|CANCELLED by 0|00:00:03".
std::vector<TaskState> parse_sacct(const std::string& out);
// `scontrol -o show job ID`: one line of key=value words per job (ArrayJobId, ArrayTaskId, JobState, RunTime).
std::vector<TaskState> parse_scontrol(const std::string& out);
// True for the states of a task that is still queued or running (it will write its shard again).
bool is_live(const std::string& state);

}  // namespace fb::study::slurm
