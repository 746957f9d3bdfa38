#pragma once
// Runs one program as an isolated child process with a time limit, capturing its stdout and stderr.
#include <string>
#include <vector>

namespace fb::study {

struct ChildResult {
  bool timed_out = false;  // killed by us at the limit
  bool signaled = false;   // ended by a signal (including our kill)
  int signal = 0;
  int exit_code = -1;      // when it exited normally
  std::string out, err;    // err keeps only its last 64 KiB
  double seconds = 0;
};

// The child gets its own process group (killed as a whole at the limit or when the caller is interrupted)
// and dies with its parent. Throws fb::Error only when the process cannot be started.
ChildResult run_child(const std::string& exe, const std::vector<std::string>& args, double timeout_s);

// Kill the running child's process group, then die by `sig` as the default action would (for SIGINT/SIGTERM).
void install_child_cleanup_handlers();

}  // namespace fb::study
