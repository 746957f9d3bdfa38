#pragma once
// Helpers shared by the study tests: a scratch directory and running the formbench CLI.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace fb::study::testing {

// A fresh directory under the system temp dir, removed at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fb_study_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name)) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

// Runs `formbench ARGS` through the shell; returns the exit status; stdout/stderr go to files when given.
// `env`: more VAR=value assignments for the command, e.g. "FORMBENCH_MEASUREMENT_LOCK=/tmp/x".
inline int formbench(const std::string& args, const std::string& out = "/dev/null", const std::string& err = "/dev/null",
                     const std::string& env = "") {
  const std::string cmd =
      fmt::format("{} FORMBENCH_ENABLE_TEST_FAULTS=1 {} {} > {} 2> {}", env, FORMBENCH_CLI_PATH, args, out, err);
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace fb::study::testing
