#pragma once
// The heap policy every measurement runs under: process-wide, so the same for every backend compared.
//
// glibc's default malloc maps large blocks fresh from the kernel and gives them back on free, with a
// threshold that moves as blocks are freed. An eager framework allocates every activation per op, so on a
// default heap it page-faults some of them in again on every inference, by an amount set by the process's
// incidental heap history. Measured here with LibTorch eager (depthwise-separable pattern, depth 3, width
// 32, 224 px, 2 threads): 15.4 ms a run with ~7000 minor faults per run in one process, 1.5-4.7 ms without
// faults in another; Python PyTorch draws the same lottery. `retain` (the default) fixes the mmap threshold
// at 32 MiB and never trims, so freed activations are reused: what a performance-aware PyTorch user gets
// from jemalloc/tcmalloc or these same settings. `default` leaves glibc alone.
#include <optional>
#include <string>

namespace fb::measure {

enum class MallocPolicy { Retain, Default };

MallocPolicy parse_malloc_policy(const std::string& s);  // throws fb::Error listing the valid names
const char* malloc_policy_name(MallocPolicy p);
// Applies `p` to this process (call before the model is loaded). `Default` changes nothing, so it must be
// chosen before `Retain` was applied in the same process; applying Retain twice is harmless. Returns why
// `Retain` could not be applied, where this process's malloc is not glibc's (a sanitizer's, or one preloaded):
// not an error, since the policy is process-wide and every backend measured runs on that allocator alike,
// but the result records it.
std::optional<std::string> apply_malloc_policy(MallocPolicy p);

}  // namespace fb::measure
