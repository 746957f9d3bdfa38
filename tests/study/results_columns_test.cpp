// The measurements table is written once (report/results_columns.h): the documented CREATE TABLE in
// docs/results_schema.md, the table `study run` creates, and the column table must name the same columns
// with the same types, in the same order.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "report/results_columns.h"
#include "study/store.h"
#include "study_test_util.h"

namespace fb::report {
namespace {

using Columns = std::vector<std::pair<std::string, std::string>>;  // name, SQL type

Columns from_table() {
  Columns out;
  for (const Column& c : measurement_columns()) out.emplace_back(c.name, sql_type_name(c.type));
  return out;
}

// "CREATE TABLE measurements ( a REAL, b INTEGER, -- comment ... );" from the documentation's SQL block.
Columns from_docs() {
  std::ifstream f(std::string(FORMBENCH_SOURCE_DIR) + "/docs/results_schema.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const auto b = doc.find("CREATE TABLE measurements (");
  EXPECT_NE(b, std::string::npos);
  const auto e = doc.find("\n);", b);
  std::stringstream body(doc.substr(b, e - b));
  std::string line, text;
  std::getline(body, line);  // the CREATE TABLE line
  while (std::getline(body, line)) text += line.substr(0, line.find("--")) + " ";
  Columns out;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    std::stringstream words(item);
    std::string name, type;
    if (words >> name >> type) out.emplace_back(name, type);
  }
  return out;
}

TEST(ResultsColumns, TheDocumentedTableIsTheColumnTable) { EXPECT_EQ(from_docs(), from_table()); }

TEST(ResultsColumns, TheTableAStudyCreatesIsTheColumnTable) {
  study::testing::ScratchDir dir;
  study::Store s(dir.file("r.sqlite"));
  Columns created;
  study::Stmt q(s.db(), "SELECT name, type FROM pragma_table_info('measurements') ORDER BY cid");
  while (q.step()) created.emplace_back(q.text(0), q.text(1));
  EXPECT_EQ(created, from_table());
  EXPECT_EQ(measurements_ddl().rfind("CREATE TABLE IF NOT EXISTS measurements (\n  point_id TEXT PRIMARY KEY", 0), 0u);
}

}  // namespace
}  // namespace fb::report
