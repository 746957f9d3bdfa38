#pragma once
// An exclusive advisory lock on a file (flock), held while the object lives; the kernel releases it when the
// process dies, however it dies, so a killed holder never leaves a stale lock. The holder writes who it is
// into the file, so a refused or waiting process can name it.
#include <optional>
#include <string>

namespace fb {

class FileLock {
 public:
  // Takes the lock without waiting; nullopt when another process holds it. Throws fb::Error when the file
  // cannot be opened.
  static std::optional<FileLock> try_acquire(const std::string& path);
  // Waits for the lock.
  static FileLock acquire(const std::string& path);
  // What the current holder wrote (empty when unknown).
  static std::string holder(const std::string& path);

  FileLock(FileLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

  // Records the holder ("pid 123: formbench study run ...").
  void write_holder(const std::string& text);

 private:
  FileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// "pid N: the command line of this process", for write_holder.
std::string this_process_description();

}  // namespace fb
