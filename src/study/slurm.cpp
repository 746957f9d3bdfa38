#include "study/slurm.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"

namespace fb::study::slurm {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A job name Slurm and a shell take as is.
std::string job_name(const std::string& study) {
  std::string out = "fb-";
  for (char c : study) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
  return out.substr(0, 64);
}

// "12_3", "12_[3-5]", "12_[3,5%2]" -> the job id and its task ids; a plain "12" -> task 0 (not an array task).
bool split_task_id(const std::string& text, std::string& job, std::vector<int>& tasks) {
  const auto us = text.find('_');
  if (us == std::string::npos) {
    if (!all_digits(text)) return false;
    job = text;
    tasks = {0};
    return true;
  }
  job = text.substr(0, us);
  std::string rest = text.substr(us + 1);
  if (!all_digits(job) || rest.empty()) return false;
  if (rest.front() == '[') {
    if (rest.back() != ']') return false;
    rest = rest.substr(1, rest.size() - 2);
  }
  if (const auto pct = rest.find('%'); pct != std::string::npos) rest = rest.substr(0, pct);
  try {
    tasks = parse_array_list(rest);
  } catch (const Error&) {
    return false;
  }
  return true;
}

std::string first_word(const std::string& s) { return s.substr(0, s.find(' ')); }

void header(std::string& s, const ScriptParams& p, const std::string& name, const std::string& output) {
  s += fmt::format("#SBATCH --job-name={}\n", name);
  if (!p.partition.empty()) s += fmt::format("#SBATCH --partition={}\n", p.partition);
  if (!p.time.empty()) s += fmt::format("#SBATCH --time={}\n", p.time);
  s += fmt::format("#SBATCH --output={}\n", output);
  for (const std::string& a : p.sbatch_args) s += fmt::format("#SBATCH {}\n", a);
}

}  // namespace

std::string spec_file(const std::string& dir) { return dir + "/study.toml"; }
std::string shard_db(const std::string& dir, int i, int n) { return fmt::format("{}/shard-{}-of-{}.sqlite", dir, i, n); }
std::string shard_progress_file(const std::string& dir, int i, int n) {
  return fmt::format("{}/shard-{}-of-{}.progress.json", dir, i, n);
}
std::string merged_db(const std::string& dir) { return dir + "/merged.sqlite"; }
std::string array_script_file(const std::string& dir) { return dir + "/slurm/shards.sbatch"; }
std::string merge_script_file(const std::string& dir) { return dir + "/slurm/merge.sbatch"; }
std::string state_file(const std::string& dir) { return dir + "/slurm/submissions.json"; }

std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_./=:,+-@%").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string array_script(const ScriptParams& p) {
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# formbench study '{}': one shard of {} per array task, each into its own database in the study\n"
                   "# directory (written by `formbench study submit`; docs/cluster.md).\n",
                   p.study, p.shards);
  header(s, p, job_name(p.study), p.dir + "/logs/shard-%a-job%A.out");
  s += fmt::format("#SBATCH --array={}\n", array_list(p.tasks));
  s += "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n";
  s += fmt::format("#SBATCH --cpus-per-task={}\n", p.cpus_per_task);
  s += "#SBATCH --hint=nomultithread\n";
  s += "set -eu\n";
  s += "# Whole cores (one thread per core); tasks that share a node take turns through its measurement lock.\n";
  s += fmt::format("exec {} study run {} --db {}/shard-\"$SLURM_ARRAY_TASK_ID\"-of-{}.sqlite --shard \"$SLURM_ARRAY_TASK_ID\"/{}",
                   shell_quote(p.exe), shell_quote(spec_file(p.dir)), shell_quote(p.dir), p.shards, p.shards);
  if (p.cores) s += fmt::format(" --cores {}", *p.cores);
  s += fmt::format(" --no-progress --progress-file {}/shard-\"$SLURM_ARRAY_TASK_ID\"-of-{}.progress.json\n",
                   shell_quote(p.dir), p.shards);
  return s;
}

std::string merge_script(const ScriptParams& p) {
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# formbench study '{}': after every array task has ended (done, failed or cancelled), the status of\n"
                   "# each shard, the merged database and the report (written by `formbench study submit`).\n",
                   p.study);
  header(s, p, job_name(p.study) + "-merge", p.dir + "/logs/merge-job%j.out");
  s += "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n";
  s += "set -u\n";
  s += fmt::format("fb={}\ndir={}\n", shell_quote(p.exe), shell_quote(p.dir));
  s += "\"$fb\" study status \"$dir\" > \"$dir/status.txt\"  # every shard: done, failed, pending\n";
  s += "cat \"$dir/status.txt\"\n";
  s += "shopt -s nullglob\n";
  s += fmt::format("dbs=(\"$dir\"/shard-*-of-{}.sqlite)\n", p.shards);
  s += "[ ${#dbs[@]} -gt 0 ] || { echo \"formbench: no shard database in $dir\" >&2; exit 1; }\n";
  s += "rm -f \"$dir/merged.sqlite\" \"$dir/merged.sqlite-wal\" \"$dir/merged.sqlite-shm\"\n";
  s += "\"$fb\" study merge \"${dbs[@]}\" -o \"$dir/merged.sqlite\" || exit 1\n";
  s += "\"$fb\" report \"$dir/merged.sqlite\" -o \"$dir/report\"\n";
  return s;
}

