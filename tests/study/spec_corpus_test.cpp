// Hostile and broken study specs (fuzzer finds among them): every file in tests/study/corpus/ must fail to
// load and expand with a one-line fb::Error containing the text listed for it in expected.txt
// ("file<TAB>text"), never a crash, another exception or an unbounded allocation.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "study/point.h"
#include "study/spec.h"
#include "../corpus_list.h"

namespace fb::study {
namespace {

namespace fs = std::filesystem;

TEST(StudySpecCorpus, EveryFileFailsWithItsMessage) {
  const fs::path dir = fs::path(FORMBENCH_SOURCE_DIR) / "tests" / "study" / "corpus";
  for (const auto& [name, expected] : fb::testing::corpus_entries(dir, ".toml")) {
    try {
      (void)expand(load_spec((dir / name).string()), registry_resolver());
      ADD_FAILURE() << name << ": loaded without an error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(expected), std::string::npos) << name << ": " << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << name << ": not one line: " << what;
    }
  }
}

}  // namespace
}  // namespace fb::study
