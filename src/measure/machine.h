#pragma once
// Machine facts stamped into every result: what ran where, with which software. Library versions come only
// from what this binary was compiled with (header macros), or from the library actually loaded at run time.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fb::measure {

struct CacheLevel {
  int level = 0;
  std::string type;  // "Data", "Instruction", "Unified"
  int64_t size_bytes = 0;
  int ways = 0;
  int line_bytes = 0;
  int shared_by_cpus = 0;  // logical CPUs sharing one instance
};
// From /sys/devices/system/cpu/cpu0/cache/index*/ (`sysfs_root` overridable for tests); empty if absent.
std::vector<CacheLevel> read_cache_levels(const std::string& sysfs_root = "/sys/devices/system/cpu/cpu0/cache");

struct MachineFacts {
  std::string cpu_model;
  std::vector<std::string> isa;  // the vector/matrix extensions that matter for CNN kernels
  int logical_cpus = 0;
  int physical_cores = 0;
  int sockets = 0;
  std::vector<CacheLevel> caches;
  int64_t memory_bytes = 0;
  std::string os, kernel, compiler;
  nlohmann::json libraries;  // {"libtorch": "1.13.0", "onednn": "2.6.0", ...} only what is in this binary
  std::string formbench_version, git_revision;
  std::string hostname;
  std::string timestamp;  // RFC 3339, UTC
  nlohmann::json to_json() const;
  std::string fingerprint_key() const;  // CPU model + core/thread counts: what a cached ceiling is keyed by
};
MachineFacts collect_machine_facts();

bool cpu_has_flag(const std::string& flag);  // from /proc/cpuinfo's flags
std::string rfc3339_now();

}  // namespace fb::measure
