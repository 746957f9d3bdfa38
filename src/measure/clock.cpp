#include "measure/clock.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace fb::measure {

int64_t SteadyClock::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

SteadyClock& steady_clock() {
  static SteadyClock c;
  return c;
}

double measure_timer_overhead_ns(Clock& clock) {
  constexpr int k_blocks = 51, k_reads = 1000;
  std::vector<double> per_read;
  per_read.reserve(k_blocks);
  for (int b = 0; b < k_blocks; ++b) {
    const int64_t t0 = clock.now_ns();
    int64_t sink = 0;
    for (int i = 0; i < k_reads; ++i) sink += clock.now_ns() & 1;
    const int64_t t1 = clock.now_ns();
    per_read.push_back(static_cast<double>(t1 - t0 + (sink & 0)) / k_reads);
  }
  std::nth_element(per_read.begin(), per_read.begin() + k_blocks / 2, per_read.end());
  return per_read[k_blocks / 2];
}

}  // namespace fb::measure
