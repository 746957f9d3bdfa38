#pragma once
// Activation ranges for static int8 quantization (docs/int8_design.md): the graph run on the reference
// backend over N deterministic inputs, every value observed. Run it on the graph an int8 backend compiles
// (after the inference passes, BatchNorm folded) so the names match; both int8 backends get the same ranges,
// so int8 is measured against int8 on equal terms.
#include <cstdint>
#include <map>
#include <string>

#include "core/quantize.h"
#include "backends/backend.h"
#include "ir/graph.h"

namespace fb {

struct ValueRange {
  float min = 0, max = 0;
  float absmax() const;
};

struct CalibrationOptions {
  int inputs = 8;
  uint64_t first_seed = 1000;  // inputs from seeds first_seed, first_seed + 1, ...: not the evaluation's seeds
};

// The calibration an int8 compile asks for: the backend option calibration_inputs=N (1..1000, int8 only;
// default 8, so both int8 backends take the same ranges unless told otherwise). Throws fb::Error naming the
// backend on a malformed value or on the option with another precision.
CalibrationOptions calibration_options(const std::string& backend, const CompileOptions& opt);

// The range of every value (graph inputs included), by value name. Throws fb::Error on fewer than one input,
// a graph without weights, or a value that is not finite (naming it).
std::map<std::string, ValueRange> calibrate(const Graph& g, const CalibrationOptions& opt = {});

// Whether this CPU has int8 dot products (AVX512-VNNI or AVX-VNNI). Without them a u8 x s8 pair sum can
// saturate 16 bits, so both int8 backends take 7-bit activations there (reduce_range below).
bool cpu_has_int8_dot_product();

// A value's quantization from its range: u8 when it is never negative (after a ReLU), else s8; zero point 0.
QParams activation_params(const ValueRange& r, bool reduce_range = false);

}  // namespace fb
