// Deliberately failing backends, for testing that a study survives crashes, hangs and out-of-memory.
// Registered only when FORMBENCH_ENABLE_TEST_FAULTS=1, so users never see them.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "backends/backend.h"

namespace fb::study {
namespace {

enum class Fault { Abort, Hang, BadAlloc };

class FaultBackend : public Backend {
 public:
  FaultBackend(std::string name, Fault f) : name_(std::move(name)), fault_(f) {}
  std::string name() const override { return name_; }
  std::string summary() const override { return "test-only backend that fails on purpose"; }
  std::unique_ptr<Executable> compile(const Graph&, const CompileOptions&) const override {
    switch (fault_) {
      case Fault::Abort: std::abort();
      case Fault::Hang:
        while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
      case Fault::BadAlloc: throw std::bad_alloc();
    }
    return nullptr;
  }

 private:
  std::string name_;
  Fault fault_;
};

const bool k_registered = [] {
  const char* v = std::getenv("FORMBENCH_ENABLE_TEST_FAULTS");
  if (!v || std::strcmp(v, "1") != 0) return false;
  register_backend("test_abort", [] { return std::make_unique<FaultBackend>("test_abort", Fault::Abort); });
  register_backend("test_hang", [] { return std::make_unique<FaultBackend>("test_hang", Fault::Hang); });
  register_backend("test_oom", [] { return std::make_unique<FaultBackend>("test_oom", Fault::BadAlloc); });
  return true;
}();

}  // namespace
}  // namespace fb::study