std::string array_list(const std::vector<int>& tasks) {
  std::string out;
  for (size_t i = 0; i < tasks.size();) {
    size_t j = i;
    while (j + 1 < tasks.size() && tasks[j + 1] == tasks[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += j == i ? fmt::format("{}", tasks[i]) : fmt::format("{}-{}", tasks[i], tasks[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int> parse_array_list(const std::string& text) {
  std::set<int> out;
  for (const std::string& part : split(text, ',')) {
    const auto dash = part.find('-');
    const std::string a = part.substr(0, dash), b = dash == std::string::npos ? a : part.substr(dash + 1);
    if (!all_digits(a) || !all_digits(b) || a.size() > 9 || b.size() > 9 || std::stoi(a) > std::stoi(b))
      fail("'{}' is not a list of task ids like 1-4 or 1,3,5-7", text);
    for (int i = std::stoi(a); i <= std::stoi(b); ++i) out.insert(i);
  }
  return {out.begin(), out.end()};
}

std::string check_time(const std::string& text) {
  static const std::regex form(R"(^(\d+-\d+(:\d+(:\d+)?)?|\d+(:\d+(:\d+)?)?)$)");
  if (text == "UNLIMITED" || text == "INFINITE" || std::regex_match(text, form)) return text;
  fail("--time '{}': expected HH:MM:SS (or MM, MM:SS, D-HH, D-HH:MM, D-HH:MM:SS), e.g. 02:00:00", text);
}

std::optional<double> parse_duration(const std::string& text) {
  std::string t = text;
  double days = 0;
  if (const auto dash = t.find('-'); dash != std::string::npos) {
    if (!all_digits(t.substr(0, dash))) return std::nullopt;
    days = std::stod(t.substr(0, dash));
    t = t.substr(dash + 1);
  }
  const auto parts = split(t, ':');
  for (const auto& x : parts)
    if (!all_digits(x) || x.size() > 9) return std::nullopt;
  double s = 0;
  if (parts.size() == 3) s = std::stod(parts[0]) * 3600 + std::stod(parts[1]) * 60 + std::stod(parts[2]);
  else if (parts.size() == 2) s = days > 0 ? std::stod(parts[0]) * 3600 + std::stod(parts[1]) * 60
                                           : std::stod(parts[0]) * 60 + std::stod(parts[1]);
  else if (parts.size() == 1) s = days > 0 ? std::stod(parts[0]) * 3600 : std::stod(parts[0]) * 60;
  else return std::nullopt;
  return days * 86400 + s;
}

std::string parse_sbatch_job_id(const std::string& out) {
  for (const std::string& line : lines_of(out)) {
    const std::string id = line.substr(0, line.find(';'));
    if (all_digits(id)) return id;
  }
  fail("sbatch printed no job id (it said: '{}')", lines_of(out).empty() ? std::string() : lines_of(out).back());
}

std::string sbatch_reason(const std::string& err) {
  std::string reason;
  for (const std::string& line : lines_of(err)) {
    std::string l = line;
    for (const char* prefix : {"sbatch: error: ", "sbatch: fatal: ", "error: "})
      if (l.rfind(prefix, 0) == 0) l = l.substr(std::string(prefix).size());
    if (l.rfind("Batch job submission failed: ", 0) == 0) return l.substr(29);  // the verdict
    if (reason.empty() || line.find("error") != std::string::npos) reason = l;
  }
  return reason;
}

std::vector<TaskState> parse_squeue(const std::string& out) {
  std::vector<TaskState> r;
  for (const std::string& line : lines_of(out)) {
    const auto f = split(line, '|');
    std::string job;
    std::vector<int> tasks;
    if (f.size() < 3 || !split_task_id(f[0], job, tasks)) continue;
    for (int t : tasks) r.push_back({job, t, first_word(f[1]), parse_duration(f[2])});
  }
  return r;
}

std::vector<TaskState> parse_sacct(const std::string& out) { return parse_squeue(out); }

std::vector<TaskState> parse_scontrol(const std::string& out) {
  std::vector<TaskState> r;
  for (const std::string& line : lines_of(out)) {
    std::string job_id, array_job, array_task, state, run_time;
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      const auto eq = w.find('=');
      if (eq == std::string::npos) continue;
      const std::string k = w.substr(0, eq), v = w.substr(eq + 1);
      if (k == "JobId") job_id = v;
      else if (k == "ArrayJobId") array_job = v;
      else if (k == "ArrayTaskId") array_task = v;
      else if (k == "JobState") state = v;
      else if (k == "RunTime") run_time = v;
    }
    if (state.empty()) continue;
    std::string job;
    std::vector<int> tasks;
    if (!split_task_id(array_job.empty() ? job_id : array_job + "_" + array_task, job, tasks)) continue;
    for (int t : tasks) r.push_back({job, t, state, parse_duration(run_time)});
  }
  return r;
}

ClusterEstimate estimate_cluster(const std::vector<double>& group_s, int shards, int nodes) {
  ClusterEstimate e;
  e.shard_s.assign(static_cast<size_t>(std::max(1, shards)), 0.0);
  for (size_t g = 0; g < group_s.size(); ++g) {  // shard i/N holds groups i-1, i-1+N, ... (in_shard)
    e.shard_s[g % e.shard_s.size()] += group_s[g];
    e.total_s += group_s[g];
  }
  std::vector<double> free_at(static_cast<size_t>(std::max(1, nodes)), 0.0);
  for (double s : e.shard_s) {
    auto node = std::min_element(free_at.begin(), free_at.end());
    *node += s;
    e.longest_s = std::max(e.longest_s, s);
  }
  e.wall_s = *std::max_element(free_at.begin(), free_at.end());
  return e;
}

bool is_live(const std::string& state) {
  static const std::set<std::string> live = {"PENDING",   "RUNNING",      "CONFIGURING", "COMPLETING", "REQUEUED",
                                             "RESIZING",  "SUSPENDED",    "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING",
                                             "STAGE_OUT", "STOPPED"};
  return live.count(state) > 0;
}

}  // namespace fb::study::slurm
