#pragma once
// The machine's fp32 FMA peak, measured: independent AVX-512 FMA chains on `threads` OpenMP threads.
namespace fb::bench {
double measure_fma_peak_gflops(int threads);
}
