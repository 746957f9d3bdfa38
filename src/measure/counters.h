#pragma once
// Hardware counters around the timed loop: LLC references and misses, cycles, instructions, through
// perf_event_open. The kernel's generic events PERF_COUNT_HW_CACHE_REFERENCES / _MISSES are what it maps to
// the last-level cache on x86. Every thread of the process at start() is counted (one fd per thread and
// event, `inherit` for threads created later); values are scaled for multiplexing (time_enabled /
// time_running). Where the kernel or hypervisor refuses, the result says "unavailable" with the reason, and
// the values are absent (never 0).
//
// The syscalls sit behind PerfSys so tests can exercise the available path with a fake.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fb::measure {

enum class CounterEvent { LlReferences, LlMisses, Cycles, Instructions };
inline constexpr CounterEvent k_all_counter_events[] = {CounterEvent::LlReferences, CounterEvent::LlMisses,
                                                        CounterEvent::Cycles, CounterEvent::Instructions};
const char* counter_event_name(CounterEvent e);

class PerfSys {
 public:
  virtual ~PerfSys() = default;
  // Opens a counter for `event` on thread `tid` (disabled, inherit). Returns fd >= 0, or -errno.
  virtual int open(CounterEvent event, int tid) = 0;
  virtual int enable(int fd) = 0;   // 0 or -errno
  virtual int disable(int fd) = 0;  // 0 or -errno
  // Reads value, time_enabled, time_running. Returns 0 or -errno.
  virtual int read(int fd, uint64_t& value, uint64_t& enabled, uint64_t& running) = 0;
  virtual void close(int fd) = 0;
  virtual std::vector<int> threads() = 0;  // thread ids of this process
  virtual std::string environment_note() { return {}; }  // e.g. "perf_event_paranoid=2"
};
// The real system calls.
std::unique_ptr<PerfSys> make_linux_perf_sys();

struct CounterResult {
  std::string source = "unavailable";  // "hardware", "simulated" or "unavailable"
  std::optional<std::string> reason;   // why unavailable / what is missing / how it was simulated
  std::optional<double> ll_references, ll_misses, cycles, instructions;  // per inference
  std::optional<double> ll_miss_rate() const;
  nlohmann::json to_json() const;  // the `counters` object of bench --json
};

class CounterSession {
 public:
  explicit CounterSession(PerfSys& sys) : sys_(sys) {}
  ~CounterSession();
  CounterSession(const CounterSession&) = delete;
  CounterSession& operator=(const CounterSession&) = delete;
  void start();  // opens and enables; failures are remembered, never thrown
  void stop();   // disables
  // Per-inference values for `inferences` runs between start() and stop().
  CounterResult result(int64_t inferences);

 private:
  struct Fd {
    CounterEvent event;
    int fd;
  };
  PerfSys& sys_;
  std::vector<Fd> fds_;
  std::vector<std::pair<CounterEvent, std::string>> failures_;
  bool started_ = false;
};

// One-time probe: can this process count cycles at all? (for doctor and the "say it once" note)
CounterResult probe_counters(PerfSys& sys);

}  // namespace fb::measure
