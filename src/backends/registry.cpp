#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "backends/backend.h"
#include "core/error.h"
#include "formbench/build_status.h"

// One factory declaration per backend CMake built (generated list).
#define FB_BUILT_BACKEND(name) std::unique_ptr<Backend> make_##name##_backend();
namespace fb {
#include "formbench/built_backends.inc"
}  // namespace fb
#undef FB_BUILT_BACKEND

namespace fb {
namespace {

struct Entry {
  std::string name;
  std::function<std::unique_ptr<Backend>()> factory;
};

std::vector<Entry>& entries() {
  static std::vector<Entry> list = [] {
    std::vector<Entry> l;
#define FB_BUILT_BACKEND(name) l.push_back({#name, &make_##name##_backend});
#include "formbench/built_backends.inc"
#undef FB_BUILT_BACKEND
    return l;
  }();
  return list;
}

}  // namespace

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const Entry& e : entries()) names.push_back(e.name);
  return names;
}

std::vector<BackendAvailability> backend_availability() {
  std::vector<BackendAvailability> out;
  for (const BackendBuildStatus* s = k_backend_build_status; s->name; ++s) out.push_back({s->name, s->built, s->reason});
  for (const Entry& e : entries())
    if (std::none_of(out.begin(), out.end(), [&](const auto& a) { return a.name == e.name; }))
      out.push_back({e.name, true, "registered at run time"});
  return out;
}

std::unique_ptr<Backend> make_backend(const std::string& name) {
  for (const Entry& e : entries())
    if (e.name == name) return e.factory();
  std::string why;
  for (const BackendBuildStatus* s = k_backend_build_status; s->name; ++s)
    if (name == s->name && !s->built) why = fmt::format(" ({} is not built into this binary: {})", name, s->reason);
  fail("unknown backend '{}'{}; available: {}", name, why, fmt::join(backend_names(), ", "));
}

void register_backend(const std::string& name, std::function<std::unique_ptr<Backend>()> factory) {
  auto& list = entries();
  auto it = std::find_if(list.begin(), list.end(), [&](const Entry& e) { return e.name == name; });
  if (it != list.end()) it->factory = std::move(factory);
  else list.push_back({name, std::move(factory)});
}

}  // namespace fb
