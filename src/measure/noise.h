#pragma once
// Evidence of noise around a stretch of measurement: what the rest of the machine took from us while it ran.
// Read before and after each interleaved round (never inside a timed run) from
//  - /proc/stat: steal time (the hypervisor ran someone else on our vCPUs) and all CPU time, in jiffies;
//  - getrusage(RUSAGE_SELF): involuntary context switches of this process's threads (preempted by others);
//  - /proc/loadavg: the 1-minute load;
//  - cpufreq (scaling_cur_freq of CPU 0), where the guest exposes it;
//  - a 0.1 ms probe of one thread's FMA rate (ceilings.h) at the end: the cores' current vector speed, which
//    guests without cpufreq cannot otherwise see;
//  - the round trip of a cache line between two of the process's CPUs at the start and at the end
//    (core_round_trip.h): whether the vCPUs sat on nearby or distant host cores during the round.
// Any source that cannot be read gives no value (std::nullopt), never 0.
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace fb::measure {

struct NoiseSnapshot {
  std::optional<int64_t> steal_jiffies, total_jiffies;
  int64_t involuntary_switches = 0;
  std::optional<double> round_trip_ns;
};
NoiseSnapshot noise_snapshot();

struct NoiseEvidence {
  std::optional<double> steal_pct;  // steal / all CPU time over the interval, in % of the machine
  int64_t involuntary_switches = 0;
  std::optional<double> load1;      // /proc/loadavg at the end of the interval
  std::optional<double> cpu_mhz;    // CPU 0's current frequency at the end, where readable
  double probe_gflops = 0;          // the FMA probe at the end (one thread, GFLOP/s)
  std::optional<double> round_trip_ns;  // the slower of the round trips at the start and at the end
  nlohmann::json to_json() const;
};
// What happened between `before` and now.
NoiseEvidence noise_since(const NoiseSnapshot& before);

}  // namespace fb::measure
