#include "core/library_versions.h"

namespace fb {
namespace {
std::map<std::string, std::string>& table() {
  static std::map<std::string, std::string> t;  // function-local: registrars run during static initialisation
  return t;
}
}  // namespace

void register_library_version(const std::string& name, const std::string& version) { table()[name] = version; }

std::map<std::string, std::string> registered_library_versions() { return table(); }

}  // namespace fb
