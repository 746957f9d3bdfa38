#include "measure/cachesim.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "measure/machine.h"

// valgrind's client requests are header-only macros (no-ops outside valgrind); without the header the
// markers do nothing and the simulation reports no counted runs.
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define FB_HAVE_CALLGRIND 1
#else
#define FB_HAVE_CALLGRIND 0
#endif

extern char** environ;

namespace fb::measure {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string tail(const std::string& s, size_t n) { return s.size() <= n ? s : "..." + s.substr(s.size() - n); }

struct SpawnResult {
  int exit_code = -1;
  std::string output;
};

// Runs argv with the extra environment, stdout+stderr to `log_path`; waits.
SpawnResult spawn_and_wait(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                           const std::string& log_path) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) merged[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& a : argv_copy) args.push_back(a.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  SpawnResult r;
  if (rc != 0) {
    r.output = fmt::format("cannot start {}: {}", argv[0], std::strerror(rc));
    return r;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.output = read_file(log_path);
  return r;
}

int64_t parse_size(const std::string& s, const std::string& what, const std::string& text) {
  if (s.empty()) fail("bad {} '{}': empty size", what, text);
  size_t i = 0;
  int64_t v = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) v = v * 10 + (s[i++] - '0');
  if (i == 0) fail("bad {} '{}': size '{}' is not a number", what, text, s);
  const std::string suffix = s.substr(i);
  if (suffix == "K" || suffix == "k" || suffix == "KiB") v <<= 10;
  else if (suffix == "M" || suffix == "m" || suffix == "MiB") v <<= 20;
  else if (suffix == "G" || suffix == "g" || suffix == "GiB") v <<= 30;
  else if (!suffix.empty() && suffix != "B") fail("bad {} '{}': unknown size suffix '{}'", what, text, suffix);
  return v;
}

bool power_of_two(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

}  // namespace

std::string CacheGeometry::str() const { return fmt::format("{},{},{}", size_bytes, assoc, line_bytes); }

CacheGeometry parse_cache_geometry(const std::string& text, const std::string& what) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string p;
  while (std::getline(ss, p, ',')) parts.push_back(p);
  if (parts.size() != 3) fail("bad {} '{}': expected SIZE,ASSOC,LINE (e.g. 32M,16,64)", what, text);
  CacheGeometry g;
  g.size_bytes = parse_size(parts[0], what, text);
  try {
    g.assoc = std::stoi(parts[1]);
    g.line_bytes = std::stoi(parts[2]);
  } catch (...) {
    fail("bad {} '{}': associativity and line size must be numbers", what, text);
  }
  if (g.assoc < 1 || g.line_bytes < 1) fail("bad {} '{}': associativity and line size must be >= 1", what, text);
  if (!power_of_two(g.line_bytes)) fail("bad {} '{}': line size must be a power of two", what, text);
  if (g.size_bytes % (static_cast<int64_t>(g.assoc) * g.line_bytes) != 0)
    fail("bad {} '{}': size must be a multiple of associativity x line size", what, text);
  if (!power_of_two(g.size_bytes / (static_cast<int64_t>(g.assoc) * g.line_bytes)))
    fail("bad {} '{}': the number of sets (size / (assoc x line)) must be a power of two for cachegrind", what,
         text);
  return g;
}

CacheGeometry simulable_geometry(const CacheGeometry& g, std::string* note) {
  if (g.size_bytes <= 0 || g.assoc < 1 || g.line_bytes < 1 || !power_of_two(g.line_bytes) ||
      g.size_bytes % (static_cast<int64_t>(g.assoc) * g.line_bytes) != 0)
    fail("cache geometry {} cannot be simulated (size must be a multiple of assoc x line, line a power of two)", g.str());
  int64_t sets = g.size_bytes / (static_cast<int64_t>(g.assoc) * g.line_bytes);
  if (power_of_two(sets)) return g;
  int64_t pow2 = sets & -sets;  // largest power of two dividing the set count
  CacheGeometry out = g;
  out.assoc = static_cast<int>(g.assoc * (sets / pow2));
  if (note)
    *note = fmt::format("{} B {}-way has {} sets (not a power of two): simulated as {}-way, same size and line",
                        g.size_bytes, g.assoc, sets, out.assoc);
  return out;
}

