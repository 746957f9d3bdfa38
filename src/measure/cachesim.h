#pragma once
// Simulated cache behaviour: the inference loop under valgrind's callgrind with its cache simulator (the
// same model as cachegrind's), with the host's cache geometry (sysfs) unless overridden. Everything here is
// a SIMULATION of a two-level hierarchy (I1/D1 + one shared LL), not a hardware measurement; outputs say
// "simulated".
//
// Per-inference numbers exclude loading, compiling and set-up: the child runs uninstrumented until its
// loop (start-up of a LibTorch-linked binary costs ~50 s instrumented, ~10 s not), then run_simulated_loop
// simulates one warm-up run (the caches fill, nothing counted) and counts k runs. Totals / k is one inference. From the simulator's events:
//   LL references = I1mr + D1mr + D1mw   (every first-level miss goes to LL)
//   LL misses     = ILmr + DLmr + DLmw
//   miss rate     = LL misses / LL references
//   instructions  = Ir
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fb::measure {

struct CacheGeometry {
  int64_t size_bytes = 0;
  int assoc = 0;
  int line_bytes = 0;
  std::string str() const;  // "size,assoc,line" as valgrind takes it
};
// "SIZE,ASSOC,LINE", SIZE with an optional K/M/G suffix (e.g. "32M,16,64"). Throws fb::Error naming `what`.
CacheGeometry parse_cache_geometry(const std::string& text, const std::string& what);

// valgrind needs a power-of-two number of sets. A host cache without one (e.g. 36 MiB 12-way) is simulated
// with the same size and line and a higher associativity that makes the set count a power of two (as
// valgrind itself does for auto-detected caches); `note` says so. Geometries that cannot be fixed throw.
CacheGeometry simulable_geometry(const CacheGeometry& g, std::string* note = nullptr);

struct HostCacheGeometry {
  std::optional<CacheGeometry> i1, d1, ll;
};
HostCacheGeometry host_cache_geometry(const std::string& sysfs_root = "/sys/devices/system/cpu/cpu0/cache");

struct CacheSimSettings {
  std::optional<CacheGeometry> i1, d1, ll;  // overrides; else the host's
  int iterations = 1;                       // k
  std::string valgrind = "valgrind";
  std::string work_dir;                     // for valgrind's files; default: a fresh temp dir, removed after
};

struct CachegrindTotals {
  std::map<std::string, double> events;  // "Ir" -> total, ...
  double get(const std::string& e) const;  // throws fb::Error if the file lacked the event
};
// Reads the `events:` line and the totals (`totals:` in callgrind files, `summary:` in cachegrind ones;
// trailing zeros may be left out). Throws fb::Error on a malformed file.
CachegrindTotals parse_cachegrind_output(const std::string& text);

struct CacheSimResult {
  CacheGeometry i1, d1, ll;
  int iterations = 1;
  double instructions = 0, data_refs = 0, d1_misses = 0, ll_refs = 0, ll_misses = 0;  // per inference
  double ll_miss_rate() const { return ll_refs > 0 ? ll_misses / ll_refs : 0; }
  std::string tool;  // "valgrind-3.19.0 callgrind --cache-sim=yes"
  std::vector<std::string> notes;  // geometry adjustments
  nlohmann::json to_json() const;
};
// Per-inference results from the totals of k counted runs.
CacheSimResult derive_per_inference(const CachegrindTotals& totals, int k);

// Runs `argv_for(k)` once under callgrind; the child runs its inference through run_simulated_loop.
// `env` entries are added to (and override) the child's environment.
CacheSimResult run_cache_sim(const std::function<std::vector<std::string>(int)>& argv_for,
                             const std::map<std::string, std::string>& env, const CacheSimSettings& s);

// Environment the child needs under valgrind: OPENBLAS_CORETYPE (so no start-up re-exec and no AVX-512
// kernels valgrind cannot decode) and OMP_WAIT_POLICY=passive (spinning threads would add simulated work),
// each only when the user has not set it.
std::map<std::string, std::string> cache_sim_child_env();

// The child's side of run_cache_sim: `run` once unsimulated (first-run effects), once simulated but not
// counted (the simulated caches fill), then `iterations` counted runs. Outside valgrind it just runs.
void run_simulated_loop(const std::function<void()>& run, int iterations);

std::optional<std::string> valgrind_version(const std::string& valgrind = "valgrind");  // nullopt: not found

}  // namespace fb::measure
