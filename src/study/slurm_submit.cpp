#include "study/slurm_submit.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/table.h"
#include "study/child.h"
#include "study/point.h"
#include "study/progress.h"
#include "study/progress_file.h"
#include "study/slurm.h"
#include "study/spec.h"
#include "study/sqlite_db.h"
#include "study/store.h"

namespace fb::study::slurm {
namespace {

namespace fs = std::filesystem;

// Slurm's commands answer within seconds; a hung controller must not hang formbench.
constexpr double k_tool_timeout_s = 120;
// The default shard count: about this many seconds of the plan's estimate per shard.
constexpr double k_default_shard_s = 3600;

std::optional<std::string> find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    if (d.empty()) continue;
    const std::string f = d + "/" + name;
    if (access(f.c_str(), X_OK) == 0 && !fs::is_directory(f)) return f;
  }
  return std::nullopt;
}

struct Tool {
  bool found = false;
  ChildResult r;
};
Tool run_tool(const std::string& name, const std::vector<std::string>& args) {
  Tool t;
  const auto exe = find_program(name);
  if (!exe) return t;
  t.found = true;
  t.r = run_child(*exe, args, k_tool_timeout_s);
  return t;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) fail("cannot write '{}'", path);
}

std::string clean_dir(const std::string& d) {
  std::string s = fs::absolute(d).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

nlohmann::json read_state(const std::string& dir) {
  const std::string f = state_file(dir);
  if (!fs::exists(f)) return nlohmann::json();
  try {
    nlohmann::json j = nlohmann::json::parse(read_file(f));
    if (!j.is_object() || !j["shards"].is_number_integer() || !j["submissions"].is_array()) throw Error("");
    return j;
  } catch (const std::exception&) {
    fail("'{}' is not a formbench submissions file (remove it, or use another --dir)", f);
  }
}

// The points of each shard, expanded as the tasks expand them.
struct Shards {
  Spec spec;
  std::vector<Point> points;
  int groups = 0;
};

Shards expand_for_tasks(Spec spec) {
  Shards s;
  s.points = expand(spec, registry_resolver());
  std::set<int64_t> groups;
  for (const Point& p : s.points) groups.insert(p.group);
  s.groups = static_cast<int>(groups.size());
  s.spec = std::move(spec);
  return s;
}

// Points done (measured), failed and pending per shard, from the shard databases.
std::vector<ShardStatus> progress(const std::string& dir, const std::vector<Point>& points, int n) {
  std::vector<ShardStatus> out(static_cast<size_t>(n));
  for (int i = 1; i <= n; ++i) {
    ShardStatus& s = out[static_cast<size_t>(i - 1)];
    s.shard = i;
    std::set<std::string> measured, failed;
    std::map<std::string, int64_t> kept;  // group key -> processes a cancelled task kept (process_results)
    const std::string db_path = shard_db(dir, i, n);
    if (fs::exists(db_path)) {
      try {
        Db db(db_path, false);
        Stmt m(db, "SELECT point_id FROM measurements");
        while (m.step()) measured.insert(m.text(0));
        Stmt f(db, "SELECT point_id FROM failures");
        while (f.step()) failed.insert(f.text(0));
        Stmt k(db, "SELECT group_key, count(*) FROM process_results GROUP BY group_key");
        while (k.step()) kept[k.text(0)] = k.int64(1);
      } catch (const Error&) {
        // A task is creating it this moment: nothing recorded yet.
      }
    }
    std::map<int64_t, std::vector<const Point*>> groups;
    for (const Point& p : points)
      if (in_shard(p, {i, n})) groups[p.group].push_back(&p);
    for (const Point& p : points) {
      if (!in_shard(p, {i, n})) continue;
      ++s.points;
      if (measured.count(p.id)) ++s.done;
      else if (failed.count(p.id)) ++s.failed;
      else {
        ++s.pending;
        // Pass p measures process p of every group, so a cancelled task leaves most groups partly measured.
        const auto it = kept.find(group_key(groups[p.group]));
        const double k = static_cast<double>(std::max<int64_t>(1, processes_of(p.measure)));
        const double left = it == kept.end() ? 1.0 : std::max(0.0, 1.0 - static_cast<double>(it->second) / k);
        s.pending_estimate_s += estimate_seconds(p) * left;
      }
    }
  }
  return out;
}

// Array tasks and jobs of the given ids as Slurm knows them: squeue for the live ones, then sacct for ended
// ones (where accounting is enabled), then scontrol (which remembers ended jobs for MinJobAge).
std::map<std::pair<std::string, int>, TaskState> slurm_states(const std::vector<std::string>& jobs, bool live_only,
                                                             std::string& note) {
  std::map<std::pair<std::string, int>, TaskState> out;
  if (jobs.empty()) return out;
  const std::set<std::string> ours(jobs.begin(), jobs.end());
  auto take = [&](const std::vector<TaskState>& states) {
    for (const TaskState& t : states)
      if (ours.count(t.job) && !out.count({t.job, t.task})) out[{t.job, t.task}] = t;
  };
  const Tool q = run_tool("squeue", {"--me", "-h", "-r", "-o", "%i|%T|%M"});
  if (!q.found) {
    note = "squeue is not on PATH: Slurm states unknown";
    return out;
  }
  if (q.r.exit_code != 0) {
    note = "squeue failed: " + sbatch_reason(q.r.err);
    return out;
  }
  take(parse_squeue(q.r.out));
  if (live_only) return out;
  std::string ids;
  for (const auto& j : jobs) ids += (ids.empty() ? "" : ",") + j;
  const Tool a = run_tool("sacct", {"-n", "-P", "-X", "-j", ids, "-o", "JobID,State,Elapsed"});
  if (a.found && a.r.exit_code == 0) take(parse_sacct(a.r.out));
  for (const auto& j : jobs) {
    const Tool c = run_tool("scontrol", {"-o", "show", "job", j});
    if (c.found && c.r.exit_code == 0) take(parse_scontrol(c.r.out));
  }
  return out;
}

std::vector<std::string> submitted_jobs(const nlohmann::json& state) {
  std::vector<std::string> jobs;
  if (state.is_null()) return jobs;
  for (const auto& s : state["submissions"]) {
    if (s.value("array_job", "") != "") jobs.push_back(s["array_job"]);
    if (s.value("merge_job", "") != "") jobs.push_back(s["merge_job"]);
  }
  return jobs;
}

// The array job that last ran shard i, or "".
std::string latest_job_of(const nlohmann::json& state, int shard) {
  std::string job;
  if (state.is_null()) return job;
  for (const auto& s : state["submissions"])
    for (const auto& t : s["tasks"])
      if (t.get<int>() == shard) job = s.value("array_job", "");
  return job;
}

const std::set<std::string>& formbench_sets() {
  static const std::set<std::string> flags = {"-a", "--array", "-c", "--cpus-per-task", "-o", "--output", "-n",
                                              "--ntasks", "-N", "--nodes", "-J", "--job-name", "-d", "--dependency",
                                              "-p", "--partition", "-t", "--time", "--hint"};
  return flags;
}

}  // namespace

