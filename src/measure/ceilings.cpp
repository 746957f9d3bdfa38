#include "measure/ceilings.h"

#include <dlfcn.h>
#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "measure/clock.h"
#include "measure/machine.h"

namespace fb::measure {
namespace {

// 12 accumulators: FMA latency 4 cycles x 2 FMA pipes needs >= 8 chains in flight; 12 leaves slack.
constexpr int k_chains = 12;

__attribute__((target("avx512f"))) float fma_chains_avx512(int64_t iters) {
  __m512 acc[k_chains];
  for (int j = 0; j < k_chains; ++j) acc[j] = _mm512_set1_ps(static_cast<float>(j));
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  for (int64_t i = 0; i < iters; ++i)
    for (int j = 0; j < k_chains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  __m512 s = acc[0];
  for (int j = 1; j < k_chains; ++j) s = _mm512_add_ps(s, acc[j]);
  float out[16];
  _mm512_storeu_ps(out, s);
  float t = 0;
  for (float x : out) t += x;
  return t;
}

__attribute__((target("avx2,fma"))) float fma_chains_avx2(int64_t iters) {
  __m256 acc[k_chains];
  for (int j = 0; j < k_chains; ++j) acc[j] = _mm256_set1_ps(static_cast<float>(j));
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  for (int64_t i = 0; i < iters; ++i)
    for (int j = 0; j < k_chains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  float out[8];
  __m256 s = acc[0];
  for (int j = 1; j < k_chains; ++j) s = _mm256_add_ps(s, acc[j]);
  _mm256_storeu_ps(out, s);
  float t = 0;
  for (float x : out) t += x;
  return t;
}

float fma_chains_scalar(int64_t iters) {
  float acc[k_chains];
  for (int j = 0; j < k_chains; ++j) acc[j] = static_cast<float>(j);
  for (int64_t i = 0; i < iters; ++i)
    for (int j = 0; j < k_chains; ++j) acc[j] = acc[j] * 0.999f + 0.001f;
  float t = 0;
  for (float x : acc) t += x;
  return t;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Runs fn(thread_index) on `threads` threads started together. Returns each thread's CPU time in seconds:
// the time it actually ran, so other processes competing for the cores do not lower a ceiling (a wall-clock
// rate would). Ceilings therefore assume threads <= logical CPUs; callers clamp.
template <typename Fn>
std::vector<double> timed_parallel(int threads, Fn fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> cpu(static_cast<size_t>(threads), 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      const double c0 = thread_cpu_seconds();
      fn(t);
      cpu[static_cast<size_t>(t)] = thread_cpu_seconds() - c0;
    });
  while (ready.load() < threads) std::this_thread::yield();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  return cpu;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int clamp_threads(int threads) {
  const int cpus = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  return std::clamp(threads, 1, cpus);
}

std::atomic<float> g_sink{0};

}  // namespace

double fma_probe_gflops(int64_t iters) {
  static const auto [kernel, lanes] = []() -> std::pair<float (*)(int64_t), int> {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return {&fma_chains_avx512, 16};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {&fma_chains_avx2, 8};
    return {&fma_chains_scalar, 1};
  }();
  const auto t0 = std::chrono::steady_clock::now();
  g_sink.store(kernel(iters));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s > 0 ? 2.0 * lanes * k_chains * static_cast<double>(iters) / s / 1e9 : 0;
}

double measure_fma_peak_gflops(int threads, std::string* isa_used) {
  threads = clamp_threads(threads);
  int lanes = 1;
  float (*kernel)(int64_t) = &fma_chains_scalar;
  std::string isa = "scalar";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    kernel = &fma_chains_avx512;
    lanes = 16;
    isa = "avx512f";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    kernel = &fma_chains_avx2;
    lanes = 8;
    isa = "avx2+fma";
  }
  if (isa_used) *isa_used = isa;
  // Calibrate to ~50 ms per repeat on one thread.
  int64_t iters = 1 << 14;
  for (;;) {
    const double s = timed_parallel(1, [&](int) { g_sink.store(kernel(iters)); })[0];
    if (s > 0.02 || iters > (int64_t{1} << 34)) {
      iters = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(iters) * 0.05 / std::max(s, 1e-6)));
      break;
    }
    iters *= 4;
  }
  const double flops_per_thread = 2.0 * lanes * k_chains * static_cast<double>(iters);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    double rate = 0;  // sum of the threads' rates while running
    for (double sec : timed_parallel(threads, [&](int) { g_sink.store(kernel(iters)); }))
      rate += flops_per_thread / std::max(sec, 1e-9);
    best = std::max(best, rate / 1e9);
  }
  return best;
}

