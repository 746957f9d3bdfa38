#pragma once
// Tests that start their own binary again in a child mode (before GoogleTest runs) read the arguments from
// /proc/self/cmdline, since static initialisers run before main() sees argv.
#include <string>
#include <vector>

#include "core/command_line.h"

namespace fb::test {

inline std::vector<std::string> own_command_line() { return ::fb::own_command_line(); }

}  // namespace fb::test
