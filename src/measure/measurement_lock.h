#pragma once
// One measurement at a time on this machine. Every measuring command (bench, compare, study run, a cluster
// task) holds the machine-wide measurement lock while it measures: two measurements on the same CPUs
// contaminate each other (two quick studies at once on 2 cores: darts on torch 193 and 96 ms against 8 ms
// alone). By default a second one waits and says for whom; `refuse` exits instead; `ignore` measures anyway
// and the result records that it ran beside another measurement.
//
// The lock is a file (flock): $FORMBENCH_MEASUREMENT_LOCK, else /tmp/formbench-measurement.lock. A
// measuring command's own children (the processes of a study point) inherit the parent's hold through
// FORMBENCH_MEASUREMENT_LOCK_HELD, set while the lock is held.
#include <functional>
#include <optional>
#include <string>

#include "core/file_lock.h"

namespace fb::measure {

enum class LockMode { Wait, Refuse, Ignore };
LockMode parse_lock_mode(const std::string& s);  // wait|refuse|ignore; throws fb::Error naming the valid ones

std::string measurement_lock_path();

class MeasurementLock {
 public:
  // `note` receives one line when it has to wait (may be empty).
  static MeasurementLock take(LockMode mode, const std::function<void(const std::string&)>& note = nullptr);
  ~MeasurementLock();
  MeasurementLock(MeasurementLock&& o) noexcept
      : lock_(std::move(o.lock_)), beside_other_(o.beside_other_), inherited_(o.inherited_) {
    o.lock_.reset();  // the moved-from object must not let go of the hold when it dies
  }
  // True when another measurement held the lock and this one measured anyway (LockMode::Ignore).
  bool beside_other() const { return beside_other_; }
  bool inherited() const { return inherited_; }

 private:
  MeasurementLock() = default;
  std::optional<FileLock> lock_;
  bool beside_other_ = false;
  bool inherited_ = false;
};

}  // namespace fb::measure
