// Test-only fixtures, registered only when FORMBENCH_ENABLE_TEST_FAULTS=1 so users never see them:
// deliberately failing backends (a study must survive crashes, hangs and out-of-memory), and `test_tiny`, a
// three-layer network that measures in milliseconds, so the runner's tests spend their time on the runner.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "backends/backend.h"
#include "models/zoo/zoo_common.h"

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
  register_zoo_model({"test_tiny", "test-only: conv 3x3 (4 channels), ReLU, global pool, linear",
                      "formbench's study tests", "hand-crafted", [](ModelParams& p) {
                        zoo::CommonParams c = zoo::common_params(p, 8);
                        GraphBuilder b("test_tiny");
                        ValueId x = b.input("input", {c.batch, 3, c.res, c.res});
                        x = b.relu(b.conv(x, {.out = 4, .k = 3}, "conv"), "relu");
                        b.output(b.linear(b.flatten(b.global_avg_pool(x, "pool"), "flatten"), c.classes, "fc"));
                        return b.finish();
                      }});
  return true;
}();

}  // namespace
}  // namespace fb::study
