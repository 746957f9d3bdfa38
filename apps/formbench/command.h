#pragma once
// Subcommands register themselves: each cmd_*.cpp holds one command, its options and its action.
//
//   static fb::cli::CommandRegistrar reg(20, [](CLI::App& app) {
//     auto* sub = app.add_subcommand("inspect", "...");
//     auto opt = std::make_shared<Options>();
//     sub->add_option(...);
//     return [opt] { return run_inspect(*opt); };  // returns the exit code
//   });
//
// Errors are thrown as fb::Error and turned into one line on stderr and exit code 1 by main.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace fb::cli {

using Action = std::function<int()>;
using Setup = std::function<Action(CLI::App&)>;

struct CommandRegistrar {
  CommandRegistrar(int order, Setup setup);  // order: position in --help
};

// Exit codes: 0 ok, 1 error (bad model, failed run), 2 usage error (bad flag).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_error = 1;
inline constexpr int k_exit_usage = 2;

}  // namespace fb::cli
