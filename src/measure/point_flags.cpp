#include "measure/point_flags.h"

#include <charconv>

#include "core/error.h"
#include "measure/malloc_policy.h"

namespace fb::measure {
namespace {

template <class Int>
Int to_integer(const char* flag, const std::string& v) {
  Int x{};
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size())
    fail("{} '{}': expected an integer{}", flag, v, ec == std::errc::result_out_of_range ? " in range" : "");
  return x;
}

}  // namespace

const std::vector<PointFlag>& point_flags() {
  static const std::vector<PointFlag> flags = {
      {"-t,--threads", "--threads", "intra-op threads, passed to every backend", PointFlag::Type::Int, true,
       [](const BenchSettings& s) { return std::to_string(s.threads); },
       [](BenchSettings& s, const std::string& v) { s.threads = to_integer<int>("--threads", v); }},
      {"-b,--batch", "--batch", "batch size (default: the model's own)", PointFlag::Type::Int, false,
       [](const BenchSettings& s) { return std::to_string(s.batch); },
       [](BenchSettings& s, const std::string& v) { s.batch = to_integer<int64_t>("--batch", v); }},
      {"--precision", "--precision", "fp32, bf16, tf32, fp16 or int8 (which a backend computes in: formbench list backends)", PointFlag::Type::Text, true,
       [](const BenchSettings& s) { return std::string(precision_name(s.precision)); },
       [](BenchSettings& s, const std::string& v) {
         try {
           s.precision = parse_precision(v);
         } catch (const Error& e) {
           fail("--precision: {}", e.what());
         }
       }},
      {"--device", "--device", "cpu or cuda", PointFlag::Type::Text, true, [](const BenchSettings& s) { return s.device; },
       [](BenchSettings& s, const std::string& v) { s.device = v; }},
      {"--seed", "--seed", "seed of the deterministic input", PointFlag::Type::UInt, true,
       [](const BenchSettings& s) { return std::to_string(s.seed); },
       [](BenchSettings& s, const std::string& v) { s.seed = to_integer<uint64_t>("--seed", v); }},
      {"--malloc", "--malloc",
       "heap policy for every backend: retain (freed activations are reused, no page faults per run) or default "
       "(glibc as it is)",
       PointFlag::Type::Text, true, [](const BenchSettings& s) { return std::string(malloc_policy_name(s.malloc)); },
       [](BenchSettings& s, const std::string& v) { s.malloc = parse_malloc_policy(v); }},
  };
  return flags;
}

std::vector<std::string> point_flag_args(const BenchSettings& s) {
  std::vector<std::string> a;
  for (const PointFlag& p : point_flags()) {
    a.push_back(p.flag);
    a.push_back(p.write(s));
  }
  return a;
}

}  // namespace fb::measure