SubmitResult submit(const SubmitOptions& opt, std::ostream& out) {
  if (opt.dir.empty()) fail("study submit: --dir is required (the study directory, on a filesystem every node sees)");
  const std::string dir = clean_dir(opt.dir);
  if (dir.find_first_of(" \t\n'\"\\%$`") != std::string::npos)
    fail("study submit: --dir '{}': the path must not contain spaces, quotes, '$', '%' or backslashes (it goes into "
         "#SBATCH lines)",
         dir);
  if (!opt.time.empty()) {
    try {
      check_time(opt.time);
    } catch (const Error& e) {
      fail("study submit: {}", e.what());
    }
  }
  for (const std::string& a : opt.sbatch_args) {
    if (a.empty() || a[0] != '-' || a.find('\n') != std::string::npos)
      fail("study submit: --sbatch-arg '{}': expected one sbatch option, e.g. --sbatch-arg=--constraint=skylake", a);
    const std::string flag = a.substr(0, a.find('='));
    if (formbench_sets().count(flag))
      fail("study submit: --sbatch-arg '{}': formbench sets {} itself{}", a, flag,
           flag == "-p" || flag == "--partition" ? " (use --partition)"
           : flag == "-t" || flag == "--time"    ? " (use --time)"
           : flag == "-c" || flag == "--cpus-per-task" ? " (use --cpus-per-task)"
                                                       : "");
  }
  if (opt.cpus_per_task && *opt.cpus_per_task < 1) fail("study submit: --cpus-per-task must be at least 1");
  if (opt.shards && *opt.shards < 1) fail("study submit: --shards must be at least 1");

  Spec spec = load_spec(opt.spec_path);
  const nlohmann::json state = read_state(dir);
  if (fs::exists(spec_file(dir)) && read_file(spec_file(dir)) != spec.source_text)
    fail("study submit: '{}' holds another spec (study.toml differs from '{}'): use another --dir", dir, opt.spec_path);
  std::optional<int> cpus = opt.cpus_per_task;
  if (!cpus && !state.is_null() && state["cpus_per_task"].is_number_integer()) cpus = state["cpus_per_task"].get<int>();
  if (spec.uses_cores()) {
    if (!cpus)
      fail("study submit: {} asks for threads = \"cores\": give --cpus-per-task C (the whole cores each task gets; "
           "\"cores\" then means C)",
           opt.spec_path);
    if (!state.is_null() && state.value("cores", nlohmann::json()).is_number_integer() && state["cores"].get<int>() != *cpus)
      fail("study submit: '{}' was submitted with --cpus-per-task {} (threads = \"cores\" means {} in its points): give "
           "--cpus-per-task {} to resume, or use another --dir",
           dir, state["cores"].get<int>(), state["cores"].get<int>(), state["cores"].get<int>());
    spec.cores = *cpus;
  }
  Shards sh = expand_for_tasks(std::move(spec));
  if (sh.points.empty()) fail("study submit: {} has no points", opt.spec_path);
  const Point* widest = &sh.points.front();
  double total = 0;
  for (const Point& p : sh.points) {
    if (p.threads > widest->threads) widest = &p;
    total += estimate_seconds(p);
  }
  const int threads = static_cast<int>(widest->threads);
  const int c = cpus.value_or(threads);
  if (threads > c)
    fail("study submit: {} asks for {} threads, but a task gets {} cores (--cpus-per-task {}): give --cpus-per-task {} "
         "or more, so that every thread has a core of its own",
         widest->label(), threads, c, c, threads);

  int n = opt.shards.value_or(0);
  if (!state.is_null()) {
    const int before = state["shards"].get<int>();
    if (n && n != before)
      fail("study submit: '{}' was submitted as {} shards: give --shards {} (or leave it out) to resume, or use another "
           "--dir",
           dir, before, before);
    n = before;
  }
  if (!n) n = std::clamp(static_cast<int>(std::ceil(total / k_default_shard_s)), 1, sh.groups);
  if (n > sh.groups)
    fail("study submit: --shards {}: the study has {} comparison groups and a shard holds whole groups: at most {} "
         "shards",
         n, sh.groups, sh.groups);

  // What is left: shards with pending points whose task is not queued or running already.
  const std::vector<ShardStatus> prog = progress(dir, sh.points, n);
  std::string note;
  const auto states = slurm_states(submitted_jobs(state), /*live_only=*/true, note);
  std::vector<int> tasks, live;
  std::set<std::string> live_jobs;
  bool merge_live = false;
  for (const ShardStatus& s : prog) {
    const std::string job = latest_job_of(state, s.shard);
    auto it = states.find({job, s.shard});
    if (!job.empty() && it != states.end() && is_live(it->second.state)) {
      live.push_back(s.shard);
      live_jobs.insert(job);
    } else if (s.pending > 0) {
      tasks.push_back(s.shard);
    }
  }
  std::vector<std::string> deps(live_jobs.begin(), live_jobs.end());
  for (const auto& [key, t] : states)
    if (key.second == 0 && is_live(t.state)) {
      merge_live = true;
      deps.push_back(key.first);  // a new merge job runs after an earlier one, never beside it
    }
  const std::string live_note =
      live.empty() ? "" : fmt::format("shards {} are still queued or running (job {})", array_list(live), fmt::join(live_jobs, ", "));
  if (!live.empty()) fmt::print(stderr, "study submit: {}; they are left alone\n", live_note);
  if (tasks.empty() && (live.empty() || merge_live)) {
    if (live.empty())
      fmt::print(stderr, "study submit: every shard of '{}' in {} is done ({} points): nothing to submit{}\n",
                 sh.spec.name, dir, sh.points.size(),
                 fs::exists(merged_db(dir)) ? "" : "; the merge job did not run: formbench study merge " + dir +
                                                       "/shard-*.sqlite -o " + merged_db(dir));
    return {};
  }

  ScriptParams p;
  p.study = sh.spec.name;
  p.exe = opt.exe;
  p.dir = dir;
  p.shards = n;
  p.tasks = tasks;
  p.cpus_per_task = c;
  p.cores = sh.spec.cores;
  p.partition = opt.partition;
  p.time = opt.time;
  p.sbatch_args = opt.sbatch_args;
  const std::string array_cmd = "sbatch --parsable " + array_script_file(dir);
  auto merge_cmd = [&](const std::string& array_job) {
    std::vector<std::string> d = deps;
    if (!array_job.empty()) d.insert(d.begin(), array_job);
    return std::vector<std::string>{"--parsable", "--dependency=afterany:" + fmt::format("{}", fmt::join(d, ":")),
                                    merge_script_file(dir)};
  };
  int to_go = 0;
  double longest = 0;
  for (int t : tasks) {
    to_go += prog[static_cast<size_t>(t - 1)].pending;
    longest = std::max(longest, prog[static_cast<size_t>(t - 1)].pending_estimate_s);
  }

  if (opt.dry_run) {
    if (!tasks.empty()) out << "# " << array_script_file(dir) << "\n" << array_script(p) << "\n";
    out << "# " << merge_script_file(dir) << "\n" << merge_script(p) << "\n";
    out << "# the commands (dry run: nothing was written or submitted)\n";
    if (!tasks.empty()) out << array_cmd << "\n";
    out << "sbatch " << fmt::format("{}", fmt::join(merge_cmd(tasks.empty() ? "" : "ARRAY_JOB_ID"), " ")) << "\n";
    fmt::print(stderr, "study '{}': {} points in {} shards; shards {} to submit ({} points, {} whole cores per task; the "
               "longest about {} by the plan's estimate)\n",
               sh.spec.name, sh.points.size(), n, tasks.empty() ? "none" : array_list(tasks), to_go, c,
               format_duration(longest));
    return {tasks, "", ""};
  }

  if (!find_program("sbatch"))
    fail("study submit: sbatch is not on PATH: submit from a machine of the Slurm cluster (--dry-run prints the "
         "scripts){}",
         live.empty() ? "" : "; " + live_note);
  fs::create_directories(dir + "/slurm");
  fs::create_directories(dir + "/logs");
  if (!fs::exists(spec_file(dir))) write_file(spec_file(dir), sh.spec.source_text);
  write_file(array_script_file(dir), array_script(p));
  write_file(merge_script_file(dir), merge_script(p));

  nlohmann::json st = state.is_null() ? nlohmann::json{{"study", sh.spec.name},
                                                       {"shards", n},
                                                       {"cpus_per_task", c},
                                                       {"submissions", nlohmann::json::array()}}
                                      : state;
  if (sh.spec.cores) st["cores"] = *sh.spec.cores;
  auto save = [&] { write_file(state_file(dir), st.dump(2) + "\n"); };

  SubmitResult res;
  res.tasks = tasks;
  if (!tasks.empty()) {
    const Tool a = run_tool("sbatch", {"--parsable", array_script_file(dir)});
    if (a.r.exit_code != 0)
      fail("study submit: sbatch refused the array job: {}; nothing was submitted{}",
           a.r.err.empty() ? fmt::format("exit status {}", a.r.exit_code) : sbatch_reason(a.r.err),
           live.empty() ? "" : " (" + live_note + ")");
    res.array_job = parse_sbatch_job_id(a.r.out);
    st["submissions"].push_back({{"array_job", res.array_job}, {"tasks", tasks}, {"merge_job", ""},
                                 {"submitted_at", now_rfc3339()}});
    save();
  } else {
    st["submissions"].push_back(
        {{"array_job", ""}, {"tasks", nlohmann::json::array()}, {"merge_job", ""}, {"submitted_at", now_rfc3339()}});
  }
  const Tool m = run_tool("sbatch", merge_cmd(res.array_job));
  if (m.r.exit_code != 0) {
    if (res.array_job.empty())
      fail("study submit: sbatch refused the merge job: {}; nothing was submitted ({})", sbatch_reason(m.r.err), live_note);
    fail("study submit: array job {} (shards {}) is submitted, but sbatch refused the merge job: {}; `formbench study "
         "submit` again adds the merge job only, or `scancel {}` withdraws the array",
         res.array_job, array_list(tasks), sbatch_reason(m.r.err), res.array_job);
  }
  res.merge_job = parse_sbatch_job_id(m.r.out);
  st["submissions"].back()["merge_job"] = res.merge_job;
  save();
  if (!res.array_job.empty())
    fmt::print(stderr, "study '{}': array job {} runs shards {} of {} ({} points to go, {} whole cores per task; the "
               "longest about {} by the plan's estimate); merge job {} after it. Progress: formbench study status {}\n",
               sh.spec.name, res.array_job, array_list(tasks), n, to_go, c, format_duration(longest), res.merge_job, dir);
  else
    fmt::print(stderr, "study '{}': merge job {} after the shards still running. Progress: formbench study status {}\n",
               sh.spec.name, res.merge_job, dir);
  return res;
}

