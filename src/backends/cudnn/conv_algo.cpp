#include "backends/cudnn/conv_algo.h"

#include <map>
#include <mutex>

namespace fb::cudnn {

const char* conv_algo_name(int algo) {
  switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "UNKNOWN";
  }
}

std::vector<AlgoResult> conv_algorithms(const ConvKey& key, cudnnHandle_t h, const ConvCall& c, void* workspace,
                                        size_t workspace_bytes, bool exhaustive, bool& from_cache) {
  static_assert(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM == k_algo_implicit_precomp_gemm);
  static std::mutex mu;
  static std::map<std::string, std::vector<AlgoResult>> cache;
  const std::string k = key.str() + (exhaustive ? ":find" : ":heuristic");
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(k);
    if (it != cache.end()) {
      from_cache = true;
      return it->second;
    }
  }
  from_cache = false;
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int n = 0;
  if (exhaustive) {
    FB_CU(cudnnFindConvolutionForwardAlgorithmEx(h, c.x, c.xp, c.w, c.wp, c.conv, c.y, c.yp,
                                                 CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf, workspace, workspace_bytes));
  } else {
    FB_CU(cudnnGetConvolutionForwardAlgorithm_v7(h, c.x, c.w, c.conv, c.y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf));
  }
  std::vector<AlgoResult> out;
  for (int i = 0; i < n; ++i) {
    AlgoResult r;
    r.algo = static_cast<int>(perf[i].algo);
    r.name = conv_algo_name(r.algo);
    r.ms = exhaustive ? perf[i].time : -1.0f;
    r.workspace = static_cast<int64_t>(perf[i].memory);
    r.math = static_cast<int>(perf[i].mathType);
    r.ok = perf[i].status == CUDNN_STATUS_SUCCESS;
    out.push_back(r);
  }
  std::lock_guard<std::mutex> lock(mu);
  cache[k] = out;
  return out;
}

}  // namespace fb::cudnn
