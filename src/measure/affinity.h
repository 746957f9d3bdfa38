#pragma once
// CPU pinning for the measuring process (sched_setaffinity). Threads a backend starts afterwards inherit the
// mask, so pin before compiling. What the kernel actually granted is read back and recorded.
#include <string>
#include <vector>

namespace fb::measure {

std::vector<int> parse_cpu_list(const std::string& text);  // "0,1" or "0-3,6"; throws fb::Error on bad text
std::vector<int> current_affinity();                          // CPUs this process may run on
// Pins the calling process to `cpus`; returns the CPUs granted (read back). Throws fb::Error if refused.
std::vector<int> pin_to_cpus(const std::vector<int>& cpus);

}  // namespace fb::measure
