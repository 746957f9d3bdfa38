// Counter code paths: available (a fake syscall layer with known values) and unavailable (the real
// perf_event_open, which these virtual machines refuse).
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <set>

#include "measure/counters.h"

using namespace fb::measure;

namespace {

struct Reading {
  uint64_t value, enabled, running;
};

class FakePerfSys : public PerfSys {
 public:
  std::vector<int> tids = {100, 101};
  std::map<CounterEvent, int> open_error;           // event -> -errno
  std::map<std::pair<CounterEvent, int>, int> tid_error;
  std::map<std::pair<CounterEvent, int>, Reading> readings;
  std::map<int, std::pair<CounterEvent, int>> fds;
  std::set<int> enabled, disabled, closed;
  int next_fd = 10;

  int open(CounterEvent e, int tid) override {
    if (open_error.count(e)) return open_error[e];
    if (tid_error.count({e, tid})) return tid_error[{e, tid}];
    fds[next_fd] = {e, tid};
    return next_fd++;
  }
  int enable(int fd) override { enabled.insert(fd); return 0; }
  int disable(int fd) override { disabled.insert(fd); return 0; }
  int read(int fd, uint64_t& v, uint64_t& en, uint64_t& run) override {
    auto it = readings.find(fds.at(fd));
    if (it == readings.end()) return -EIO;
    v = it->second.value;
    en = it->second.enabled;
    run = it->second.running;
    return 0;
  }
  void close(int fd) override { closed.insert(fd); }
  std::vector<int> threads() override { return tids; }
  std::string environment_note() override { return "fake paranoid=2"; }

  void set_all(CounterEvent e, Reading r0, Reading r1) {
    readings[{e, 100}] = r0;
    readings[{e, 101}] = r1;
  }
};

}  // namespace

TEST(MeasureCounters, AvailablePathSumsThreadsScalesMultiplexingAndDividesPerInference) {
  FakePerfSys sys;
  sys.set_all(CounterEvent::Cycles, {1000, 50, 50}, {500, 50, 50});
  sys.set_all(CounterEvent::Instructions, {3000, 50, 50}, {0, 0, 0});  // a thread that never ran
  // Multiplexed: counted half the enabled time, so the value is scaled x2.
  sys.set_all(CounterEvent::LlReferences, {100, 200, 100}, {100, 200, 100});
  sys.set_all(CounterEvent::LlMisses, {10, 50, 50}, {10, 50, 50});
  {
    CounterSession s(sys);
    s.start();
    EXPECT_EQ(sys.enabled.size(), 8u);  // 4 events x 2 threads
    s.stop();
    EXPECT_EQ(sys.disabled.size(), 8u);
    CounterResult r = s.result(10);
    EXPECT_EQ(r.source, "hardware");
    EXPECT_FALSE(r.reason.has_value());
    EXPECT_DOUBLE_EQ(*r.cycles, 150);        // (1000 + 500) / 10
    EXPECT_DOUBLE_EQ(*r.instructions, 300);  // 3000 / 10
    EXPECT_DOUBLE_EQ(*r.ll_references, 40);  // (200 + 200) / 10
    EXPECT_DOUBLE_EQ(*r.ll_misses, 2);       // (10 + 10) / 10
    nlohmann::json j = r.to_json();
    EXPECT_DOUBLE_EQ(j["ll_miss_rate"].get<double>(), 0.05);
    EXPECT_EQ(j["source"], "hardware");
  }
  EXPECT_EQ(sys.closed.size(), 8u);  // every descriptor closed by the session
}

TEST(MeasureCounters, PartlyAvailableKeepsWhatWorksAndNamesWhatFailed) {
  FakePerfSys sys;
  sys.open_error[CounterEvent::LlReferences] = -ENOENT;
  sys.open_error[CounterEvent::LlMisses] = -ENOENT;
  sys.set_all(CounterEvent::Cycles, {2000, 1, 1}, {0, 1, 1});
  sys.set_all(CounterEvent::Instructions, {4000, 1, 1}, {0, 1, 1});
  CounterSession s(sys);
  s.start();
  s.stop();
  CounterResult r = s.result(4);
  EXPECT_EQ(r.source, "hardware");
  EXPECT_DOUBLE_EQ(*r.cycles, 500);
  ASSERT_TRUE(r.reason.has_value());
  EXPECT_NE(r.reason->find("ll_references, ll_misses"), std::string::npos) << *r.reason;
  nlohmann::json j = r.to_json();
  EXPECT_TRUE(j["ll_misses_per_inference"].is_null());  // absent, never 0
  EXPECT_TRUE(j["ll_miss_rate"].is_null());
}

TEST(MeasureCounters, RefusedEverywhereIsUnavailableWithReasonNeverZero) {
  FakePerfSys sys;
  for (CounterEvent e : k_all_counter_events) sys.open_error[e] = -EACCES;
  CounterSession s(sys);
  s.start();
  s.stop();
  CounterResult r = s.result(10);
  EXPECT_EQ(r.source, "unavailable");
  ASSERT_TRUE(r.reason.has_value());
  EXPECT_NE(r.reason->find("not permitted"), std::string::npos) << *r.reason;
  EXPECT_NE(r.reason->find("fake paranoid=2"), std::string::npos) << *r.reason;
  nlohmann::json j = r.to_json();
  for (const char* k : {"ll_references_per_inference", "ll_misses_per_inference", "ll_miss_rate",
                        "cycles_per_inference", "instructions_per_inference"})
    EXPECT_TRUE(j[k].is_null()) << k;
}

TEST(MeasureCounters, ThreadThatExitedIsSkippedButARefusalOnALiveThreadDropsTheEvent) {
  FakePerfSys sys;
  sys.tid_error[{CounterEvent::Cycles, 101}] = -ESRCH;  // exited between listing and opening
  sys.tid_error[{CounterEvent::Instructions, 101}] = -EACCES;
  sys.set_all(CounterEvent::Cycles, {700, 1, 1}, {0, 1, 1});
  sys.set_all(CounterEvent::Instructions, {900, 1, 1}, {0, 1, 1});
  sys.set_all(CounterEvent::LlReferences, {1, 1, 1}, {1, 1, 1});
  sys.set_all(CounterEvent::LlMisses, {1, 1, 1}, {1, 1, 1});
  CounterSession s(sys);
  s.start();
  s.stop();
  CounterResult r = s.result(1);
  EXPECT_DOUBLE_EQ(*r.cycles, 700);
  EXPECT_FALSE(r.instructions.has_value());  // would undercount: dropped, and said why
  EXPECT_NE(r.reason->find("instructions"), std::string::npos);
}

TEST(MeasureCounters, RealSyscallsEitherCountOrSayWhyNot) {
  auto sys = make_linux_perf_sys();
  CounterResult r = probe_counters(*sys);
  nlohmann::json j = r.to_json();
  if (r.source == "unavailable") {
    // The expected path on these virtual machines.
    ASSERT_TRUE(r.reason.has_value());
    EXPECT_FALSE(r.reason->empty());
    EXPECT_TRUE(j["cycles_per_inference"].is_null());
    EXPECT_TRUE(j["ll_misses_per_inference"].is_null());
  } else {
    EXPECT_EQ(r.source, "hardware");
    if (r.cycles) EXPECT_GT(*r.cycles, 0);
    if (r.instructions) EXPECT_GT(*r.instructions, 1000);  // the probe loop runs >= 1000 iterations
  }
}
