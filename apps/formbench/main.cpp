// formbench: how does an architecture's form decide how much it gains from hardware-specific acceleration?
#include <algorithm>
#include <cstdio>
#include <vector>

#include "command.h"
#include "core/error.h"
#include "formbench/version.h"

namespace fb::cli {
namespace {

struct Registered {
  int order;
  Setup setup;
};
std::vector<Registered>& registered() {
  static std::vector<Registered> r;
  return r;
}

}  // namespace

CommandRegistrar::CommandRegistrar(int order, Setup setup) { registered().push_back({order, std::move(setup)}); }

}  // namespace fb::cli

int main(int argc, char** argv) {
  using namespace fb::cli;
  CLI::App app{"formbench: measures how a CNN's architecture (its form) decides how much it gains from "
               "hardware-specific acceleration."};
  app.set_version_flag("--version", std::string("formbench ") + FORMBENCH_VERSION + " (" + FORMBENCH_GIT_REV + ")");
  app.require_subcommand(1);
  auto& regs = registered();
  std::stable_sort(regs.begin(), regs.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, Action>> actions;
  for (const auto& r : regs) {
    size_t before = app.get_subcommands({}).size();
    Action a = r.setup(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) actions.emplace_back(subs.back(), std::move(a));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : k_exit_usage;
  }
  try {
    for (auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const fb::Error& e) {
    std::fprintf(stderr, "formbench: error: %s\n", e.what());
    return k_exit_error;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "formbench: error: %s\n", e.what());
    return k_exit_error;
  }
  return k_exit_ok;
}
