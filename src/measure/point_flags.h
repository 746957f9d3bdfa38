#pragma once
// What a measurement measures, one row per setting: threads, batch, precision, device, input seed and heap
// policy. Each row is the flag of `bench`, `compare` and the cache-simulation child, how a BenchSettings
// writes it on a child's command line, and how the flag's value is read back. `bench`/`compare` register
// their flags from this table, and a study point's `compare` command line and the cache-simulation child's
// are written from it, so a setting's flag is written once. (Backend options, `--opt`, are not a row: each
// caller chooses which backend's options a child gets.)
#include <string>
#include <vector>

#include "measure/bench.h"

namespace fb::measure {

struct PointFlag {
  // How the command line checks the value before read(): a malformed number is a usage error there, as for
  // every other numeric flag.
  enum class Type { Int, UInt, Text };
  const char* names;  // CLI11 names: "-t,--threads"
  const char* flag;   // the long flag a child's command line uses: "--threads"
  const char* help;
  Type type;
  bool show_default;  // the help shows write(BenchSettings{}) as the default
  std::string (*write)(const BenchSettings&);
  void (*read)(BenchSettings&, const std::string&);  // throws fb::Error naming the flag and the value
};

const std::vector<PointFlag>& point_flags();

// Every row's flag and value for `s`, in table order: {"--threads", "2", "--batch", "1", ...}.
std::vector<std::string> point_flag_args(const BenchSettings& s);

}  // namespace fb::measure