double measure_triad_gbps(int threads) {
  threads = clamp_threads(threads);
  int64_t llc = 0;
  for (const CacheLevel& c : read_cache_levels()) llc = std::max(llc, c.size_bytes);
  const int64_t n = std::max<int64_t>(4 * std::max<int64_t>(llc, 8 << 20) / 8, 1 << 22);
  std::unique_ptr<double[]> a(new double[static_cast<size_t>(n)]), b(new double[static_cast<size_t>(n)]),
      c(new double[static_cast<size_t>(n)]);
  auto chunk = [&](int t, int64_t& lo, int64_t& hi) {
    lo = n * t / threads;
    hi = n * (t + 1) / threads;
  };
  // First touch by the thread that later streams the chunk (NUMA placement).
  timed_parallel(threads, [&](int t) {
    int64_t lo, hi;
    chunk(t, lo, hi);
    for (int64_t i = lo; i < hi; ++i) a[i] = 0, b[i] = 1.0, c[i] = 2.0;
  });
  const double s = 3.0;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const std::vector<double> secs = timed_parallel(threads, [&](int t) {
      int64_t lo, hi;
      chunk(t, lo, hi);
      double* __restrict pa = a.get();
      const double* __restrict pb = b.get();
      const double* __restrict pc = c.get();
      for (int64_t i = lo; i < hi; ++i) pa[i] = pb[i] + s * pc[i];
    });
    double rate = 0;
    for (int t = 0; t < threads; ++t) {
      int64_t lo, hi;
      chunk(t, lo, hi);
      rate += 3.0 * 8.0 * static_cast<double>(hi - lo) / std::max(secs[static_cast<size_t>(t)], 1e-9);
    }
    best = std::max(best, rate / 1e9);
  }
  g_sink.store(static_cast<float>(a[static_cast<size_t>(n / 2)]));
  return best;
}

