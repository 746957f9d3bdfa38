#pragma once
// Measured machine ceilings for roofline and efficiency figures, cached per machine and thread count
// (cache_dir()/ceilings.json, keyed by MachineFacts::fingerprint_key() and T):
//  - fp32 FMA peak on T threads: independent vector FMA chains (AVX-512, else AVX2+FMA, else scalar), enough
//    chains to cover FMA latency x throughput, each thread its own registers; best of several repeats.
//  - memory bandwidth: a STREAM-like triad a[i] = b[i] + s c[i] on doubles, arrays 4x the last-level cache,
//    counted as 3 x 8 bytes per element (no write-allocate traffic), best of several repeats.
//  - large GEMM: oneDNN's dnnl_sgemm (2048^3) when libdnnl can be loaded at run time; otherwise absent with
//    the reason.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace fb::measure {

struct Ceilings {
  int threads = 1;
  double fma_peak_gflops = 0;
  std::string fma_isa;  // "avx512f", "avx2+fma", "scalar"
  double triad_gbps = 0;
  std::optional<double> gemm_gflops;
  std::string gemm_note;  // how the GEMM was measured, or why not
  std::string measured_at;
  bool from_cache = false;
  nlohmann::json to_json() const;
  static Ceilings from_json(const nlohmann::json& j);
};

// Measure now (about a second or two).
Ceilings measure_ceilings(int threads);
// Cached value if present, else measure and store. `refresh` re-measures.
Ceilings get_ceilings(int threads, bool refresh = false);

double measure_fma_peak_gflops(int threads, std::string* isa_used = nullptr);
// One thread's fp32 FMA rate over `iters` iterations of the same kernel (wall time, about 0.1 ms at the
// default): the cores' vector speed right now (clock, throttling, a neighbour on the same core). The noise
// evidence takes it after every round, so a slow process can be told apart from slow cores; these guests
// show no clock otherwise (no cpufreq).
double fma_probe_gflops(int64_t iters = 20000);
double measure_triad_gbps(int threads);
std::optional<double> measure_onednn_gemm_gflops(int threads, std::string& note);

// $FORMBENCH_CACHE_DIR, else $XDG_CACHE_HOME/formbench, else ~/.cache/formbench.
std::string cache_dir();

// The FMA peak bounds a run only where it is the rate of what ran: fp32 on the cpu. bf16 and int8 dot
// products do 2x and 4x its multiply-adds per instruction (onednn's int8 squeezenet1_0 reached 260% of it),
// and a GPU has its own ceiling: those runs get no percentage of it, and why (empty where it applies).
// Nor where Winograd convolutions ran (Description::fast_algorithm_convs): they do fewer multiplications
// than the FLOP count, so the rate is an effective one (vgg16 would pass 100%).
std::string fma_peak_mismatch(const std::string& precision, const std::string& device, int64_t fast_algorithm_convs = 0);
// Why a run gets no percentage of the peak ("" where it gets one): no peak measured, or fma_peak_mismatch.
std::string why_no_pct_of_peak(const nlohmann::json& peak, const std::string& precision, const std::string& device,
                               int64_t fast_algorithm_convs = 0);
// 100 * gflops / peak where the peak is known and bounds the run; null otherwise.
nlohmann::json pct_of_fma_peak(double gflops, const nlohmann::json& peak, const std::string& precision,
                               const std::string& device, int64_t fast_algorithm_convs = 0);
// A backend's result gets both: "pct_of_peak" (or null) and "peak_reason" (null where there is a percentage).
void put_pct_of_peak(nlohmann::json& backend, double gflops, const nlohmann::json& peak, const std::string& precision,
                     const std::string& device, int64_t fast_algorithm_convs);

}  // namespace fb::measure
