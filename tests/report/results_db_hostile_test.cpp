// Results databases `formbench report` must survive: every file in tests/report/corpus/ (fuzzer finds) ends in
// the result listed in expected.txt, and a valid database with NULLs or values of the wrong type in any column
// ends in a report or an fb::Error, never a crash or another exception.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "core/error.h"
#include "report/report.h"
#include "../corpus_list.h"
#include "synthetic_db.h"

namespace fb::report {
namespace {

namespace fs = std::filesystem;

// A scratch folder with stub chart libraries (the report inlines them; their content does not matter here).
struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("formbench_report_hostile_" + std::to_string(::getpid()));
  Scratch() {
    for (const char* lib : {"vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js", "vega-embed/build/vega-embed.min.js"}) {
      fs::create_directories((dir / "assets" / lib).parent_path());
      std::ofstream(dir / "assets" / lib) << "/* stub */";
    }
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  ReportOptions options() const {
    ReportOptions o;
    o.out_dir = (dir / "out").string();
    o.assets_dir = (dir / "assets").string();
    return o;
  }
};

// "" when the report was written, else the fb::Error's message; any other exception fails the test.
std::string report_outcome(const std::string& db, const ReportOptions& o) {
  try {
    write_report(db, o);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// Every file fails with the text after the tab, or, where that is "report", is reported.
TEST(ReportDbCorpus, EveryFileEndsAsListed) {
  const Scratch s;
  const fs::path dir = fs::path(FORMBENCH_SOURCE_DIR) / "tests" / "report" / "corpus";
  for (const auto& [name, expected] : testing::corpus_entries(dir, ".sqlite")) {
    // A copy: SQLite may leave a journal beside a file it opened, and the corpus stays as it is.
    const std::string db = (s.dir / name).string();
    fs::copy_file(dir / name, db, fs::copy_options::overwrite_existing);
    const std::string outcome = report_outcome(db, s.options());
    if (expected == "report") {
      EXPECT_EQ(outcome, "") << name;
    } else {
      EXPECT_NE(outcome.find(expected), std::string::npos) << name << ": " << (outcome.empty() ? "(reported)" : outcome);
      EXPECT_EQ(outcome.find('\n'), std::string::npos) << name << ": not one line: " << outcome;
    }
  }
}

std::vector<std::string> columns_of(sqlite3* db, const std::string& table) {
  std::vector<std::string> cols;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, ("SELECT name FROM pragma_table_info('" + table + "')").c_str(), -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) cols.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  return cols;
}

// Each column of each table, in every row at once, set to NULL, text, a blob, a negative, a zero and a huge
// number: the report is written or refused with an fb::Error.
TEST(ReportDbHostile, NullsAndWrongTypesInEveryColumn) {
  const Scratch s;
  const std::string base = (s.dir / "base.sqlite").string(), db_path = (s.dir / "hostile.sqlite").string();
  test::build_reference_study(base);
  ASSERT_EQ(report_outcome(base, s.options()), "");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(base.c_str(), &db), SQLITE_OK);
  std::vector<std::pair<std::string, std::string>> targets;
  for (const char* table : {"machines", "studies", "points", "measurements", "failures", "rechecks"})
    for (const std::string& col : columns_of(db, table)) targets.emplace_back(table, col);
  sqlite3_close(db);
  ASSERT_GT(targets.size(), 40u);
  int reported = 0, refused = 0;
  for (const auto& [table, col] : targets)
    for (const char* value : {"NULL", "'text'", "X'00FF'", "-1", "0", "1e308"}) {
      fs::copy_file(base, db_path, fs::copy_options::overwrite_existing);
      for (const char* suffix : {"-wal", "-shm"}) fs::remove(db_path + suffix);
      ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
      // Constraints (NOT NULL, foreign keys) may refuse a value: then there is nothing to report on.
      const bool changed = sqlite3_exec(db, fmt::format("UPDATE {} SET {} = {}", table, col, value).c_str(), nullptr,
                                        nullptr, nullptr) == SQLITE_OK;
      sqlite3_close(db);
      if (!changed) continue;
      const std::string outcome = report_outcome(db_path, s.options());
      (outcome.empty() ? reported : refused)++;
      EXPECT_EQ(outcome.find('\n'), std::string::npos) << table << "." << col << " = " << value << ": " << outcome;
    }
  EXPECT_GT(reported, 0);
  RecordProperty("reported", reported);
  RecordProperty("refused", refused);
}

}  // namespace
}  // namespace fb::report
