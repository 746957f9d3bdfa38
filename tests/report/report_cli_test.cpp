// `formbench report` end to end: the CLI prints the path of index.html, and the page works in a real
// browser (headless Chromium via playwright-core; tests/report/browser_check.js does the checking).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "synthetic_db.h"

namespace fb::report {
namespace {

namespace fs = std::filesystem;

struct CmdResult {
  int code;
  std::string out;
};

CmdResult run(const std::string& cmd) {
  const fs::path out = fs::temp_directory_path() / ("formbench_report_cli_" + std::to_string(::getpid()) + ".txt");
  const int rc = std::system((cmd + " > " + out.string() + " 2>&1").c_str());
  std::ifstream f(out);
  std::stringstream ss;
  ss << f.rdbuf();
  fs::remove(out);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ss.str()};
}

// Artifacts (the screenshot) go beside the formbench binary, in the build folder.
fs::path artifact_dir() {
  fs::path d = fs::path(FORMBENCH_CLI_PATH).parent_path() / "test_artifacts" / "report";
  fs::create_directories(d);
  return d;
}

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const auto p = t.rfind('\n');
  return p == std::string::npos ? t : t.substr(p + 1);
}

TEST(ReportCli, WritesReportAndPrintsIndexPath) {
  const fs::path dir = artifact_dir();
  const std::string db = (dir / "cli.sqlite").string(), out = (dir / "cli_report").string();
  test::build_reference_study(db);
  fs::remove_all(out);
  const CmdResult r = run(std::string(FORMBENCH_CLI_PATH) + " report " + db + " -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(last_line(r.out), (fs::path(out) / "index.html").string());
  EXPECT_TRUE(fs::exists(fs::path(out) / "report.md"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "zoo.csv"));

  const CmdResult bad = run(std::string(FORMBENCH_CLI_PATH) + " report /nonexistent.sqlite -o " + out);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("/nonexistent.sqlite"), std::string::npos) << bad.out;
  const CmdResult no_assets = run("FORMBENCH_ASSETS_DIR=/nowhere " + std::string(FORMBENCH_CLI_PATH) + " report " + db +
                            " -o " + out);
  EXPECT_EQ(no_assets.code, 1);
  EXPECT_NE(no_assets.out.find("/nowhere/vega/build/vega.min.js"), std::string::npos) << no_assets.out;
}

TEST(ReportCli, AgainstSecondDatabase) {
  const fs::path dir = artifact_dir();
  const std::string a = (dir / "a.sqlite").string(), b = (dir / "b.sqlite").string(), out = (dir / "against").string();
  test::build_reference_study(a);
  test::build_reference_study(b, 2.0);
  const CmdResult r = run(std::string(FORMBENCH_CLI_PATH) + " report " + a + " --against " + b + " -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream f(fs::path(out) / "against_latency.csv");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_NE(ss.str().find("darts,onednn,2,"), std::string::npos);
  EXPECT_NE(ss.str().find("yes: B slower"), std::string::npos);
}

bool browser_skipped() {
  const char* s = std::getenv("FORMBENCH_SKIP_BROWSER_TESTS");
  return s && std::string(s) == "1";
}

TEST(ReportBrowser, EveryChartRendersNoErrorsNoScriptInjection) {
  if (browser_skipped()) GTEST_SKIP() << "FORMBENCH_SKIP_BROWSER_TESTS=1";
  // Missing tools fail (not skip): this test is the only check that the page works for a reader.
  ASSERT_EQ(run("node --version").code, 0) << "node is missing (apt-get install nodejs), or set FORMBENCH_SKIP_BROWSER_TESTS=1";
  ASSERT_TRUE(fs::exists("/usr/bin/chromium") || std::getenv("FORMBENCH_CHROMIUM"))
      << "chromium is missing (apt-get install chromium), or set FORMBENCH_SKIP_BROWSER_TESTS=1";
  const fs::path dir = artifact_dir();
  const std::string db = (dir / "browser.sqlite").string(), out = (dir / "browser_report").string();
  test::build_reference_study(db);
  const CmdResult r = run(std::string(FORMBENCH_CLI_PATH) + " report " + db + " -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string shot = (dir / "report_screenshot.png").string();
  fs::remove(shot);
  const std::string script = std::string(FORMBENCH_SOURCE_DIR) + "/tests/report/browser_check.js";
  const CmdResult b = run("NODE_PATH=" + std::string(FORMBENCH_SOURCE_DIR) + "/node_modules node " + script + " " +
                    last_line(r.out) + " " + shot + " '<script>alert(1)</script>'");
  EXPECT_EQ(b.code, 0) << b.out;
  EXPECT_TRUE(fs::exists(shot)) << b.out;
  EXPECT_NE(b.out.find("\"id\": \"roofline\""), std::string::npos) << b.out;
}

}  // namespace
}  // namespace fb::report
