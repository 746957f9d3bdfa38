#include "measure/noise.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "measure/affinity.h"
#include "measure/ceilings.h"
#include "measure/core_round_trip.h"

namespace fb::measure {
namespace {

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

// The aggregate "cpu" line: user nice system idle iowait irq softirq steal (guest time is inside user).
void read_proc_stat(NoiseSnapshot& s) {
  std::ifstream f("/proc/stat");
  std::string line;
  if (!f || !std::getline(f, line) || line.rfind("cpu ", 0) != 0) return;
  std::istringstream in(line.substr(4));
  int64_t v[8] = {};
  for (int64_t& x : v)
    if (!(in >> x)) return;
  int64_t total = 0;
  for (int64_t x : v) total += x;
  s.steal_jiffies = v[7];
  s.total_jiffies = total;
}

std::optional<double> read_first_number(const char* path) {
  std::ifstream f(path);
  double x = 0;
  if (f >> x) return x;
  return std::nullopt;
}

}  // namespace

namespace {

NoiseSnapshot read_counters() {
  NoiseSnapshot s;
  read_proc_stat(s);
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) s.involuntary_switches = ru.ru_nivcsw;
  return s;
}

}  // namespace

// The probes run outside the counted interval: the round-trip threads, pinned to CPUs where a backend's idle
// OpenMP workers still spin, preempt them (about 500 involuntary switches a second on the quick study's
// rounds), which would read as a competing program.
NoiseSnapshot noise_snapshot() {
  const std::optional<double> round_trip = thread_round_trip_ns(current_affinity());
  NoiseSnapshot s = read_counters();
  s.round_trip_ns = round_trip;
  return s;
}

NoiseEvidence noise_since(const NoiseSnapshot& before) {
  const NoiseSnapshot now = read_counters();
  NoiseEvidence e;
  if (before.steal_jiffies && now.steal_jiffies && before.total_jiffies && now.total_jiffies) {
    const int64_t total = *now.total_jiffies - *before.total_jiffies;
    // Under one jiffy of CPU time there is nothing to divide: no value rather than a made-up 0.
    if (total > 0) e.steal_pct = 100.0 * static_cast<double>(*now.steal_jiffies - *before.steal_jiffies) / static_cast<double>(total);
  }
  e.involuntary_switches = now.involuntary_switches - before.involuntary_switches;
  e.load1 = read_first_number("/proc/loadavg");
  if (auto khz = read_first_number("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq")) e.cpu_mhz = *khz / 1000;
  e.probe_gflops = fma_probe_gflops();
  const std::optional<double> end = thread_round_trip_ns(current_affinity());
  if (before.round_trip_ns && end) e.round_trip_ns = std::max(*before.round_trip_ns, *end);
  else e.round_trip_ns = end ? end : before.round_trip_ns;
  return e;
}

nlohmann::json NoiseEvidence::to_json() const {
  return {{"steal_pct", opt(steal_pct)},
          {"involuntary_switches", involuntary_switches},
          {"load1", opt(load1)},
          {"cpu_mhz", opt(cpu_mhz)},
          {"probe_gflops", probe_gflops},
          {"round_trip_ns", opt(round_trip_ns)}};
}

}  // namespace fb::measure
