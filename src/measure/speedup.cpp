#include "measure/speedup.h"

#include <algorithm>

#include "core/error.h"
#include "measure/stats.h"
#include "measure/two_level.h"

namespace fb::measure {

std::vector<double> round_ratios(const std::vector<double>& native_ms, const std::vector<double>& other_ms, int block) {
  if (block < 1) fail("speedup: block must be >= 1, got {}", block);
  if (native_ms.size() != other_ms.size() || native_ms.size() % static_cast<size_t>(block) != 0 || native_ms.empty())
    fail("speedup: paired samples must be whole rounds of {} on both sides (got {} and {})", block, native_ms.size(),
         other_ms.size());
  std::vector<double> ratios;
  const auto b = static_cast<std::ptrdiff_t>(block);
  for (size_t at = 0; at < native_ms.size(); at += static_cast<size_t>(block)) {
    std::vector<double> n(native_ms.begin() + static_cast<std::ptrdiff_t>(at), native_ms.begin() + static_cast<std::ptrdiff_t>(at) + b);
    std::vector<double> o(other_ms.begin() + static_cast<std::ptrdiff_t>(at), other_ms.begin() + static_cast<std::ptrdiff_t>(at) + b);
    ratios.push_back(median_in_place(n) / median_in_place(o));
  }
  return ratios;
}

SpeedupCi paired_speedup(const std::vector<std::vector<double>>& per_process_ratios, int resamples, uint64_t seed) {
  if (per_process_ratios.empty()) fail("speedup needs paired rounds from at least one process");
  const TwoLevel t = two_level(per_process_ratios, resamples, seed);
  SpeedupCi s;
  s.speedup = t.estimate;
  s.low = t.low;
  s.high = t.high;
  s.resamples = t.resamples;
  s.processes = t.processes;
  s.rounds = t.values;
  return s;
}

}  // namespace fb::measure
