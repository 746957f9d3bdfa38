// `formbench doctor` for the LibTorch backends: is the native baseline running on a tuned BLAS?
#include <algorithm>
#include <chrono>
#include <vector>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#ifdef FORMBENCH_TORCH_HAVE_DNNL
#include <dnnl.h>
#endif

#include "backends/torch/blas_tuning.h"
#include "backends/torch/torch_common.h"

namespace fb::torch_be {
namespace {

// Below this share of oneDNN's GEMM rate the baseline is crippled, not merely different: tuned BLAS
// libraries land within ~20% of each other on the same cores.
constexpr double k_min_ratio_to_onednn = 0.5;
// Without oneDNN to compare with: a vectorised (AVX2/AVX-512 FMA) sgemm on one x86 core of the last decade
// reaches 30-100 GFLOP/s; the unoptimised reference BLAS about 2-3. Half of the low end is the floor.
constexpr double k_min_gflops_per_thread = 15.0;

template <typename F>
double median_gflops(int n, int reps, F&& gemm) {
  gemm();  // warm-up: page faults, thread pool start, BLAS kernel selection
  std::vector<double> s;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    gemm();
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (r == 0 && s[0] > 0.5) break;  // a crippled BLAS: one timing says enough
  }
  std::sort(s.begin(), s.end());
  return 2.0 * n * n * static_cast<double>(n) / s[s.size() / 2] / 1e9;
}

}  // namespace

double torch_gemm_gflops(int n, int threads, int reps) {
  set_threads(threads);
  c10::InferenceMode guard;
  at::Tensor a = at::rand({n, n}), b = at::rand({n, n}), c = at::empty({n, n});
  return median_gflops(n, reps, [&] { at::mm_out(c, a, b); });
}

double onednn_gemm_gflops(int n, int threads, int reps) {
#ifdef FORMBENCH_TORCH_HAVE_DNNL
  set_threads(threads);  // oneDNN's OpenMP runtime reads the same per-thread setting
  std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), b(a), c(a);
  return median_gflops(n, reps, [&] {
    dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  });
#else
  return -1.0;
#endif
}

nlohmann::json diagnostics(const Backend& b, const CompileOptions& opt) {
  const int threads = std::max(opt.threads, 1);
  const auto& st = torch_blas::state();
  nlohmann::json j;
  j["libtorch"] = libtorch_version();
  j["threads"] = threads;
  j["mkldnn"] = at::hasMKLDNN();
  j["cpu_avx512"] = torch_blas::cpu_has_avx512();
  j["blas_library"] = torch_blas::blas_library_path();
  j["blas"] = !st.core.empty() ? "openblas" : at::hasMKL() ? "mkl" : "other";
  if (!st.core.empty()) j["openblas_core"] = st.core;
  j["blas_tuning"] = st.decision.reason;
  j["blas_tuning_applied"] = st.applied;

  constexpr int n = 1024;
  const double torch_rate = torch_gemm_gflops(n, threads, 5);
  const double dnnl_rate = onednn_gemm_gflops(n, threads, 5);
  j["gemm"] = fmt::format("{0}x{0}x{0} fp32, median of 5", n);
  j["gemm_gflops"] = torch_rate;
  std::vector<std::string> warnings;
  if (st.decision.warn) warnings.push_back(st.decision.reason);
  if (dnnl_rate > 0) {
    j["onednn_gemm_gflops"] = dnnl_rate;
    j["gemm_ratio_to_onednn"] = torch_rate / dnnl_rate;
    if (torch_rate < k_min_ratio_to_onednn * dnnl_rate)
      warnings.push_back(fmt::format(
          "{}: LibTorch's fp32 GEMM runs at {:.1f} GFLOP/s, {:.0f}% of oneDNN's {:.1f} GFLOP/s on {} thread(s): "
          "the native baseline is handicapped by its BLAS ({}); install libopenblas0-openmp or set "
          "OPENBLAS_CORETYPE",
          b.name(), torch_rate, 100 * torch_rate / dnnl_rate, dnnl_rate, threads,
          j["blas_library"].get<std::string>()));
  } else {
    j["gemm_floor_gflops"] = k_min_gflops_per_thread * threads;
    if (torch_rate < k_min_gflops_per_thread * threads)
      warnings.push_back(fmt::format(
          "{}: LibTorch's fp32 GEMM runs at {:.1f} GFLOP/s on {} thread(s), below the {:.0f} GFLOP/s any "
          "vectorised BLAS reaches: the native baseline is handicapped by its BLAS ({})",
          b.name(), torch_rate, threads, k_min_gflops_per_thread * threads, j["blas_library"].get<std::string>()));
  }
  j["warnings"] = warnings;
  return j;
}

}  // namespace fb::torch_be
