// Stopping rules with a fake clock: each step advances time by a programmed amount, so counts are exact.
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "measure/runner.h"

using namespace fb::measure;

namespace {

class FakeClock : public Clock {
 public:
  int64_t now_ns() override { return t; }
  int64_t t = 1'000'000'000;
};

struct FakeStep {
  FakeClock& clock;
  std::vector<double> durations_ms;
  size_t calls = 0;
  void operator()() { clock.t += static_cast<int64_t>(durations_ms[calls++ % durations_ms.size()] * 1e6); }
};

RunSettings quick() {
  RunSettings s;
  s.warmup_runs = 0;
  s.warmup_ms = 0;
  s.min_runs = 1;
  s.min_time_ms = 0;
  s.max_runs = 100000;
  s.max_time_ms = 1e12;
  return s;
}

// One step in rounds of one run: the stopping rules as `bench` meets them, with exact counts.
RunResult run_one(const std::function<void()>& step, const RunSettings& s, Clock& c) {
  return run_interleaved({step}, s, InterleaveSettings{1, 1, nullptr}, c).runs.at(0);
}

}  // namespace

TEST(MeasureRunner, MinCountGoverns) {
  FakeClock c;
  FakeStep step{c, {1.0}};
  RunSettings s = quick();
  s.warmup_runs = 2;
  s.min_runs = 10;
  s.min_time_ms = 5;
  RunResult r = run_one([&] { step(); }, s, c);
  EXPECT_EQ(r.warmup_runs, 2);
  ASSERT_EQ(r.samples_ms.size(), 10u);
  for (double x : r.samples_ms) EXPECT_DOUBLE_EQ(x, 1.0);
  EXPECT_EQ(r.stop, StopReason::MinReached);
  EXPECT_EQ(step.calls, 12u);
}

TEST(MeasureRunner, MinTimeGoverns) {
  FakeClock c;
  FakeStep step{c, {1.0}};
  RunSettings s = quick();
  s.min_runs = 3;
  s.min_time_ms = 50;
  RunResult r = run_one([&] { step(); }, s, c);
  EXPECT_EQ(r.samples_ms.size(), 50u);
  EXPECT_DOUBLE_EQ(r.timed_ms, 50);
  EXPECT_EQ(r.stop, StopReason::MinReached);
}

TEST(MeasureRunner, MaxRunsAndMaxTimeCap) {
  FakeClock c;
  FakeStep step{c, {1.0}};
  RunSettings s = quick();
  s.min_runs = 10;
  s.min_time_ms = 1e9;
  s.max_runs = 20;
  RunResult r = run_one([&] { step(); }, s, c);
  EXPECT_EQ(r.samples_ms.size(), 20u);
  EXPECT_EQ(r.stop, StopReason::MaxRuns);

  FakeStep slow{c, {10.0}};
  s.max_runs = 5000;
  s.min_runs = 1000;
  s.max_time_ms = 95;
  RunResult t = run_one([&] { slow(); }, s, c);
  EXPECT_EQ(t.samples_ms.size(), 10u);  // 10 x 10 ms >= 95 ms
  EXPECT_EQ(t.stop, StopReason::MaxTime);
}

TEST(MeasureRunner, WarmupByCountAndByTime) {
  FakeClock c;
  FakeStep step{c, {1.0}};
  RunSettings s = quick();
  s.warmup_runs = 1;
  s.warmup_ms = 7.5;
  RunResult r = run_one([&] { step(); }, s, c);
  EXPECT_EQ(r.warmup_runs, 8);  // time governs: 8 x 1 ms >= 7.5 ms
  s.warmup_runs = 12;
  RunResult q = run_one([&] { step(); }, s, c);
  EXPECT_EQ(q.warmup_runs, 12);  // count governs
}

TEST(MeasureRunner, SamplesAreThePerRunDurationsInOrder) {
  FakeClock c;
  FakeStep step{c, {1.0, 2.0, 3.0}};
  RunSettings s = quick();
  s.min_runs = 6;
  RunResult r = run_one([&] { step(); }, s, c);
  EXPECT_EQ(r.samples_ms, (std::vector<double>{1, 2, 3, 1, 2, 3}));
}

TEST(MeasureRunner, EarlyStopWhenCiIsTight) {
  FakeClock c;
  FakeStep steady{c, {2.0}};
  RunSettings s = quick();
  s.min_runs = 6;
  s.min_time_ms = 1e9;
  s.max_runs = 40;
  s.target_ci_pct = 1;
  RunResult r = run_one([&] { steady(); }, s, c);
  EXPECT_EQ(r.samples_ms.size(), 6u);
  EXPECT_EQ(r.stop, StopReason::CiTarget);
  // Alternating 1 ms / 3 ms: the CI of the median never gets within +-1%, so it runs to the cap.
  FakeStep noisy{c, {1.0, 3.0}};
  RunResult q = run_one([&] { noisy(); }, s, c);
  EXPECT_EQ(q.samples_ms.size(), 40u);
  EXPECT_EQ(q.stop, StopReason::MaxRuns);
}

TEST(MeasureRunner, BadSettingsAreErrors) {
  FakeClock c;
  RunSettings s = quick();
  s.min_runs = 0;
  EXPECT_THROW(run_one([] {}, s, c), fb::Error);
  s = quick();
  s.min_runs = 10;
  s.max_runs = 5;
  EXPECT_THROW(run_one([] {}, s, c), fb::Error);
}

