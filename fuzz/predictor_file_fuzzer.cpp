// libFuzzer entry point for predictor files (`formbench predict --predictor FILE`): any bytes must end in a
// Predictor or an fb::Error; a predictor it accepts must then predict a kernel of every class it has and
// compare itself with a machine without crashing. Any other exception, crash, sanitizer report, leak or
// out-of-memory is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "predict/predictor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const fb::predict::Predictor p =
        fb::predict::Predictor::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    fb::predict::KernelFeatures f;
    f.macs = 1e8, f.bytes_in = f.bytes_out = 4e5, f.weight_bytes = 1e5, f.out_elements = 1e5;
    f.cin_per_group = f.cout = 64, f.window = 9, f.stride = 2, f.fused = 2;
    for (const auto& [backend, m] : p.backends)
      for (const auto& [cls, c] : m.kernels.classes()) {
        f.cls = cls;
        (void)m.outside_kernels_ms(10, m.kernels.predict_ms(f));
      }
    (void)fb::predict::mismatches(p.fitted_for, {{"cpu_model", "x"}, {"logical_cpus", 2}}, 2);
  } catch (const fb::Error&) {
  }
  return 0;
}
