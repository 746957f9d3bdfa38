// libFuzzer entry point for study specs: any text given to the TOML spec parser, and the expansion of what it
// accepts into points, must end in points or an fb::Error; any other exception, crash, sanitizer report, leak
// or out-of-memory is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "study/point.h"
#include "study/spec.h"

namespace {

// Stands in for the model registry (not linked here): deterministic facts, and an error for names that start
// with 'x', so both outcomes of a lookup reach the expansion.
fb::study::ModelInfo fake_resolve(const std::string& ref, bool is_pattern) {
  if (ref.find('x') == 0 || ref.find("pattern:x") == 0) fb::fail("unknown model '{}'", ref);
  fb::study::ModelInfo info;
  info.family = is_pattern ? "pattern" : ref.ends_with(".onnx") ? "onnx" : "hand-crafted";
  info.resolution = 32;
  info.gmacs = static_cast<double>(ref.size()) / 1000;
  return info;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const fb::study::Spec spec = fb::study::parse_spec(std::string(reinterpret_cast<const char*>(data), size), "fuzz.toml");
    const std::vector<fb::study::Point> points = fb::study::expand(spec, fake_resolve);
    double total = 0;
    for (const fb::study::Point& p : points) total += fb::study::estimate_seconds(p);
    (void)total;
    if (!points.empty()) (void)fb::study::group_args({&points.front()}, 0);
  } catch (const fb::Error&) {
  }
  return 0;
}