// Each unfinished shard's time left, from the speed the tasks have shown so far (their progress files): a
// running task's own ETA where its file is from this task; otherwise the plan's estimate of the pending
// points scaled by the pooled speed of all tasks (the plan's estimate alone before any task finished work).
void estimate_time_left(StudyStatus& s, double now_unix) {
  std::vector<std::optional<ProgressFile>> files;
  double elapsed = 0, estimated = 0;
  for (const ShardStatus& x : s.shard) {
    files.push_back(read_progress_file(shard_progress_file(s.dir, x.shard, s.shards)));
    if (files.back() && files.back()->speed_factor()) {
      elapsed += files.back()->elapsed_s;
      estimated += files.back()->estimate_done_s;
    }
  }
  if (estimated > 0) s.speed_factor = elapsed / estimated;
  double eta = 0;
  bool pending = false;
  for (size_t i = 0; i < s.shard.size(); ++i) {
    ShardStatus& x = s.shard[i];
    if (x.pending == 0) continue;
    pending = true;
    x.left_s = x.pending_estimate_s * s.speed_factor.value_or(1.0);
    const std::optional<ProgressFile>& f = files[i];
    // Written by the task now running: not before it started (a cancelled task's file is stale). The file's
    // time is the compute node's clock and `now` this host's: 30 s of slack for clocks a little apart.
    if (f && f->speed_factor() && x.state == "RUNNING" && x.elapsed_s && f->updated_unix >= now_unix - *x.elapsed_s - 30)
      x.left_s = std::max(0.0, f->eta_s - std::max(0.0, now_unix - f->updated_unix));
    eta = std::max(eta, x.left_s);
  }
  if (pending) s.eta_s = eta;
}

