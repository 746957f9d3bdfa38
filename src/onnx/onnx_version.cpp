// The ONNX and protobuf releases this layer was compiled against, for the machine record and `doctor`
// (their shared objects are named libonnx.so.1 and libprotobuf.so.32, which say neither release).
#include <google/protobuf/stubs/common.h>
#include <onnx/common/version.h>

#include <fmt/format.h>

#include "core/library_versions.h"

namespace fb {
namespace {

struct Registrar {
  Registrar() {
    register_library_version("onnx", ::onnx::LAST_RELEASE_VERSION);
    constexpr int v = GOOGLE_PROTOBUF_VERSION;  // 3021012 is 3.21.12
    register_library_version("protobuf", fmt::format("{}.{}.{}", v / 1000000, v / 1000 % 1000, v % 1000));
  }
} registrar;

}  // namespace
}  // namespace fb
