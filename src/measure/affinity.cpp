#include "measure/affinity.h"

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "core/error.h"

namespace fb::measure {

std::vector<int> parse_cpu_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string part;
  auto num = [&](const std::string& s) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
      fail("bad CPU list '{}': expected numbers like 0,1 or 0-3", text);
    const int v = std::stoi(s);
    if (v >= CPU_SETSIZE) fail("bad CPU list '{}': CPU {} is out of range", text, v);
    return v;
  };
  while (std::getline(ss, part, ',')) {
    const auto dash = part.find('-');
    if (dash == std::string::npos) {
      out.push_back(num(part));
    } else {
      const int lo = num(part.substr(0, dash)), hi = num(part.substr(dash + 1));
      if (hi < lo) fail("bad CPU list '{}': range {} is reversed", text, part);
      for (int c = lo; c <= hi; ++c) out.push_back(c);
    }
  }
  if (out.empty()) fail("bad CPU list '{}': no CPUs named", text);
  return out;
}

std::vector<int> current_affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

std::vector<int> pin_to_cpus(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0)
    fail("cannot pin to CPUs {}: {}", fmt::join(cpus, ","), std::strerror(errno));
  return current_affinity();
}

}  // namespace fb::measure
