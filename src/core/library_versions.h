#pragma once
// Versions of the libraries formbench was built against, registered by the layer that links each one.
// Why: a library's file name often does not carry its release (libonnx.so.1, libprotobuf.so.32.0.12 is
// protobuf 3.21.12), and only the layer that includes its headers knows the release; the machine record
// (measure/) reads this table without depending on those layers.
#include <map>
#include <string>

namespace fb {

// Called from a static registrar; the last registration of a name wins.
void register_library_version(const std::string& name, const std::string& version);
std::map<std::string, std::string> registered_library_versions();

}  // namespace fb
