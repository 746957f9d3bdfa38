// The CLI as a user meets it: exit codes, one-line errors on stderr, inspect's JSON schema.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

struct Result {
  int code = -1;
  std::string out, err;
};

Result run_cli(const std::string& args) {
  const std::string err_file = testing::TempDir() + "/cli_stderr.txt";
  const std::string cmd = std::string(FORMBENCH_CLI_PATH) + " " + args + " 2>" + err_file;
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream f(err_file);
  std::stringstream ss;
  ss << f.rdbuf();
  r.err = ss.str();
  return r;
}

TEST(Cli, VersionAndHelp) {
  Result v = run_cli("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("formbench 0."), std::string::npos) << v.out;
  for (const char* sub : {"list", "inspect"}) {
    Result h = run_cli(std::string(sub) + " --help");
    EXPECT_EQ(h.code, 0) << sub;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << sub << ": " << h.out;
  }
}

TEST(Cli, InspectJsonHasTotalsAtTopLevel) {
  Result r = run_cli("inspect resnet18 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["params"].get<int64_t>(), 11689512);
  EXPECT_EQ(j["macs"].get<int64_t>(), 1814073344);
  for (const char* key : {"flops", "weight_bytes", "peak_activation_bytes"}) EXPECT_GT(j[key].get<int64_t>(), 0) << key;
  int64_t sum = 0;
  for (const auto& l : j["layers"]) sum += l["macs"].get<int64_t>();
  EXPECT_EQ(sum, j["macs"].get<int64_t>());
  EXPECT_EQ(j["layers"][0]["name"], "conv1");
  EXPECT_EQ(j["layers"][0]["output_shape"], nlohmann::json({1, 64, 112, 112}));
}

TEST(Cli, InspectHumanTable) {
  Result r = run_cli("inspect 'resnet18?res=160' --layers");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("layer4.1.conv2"), std::string::npos);
  EXPECT_NE(r.out.find("11,689,512"), std::string::npos);
  EXPECT_NE(r.out.find("1x3x160x160"), std::string::npos);
}

TEST(Cli, ErrorsAreOneLineWithNonZeroExit) {
  Result bad_model = run_cli("inspect no_such_model");
  EXPECT_EQ(bad_model.code, 1);
  EXPECT_NE(bad_model.err.find("unknown model 'no_such_model'; valid models: "), std::string::npos) << bad_model.err;
  EXPECT_NE(bad_model.err.find("resnet18"), std::string::npos);
  EXPECT_EQ(std::count(bad_model.err.begin(), bad_model.err.end(), '\n'), 1) << bad_model.err;

  Result bad_param = run_cli("inspect 'resnet18?depth=3'");
  EXPECT_EQ(bad_param.code, 1);
  EXPECT_NE(bad_param.err.find("unknown parameter 'depth'"), std::string::npos) << bad_param.err;

  Result bad_flag = run_cli("inspect resnet18 --no-such-flag");
  EXPECT_EQ(bad_flag.code, 2);
  EXPECT_TRUE(bad_flag.out.empty());

  Result no_cmd = run_cli("");
  EXPECT_NE(no_cmd.code, 0);
}

}  // namespace