std::optional<double> measure_onednn_gemm_gflops(int threads, std::string& note) {
  // Loaded at run time so this code builds and runs without the onednn backend.
  // oneDNN 2.x (Debian 12) is libdnnl.so.2, 3.x (Debian 13) libdnnl.so.3; dnnl_sgemm is the same in both.
  // The copy this process already has (the onednn backend's) comes first: never a second oneDNN beside it.
  void* h = nullptr;
  for (const int mode : {RTLD_NOLOAD, 0})
    for (const char* name : {"libdnnl.so.3", "libdnnl.so.2", "libdnnl.so"})
      if (!h) h = dlopen(name, RTLD_NOW | RTLD_LOCAL | mode);
  if (!h) {
    note = "oneDNN (libdnnl.so.3 or .2) not found: no GEMM ceiling";
    return std::nullopt;
  }
  using Sgemm = int (*)(char, char, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                        float, float*, int64_t);
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  auto sgemm = reinterpret_cast<Sgemm>(dlsym(h, "dnnl_sgemm"));
  auto set_threads = reinterpret_cast<SetThreads>(dlsym(h, "omp_set_num_threads"));
  auto get_threads = reinterpret_cast<GetThreads>(dlsym(h, "omp_get_max_threads"));
  if (!sgemm) {
    note = "libdnnl has no dnnl_sgemm";
    dlclose(h);
    return std::nullopt;
  }
  const int saved = get_threads ? get_threads() : -1;
  if (set_threads) set_threads(threads);
  constexpr int64_t n = 2048;
  std::vector<float> A(n * n, 0.5f), B(n * n, 0.25f), C(n * n, 0.0f);
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {  // the first is a warm-up (packing buffers, thread start)
    const int64_t t0 = steady_clock().now_ns();
    const double c0 = process_cpu_seconds();
    const int st = sgemm('N', 'N', n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    const double wall = static_cast<double>(steady_clock().now_ns() - t0) / 1e9;
    // CPU time / T is the time the threads ran (robust to competing processes); the wall time bounds it
    // when they ran undisturbed. The shorter of the two is the closer to the machine's capability.
    const double sec = std::min(wall, (process_cpu_seconds() - c0) / clamp_threads(threads));
    if (st != 0) {
      note = fmt::format("dnnl_sgemm failed with status {}", st);
      return std::nullopt;
    }
    if (rep > 0) best = std::max(best, 2.0 * n * n * n / sec / 1e9);
  }
  if (set_threads && saved > 0) set_threads(saved);
  note = set_threads ? fmt::format("dnnl_sgemm {}x{}x{} fp32, {} OpenMP threads", n, n, n, threads)
                     : fmt::format("dnnl_sgemm {}x{}x{} fp32 (thread count not settable: library default)", n, n, n);
  // The library stays loaded: unloading an OpenMP runtime with live threads is unsafe.
  return best;
}

nlohmann::json Ceilings::to_json() const {
  return {{"threads", threads},
          {"fma_peak_gflops", fma_peak_gflops},
          {"fma_isa", fma_isa},
          {"triad_gbps", triad_gbps},
          {"gemm_gflops", gemm_gflops ? nlohmann::json(*gemm_gflops) : nlohmann::json(nullptr)},
          {"gemm_note", gemm_note},
          {"measured_at", measured_at},
          {"from_cache", from_cache}};
}

Ceilings Ceilings::from_json(const nlohmann::json& j) {
  Ceilings c;
  c.threads = j.at("threads").get<int>();
  c.fma_peak_gflops = j.at("fma_peak_gflops").get<double>();
  c.fma_isa = j.value("fma_isa", "");
  c.triad_gbps = j.at("triad_gbps").get<double>();
  if (j.contains("gemm_gflops") && j["gemm_gflops"].is_number()) c.gemm_gflops = j["gemm_gflops"].get<double>();
  c.gemm_note = j.value("gemm_note", "");
  c.measured_at = j.value("measured_at", "");
  return c;
}

Ceilings measure_ceilings(int threads) {
  Ceilings c;
  c.threads = threads;
  c.fma_peak_gflops = measure_fma_peak_gflops(threads, &c.fma_isa);
  c.triad_gbps = measure_triad_gbps(threads);
  c.gemm_gflops = measure_onednn_gemm_gflops(threads, c.gemm_note);
  c.measured_at = rfc3339_now();
  return c;
}

std::string cache_dir() {
  if (const char* d = std::getenv("FORMBENCH_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/formbench";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/formbench";
  return "/tmp/formbench-cache";
}

Ceilings get_ceilings(int threads, bool refresh) {
  const std::string path = cache_dir() + "/ceilings.json";
  const std::string key = fmt::format("{} | threads={}", collect_machine_facts().fingerprint_key(), threads);
  nlohmann::json all = nlohmann::json::object();
  {
    std::ifstream f(path);
    if (f) {
      try {
        f >> all;
      } catch (...) {
        all = nlohmann::json::object();  // a corrupt cache is re-measured, not trusted
      }
    }
  }
  if (!refresh && all.is_object() && all.contains(key)) {
    try {
      Ceilings c = Ceilings::from_json(all[key]);
      c.from_cache = true;
      return c;
    } catch (...) {
    }
  }
  Ceilings c = measure_ceilings(threads);
  if (!all.is_object()) all = nlohmann::json::object();
  all[key] = c.to_json();
  all[key].erase("from_cache");
  std::error_code ec;
  std::filesystem::create_directories(cache_dir(), ec);
  const std::string tmp = fmt::format("{}.{}.tmp", path, static_cast<long>(getpid()));
  {
    std::ofstream f(tmp);
    if (f) f << all.dump(2) << "\n";
  }
  std::filesystem::rename(tmp, path, ec);  // atomic: concurrent runs never see half a file
  return c;
}

std::string fma_peak_mismatch(const std::string& precision, const std::string& device, int64_t fast_algorithm_convs) {
  if (device != "cpu") return "the measured peak is the host cpu's fp32 FMA rate, not the " + device + "'s";
  if (precision != "fp32") return "the measured peak is fp32's FMA rate; " + precision + " runs other instructions";
  if (fast_algorithm_convs > 0)
    return fmt::format("{} Winograd convolution(s) do fewer multiplications than the FLOP count: GFLOP/s is an "
                       "effective rate", fast_algorithm_convs);
  return "";
}

std::string why_no_pct_of_peak(const nlohmann::json& peak, const std::string& precision, const std::string& device,
                               int64_t fast_algorithm_convs) {
  if (!peak.is_number() || peak.get<double>() <= 0) return "no measured peak";
  return fma_peak_mismatch(precision, device, fast_algorithm_convs);
}

nlohmann::json pct_of_fma_peak(double gflops, const nlohmann::json& peak, const std::string& precision,
                               const std::string& device, int64_t fast_algorithm_convs) {
  if (!why_no_pct_of_peak(peak, precision, device, fast_algorithm_convs).empty()) return nullptr;
  return 100 * gflops / peak.get<double>();
}

void put_pct_of_peak(nlohmann::json& backend, double gflops, const nlohmann::json& peak, const std::string& precision,
                     const std::string& device, int64_t fast_algorithm_convs) {
  backend["pct_of_peak"] = pct_of_fma_peak(gflops, peak, precision, device, fast_algorithm_convs);
  const std::string why = why_no_pct_of_peak(peak, precision, device, fast_algorithm_convs);
  backend["peak_reason"] = why.empty() ? nlohmann::json(nullptr) : nlohmann::json(why);
}

}  // namespace fb::measure
