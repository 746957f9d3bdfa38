#pragma once
// This process's own command line, from /proc/self/cmdline: for re-running itself in child processes and
// for saying who holds a lock. Readable before main() sees argv (static initialisers).
#include <string>
#include <vector>

namespace fb {

std::vector<std::string> own_command_line();  // the program first; empty when unreadable

}  // namespace fb
