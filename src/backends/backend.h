#pragma once
// The backend interface. A backend compiles a graph for given options into an Executable (all shape-time
// work: layout choice, weight conversion, primitive creation), which then only runs (data-time work).
// A backend is a folder under src/backends/ with a CMakeLists.txt that calls
// formbench_backend_status(NAME TRUE|FALSE "why") and, when built, defines
//   std::unique_ptr<fb::Backend> fb::make_NAME_backend();
// Hooks marked (optional) have defaults.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "ir/graph.h"

namespace fb {

enum class Precision { F32, BF16, TF32, F16, I8 };

// What a precision is, written once: its name, what an activation takes between layers, what products
// accumulate in, and how far a backend's outputs may be from the fp32 reference (compare.h's relative max
// error; int8's bound is loose, and its accuracy over 100 inputs decides, docs/int8_design.md).
struct PrecisionInfo {
  Precision precision;
  const char* name;          // "fp32"; parse_precision also takes the aliases in `aliases`
  const char* aliases;       // comma-separated, may be empty
  int storage_bytes;         // of an activation stored between layers
  const char* accumulation;  // "fp32" or "int32"
  double tolerance;
  // A quantized precision's accuracy bound (backends/accuracy.h), checked over this many deterministic
  // inputs beside the tolerance (0: none): mean cosine similarity of the outputs and top-1 agreement with the
  // fp32 reference.
  int accuracy_inputs = 0;
  double min_cosine = 0;
  double min_top1 = 0;
};
const std::vector<PrecisionInfo>& precisions();
const PrecisionInfo& precision_info(Precision p);
const char* precision_name(Precision p);
Precision parse_precision(const std::string& s);  // throws listing valid names
const PrecisionInfo* find_precision(const std::string& s);  // by name or alias; null if none (a foreign database)

struct CompileOptions {
  int threads = 1;  // intra-op threads; every backend honours it (the same T in every comparison)
  Precision precision = Precision::F32;
  std::string device = "cpu";
  // Backend-specific switches ("fuse" = "off", ...). A backend refuses keys it does not know.
  std::map<std::string, std::string> extra;
};

struct Support {
  bool ok = true;
  std::string reason;  // why not, in words
};

// What compiling did, for `compare` and the results store.
struct Description {
  std::string backend;
  int64_t ops_executed = 0;            // kernels/primitives/ATen calls per inference
  std::vector<std::string> fusions;    // one line per fusion applied ("layer1.0.conv1+bn1+relu")
  std::vector<std::string> reorders;   // layout conversions that remain per inference
  int64_t arena_bytes = 0;             // activation memory planned (0: not planned)
  int64_t naive_activation_bytes = 0;  // sum of all activations, for comparison
  double compile_ms = 0;
  std::vector<std::string> notes;      // anything else worth knowing (ISA used, fallbacks)
  // Convolutions run by a fast algorithm (Winograd), which does fewer multiplications than the FLOP count
  // says: a GFLOP/s figure is then an effective rate and no share of the FMA peak.
  int64_t fast_algorithm_convs = 0;
  nlohmann::json to_json() const;
  std::string summary() const;  // one line
};

// What an executed step of a per-layer profile is: a kernel computing IR nodes, a layout conversion the
// backend added (covers no node), a data copy computing a node (concat, split, shuffle), or the time between
// the steps (dispatch, the loop, input and output conversion): the profile's entries then add up to the whole
// profiled run.
enum class LayerKind { Compute, Reorder, Copy, Overhead };
const char* layer_kind_name(LayerKind k);

struct LayerTime {
  std::string name;  // node name (or fused group)
  std::string op;
  double ms = 0;
  std::vector<std::string> nodes;  // names of the IR nodes this step computes, the anchor first; empty for
                                   // reorders and overhead
  LayerKind kind = LayerKind::Compute;
};

class Executable {
 public:
  virtual ~Executable() = default;
  // Inputs in Graph::inputs order, outputs in Graph::outputs order; `outputs` is resized and reused.
  virtual void run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) = 0;
  virtual Description describe() const = 0;
  // (optional) Time each layer over `iterations` runs, after one untimed run (ms per run; layer_clock.h says
  // which runs count); empty when the backend cannot. A host backend also adds one Overhead entry, the rest
  // of the profiled run's time, so the entries add up to a whole run.
  virtual std::vector<LayerTime> profile_layers(const std::vector<Tensor>& inputs, int iterations) {
    return {};
  }
  // (optional) The steps profile_layers times, in order, without running anything (every ms 0, no Overhead
  // entry): the kernels this backend compiled, with the IR nodes each covers. A latency predictor splits a
  // graph with it (src/predict). Empty when the backend cannot say.
  virtual std::vector<LayerTime> kernels() const { return {}; }
  // (optional) Device-resident execution, for backends whose memory is across a bus (GPUs): upload() copies
  // the inputs to the device once, run_resident() runs on them without host transfers, fetch() copies the
  // outputs back. The timed loop uses run_resident() unless the user asks for transfers to be included.
  // Host backends keep resident() false and only run() is called.
  virtual bool resident() const { return false; }
  virtual void upload(const std::vector<Tensor>& inputs) {}
  virtual void run_resident() {}
  virtual void fetch(std::vector<Tensor>& outputs) {}
  // (optional) The device-measured time (e.g. CUDA events) of the latest run() or run_resident(), in ms;
  // negative when the backend has no device timer (the host clock is used then).
  virtual double last_device_ms() const { return -1; }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual std::string summary() const = 0;  // one line for `formbench list backends`
  // (optional) Whether a node can run here; the default accepts everything.
  virtual Support supports(const Graph& g, const Node& n, const CompileOptions& opt) const { return {}; }
  // (optional) Facts and health checks for `formbench doctor`, e.g. {"blas": "openblas", "gemm_gflops": 220,
  // "warnings": ["..."]}. A "warnings" array of strings is printed loudly.
  virtual nlohmann::json diagnostics(const CompileOptions& opt) const { return nlohmann::json::object(); }
  // Throws fb::Error naming every unsupported node/op, or an option it cannot honour.
  virtual std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const = 0;
};

// Registry. Names of backends built into this binary, and a factory by name; an unknown or missing name
// gets an error listing what is available and why the missing ones are missing.
std::vector<std::string> backend_names();
std::unique_ptr<Backend> make_backend(const std::string& name);
struct BackendAvailability {
  std::string name;
  bool built;
  std::string reason;
};
std::vector<BackendAvailability> backend_availability();
// For tests: register an extra backend under a name (e.g. a deliberately failing one).
void register_backend(const std::string& name, std::function<std::unique_ptr<Backend>()> factory);

// Checks every node with Backend::supports and throws one error listing every unsupported op with the node
// names, or an option the backend refuses. Backends call this first in compile().
void check_supported(const Backend& b, const Graph& g, const CompileOptions& opt);
// Throws if `opt.extra` has keys outside `known`.
void check_extra_options(const Backend& b, const CompileOptions& opt, const std::vector<std::string>& known);

// Deterministic inputs for a graph from a seed (uniform [-1, 1)).
std::vector<Tensor> make_inputs(const Graph& g, uint64_t seed = 1);

}  // namespace fb
