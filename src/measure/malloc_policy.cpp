#include "measure/malloc_policy.h"

#include <malloc.h>

#include <climits>

#include "core/error.h"

namespace fb::measure {

MallocPolicy parse_malloc_policy(const std::string& s) {
  if (s == "retain") return MallocPolicy::Retain;
  if (s == "default") return MallocPolicy::Default;
  fail("--malloc '{}': expected retain (reuse freed activations; the default) or default (glibc as it is)", s);
}

const char* malloc_policy_name(MallocPolicy p) { return p == MallocPolicy::Retain ? "retain" : "default"; }

std::optional<std::string> apply_malloc_policy(MallocPolicy p) {
  if (p != MallocPolicy::Retain) return std::nullopt;
  // 32 MiB is glibc's largest mmap threshold on 64-bit; setting it also stops the threshold from moving.
  // glibc accepts both; only another allocator (AddressSanitizer's, a preloaded jemalloc) refuses them.
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) != 1 || mallopt(M_TRIM_THRESHOLD, INT_MAX) != 1)
    return "heap policy 'retain' not applied: this process's malloc is not glibc's (mallopt refused); every "
           "backend runs on that allocator alike";
  return std::nullopt;
}

}  // namespace fb::measure
