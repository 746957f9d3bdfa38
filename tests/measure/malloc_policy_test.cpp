// The heap policy: parsing, and what `retain` does to glibc in a fresh process (this test binary started
// again in a child mode), where the heap history is short: a 16 MiB block is mapped from the kernel under
// glibc's defaults (threshold 128 KiB) and comes from the heap under `retain`, which keeps it after free.
#include <gtest/gtest.h>

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "own_command_line.h"
#include "measure/malloc_policy.h"

using namespace fb::measure;

namespace {

constexpr const char* k_child_flag = "--formbench-malloc-test-child";

// 0: a 16 MiB block was mapped (hblks grew); 1: it came from the heap and stayed there after free.
int big_block_from_heap() {
  const auto before = mallinfo2().hblks;
  void* volatile p = std::malloc(16u << 20);  // volatile: the compiler may not elide the pair
  std::memset(p, 1, 16u << 20);
  const bool mapped = mallinfo2().hblks > before;
  std::free(p);
  if (mapped) return 0;
  return mallinfo2().fordblks >= (16u << 20) ? 1 : 2;  // 2: from the heap but trimmed away
}

// In the child mode, apply the policy named on the command line, report, and exit before GoogleTest starts.
const bool child_mode = [] {
  const std::vector<std::string> args = fb::test::own_command_line();
  if (args.size() != 3 || args[1] != k_child_flag) return false;
  if (args[2] != "none" && apply_malloc_policy(parse_malloc_policy(args[2]))) std::exit(3);  // not glibc's malloc
  std::exit(big_block_from_heap());
}();

// Starts this binary in the child mode; returns its exit code.
int in_fresh_process(const char* policy) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", "formbench_tests", k_child_flag, policy, static_cast<char*>(nullptr));
    _exit(101);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

}  // namespace

TEST(MeasureMalloc, ParsesPolicies) {
  EXPECT_EQ(parse_malloc_policy("retain"), MallocPolicy::Retain);
  EXPECT_EQ(parse_malloc_policy("default"), MallocPolicy::Default);
  EXPECT_STREQ(malloc_policy_name(MallocPolicy::Retain), "retain");
  try {
    parse_malloc_policy("jemalloc");
    FAIL() << "no error";
  } catch (const fb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'jemalloc'"), std::string::npos) << e.what();
  }
}

TEST(MeasureMalloc, RetainKeepsLargeBlocksOnTheHeap) {
  const int retain = in_fresh_process("retain");
  if (retain == 3) GTEST_SKIP() << "this binary's malloc is not glibc's (a sanitizer build): 'retain' is not applied, "
                                   "and results say so (malloc_not_applied)";
  EXPECT_EQ(in_fresh_process("none"), 0);     // glibc's defaults: mapped
  EXPECT_EQ(in_fresh_process("default"), 0);  // `default` leaves glibc alone
  EXPECT_EQ(retain, 1);                       // from the heap, kept after free
}
