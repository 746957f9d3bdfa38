#pragma once
// Speedup of a backend over the native one (> 1: faster than native), from PAIRED measurements: the two
// are timed in the same interleaved rounds (runner.h), and each round gives one ratio
//   median(native's block in that round) / median(backend's block in that round).
// Drift that lasts longer than a round hits both sides of a ratio alike and cancels. The speedup is the
// median of those ratios, its CI the two-level bootstrap over processes and rounds (two_level.h); one
// process gives the bootstrap over its rounds.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fb::measure {

// Per-round ratios; both sample vectors hold `block` samples per round in round order.
std::vector<double> round_ratios(const std::vector<double>& native_ms, const std::vector<double>& other_ms, int block);

struct SpeedupCi {
  double speedup = 0;  // median over processes of each process's median per-round ratio
  double low = 0, high = 0;
  int resamples = 0;
  int processes = 1;
  size_t rounds = 0;  // over all processes
};

// `per_process_ratios`: each process's per-round ratios.
SpeedupCi paired_speedup(const std::vector<std::vector<double>>& per_process_ratios, int resamples = 2000,
                         uint64_t seed = 12345);

}  // namespace fb::measure
