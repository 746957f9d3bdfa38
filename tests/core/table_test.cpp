// Number formatting of the text tables, against hand-written strings.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "core/table.h"

TEST(CoreTable, ThousandsSeparatorsAtEveryMagnitudeAndSign) {
  EXPECT_EQ(fb::with_commas(0), "0");
  EXPECT_EQ(fb::with_commas(999), "999");
  EXPECT_EQ(fb::with_commas(1000), "1,000");
  EXPECT_EQ(fb::with_commas(-1234567), "-1,234,567");
  EXPECT_EQ(fb::with_commas(std::numeric_limits<int64_t>::max()), "9,223,372,036,854,775,807");
  // The most negative value has no positive counterpart: found by the results_db fuzzer (a database held it).
  EXPECT_EQ(fb::with_commas(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
}
