#pragma once
// A study spec (studies/*.toml): groups of axes whose cartesian product is the list of measurement points.
// Parsing checks syntax and types only (no model registry), so it is usable and testable anywhere;
// docs/study.md describes the format.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fb::study {

// How each point is measured; passed to `formbench compare` as flags. Unset fields keep its defaults.
struct MeasureSettings {
  std::optional<int64_t> warmup;           // warm-up runs (at least)          --warmup
  std::optional<double> warmup_ms;         // warm-up time (at least)          --warmup-time
  std::optional<int64_t> repetitions;      // timed runs (at least)            --min-runs
  std::optional<double> min_time_ms;       // timed phase (at least)           --min-time
  std::optional<int64_t> max_repetitions;  // timed runs (at most)             --max-runs
  std::optional<double> max_time_ms;       // timed phase (at most)            --max-time
  std::optional<double> target_ci_pct;     // early stop on a tight CI         --target-ci
  std::optional<bool> counters;            // hardware LL-cache counters       false: --no-counters
  std::optional<bool> ceilings;            // % of the measured FMA peak       false: --no-ceilings
  std::optional<bool> check;               // agreement with the reference     --check
  std::optional<bool> cache_sim;           // simulated cache (valgrind)        --cache-sim
  std::optional<double> cache_sim_max_gmacs;  // simulate only points up to this many GMACs (per batch)
  std::optional<bool> explain;             // per-layer profiles and each speedup's attribution  --per-layer
                                           // (first process only; not part of a point's identity)
  std::optional<int64_t> processes;        // independent processes per point (two-level CIs)   --processes
  std::optional<int64_t> max_processes;    // at most, when an unstable point is remeasured (default 2 x processes)
  std::optional<int64_t> block;            // timed runs per backend per interleaved round    --block
  std::optional<double> max_round_trip_ns;  // placement gate of 2+-thread rounds (0: off)   --max-round-trip
  std::optional<double> timeout_s;         // per-point time limit (runner only; not part of a point's identity)
  std::optional<double> max_preemptions_per_thread_s;  // above: a process is disturbed and replaced (runner only)

  // Fields set in `over` replace ours.
  MeasureSettings merged(const MeasureSettings& over) const;
};

// One entry of the `options` axis: backend options ("KEY" for every backend of the group, "BACKEND:KEY" for
// one) -> value, passed to `formbench compare` as --opt flags. Empty: the backends' defaults.
using OptionSet = std::map<std::string, std::string>;

// One [[patterns]] or [[models]] table. Axes left out take the spec's top-level defaults.
struct Group {
  enum class Kind { Pattern, Model } kind = Kind::Pattern;
  std::string path;                   // "patterns[2]", for messages
  std::vector<std::string> names;     // pattern names, or zoo model names / .onnx paths
  std::vector<int64_t> depths;        // patterns only
  std::vector<int64_t> widths;        // patterns only
  std::map<std::string, std::string> params;  // extra model parameters (key=value in the reference)
  std::optional<std::vector<int64_t>> resolutions, batches, threads;  // threads: 0 = "cores"
  std::optional<std::vector<std::string>> backends, precisions, devices;
  std::optional<std::vector<OptionSet>> options;
  MeasureSettings measure;
};

struct Spec {
  std::string name;
  std::string description;
  std::string origin;       // file name, for messages
  std::string source_text;  // the TOML as read, stored with the study
  std::vector<int64_t> resolutions{224}, batches{1}, threads{1};
  std::vector<std::string> backends, precisions{"fp32"}, devices{"cpu"};
  std::vector<OptionSet> options{OptionSet{}};  // [""]: one group with the backends' defaults
  MeasureSettings measure;
  std::vector<Group> groups;  // every [[patterns]] in order, then every [[models]] in order
  // What threads = "cores" means: unset, the physical cores of the machine that expands the spec; set (`--cores`),
  // the cores a cluster task is granted, so every task and the submitting machine expand the same points.
  std::optional<int64_t> cores;

  // True when some group's threads (or the top-level default a group takes) say "cores".
  bool uses_cores() const;
};

// Throws fb::Error "<origin>: <key path>: <what is wrong and what is valid>".
Spec parse_spec(const std::string& toml_text, const std::string& origin = "spec");
Spec load_spec(const std::string& path);

// "1..32" -> 1..32, "1..32:4" -> 1,5,9,... (step), for depth-like axes.
std::vector<int64_t> parse_range(const std::string& text);  // throws fb::Error (message without a key path)

}  // namespace fb::study
