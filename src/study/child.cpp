#include "study/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace fb::study {
namespace {

constexpr size_t k_max_out = 256u << 20;
constexpr size_t k_max_err = 64u << 10;

std::atomic<pid_t> g_child{0};

void on_signal(int sig) {
  const pid_t c = g_child.load();
  if (c > 0) kill(-c, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

bool drain(int fd, std::string& into, size_t cap, bool keep_tail) {
  char buf[65536];
  const ssize_t n = read(fd, buf, sizeof buf);
  if (n == 0) return false;
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  into.append(buf, static_cast<size_t>(n));
  if (into.size() > cap) {
    if (keep_tail) into.erase(0, into.size() - cap);
    else into.resize(cap);
  }
  return true;
}

}  // namespace

void install_child_cleanup_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

ChildResult run_child(const std::string& exe, const std::vector<std::string>& args, double timeout_s) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) fail("cannot create a pipe: {}", std::strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    fail("cannot create a pipe: {}", std::strerror(errno));
  }
  std::vector<std::string> argv_s = {exe};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string exec_failed = "cannot execute " + exe + ": ";
  const pid_t parent = getpid();
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) fail("cannot start a child process: {}", std::strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed runner leaves no orphan measuring on
    if (getppid() != parent) _exit(127);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execv(exe.c_str(), argv.data());
    // Only async-signal-safe calls after fork: the message prefix was built before it.
    const char* why = strerrordesc_np(errno);
    (void)!write(2, exec_failed.data(), exec_failed.size());
    (void)!write(2, why ? why : "?", why ? std::strlen(why) : 1);
    (void)!write(2, "\n", 1);
    _exit(127);
  }
  setpgid(pid, pid);  // both sides set it, so it holds before either goes on
  g_child = pid;
  close(out_pipe[1]);
  close(err_pipe[1]);

  ChildResult r;
  bool out_open = true, err_open = true, exited = false;
  int status = 0;
  const auto deadline = start + std::chrono::duration<double>(timeout_s);
  while (true) {
    if (!exited) {
      const pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        kill(-pid, SIGKILL);  // grandchildren must not outlive the point (nor hold our pipes open)
      }
    }
    if (exited && !out_open && !err_open) break;
    if (!exited && std::chrono::steady_clock::now() >= deadline) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      exited = true;
    }
    pollfd fds[2] = {{out_pipe[0], out_open ? short(POLLIN) : short(0), 0},
                     {err_pipe[0], err_open ? short(POLLIN) : short(0), 0}};
    const int n = poll(fds, 2, exited ? 50 : 100);
    if (n < 0 && errno != EINTR) break;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) out_open = drain(out_pipe[0], r.out, k_max_out, false);
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) err_open = drain(err_pipe[0], r.err, k_max_err, true);
    if (exited && n == 0) break;  // exited, group killed, nothing more to read
  }
  g_child = 0;
  close(out_pipe[0]);
  close(err_pipe[0]);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFSIGNALED(status)) {
    r.signaled = true;
    r.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  }
  return r;
}

}  // namespace fb::study
