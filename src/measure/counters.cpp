#include "measure/counters.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fb::measure {
namespace {

class LinuxPerfSys : public PerfSys {
 public:
  int open(CounterEvent event, int tid) override {
    perf_event_attr a;
    std::memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_HARDWARE;
    switch (event) {
      case CounterEvent::LlReferences: a.config = PERF_COUNT_HW_CACHE_REFERENCES; break;
      case CounterEvent::LlMisses: a.config = PERF_COUNT_HW_CACHE_MISSES; break;
      case CounterEvent::Cycles: a.config = PERF_COUNT_HW_CPU_CYCLES; break;
      case CounterEvent::Instructions: a.config = PERF_COUNT_HW_INSTRUCTIONS; break;
    }
    a.disabled = 1;
    a.inherit = 1;
    a.exclude_kernel = 1;  // user space only: allowed at perf_event_paranoid <= 2
    a.exclude_hv = 1;
    a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    const long fd = syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : static_cast<int>(fd);
  }
  int enable(int fd) override { return ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0 ? -errno : 0; }
  int disable(int fd) override { return ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) < 0 ? -errno : 0; }
  int read(int fd, uint64_t& value, uint64_t& enabled, uint64_t& running) override {
    uint64_t buf[3];
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) return -errno;
    if (n != sizeof(buf)) return -EIO;
    value = buf[0];
    enabled = buf[1];
    running = buf[2];
    return 0;
  }
  void close(int fd) override { ::close(fd); }
  std::vector<int> threads() override {
    std::vector<int> t;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/task", ec)) {
      try {
        t.push_back(std::stoi(e.path().filename().string()));
      } catch (...) {
      }
    }
    if (t.empty()) t.push_back(static_cast<int>(::getpid()));
    return t;
  }
  std::string environment_note() override {
    std::ifstream f("/proc/sys/kernel/perf_event_paranoid");
    int v = 0;
    if (f >> v) return fmt::format("kernel.perf_event_paranoid={}", v);
    return "no /proc/sys/kernel/perf_event_paranoid";
  }
};

std::string errno_text(int neg_errno) {
  const int e = -neg_errno;
  std::string s = std::strerror(e);
  if (e == ENOENT || e == EOPNOTSUPP) s += " (no PMU for this event: common in virtual machines)";
  if (e == EACCES || e == EPERM) s += " (not permitted: lower kernel.perf_event_paranoid or run privileged)";
  return s;
}

}  // namespace

std::unique_ptr<PerfSys> make_linux_perf_sys() { return std::make_unique<LinuxPerfSys>(); }

const char* counter_event_name(CounterEvent e) {
  switch (e) {
    case CounterEvent::LlReferences: return "ll_references";
    case CounterEvent::LlMisses: return "ll_misses";
    case CounterEvent::Cycles: return "cycles";
    case CounterEvent::Instructions: return "instructions";
  }
  return "?";
}

std::optional<double> CounterResult::ll_miss_rate() const {
  if (!ll_references || !ll_misses || *ll_references <= 0) return std::nullopt;
  return *ll_misses / *ll_references;
}

nlohmann::json CounterResult::to_json() const {
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"source", source},
          {"reason", reason ? nlohmann::json(*reason) : nlohmann::json(nullptr)},
          {"ll_references_per_inference", opt(ll_references)},
          {"ll_misses_per_inference", opt(ll_misses)},
          {"ll_miss_rate", opt(ll_miss_rate())},
          {"cycles_per_inference", opt(cycles)},
          {"instructions_per_inference", opt(instructions)}};
}

CounterSession::~CounterSession() {
  for (const Fd& f : fds_) sys_.close(f.fd);
}

void CounterSession::start() {
  started_ = true;
  const std::vector<int> tids = sys_.threads();
  for (CounterEvent ev : k_all_counter_events) {
    std::vector<Fd> opened;
    int err = 0;
    for (int tid : tids) {
      const int fd = sys_.open(ev, tid);
      if (fd >= 0) opened.push_back({ev, fd});
      else if (fd != -ESRCH && !err) err = fd;  // ESRCH: the thread exited after listing; it runs no more
    }
    // An event that failed on a live thread would undercount, so it is dropped entirely.
    if (opened.empty() && !err) err = -ESRCH;
    if (err) {
      failures_.emplace_back(ev, errno_text(err));
      for (const Fd& f : opened) sys_.close(f.fd);
      continue;
    }
    fds_.insert(fds_.end(), opened.begin(), opened.end());
  }
  for (const Fd& f : fds_) sys_.enable(f.fd);
}

void CounterSession::stop() {
  for (const Fd& f : fds_) sys_.disable(f.fd);
}

CounterResult CounterSession::result(int64_t inferences) {
  CounterResult r;
  std::map<CounterEvent, double> totals;
  std::map<CounterEvent, std::string> read_failures;
  for (const Fd& f : fds_) {
    uint64_t v = 0, en = 0, run = 0;
    const int rc = sys_.read(f.fd, v, en, run);
    if (rc < 0) {
      read_failures[f.event] = fmt::format("read({}): {}", counter_event_name(f.event), errno_text(rc));
      continue;
    }
    if (run == 0) {
      if (en > 0) read_failures[f.event] = fmt::format("{}: never scheduled on the PMU", counter_event_name(f.event));
      else totals[f.event] += 0;  // thread never ran while enabled: it contributed nothing
      continue;
    }
    totals[f.event] += static_cast<double>(v) * (static_cast<double>(en) / static_cast<double>(run));
  }
  std::vector<std::string> why;
  // One line per distinct error, naming the events it hit ("perf_event_open(cycles, instructions): ...").
  std::vector<std::pair<std::string, std::vector<std::string>>> grouped;
  for (const auto& [ev, msg] : failures_) {
    auto it = std::find_if(grouped.begin(), grouped.end(), [&](const auto& g) { return g.first == msg; });
    if (it == grouped.end()) grouped.push_back({msg, {counter_event_name(ev)}});
    else it->second.push_back(counter_event_name(ev));
  }
  for (const auto& [msg, evs] : grouped) why.push_back(fmt::format("perf_event_open({}): {}", fmt::join(evs, ", "), msg));
  for (const auto& [ev, msg] : read_failures) {
    why.push_back(msg);
    totals.erase(ev);
  }
  const double n = inferences > 0 ? static_cast<double>(inferences) : 1;
  for (const auto& [ev, total] : totals) {
    const double per = total / n;
    switch (ev) {
      case CounterEvent::LlReferences: r.ll_references = per; break;
      case CounterEvent::LlMisses: r.ll_misses = per; break;
      case CounterEvent::Cycles: r.cycles = per; break;
      case CounterEvent::Instructions: r.instructions = per; break;
    }
  }
  const bool any = r.ll_references || r.ll_misses || r.cycles || r.instructions;
  r.source = any ? "hardware" : "unavailable";
  if (!started_) why.push_back("counters were not started");
  if (!why.empty()) {
    std::string note = sys_.environment_note();
    r.reason = fmt::format("{}", fmt::join(why, "; ")) + (note.empty() ? "" : "; " + note);
  }
  return r;
}

CounterResult probe_counters(PerfSys& sys) {
  CounterSession s(sys);
  s.start();
  volatile double x = 0;
  for (int i = 0; i < 1000; ++i) x = x + i;
  s.stop();
  return s.result(1);
}

}  // namespace fb::measure
