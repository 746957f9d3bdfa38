#include "predict/sample.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/rng.h"

namespace fb::predict {
namespace {

template <size_t N>
int64_t pick(Rng& r, const int64_t (&values)[N], const double (&weights)[N]) {
  double u = r.uniform(), acc = 0;
  for (size_t i = 0; i < N; ++i) {
    acc += weights[i];
    if (u < acc) return values[i];
  }
  return values[N - 1];
}

int64_t round8(double c) { return std::clamp<int64_t>(static_cast<int64_t>(std::lround(c / 8.0)) * 8, 8, 2048); }

// Channels typical at resolution `res`: 64 at 56 px, doubling as the resolution halves, times 2^U(-2, 2).
int64_t channels_at(Rng& r, int64_t res) {
  return round8(64.0 * 56.0 / static_cast<double>(res) * std::pow(2.0, r.uniform(-2.0f, 2.0f)));
}

SampledKernel conv(Rng& r) {
  static const int64_t res_v[] = {7, 14, 17, 28, 35, 56, 112, 224};
  static const double res_w[] = {0.14, 0.2, 0.03, 0.2, 0.03, 0.2, 0.14, 0.06};
  SampledKernel k{"kernel:conv", pick(r, res_v, res_w), {}};
  int64_t cin = channels_at(r, k.resolution), cout = cin, kk = 1, stride = 1, groups = 1;
  const double kind = r.uniform();
  if (kind < 0.35) {  // pointwise: expansions, projections, bottleneck ends
    static const int64_t f_v[] = {1, 2, 4, 6, 8};
    static const double f_w[] = {0.3, 0.2, 0.2, 0.2, 0.1};
    const int64_t f = pick(r, f_v, f_w);
    if (r.uniform() < 0.5) cout = round8(static_cast<double>(cin) * static_cast<double>(f));
    else cout = round8(static_cast<double>(cin) / static_cast<double>(f));
  } else if (kind < 0.65) {  // dense k x k
    static const int64_t k_v[] = {3, 5, 7};
    static const double k_w[] = {0.8, 0.1, 0.1};
    kk = pick(r, k_v, k_w);
    if (r.uniform() < 0.25) {
      stride = 2;
      cout = round8(static_cast<double>(cin) * 2.0);
    }
    if (k.resolution >= 112 && r.uniform() < 0.3) cin = 3;  // a stem
  } else if (kind < 0.9) {  // depthwise
    static const int64_t k_v[] = {3, 5};
    static const double k_w[] = {0.7, 0.3};
    kk = pick(r, k_v, k_w);
    cin = cout = std::min<int64_t>(cin * 4, 2048);  // depthwise runs on expanded tensors
    groups = cin;
    if (r.uniform() < 0.25) stride = 2;
  } else {  // grouped (ResNeXt, RegNet)
    static const int64_t g_v[] = {2, 4, 8, 32};
    static const double g_w[] = {0.2, 0.2, 0.3, 0.3};
    kk = 3;
    groups = pick(r, g_v, g_w);
    cin = cout = std::max<int64_t>(groups * 4, cin / groups * groups);
    if (r.uniform() < 0.25) stride = 2;
  }
  // Real layers stay under about half a GMAC at batch 1 (VGG's largest is 1.85, ResNet-50's 0.23): draw again.
  const double out_res = static_cast<double>((k.resolution + stride - 1) / stride);
  if (out_res * out_res * static_cast<double>(cout * (cin / groups) * kk * kk) > 0.6e9) return conv(r);
  static const char* acts[] = {"relu", "relu", "relu", "relu6", "silu", "hardswish", "none", "none"};
  const std::string act = acts[r.next_u64() % 8];
  const bool add = stride == 1 && cin == cout && cin > 3 && r.uniform() < 0.25;
  const bool pre = !add && act != "none" && r.uniform() < 0.15;  // NAS cells: ReLU -> conv -> BN
  k.params = {{"cin", std::to_string(cin)}, {"cout", std::to_string(cout)}, {"k", std::to_string(kk)},
              {"stride", std::to_string(stride)}, {"groups", std::to_string(groups)}, {"act", act},
              {"add", add ? "1" : "0"}, {"pre", pre ? "1" : "0"}};
  return k;
}

SampledKernel eltwise(Rng& r) {
  static const int64_t res_v[] = {7, 14, 28, 56, 112};
  static const double res_w[] = {0.2, 0.2, 0.2, 0.25, 0.15};
  SampledKernel k{"kernel:eltwise", pick(r, res_v, res_w), {}};
  static const char* ops[] = {"relu", "relu", "add", "add", "mul", "sigmoid", "silu", "hardswish"};
  k.params = {{"c", std::to_string(channels_at(r, k.resolution))}, {"op", ops[r.next_u64() % 8]}};
  return k;
}

SampledKernel pool(Rng& r) {
  static const int64_t res_v[] = {7, 14, 28, 56, 112};
  static const double res_w[] = {0.25, 0.2, 0.2, 0.2, 0.15};
  SampledKernel k{"kernel:pool", pick(r, res_v, res_w), {}};
  const double u = r.uniform();
  const std::string type = u < 0.5 ? "max" : u < 0.7 ? "avg" : "global";
  const int64_t window = type == "global" ? 1 : (r.uniform() < 0.8 ? 3 : 2), stride = r.uniform() < 0.8 ? 2 : 1;
  k.params = {{"c", std::to_string(channels_at(r, k.resolution))}, {"type", type}, {"k", std::to_string(window)},
              {"stride", std::to_string(stride)}};
  return k;
}

SampledKernel linear(Rng& r) {
  static const int64_t out_v[] = {10, 100, 1000, 1280, 4096};
  static const double out_w[] = {0.15, 0.15, 0.5, 0.1, 0.1};
  SampledKernel k{"kernel:linear", 1, {}};
  k.params = {{"in", std::to_string(round8(std::pow(2.0, r.uniform(8.0f, 12.0f))))},
              {"out", std::to_string(pick(r, out_v, out_w))}};
  return k;
}

}  // namespace

std::string SampledKernel::ref() const {
  std::vector<std::pair<std::string, std::string>> kv = params;
  std::sort(kv.begin(), kv.end());
  std::string q = "res=" + std::to_string(resolution);  // the resolution first, then the rest sorted: as expand()
  for (const auto& [key, v] : kv) q += "&" + key + "=" + v;
  return model + "?" + q;
}

std::vector<SampledKernel> draw_kernels(int count, uint64_t seed) {
  Rng r(hash_name("formbench.kernel_sample", seed));
  std::vector<SampledKernel> out;
  for (int i = 0; i < count; ++i) {
    const double u = r.uniform();
    out.push_back(u < 0.74 ? conv(r) : u < 0.84 ? pool(r) : u < 0.92 ? eltwise(r) : linear(r));
  }
  return out;
}

std::string sample_spec(const std::vector<SampledKernel>& kernels, const SampleSpecOptions& opt) {
  std::string backends;
  for (const std::string& b : opt.backends) backends += (backends.empty() ? "\"" : ", \"") + b + "\"";
  std::string s = fmt::format(
      "# Written by `formbench predictor sample`: single-layer networks measured with per-layer profiles.\n"
      "name = \"predictor-sample\"\n"
      "description = \"{} sampled kernels (models/kernels) for a latency predictor\"\n"
      "backend = [{}]\nthreads = {}\nbatch = 1\nprecision = \"{}\"\n\n"
      "# The profiles are the data: one process per kernel, its backends interleaved, then profiled per layer.\n"
      "[measure]\nwarmup = 1\nwarmup_ms = 20\nrepetitions = 6\nmin_time_ms = 100\nmax_time_ms = 400\nblock = 3\n"
      "processes = 1\nmax_processes = 1\ncheck = true\ntimeout_s = 120\nexplain = true\n",
      kernels.size(), backends, opt.threads, opt.precision);
  for (const SampledKernel& k : kernels) {
    std::string params;
    for (const auto& [key, v] : k.params) {
      const bool number = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
      params += fmt::format("{}{} = {}", params.empty() ? "" : ", ", key, number ? v : "\"" + v + "\"");
    }
    s += fmt::format("\n[[models]]\nmodel = \"{}\"\nresolution = {}\nparams = {{ {} }}\n", k.model, k.resolution, params);
  }
  return s;
}

}  // namespace fb::predict
