// Test-only fixtures, registered only when FORMBENCH_ENABLE_TEST_FAULTS=1 so users never see them:
// deliberately failing backends (a study must survive crashes, hangs and out-of-memory), and `test_tiny`, a
// three-layer network that measures in milliseconds, so the runner's tests spend their time on the runner.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

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

// Process-level noise, deterministic: the k-th process (counted in the file $FORMBENCH_TEST_NOISE_FILE)
// runs slower by the k-th factor of $FORMBENCH_TEST_NOISE ("1,1.5,1"; cycled). Both noisy backends slow down
// alike inside one process, as a slow host does, so their paired ratio stays 2. $FORMBENCH_TEST_NOISE_FAST
// slows `test_noisy_fast` alone (same counting): the paired ratio itself then moves between processes.
long process_index() {
  static const long n = [] {
    const char* file = std::getenv("FORMBENCH_TEST_NOISE_FILE");
    if (!file) return 0L;
    long k = 0;
    std::FILE* f = std::fopen(file, "r");
    if (f) {
      if (std::fscanf(f, "%ld", &k) != 1) k = 0;
      std::fclose(f);
    }
    f = std::fopen(file, "w");
    if (f) {
      std::fprintf(f, "%ld\n", k + 1);
      std::fclose(f);
    }
    return k;
  }();
  return n;
}

double factor_of(const char* variable) {
  const char* list = std::getenv(variable);
  if (!list || !std::getenv("FORMBENCH_TEST_NOISE_FILE")) return 1.0;
  std::vector<double> factors;
  for (const char* p = list; *p;) {
    char* end = nullptr;
    factors.push_back(std::strtod(p, &end));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p) break;
  }
  return factors.empty() ? 1.0 : factors[static_cast<size_t>(process_index()) % factors.size()];
}

double process_slowdown(bool fast) {
  static const double both = factor_of("FORMBENCH_TEST_NOISE");
  static const double fast_only = factor_of("FORMBENCH_TEST_NOISE_FAST");
  return fast ? both * fast_only : both;
}

// The reference computation plus a sleep of `ms` x the process's slowdown.
class NoisyExecutable : public Executable {
 public:
  NoisyExecutable(std::unique_ptr<Executable> inner, double ms, bool fast) : inner_(std::move(inner)), ms_(ms), fast_(fast) {}
  void run(const std::vector<Tensor>& in, std::vector<Tensor>& out) override {
    inner_->run(in, out);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(1000 * ms_ * process_slowdown(fast_))));
  }
  Description describe() const override { return inner_->describe(); }

 private:
  std::unique_ptr<Executable> inner_;
  double ms_;
  bool fast_;
};

class NoisyBackend : public Backend {
 public:
  NoisyBackend(std::string name, double ms) : name_(std::move(name)), ms_(ms) {}
  std::string name() const override { return name_; }
  std::string summary() const override { return "test-only: the reference plus a sleep, slower in some processes"; }
  std::unique_ptr<Executable> compile(const Graph& g, const CompileOptions& opt) const override {
    return std::make_unique<NoisyExecutable>(make_backend("reference")->compile(g, opt), ms_, name_ == "test_noisy_fast");
  }

 private:
  std::string name_;
  double ms_;
};

const bool k_registered = [] {
  const char* v = std::getenv("FORMBENCH_ENABLE_TEST_FAULTS");
  if (!v || std::strcmp(v, "1") != 0) return false;
  register_backend("test_abort", [] { return std::make_unique<FaultBackend>("test_abort", Fault::Abort); });
  register_backend("test_hang", [] { return std::make_unique<FaultBackend>("test_hang", Fault::Hang); });
  register_backend("test_oom", [] { return std::make_unique<FaultBackend>("test_oom", Fault::BadAlloc); });
  // Sleeps long against a wake-up delay on a loaded 2-vCPU machine (a few ms when the test suite runs in
  // parallel), so the injected factors, not the scheduler, decide the ratios.
  register_backend("test_noisy", [] { return std::make_unique<NoisyBackend>("test_noisy", 30.0); });
  register_backend("test_noisy_fast", [] { return std::make_unique<NoisyBackend>("test_noisy_fast", 15.0); });
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
