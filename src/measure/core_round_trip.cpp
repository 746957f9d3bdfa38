#include "measure/core_round_trip.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace fb::measure {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int k_trips = 100;
constexpr int k_batches = 3;
constexpr auto k_give_up = std::chrono::milliseconds(50);

void pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);  // best effort: an unpinned pair still answers
}

// Two threads that live as long as the process and sleep between probes. Threads started per probe cost
// involuntary switches that the kernel adds to the process's count only after the thread is joined, inside
// the interval the noise evidence counts (1-2 per round, which read as a competing program).
class Prober {
 public:
  Prober() {
    for (int role = 0; role < 2; ++role) threads_[role] = std::thread([this, role] { serve(role); });
  }
  ~Prober() {
    {
      std::lock_guard lk(m_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  std::optional<double> measure(int cpu_a, int cpu_b) {
    std::lock_guard one_at_a_time(call_);
    std::unique_lock lk(m_);
    cpus_[0] = cpu_a;
    cpus_[1] = cpu_b;
    line_ = 0;
    abort_ = false;
    best_ = -1;
    done_ = 0;
    ++generation_;
    cv_.notify_all();
    done_cv_.wait(lk, [&] { return done_ == 2; });
    if (best_ < 0) return std::nullopt;
    return best_;
  }

 private:
  void serve(int role) {
    int seen = 0, pinned = -1;
    for (;;) {
      int cpu = 0;
      {
        std::unique_lock lk(m_);
        cv_.wait(lk, [&] { return quit_ || generation_ != seen; });
        if (quit_) return;
        seen = generation_;
        cpu = cpus_[role];
      }
      if (cpu != pinned) pin_this_thread(pinned = cpu);
      role == 0 ? ping() : pong();
      {
        std::lock_guard lk(m_);
        ++done_;
      }
      done_cv_.notify_one();
    }
  }

  // One cache line bounces: the pinger writes an odd value, the ponger answers with the next even one.
  void ping() {
    for (int b = 0; b < k_batches; ++b) {
      const auto t0 = Clock::now();
      for (int k = 0; k < k_trips; ++k) {
        const int i = b * k_trips + k;
        line_.store(2 * i + 1, std::memory_order_release);
        while (line_.load(std::memory_order_acquire) != 2 * i + 2)
          if (Clock::now() - t0 > k_give_up) {
            best_ = -1;
            abort_ = true;
            return;
          }
      }
      const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / k_trips;
      best_ = best_ < 0 ? ns : std::min(best_, ns);
    }
  }
  void pong() {
    for (int i = 0; i < k_batches * k_trips; ++i) {
      while (line_.load(std::memory_order_acquire) != 2 * i + 1)
        if (abort_.load(std::memory_order_relaxed)) return;
      line_.store(2 * i + 2, std::memory_order_release);
    }
  }

  std::mutex call_, m_;
  std::condition_variable cv_, done_cv_;
  std::thread threads_[2];
  int generation_ = 0, done_ = 0, cpus_[2] = {0, 0};
  bool quit_ = false;
  alignas(64) std::atomic<int> line_{0};
  alignas(64) std::atomic<bool> abort_{false};
  double best_ = -1;  // written by the pinger, read after both threads reported done
};

}  // namespace

std::optional<double> thread_round_trip_ns(const std::vector<int>& cpus) {
  if (cpus.size() < 2) return std::nullopt;
  static Prober prober;
  return prober.measure(cpus[0], cpus[1]);
}

}  // namespace fb::measure
