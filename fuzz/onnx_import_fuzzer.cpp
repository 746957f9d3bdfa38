// libFuzzer entry point: any byte string given to the importer must end in a graph or an fb::Error; any
// other exception, crash, sanitizer report, leak or out-of-memory is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "ir/cost.h"
#include "onnx/onnx_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fb::OnnxImportOptions opt;
  // Small limits keep each run fast; they are checked exactly like the defaults.
  opt.max_bytes = 1 << 20;
  opt.max_tensor_elements = 1 << 20;
  opt.max_total_elements = 1 << 22;
  opt.max_nodes = 4096;
  try {
    fb::Graph g = fb::import_onnx_bytes(std::string_view(reinterpret_cast<const char*>(data), size), opt, "fuzz.onnx");
    (void)fb::graph_cost(g);
  } catch (const fb::Error&) {
  }
  return 0;
}
