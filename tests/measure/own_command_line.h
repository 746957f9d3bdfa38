#pragma once
// Tests that start their own binary again in a child mode (before GoogleTest runs) read the arguments from
// /proc/self/cmdline, since static initialisers run before main() sees argv.
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace fb::test {

inline std::vector<std::string> own_command_line() {
  std::ifstream f("/proc/self/cmdline");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::stringstream ss(all);
  std::string a;
  while (std::getline(ss, a, '\0')) args.push_back(a);
  return args;
}

}  // namespace fb::test