HostCacheGeometry host_cache_geometry(const std::string& root) {
  HostCacheGeometry h;
  int ll_level = 0;
  for (const CacheLevel& c : read_cache_levels(root)) {
    const CacheGeometry g{c.size_bytes, c.ways, c.line_bytes};
    if (c.level == 1 && c.type == "Instruction") h.i1 = g;
    if (c.level == 1 && c.type == "Data") h.d1 = g;
    if (c.level > 1 && c.type != "Instruction" && c.level > ll_level) {
      h.ll = g;
      ll_level = c.level;
    }
  }
  return h;
}

double CachegrindTotals::get(const std::string& e) const {
  auto it = events.find(e);
  if (it == events.end()) fail("cache simulation output has no '{}' event (was the cache simulation on?)", e);
  return it->second;
}

CachegrindTotals parse_cachegrind_output(const std::string& text) {
  std::vector<std::string> names;
  std::optional<std::vector<double>> summary, totals;
  auto numbers = [](const std::string& rest, const char* what) {
    std::vector<double> out;
    std::stringstream ls(rest);
    std::string v;
    while (ls >> v) {
      try {
        size_t used = 0;
        out.push_back(std::stod(v, &used));
        if (used != v.size()) throw std::invalid_argument(v);
      } catch (...) {
        fail("malformed cache simulation output: {} value '{}' is not a number", what, v);
      }
    }
    return out;
  };
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    if (line.rfind("events:", 0) == 0) {
      std::stringstream ls(line.substr(7));
      std::string n;
      while (ls >> n) names.push_back(n);
    } else if (line.rfind("summary:", 0) == 0) {
      summary = numbers(line.substr(8), "summary");
    } else if (line.rfind("totals:", 0) == 0) {
      totals = numbers(line.substr(7), "totals");
    }
  }
  if (names.empty()) fail("malformed cache simulation output: no 'events:' line");
  // callgrind writes a `summary:` of the last dump only; `totals:` is the whole run.
  std::vector<double> values;
  if (totals) values = *totals;
  else if (summary) values = *summary;
  else fail("malformed cache simulation output: no 'totals:' or 'summary:' line");
  if (values.size() > names.size())
    fail("malformed cache simulation output: {} events but {} total values", names.size(), values.size());
  values.resize(names.size(), 0.0);  // trailing zeros are left out
  CachegrindTotals t;
  for (size_t i = 0; i < names.size(); ++i) t.events[names[i]] = values[i];
  return t;
}

CacheSimResult derive_per_inference(const CachegrindTotals& t, int k) {
  if (k < 1) fail("cache simulation needs k >= 1 iterations, got {}", k);
  auto d = [&](const char* e) { return t.get(e) / k; };
  CacheSimResult r;
  r.iterations = k;
  r.instructions = d("Ir");
  r.data_refs = d("Dr") + d("Dw");
  r.d1_misses = d("D1mr") + d("D1mw");
  r.ll_refs = d("I1mr") + d("D1mr") + d("D1mw");
  r.ll_misses = d("ILmr") + d("DLmr") + d("DLmw");
  return r;
}

nlohmann::json CacheSimResult::to_json() const {
  return {{"source", "simulated"},
          {"tool", tool},
          {"i1", i1.str()},
          {"d1", d1.str()},
          {"ll", ll.str()},
          {"ll_size_bytes", ll.size_bytes},
          {"iterations", iterations},
          {"notes", notes},
          {"instructions_per_inference", instructions},
          {"data_refs_per_inference", data_refs},
          {"d1_misses_per_inference", d1_misses},
          {"ll_references_per_inference", ll_refs},
          {"ll_misses_per_inference", ll_misses},
          {"ll_miss_rate", ll_refs > 0 ? nlohmann::json(ll_miss_rate()) : nlohmann::json(nullptr)}};
}

void run_simulated_loop(const std::function<void()>& run, int iterations) {
  run();
#if FB_HAVE_CALLGRIND
  CALLGRIND_START_INSTRUMENTATION;  // collection stays off (--collect-atstart=no) for the warm-up run
#endif
  run();
#if FB_HAVE_CALLGRIND
  CALLGRIND_TOGGLE_COLLECT;
#endif
  for (int i = 0; i < iterations; ++i) run();
#if FB_HAVE_CALLGRIND
  CALLGRIND_TOGGLE_COLLECT;
#endif
}

