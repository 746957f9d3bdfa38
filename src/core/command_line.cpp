#include "core/command_line.h"

#include <fstream>
#include <iterator>
#include <sstream>

namespace fb {

std::vector<std::string> own_command_line() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::stringstream ss(all);
  std::string a;
  while (std::getline(ss, a, '\0')) args.push_back(a);
  return args;
}

}  // namespace fb
