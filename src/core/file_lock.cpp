#include "core/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/command_line.h"
#include "core/error.h"

namespace fb {
namespace {

int open_lock_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) fail("cannot open the lock file '{}': {}", path, std::strerror(errno));
  fchmod(fd, 0666);  // machine-wide locks are shared by every user's measurements; may fail when not ours
  return fd;
}

}  // namespace

std::optional<FileLock> FileLock::try_acquire(const std::string& path) {
  const int fd = open_lock_file(path);
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return FileLock(fd, path);
  const int err = errno;
  ::close(fd);
  if (err == EWOULDBLOCK) return std::nullopt;
  fail("cannot lock '{}': {}", path, std::strerror(err));
}

FileLock FileLock::acquire(const std::string& path) {
  const int fd = open_lock_file(path);
  while (flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    fail("cannot lock '{}': {}", path, std::strerror(err));
  }
  return FileLock(fd, path);
}

std::string FileLock::holder(const std::string& path) {
  std::ifstream f(path);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

FileLock::~FileLock() {
  if (fd_ < 0) return;
  if (ftruncate(fd_, 0) != 0) {
  }  // best effort: the next holder overwrites it anyway
  ::close(fd_);
}

void FileLock::write_holder(const std::string& text) {
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return;  // the lock holds without the note; only the message of a waiting process gets poorer
}

std::string this_process_description() {
  return fmt::format("pid {}: {}", static_cast<long>(getpid()), fmt::join(own_command_line(), " "));
}

}  // namespace fb
