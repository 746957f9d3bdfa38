// Compiled with -mavx512f -mfma. Each thread runs 16 independent accumulator chains (enough to hide the
// FMA latency on 2 FMA ports), so the loop is bound by FMA throughput only.
#include "fma_peak.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>

namespace fb::bench {

double measure_fma_peak_gflops(int threads) {
  constexpr int chains = 16;
  constexpr long iters = 200'000'000;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    float sink = 0;
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      __m512 acc[chains];
      for (int c = 0; c < chains; ++c) acc[c] = _mm512_set1_ps(0.001f * c);
      const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
      for (long i = 0; i < iters / 16; ++i)
        for (int c = 0; c < chains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
      __m512 s = acc[0];
      for (int c = 1; c < chains; ++c) s = _mm512_add_ps(s, acc[c]);
      sink += _mm512_reduce_add_ps(s);
    }
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double flops = 2.0 * 16 * chains * static_cast<double>(iters / 16) * threads;
    if (sink != 12345.f) best = std::max(best, flops / sec / 1e9);
  }
  return best;
}

}  // namespace fb::bench