StudyStatus study_status(const std::string& dir_arg, bool query_slurm) {
  const std::string dir = clean_dir(dir_arg);
  const nlohmann::json state = read_state(dir);
  if (state.is_null() || !fs::exists(spec_file(dir)))
    fail("study status: '{}' is not a submitted study directory (no slurm/submissions.json and study.toml; see "
         "`formbench study submit`)",
         dir);
  Spec spec = load_spec(spec_file(dir));
  if (state.value("cores", nlohmann::json()).is_number_integer()) spec.cores = state["cores"].get<int64_t>();
  Shards sh = expand_for_tasks(std::move(spec));
  StudyStatus s;
  s.study = sh.spec.name;
  s.dir = dir;
  s.shards = state["shards"].get<int>();
  s.shard = progress(dir, sh.points, s.shards);
  s.merged = fs::exists(merged_db(dir));
  std::map<std::pair<std::string, int>, TaskState> states;
  if (query_slurm) states = slurm_states(submitted_jobs(state), false, s.slurm_note);
  for (ShardStatus& x : s.shard) {
    const std::string job = latest_job_of(state, x.shard);
    if (job.empty()) continue;
    x.job = fmt::format("{}_{}", job, x.shard);
    if (auto it = states.find({job, x.shard}); it != states.end()) {
      x.state = it->second.state;
      x.elapsed_s = it->second.elapsed_s;
    }
  }
  for (const auto& sub : state["submissions"])
    if (sub.value("merge_job", "") != "") s.merge_job = sub["merge_job"];
  if (!s.merge_job.empty())
    if (auto it = states.find({s.merge_job, 0}); it != states.end()) s.merge_state = it->second.state;
  estimate_time_left(s, static_cast<double>(std::time(nullptr)));
  return s;
}

