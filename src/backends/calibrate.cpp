#include "backends/calibrate.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "backends/backend.h"
#include "core/error.h"

namespace fb {

float ValueRange::absmax() const { return std::max(std::fabs(min), std::fabs(max)); }

CalibrationOptions calibration_options(const std::string& backend, const CompileOptions& opt) {
  CalibrationOptions c;
  const auto it = opt.extra.find("calibration_inputs");
  if (it == opt.extra.end()) return c;
  const std::string& v = it->second;
  int n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 1000)
    fail("backend '{}': option calibration_inputs={} must be an integer from 1 to 1000", backend, v);
  if (opt.precision != Precision::I8)
    fail("backend '{}': option calibration_inputs applies to --precision int8 only", backend);
  c.inputs = n;
  return c;
}

std::map<std::string, ValueRange> calibrate(const Graph& g, const CalibrationOptions& opt) {
  if (opt.inputs < 1) fail("calibration needs at least one input, got {}", opt.inputs);
  // Every value an output: the reference backend then hands back each intermediate tensor.
  Graph all = g;
  all.outputs.clear();
  for (size_t v = 0; v < all.values.size(); ++v) all.outputs.push_back(static_cast<ValueId>(v));
  auto exe = make_backend("reference")->compile(all, CompileOptions{});
  std::vector<ValueRange> range(all.values.size());
  std::vector<bool> seen(all.values.size(), false);
  std::vector<Tensor> out;
  for (int i = 0; i < opt.inputs; ++i) {
    exe->run(make_inputs(g, opt.first_seed + static_cast<uint64_t>(i)), out);
    for (size_t v = 0; v < out.size(); ++v) {
      const Tensor& t = out[v];
      if (!t.has_data()) continue;  // a value no node computes
      for (int64_t k = 0; k < t.numel(); ++k) {
        const float x = t[k];
        if (!std::isfinite(x))
          fail("calibration of '{}': value '{}' is {} on calibration input {}", g.name, all.values[v].name, x, i);
        ValueRange& r = range[v];
        if (!seen[v]) r = {x, x};
        r.min = std::min(r.min, x);
        r.max = std::max(r.max, x);
        seen[v] = true;
      }
    }
  }
  std::map<std::string, ValueRange> by_name;
  for (size_t v = 0; v < all.values.size(); ++v)
    if (seen[v]) by_name[all.values[v].name] = range[v];
  return by_name;
}

bool cpu_has_int8_dot_product() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512vnni") || __builtin_cpu_supports("avxvnni");
#else
  return false;
#endif
}

QParams activation_params(const ValueRange& r, bool reduce_range) {
  return r.min >= 0 ? choose_u8(r.max, reduce_range) : choose_s8(r.absmax());
}

}  // namespace fb
