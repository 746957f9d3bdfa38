// Statistics against hand-computed values (docs/measure.md states the definitions).
#include <gtest/gtest.h>

#include "core/error.h"
#include "measure/stats.h"
#include "measure/speedup.h"

using namespace fb::measure;

TEST(MeasureStats, EvenCountMedianPercentilesMeanStddev) {
  // Unsorted on purpose: statistics sort a copy.
  LatencyStats s = compute_stats({4, 1, 3, 2});
  EXPECT_EQ(s.n, 4u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 4);
  EXPECT_DOUBLE_EQ(s.median, 2.5);  // mean of the two middle samples
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.p90, 3.7, 1e-12);   // h = 3 * 0.9 = 2.7 -> 3 + 0.7 * (4 - 3)
  EXPECT_NEAR(s.p99, 3.97, 1e-12);  // h = 2.97
  ASSERT_TRUE(s.stddev.has_value());
  EXPECT_NEAR(*s.stddev, 1.2909944487358056, 1e-12);  // sqrt(5/3), n - 1 denominator
  EXPECT_FALSE(s.ci.has_value());  // 4 samples cannot give a 95% interval
}

TEST(MeasureStats, OddCountAndSingleSample) {
  LatencyStats s = compute_stats({5, 1, 3});
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_NEAR(s.p90, 4.6, 1e-12);  // h = 1.8 -> 3 + 0.8 * 2
  LatencyStats one = compute_stats({7.5});
  EXPECT_DOUBLE_EQ(one.median, 7.5);
  EXPECT_DOUBLE_EQ(one.p99, 7.5);
  EXPECT_FALSE(one.stddev.has_value());
  EXPECT_FALSE(one.ci.has_value());
  EXPECT_THROW(compute_stats({}), fb::Error);
}

TEST(MeasureStats, PercentileEndpoints) {
  std::vector<double> s = {10, 20, 30, 40, 50};
  EXPECT_DOUBLE_EQ(percentile_sorted(s, 0), 10);
  EXPECT_DOUBLE_EQ(percentile_sorted(s, 100), 50);
  EXPECT_DOUBLE_EQ(percentile_sorted(s, 25), 20);
  EXPECT_DOUBLE_EQ(percentile_sorted(s, 10), 14);  // h = 0.4
}

TEST(MeasureStats, MedianCiRanksFromTheBinomial) {
  // Hand-computed: the largest l with P(Bin(n, 1/2) <= l - 1) <= 0.025.
  EXPECT_FALSE(median_ci_ranks(5).has_value());  // P(Bin(5) <= 0) = 1/32 > 0.025
  EXPECT_EQ(median_ci_ranks(6), std::make_pair(size_t{1}, size_t{6}));    // 1/64 <= 0.025
  EXPECT_EQ(median_ci_ranks(10), std::make_pair(size_t{2}, size_t{9}));   // 11/1024 ok, 56/1024 not
  EXPECT_EQ(median_ci_ranks(20), std::make_pair(size_t{6}, size_t{15}));  // 21700/2^20 ok, 60460/2^20 not
  EXPECT_EQ(median_ci_ranks(1000), std::make_pair(size_t{469}, size_t{532}));
}

TEST(MeasureStats, MedianCiBoundsAndCoverage) {
  std::vector<double> v;
  for (int i = 1; i <= 10; ++i) v.push_back(11 - i);  // 10..1, unsorted
  LatencyStats s = compute_stats(v);
  ASSERT_TRUE(s.ci.has_value());
  EXPECT_DOUBLE_EQ(s.ci->low, 2);
  EXPECT_DOUBLE_EQ(s.ci->high, 9);
  EXPECT_NEAR(s.ci->coverage, 1 - 2 * 11.0 / 1024, 1e-12);
  std::vector<double> w;
  for (int i = 1; i <= 20; ++i) w.push_back(i * 0.5);
  LatencyStats t = compute_stats(w);
  EXPECT_DOUBLE_EQ(t.ci->low, 3.0);   // x_(6)
  EXPECT_DOUBLE_EQ(t.ci->high, 7.5);  // x_(15)
  EXPECT_NEAR(t.ci->coverage, 1 - 2 * 21700.0 / 1048576, 1e-12);
}

TEST(MeasureSpeedup, PairedPerRoundRatios) {
  // Two rounds of 3: native {10, 12, 11} {20, 22, 21}; backend {5, 6, 4} {10, 11, 9}: the machine got twice
  // as slow between the rounds, and each round's ratio of block medians still says 2.
  const std::vector<double> native = {10, 12, 11, 20, 22, 21}, other = {5, 6, 4, 10, 11, 9};
  const std::vector<double> r = round_ratios(native, other, 3);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(r[0], 11.0 / 5.0);
  EXPECT_DOUBLE_EQ(r[1], 21.0 / 10.0);
  // The unpaired ratio of the pooled medians (15.5 / 7.5) would say 2.07; the paired one is median(2.2, 2.1).
  SpeedupCi s = paired_speedup({r});
  EXPECT_DOUBLE_EQ(s.speedup, 2.15);
  EXPECT_EQ(s.processes, 1);
  EXPECT_EQ(s.rounds, 2u);
  EXPECT_GE(s.low, 2.1);
  EXPECT_LE(s.high, 2.2);
  EXPECT_THROW(round_ratios({1, 2, 3}, {1, 2}, 3), fb::Error);
  EXPECT_THROW(round_ratios({1, 2, 3, 4}, {1, 2, 3, 4}, 3), fb::Error);  // not whole rounds
  EXPECT_THROW(paired_speedup({}), fb::Error);
}
