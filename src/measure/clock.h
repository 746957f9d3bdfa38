#pragma once
// The clock every measurement reads: std::chrono::steady_clock (monotonic; never the wall clock). It sits
// behind an interface so the stopping rules can be tested with a fake clock.
#include <cstdint>

namespace fb::measure {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ns() = 0;
};

class SteadyClock : public Clock {
 public:
  int64_t now_ns() override;
};
SteadyClock& steady_clock();

// Cost of one clock read in ns: the median over blocks of back-to-back reads. Every sample contains about
// one read's worth of it; it is reported, not subtracted.
double measure_timer_overhead_ns(Clock& clock);

}  // namespace fb::measure
