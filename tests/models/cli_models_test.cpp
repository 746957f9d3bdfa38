// The CLI lists every registered model and pattern and inspects them (the registries are its only source).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

#include <sys/wait.h>

#include "models/model_ref.h"

namespace fb {
namespace {

// Runs the CLI with `args`; returns its exit status and stdout+stderr.
std::pair<int, std::string> run_cli(const std::string& args) {
  const std::string cmd = std::string("'") + FORMBENCH_CLI_PATH + "' " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), f)) out += buf.data();
  const int status = pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(ModelsCli, ListsEveryModelAndPattern) {
  auto [rc, out] = run_cli("list models");
  ASSERT_EQ(rc, 0) << out;
  for (const ModelEntry& e : zoo_models()) EXPECT_NE(out.find(e.name + " "), std::string::npos) << e.name;
  auto [rc2, out2] = run_cli("list patterns");
  ASSERT_EQ(rc2, 0) << out2;
  for (const ModelEntry& e : patterns()) EXPECT_NE(out2.find(e.name + " "), std::string::npos) << e.name;
}

TEST(ModelsCli, InspectsPatternsAndNasModels) {
  auto [rc, out] = run_cli("inspect 'pattern:grouped?depth=4&width=128&res=64&staged=2'");
  EXPECT_EQ(rc, 0) << out;
  auto [rc2, out2] = run_cli("inspect pnasnet5");
  EXPECT_EQ(rc2, 0) << out2;
  EXPECT_NE(out2.find("5,063,347"), std::string::npos) << out2;  // the count docs/zoo.md states
  auto [rc3, out3] = run_cli("inspect 'pattern:grouped?width=96'");
  EXPECT_NE(rc3, 0);
  EXPECT_NE(out3.find("multiple of 64"), std::string::npos) << out3;
}

}  // namespace
}  // namespace fb
