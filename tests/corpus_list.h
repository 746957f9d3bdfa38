#pragma once
// The regression corpora of hostile inputs (tests/onnx/corpus, tests/study/corpus, tests/report/corpus):
// each folder's expected.txt lists every file with what reading it must end in, one "file<TAB>text" line
// each ('#' starts a comment). One reader for all of them, so every corpus is held to the same rules: a
// malformed line fails the test, and a file on disk without a line fails it too.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fb::testing {

struct CorpusEntry {
  std::string name;      // the file, inside the corpus folder
  std::string expected;  // the text after the tab
};

// The entries of `tests/<area>/corpus/expected.txt`; `extension` (".onnx") names the corpus's files.
inline std::vector<CorpusEntry> corpus_entries(const std::filesystem::path& dir, const std::string& extension) {
  std::vector<CorpusEntry> out;
  std::ifstream list(dir / "expected.txt");
  if (!list) {
    ADD_FAILURE() << "missing " << (dir / "expected.txt");
    return out;
  }
  for (std::string line; std::getline(list, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      ADD_FAILURE() << "no tab in " << (dir / "expected.txt") << ": " << line;
      continue;
    }
    out.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  size_t on_disk = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) on_disk += e.path().extension() == extension;
  EXPECT_EQ(out.size(), on_disk) << "every corpus file needs a line in " << (dir / "expected.txt");
  return out;
}

}  // namespace fb::testing
