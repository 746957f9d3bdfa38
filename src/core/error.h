#pragma once
// Two tiers of errors: fb::Error is a recoverable, user-facing failure (bad model, bad flag, unsupported op)
// whose message names the culprit; it is caught at the edge (the CLI, the study runner) and reported.
// FB_ASSERT is for broken internal invariants only, never for anything a user can reach.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace fb {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throws fb::Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace fb

#define FB_ASSERT(cond)                                                                   \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "formbench: internal error: %s at %s:%d\n", #cond, __FILE__, \
                   __LINE__);                                                             \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
