#include "measure/measurement_lock.h"

#include <cstdlib>

#include <fmt/format.h>

#include "core/error.h"

namespace fb::measure {
namespace {

constexpr const char* k_held_env = "FORMBENCH_MEASUREMENT_LOCK_HELD";

}  // namespace

LockMode parse_lock_mode(const std::string& s) {
  if (s == "wait") return LockMode::Wait;
  if (s == "refuse") return LockMode::Refuse;
  if (s == "ignore") return LockMode::Ignore;
  fail("--lock '{}': expected wait, refuse or ignore", s);
}

std::string measurement_lock_path() {
  const char* p = std::getenv("FORMBENCH_MEASUREMENT_LOCK");
  return p && *p ? p : "/tmp/formbench-measurement.lock";
}

MeasurementLock MeasurementLock::take(LockMode mode, const std::function<void(const std::string&)>& note) {
  MeasurementLock m;
  const char* held = std::getenv(k_held_env);
  if (held && *held) {  // our parent measures and holds it for us
    m.inherited_ = true;
    return m;
  }
  const std::string path = measurement_lock_path();
  if (auto l = FileLock::try_acquire(path)) m.lock_.emplace(std::move(*l));
  if (!m.lock_) {
    const std::string who = FileLock::holder(path);
    const std::string by = who.empty() ? "another process" : who;
    switch (mode) {
      case LockMode::Refuse:
        fail("another measurement is running on this machine ({}); wait for it, or pass --lock wait", by);
      case LockMode::Ignore:
        m.beside_other_ = true;
        if (note) note(fmt::format("measuring beside another measurement ({}): the result says so", by));
        return m;
      case LockMode::Wait:
        if (note) note(fmt::format("waiting for another measurement to finish ({})", by));
        m.lock_.emplace(FileLock::acquire(path));
        break;
    }
  }
  m.lock_->write_holder(this_process_description());
  setenv(k_held_env, "1", 1);
  return m;
}

MeasurementLock::~MeasurementLock() {
  if (lock_) unsetenv(k_held_env);
}

}  // namespace fb::measure