TEST(MeasureRunner, InterleavedRoundsShuffleAndStopTogether) {
  FakeClock c;
  std::vector<int> order;
  std::vector<std::function<void()>> steps = {[&] { order.push_back(0); c.t += 1'000'000; },
                                              [&] { order.push_back(1); c.t += 2'000'000; },
                                              [&] { order.push_back(2); c.t += 3'000'000; }};
  RunSettings s = quick();
  s.warmup_runs = 1;
  s.min_runs = 60;
  Interleaved il = run_interleaved(steps, s, {/*block=*/3, /*order_seed=*/7}, c);
  ASSERT_EQ(il.runs.size(), 3u);
  EXPECT_EQ(il.runs[0].samples_ms, std::vector<double>(60, 1.0));
  EXPECT_EQ(il.runs[2].samples_ms, std::vector<double>(60, 3.0));
  ASSERT_EQ(il.rounds.size(), 20u);
  // Warm-up first (one run each, in step order), then each round runs every step's block of 3 in the
  // order its log records, and that order is a permutation.
  ASSERT_EQ(order.size(), 3u + 20u * 9u);
  std::set<std::vector<size_t>> seen;
  for (size_t r = 0; r < il.rounds.size(); ++r) {
    const auto& o = il.rounds[r].order;
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(std::set<size_t>(o.begin(), o.end()).size(), 3u);
    for (size_t j = 0; j < 3; ++j)
      for (size_t k = 0; k < 3; ++k) EXPECT_EQ(order[3 + r * 9 + j * 3 + k], static_cast<int>(o[j]));
    seen.insert(o);
  }
  // Random, not rotated: over 20 rounds more than the 3 rotations of (0, 1, 2) occur.
  EXPECT_GT(seen.size(), 3u);
  // Every round carries the machine's FMA probe, taken after it: a real rate (a sanity range spanning any
  // CPU from a scalar 1 GFLOP/s to far beyond today's cores), and in its JSON.
  for (const auto& r : il.rounds) {
    EXPECT_GT(r.noise.probe_gflops, 0.1);
    EXPECT_LT(r.noise.probe_gflops, 1e4);
  }
  EXPECT_TRUE(il.rounds[0].noise.to_json()["probe_gflops"].is_number());
  // The same seed gives the same orders.
  Interleaved again = run_interleaved(steps, s, {3, 7}, c);
  for (size_t r = 0; r < il.rounds.size(); ++r) EXPECT_EQ(again.rounds[r].order, il.rounds[r].order);
  EXPECT_EQ(il.runs[0].stop, StopReason::MinReached);
  // min_time counts each step's own time: step 0 needs 10 ms -> 4 blocks of 3 runs.
  s.min_runs = 6;
  s.min_time_ms = 10;
  Interleaved it = run_interleaved(steps, s, {3, 1}, c);
  EXPECT_EQ(it.runs[0].samples_ms.size(), 12u);
  EXPECT_EQ(it.runs[1].samples_ms.size(), 12u);
}

namespace {

// Two steps of 1 and 2 ms; `keep` decides round by round (by its index) whether the placement gate passes it.
Interleaved gated(FakeClock& c, const RunSettings& s, const std::vector<bool>& keep) {
  std::vector<std::function<void()>> steps = {[&] { c.t += 1'000'000; }, [&] { c.t += 2'000'000; }};
  size_t round = 0;
  InterleaveSettings how{3, 1, [&](const NoiseEvidence&) { return keep[round++ % keep.size()]; }};
  return run_interleaved(steps, s, how, c);
}

}  // namespace

TEST(MeasureRunner, PlacementGateSetsRoundsAsideAndCountsOnlyKeptOnes) {
  FakeClock c;
  RunSettings s = quick();
  s.min_runs = 6;  // two kept rounds of 3
  Interleaved il = gated(c, s, {true, false, false, true});
  ASSERT_EQ(il.rounds.size(), 4u);
  EXPECT_EQ(il.rejected_rounds, 2u);
  EXPECT_FALSE(il.gate_unmet);
  std::vector<bool> kept;
  for (const auto& r : il.rounds) kept.push_back(r.kept);
  EXPECT_EQ(kept, (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(il.runs[0].samples_ms, std::vector<double>(6, 1.0));
  EXPECT_EQ(il.runs[1].samples_ms, std::vector<double>(6, 2.0));
  EXPECT_DOUBLE_EQ(il.runs[1].timed_ms, 12.0);  // the kept rounds' time only
  EXPECT_EQ(il.runs[0].stop, StopReason::MinReached);
}

TEST(MeasureRunner, PlacementGateUnmetUsesKeptRoundsOrEveryRoundAndSaysSo) {
  FakeClock c;
  RunSettings s = quick();
  s.min_runs = 30;
  s.max_time_ms = 22;  // x 2 steps: the cap ends the 5th round (9 ms per round)
  // Two rounds passed before the cap: they are the result, flagged.
  Interleaved some = gated(c, s, {true, false, true, false, false});
  ASSERT_EQ(some.rounds.size(), 5u);
  EXPECT_TRUE(some.gate_unmet);
  EXPECT_EQ(some.rejected_rounds, 3u);
  EXPECT_EQ(some.runs[0].samples_ms.size(), 6u);
  EXPECT_EQ(some.runs[0].stop, StopReason::MaxTime);
  // None passed: every round is used (a result always exists), all marked kept, still flagged.
  Interleaved none = gated(c, s, {false});
  EXPECT_TRUE(none.gate_unmet);
  EXPECT_EQ(none.rejected_rounds, 5u);
  EXPECT_EQ(none.runs[1].samples_ms, std::vector<double>(15, 2.0));
  for (const auto& r : none.rounds) EXPECT_TRUE(r.kept);
  // A gate that rejects nothing is no gate: not flagged even when the cap ends the run.
  Interleaved all = gated(c, s, {true});
  EXPECT_FALSE(all.gate_unmet);
  EXPECT_EQ(all.rejected_rounds, 0u);
}