std::string format_status(const StudyStatus& s) {
  int points = 0, done = 0, failed = 0, pending = 0;
  TextTable t({"shard", "points", "done", "failed", "pending", "job", "state", "elapsed", "est. left"});
  std::vector<int> resubmit;
  for (const ShardStatus& x : s.shard) {
    points += x.points;
    done += x.done;
    failed += x.failed;
    pending += x.pending;
    t.add_row({std::to_string(x.shard), std::to_string(x.points), std::to_string(x.done), std::to_string(x.failed),
               std::to_string(x.pending), x.job.empty() ? "-" : x.job,
               x.state.empty() ? (x.job.empty() ? "not submitted" : "unknown") : x.state,
               x.elapsed_s ? format_duration(*x.elapsed_s) : "-",
               x.pending ? format_duration(x.left_s) : "-"});
    if (x.pending > 0 && !is_live(x.state)) resubmit.push_back(x.shard);
  }
  std::string out = fmt::format("study '{}' in {}: {} shards, {} points: {} done, {} failed, {} pending\n", s.study,
                                s.dir, s.shards, points, done, failed, pending);
  out += t.str();
  if (!s.slurm_note.empty()) out += "note: " + s.slurm_note + "\n";
  if (!s.merge_job.empty())
    out += fmt::format("merge job {}: {}; ", s.merge_job, s.merge_state.empty() ? "unknown" : s.merge_state);
  out += fmt::format("merged database {}{}\n", merged_db(s.dir), s.merged ? "" : " (not yet)");
  if (s.eta_s && s.speed_factor)
    out += fmt::format("ETA {} at the speed observed so far (the tasks take {:.2f}x the plan's estimate), if the "
                       "unfinished shards run at once\n",
                       format_duration(*s.eta_s), *s.speed_factor);
  else if (s.eta_s)
    out += fmt::format("ETA {} by the plan's estimate (no progress file shows finished work yet), if the unfinished "
                       "shards run at once\n",
                       format_duration(*s.eta_s));
  else
    out += "every shard is done\n";
  if (!resubmit.empty())
    out += fmt::format("pending points and no task queued or running in shards {}: formbench study submit {} --dir {} "
                       "--slurm resubmits them\n",
                       array_list(resubmit), spec_file(s.dir), s.dir);
  return out;
}

nlohmann::json status_json(const StudyStatus& s) {
  nlohmann::json j = {{"study", s.study}, {"dir", s.dir}, {"shards", s.shards}, {"merged", s.merged},
                      {"merge_job", s.merge_job}, {"merge_state", s.merge_state},
                      {"eta_s", s.eta_s ? nlohmann::json(*s.eta_s) : nlohmann::json(nullptr)},
                      {"speed_factor", s.speed_factor ? nlohmann::json(*s.speed_factor) : nlohmann::json(nullptr)},
                      {"slurm_note", s.slurm_note}, {"shard", nlohmann::json::array()}};
  for (const ShardStatus& x : s.shard)
    j["shard"].push_back({{"shard", x.shard}, {"points", x.points}, {"done", x.done}, {"failed", x.failed},
                          {"pending", x.pending}, {"job", x.job}, {"state", x.state},
                          {"elapsed_s", x.elapsed_s ? nlohmann::json(*x.elapsed_s) : nlohmann::json(nullptr)},
                          {"pending_estimate_s", x.pending_estimate_s}, {"left_s", x.left_s}});
  return j;
}

}  // namespace fb::study::slurm