std::optional<std::string> valgrind_version(const std::string& valgrind) {
  char tmpl[] = "/tmp/formbench-vg-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) return std::nullopt;
  ::close(fd);
  SpawnResult r = spawn_and_wait({valgrind, "--version"}, {}, tmpl);
  std::filesystem::remove(tmpl);
  if (r.exit_code != 0) return std::nullopt;
  std::string v = r.output;
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

std::map<std::string, std::string> cache_sim_child_env() {
  std::map<std::string, std::string> env;
  // valgrind decodes AVX2 but not AVX-512: a library that picked AVX-512 kernels (or re-executed itself to
  // set OPENBLAS_CORETYPE) would die or loop under it. Haswell is the newest OpenBLAS core valgrind runs,
  // so it replaces an unset value or an AVX-512 one (which could only crash there).
  std::string user = std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "";
  std::transform(user.begin(), user.end(), user.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool avx512_core = user == "skylakex" || user == "cooperlake" || user == "sapphirerapids";
  if (user.empty() || avx512_core) env["OPENBLAS_CORETYPE"] = "HASWELL";  // an AVX-512 core would SIGILL
  if (!std::getenv("OMP_WAIT_POLICY")) env["OMP_WAIT_POLICY"] = "passive";
  return env;
}

CacheSimResult run_cache_sim(const std::function<std::vector<std::string>(int)>& argv_for,
                             const std::map<std::string, std::string>& env, const CacheSimSettings& s) {
  if (s.iterations < 1) fail("--cache-sim-iterations must be >= 1, got {}", s.iterations);
  const auto version = valgrind_version(s.valgrind);
  if (!version) fail("--cache-sim needs valgrind ('{}' was not found or did not run)", s.valgrind);
  HostCacheGeometry host = host_cache_geometry();
  CacheSimResult r;
  auto pick = [&](const std::optional<CacheGeometry>& o, const std::optional<CacheGeometry>& h, const char* name) {
    if (o) return *o;
    if (h) {
      std::string note;
      CacheGeometry g = simulable_geometry(*h, &note);
      if (!note.empty()) r.notes.push_back(fmt::format("{}: {}", name, note));
      return g;
    }
    fail("cannot read the host's {} cache geometry from sysfs: pass --cache-sim-{} SIZE,ASSOC,LINE", name, name);
  };
  r.i1 = pick(s.i1, host.i1, "i1");
  r.d1 = pick(s.d1, host.d1, "d1");
  r.ll = pick(s.ll, host.ll, "ll");

  std::string dir = s.work_dir;
  struct RemoveDir {  // also on failure
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
  } cleanup;
  if (dir.empty()) {
    char tmpl[] = "/tmp/formbench-cachesim-XXXXXX";
    if (!mkdtemp(tmpl)) fail("cannot create a temporary directory for callgrind: {}", std::strerror(errno));
    dir = tmpl;
    cleanup.path = dir;
  }
  if (!FB_HAVE_CALLGRIND) fail("--cache-sim: this formbench was built without valgrind's callgrind.h");
  const std::string out = dir + "/callgrind.out";
  const std::string log = dir + "/callgrind.log";
  std::vector<std::string> argv = {s.valgrind,
                                   "--tool=callgrind",
                                   "--instr-atstart=no",  // start-up runs uninstrumented (fast)
                                   "--collect-atstart=no",
                                   "--cache-sim=yes",
                                   "--branch-sim=no",
                                   "--I1=" + r.i1.str(),
                                   "--D1=" + r.d1.str(),
                                   "--LL=" + r.ll.str(),
                                   "--callgrind-out-file=" + out};
  for (auto& a : argv_for(s.iterations)) argv.push_back(std::move(a));
  SpawnResult sr = spawn_and_wait(argv, env, log);
  if (sr.exit_code != 0)
    fail("cache simulation failed (exit {}) running {}:\n{}", sr.exit_code, fmt::join(argv, " "),
         tail(sr.output, 2000));
  if (!std::filesystem::is_regular_file(out))
    fail("callgrind wrote no output file {}:\n{}", out, tail(sr.output, 2000));
  CachegrindTotals totals = parse_cachegrind_output(read_file(out));
  if (totals.get("Ir") <= 0)
    fail("cache simulation counted nothing: the child did not run its inference through run_simulated_loop");
  CacheSimResult d = derive_per_inference(totals, s.iterations);
  d.i1 = r.i1;
  d.d1 = r.d1;
  d.ll = r.ll;
  d.tool = *version + " callgrind --cache-sim=yes";
  d.notes = r.notes;
  return d;
}

}  // namespace fb::measure
