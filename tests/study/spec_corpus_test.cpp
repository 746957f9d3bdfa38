// Hostile and broken study specs (fuzzer finds among them): every file in tests/study/corpus/ must fail to
// load and expand with a one-line fb::Error containing the text listed for it in expected.txt
// ("file<TAB>text"), never a crash, another exception or an unbounded allocation.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "study/point.h"
#include "study/spec.h"

namespace fb::study {
namespace {

namespace fs = std::filesystem;

TEST(StudySpecCorpus, EveryFileFailsWithItsMessage) {
  const fs::path dir = fs::path(FORMBENCH_SOURCE_DIR) / "tests" / "study" / "corpus";
  std::ifstream list(dir / "expected.txt");
  ASSERT_TRUE(list) << "missing " << (dir / "expected.txt");
  size_t files = 0;
  for (std::string line; std::getline(list, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const std::string name = line.substr(0, tab), expected = line.substr(tab + 1);
    ++files;
    try {
      (void)expand(load_spec((dir / name).string()), registry_resolver());
      ADD_FAILURE() << name << ": loaded without an error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(expected), std::string::npos) << name << ": " << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << name << ": not one line: " << what;
    }
  }
  size_t on_disk = 0;
  for (const auto& e : fs::directory_iterator(dir)) on_disk += e.path().extension() == ".toml";
  EXPECT_EQ(files, on_disk) << "every corpus file needs a line in expected.txt";
}

}  // namespace
}  // namespace fb::study
