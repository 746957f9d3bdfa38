#pragma once
// Measurement points: the expansion of a spec, each with a stable identity.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "measure/processes.h"
#include "study/spec.h"

namespace fb::study {

struct Point {
  std::string id;     // stable: hash of the settings below and the formbench version
  int64_t seq = 0;    // position in the expansion order
  int64_t group = 0;  // comparison group: points that differ only in backend share it (the shard key)
  std::string model;  // model reference with its resolution, e.g. "pattern:plain?depth=2&width=16&res=32"
  std::string family;  // 'pattern', 'hand-crafted', 'nas', 'kernel' (one layer), 'onnx'
  std::optional<std::string> pattern;
  std::optional<int64_t> depth, width;
  int64_t resolution = 0, batch = 1, threads = 1;
  std::string backend, precision = "fp32", device = "cpu";
  // The options entry of its comparison group, scoped items included: the group's backends share one process,
  // so a torch point measured beside `onednn:fuse=off` is not the torch point of the plain group.
  OptionSet options;
  MeasureSettings measure;  // resolved for this point
  double gmacs = 0;         // cost model, for the run-time estimate (not part of the identity)
  int64_t group_size = 1;   // points in its comparison group, which share one reference run (estimate only)

  // The measurement settings that are part of the identity (timeout excluded: it limits, it does not measure);
  // `options` only when there are some, so the points of a spec without them keep their identities.
  nlohmann::json settings_json() const;
  // One line for logs: "pattern:plain?depth=2&width=16&res=32 torch t=2 b=1 (onednn:fuse=off)".
  std::string label() const;
};

// An options entry in the spec's own syntax: "layout=plain onednn:fuse=off".
std::string options_text(const OptionSet& options);

// Independent processes per point when the spec says nothing (between-process variance in every CI), and
// the stability rule's limit on added processes.
inline constexpr int64_t k_default_processes = 3;
int64_t processes_of(const MeasureSettings& m);
// A comparison group's key in the store (its kept processes): its points' ids in order, comma-separated.
std::string group_key(const std::vector<const Point*>& group);
int64_t max_processes_of(const MeasureSettings& m);
// The stability rule (measure/processes.h) with the spec's overrides.
measure::StabilityRule stability_rule_of(const MeasureSettings& m);

// The `formbench compare` arguments (after the program name) that measure one process of a comparison
// group: its points (same settings, one per backend) interleaved in one process. Process 0 checks the
// outputs against the reference and simulates the cache where the points ask for it; the others only time.
// Each process draws its own round order (seed = process + 1).
std::vector<std::string> group_args(const std::vector<const Point*>& group, int process);

// What the expansion needs to know about a model reference from the model registry.
struct ModelInfo {
  std::string family;  // 'pattern', 'hand-crafted', 'nas', 'kernel' (one layer), 'onnx'
  int64_t resolution = 0;
  double gmacs = 0;  // at batch 1
};
// Throws fb::Error (the message names the model; the expansion prefixes the group's key path).
using ModelResolver = std::function<ModelInfo(const std::string& model_ref, bool is_pattern)>;

// The model registry: builds each reference without weights (shape inference + cost model), cached.
ModelResolver registry_resolver();

// A spec's axes multiply: more points than this is a mistake in the spec, refused before anything is resolved
// or expanded. 50,000 points are weeks of one machine (the paper's full grid is 2,262); the limit was 10^6
// until a fuzzed spec of 735,928 points spent minutes in the expansion before saying anything.
inline constexpr double k_max_points = 50'000;

// Deterministic, ordered: groups in spec order; within a group, name x depth x width x resolution x batch x
// precision x device x threads x options x backend (backend innermost, so the backends of one configuration run
// back to back; each options entry is a comparison group of its own). Duplicate points (same id) keep their
// first position. Throws fb::Error above k_max_points, or for a scoped option whose backend the group lacks.
std::vector<Point> expand(const Spec& spec, const ModelResolver& resolve);

// Stable 16-hex-digit identity of a point's settings (FNV-1a 64 of canonical JSON, with the version).
std::string point_id(const Point& p);

// Rough run time of one point in seconds (documented as an estimate: cost model / nominal backend speed).
double estimate_seconds(const Point& p);

// "i/N" -> {i, N} with 1 <= i <= N.
std::pair<int, int> parse_shard(const std::string& text);
bool in_shard(const Point& p, std::pair<int, int> shard);

}  // namespace fb::study
