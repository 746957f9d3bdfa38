// The round trip between two threads on two CPUs: a real measurement, so only its sanity and its refusals
// are asserted (no timing thresholds).
#include <gtest/gtest.h>

#include "measure/affinity.h"
#include "measure/core_round_trip.h"
#include "measure/noise.h"

using namespace fb::measure;

TEST(CoreRoundTrip, NeedsTwoCpus) {
  EXPECT_FALSE(thread_round_trip_ns({}).has_value());
  EXPECT_FALSE(thread_round_trip_ns({0}).has_value());
}

TEST(CoreRoundTrip, TwoCpusAnswerInAPlausibleTime) {
  const std::vector<int> cpus = current_affinity();
  if (cpus.size() < 2) GTEST_SKIP() << "this machine lets the test run on one CPU only";
  const auto ns = thread_round_trip_ns(cpus);
  ASSERT_TRUE(ns.has_value());
  // From a cache line bouncing between SMT siblings (~10 ns) to a loaded guest's slow round (~50 us); the
  // timeout gives up at 50 ms per batch.
  EXPECT_GT(*ns, 1.0);
  EXPECT_LT(*ns, 5e7);
  // The same CPU twice is still two threads, time-sliced on one CPU: answered or given up, never a hang.
  const auto same = thread_round_trip_ns({cpus[0], cpus[0]});
  if (same) EXPECT_GT(*same, 0.0);
}

TEST(CoreRoundTrip, EveryRoundRecordsIt) {
  if (current_affinity().size() < 2) GTEST_SKIP() << "one CPU: nothing to record";
  // On a loaded machine a probe may get no answer within 50 ms: then that end has no value, never a guess.
  const NoiseSnapshot before = noise_snapshot();
  const NoiseEvidence e = noise_since(before);
  EXPECT_TRUE(e.to_json().contains("round_trip_ns"));
  if (!e.round_trip_ns) {
    EXPECT_FALSE(before.round_trip_ns.has_value()) << "an answer at the start must be kept";
    EXPECT_TRUE(e.to_json()["round_trip_ns"].is_null());
    return;
  }
  EXPECT_GT(*e.round_trip_ns, 0.0);
  if (before.round_trip_ns) EXPECT_GE(*e.round_trip_ns, *before.round_trip_ns);  // the slower of the two ends
  EXPECT_TRUE(e.to_json()["round_trip_ns"].is_number());
}
