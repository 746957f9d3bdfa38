#include "backends/onednn/winograd.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fb::onednn {

bool winograd_shape(const Conv2dAttrs& a) {
  return a.kernel_h == 3 && a.kernel_w == 3 && a.stride_h == 1 && a.stride_w == 1 && a.dilation_h == 1 &&
         a.dilation_w == 1 && a.groups == 1;
}

double median_pair_ratio(const std::vector<double>& direct_ms, const std::vector<double>& winograd_ms) {
  std::vector<double> r;
  for (size_t i = 0; i < std::min(direct_ms.size(), winograd_ms.size()); ++i)
    if (winograd_ms[i] > 0) r.push_back(direct_ms[i] / winograd_ms[i]);
  if (r.empty()) return 0;
  std::sort(r.begin(), r.end());
  const size_t m = r.size() / 2;
  return r.size() % 2 ? r[m] : (r[m - 1] + r[m]) / 2;
}

double time_paired(const std::function<double()>& a, const std::function<double()>& b, double budget_ms,
                   int max_pairs) {
  const double warm = a() + b();  // first runs also touch every page
  const int pairs = std::clamp(static_cast<int>(budget_ms / std::max(warm, 1e-3)), 3, std::max(3, max_pairs));
  std::vector<double> am, bm;
  for (int i = 0; i < pairs; ++i) {
    if (i % 2) {
      bm.push_back(b());
      am.push_back(a());
    } else {
      am.push_back(a());
      bm.push_back(b());
    }
  }
  return median_pair_ratio(am, bm);
}

namespace {

using memory = dnnl::memory;

// A convolution, preceded by the reorder that brings its input from the producer's layout where the two
// differ, on zeroed tensors of its own (zeros: no denormals to slow either kernel down).
class Trial {
 public:
  Trial(const dnnl::engine& eng, const dnnl::convolution_forward::primitive_desc& pd, const memory::desc& have) {
    std::unordered_map<int, memory> args;
    for (int arg : {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST, DNNL_ARG_SCRATCHPAD}) {
      const memory::desc md = pd.query_md(dnnl::query::exec_arg_md, arg);
      if (md.get_size() == 0) continue;
      args[arg] = zeroed(eng, md);
    }
    if (have.get_size() > 0 && have != pd.src_desc()) {
      const memory from = zeroed(eng, have);
      steps_.push_back({dnnl::reorder(from, args[DNNL_ARG_SRC]), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, args[DNNL_ARG_SRC]}}});
    }
    steps_.push_back({dnnl::convolution_forward(pd), std::move(args)});
  }
  double run_ms(dnnl::stream& s) {
    const auto t0 = std::chrono::steady_clock::now();
    for (auto& [prim, args] : steps_) prim.execute(s, args);
    s.wait();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  static memory zeroed(const dnnl::engine& eng, const memory::desc& md) {
    memory m(md, eng);
    std::memset(m.get_data_handle(), 0, md.get_size());
    return m;
  }
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> steps_;
};

double time_pairs(const dnnl::engine& eng, const dnnl::convolution_forward::primitive_desc& direct,
                  const dnnl::convolution_forward::primitive_desc& wino, const memory::desc& have) {
  dnnl::stream s(eng);
  Trial d(eng, direct, have), w(eng, wino, have);
  return time_paired([&] { return d.run_ms(s); }, [&] { return w.run_ms(s); }, 30, 11);
}

}  // namespace

WinogradChoice choose_winograd(const dnnl::engine& eng, const dnnl::convolution_forward::primitive_desc& direct,
                               const std::function<dnnl::convolution_forward::primitive_desc()>& make_winograd,
                               WinogradMode mode, const dnnl::memory::desc& have) {
  WinogradChoice c;
  if (mode == WinogradMode::Off) return c;
  dnnl::convolution_forward::primitive_desc wino;
  try {
    wino = make_winograd();
  } catch (const dnnl::error&) {
    c.unavailable = "oneDNN offers no Winograd kernel for it";
    return c;
  }
  if (mode == WinogradMode::Auto) {
    c.speedup = time_pairs(eng, direct, wino, have);
    if (*c.speedup < k_winograd_min_gain) return c;
  }
  c.pd = wino;
  return c;
}

std::string winograd_note(const std::vector<std::pair<std::string, WinogradChoice>>& candidates, WinogradMode mode) {
  if (candidates.empty() || mode == WinogradMode::Off) return "";
  std::vector<std::string> taken, kept, unavailable;
  for (const auto& [label, c] : candidates) {
    const std::string timed = c.speedup ? fmt::format(" {:.2f}x", *c.speedup) : "";
    if (c.pd) taken.push_back(label + timed);
    else if (c.speedup) kept.push_back(label + timed);
    else unavailable.push_back(label);
  }
  std::string note = fmt::format("winograd ({}): {} of {} 3x3 stride-1 convs", mode == WinogradMode::Auto ? "auto" : "on",
                                 taken.size(), candidates.size());
  if (mode == WinogradMode::Auto)
    note += fmt::format(" (each timed against the direct kernel while compiling, input reorder included; kept "
                        "where >= {:.2f}x faster)", k_winograd_min_gain);
  if (!taken.empty()) note += fmt::format(": {}", fmt::join(taken, ", "));
  if (!kept.empty()) note += fmt::format("; direct kept: {}", fmt::join(kept, ", "));
  if (!unavailable.empty()) note += fmt::format("; no Winograd kernel in oneDNN for: {}", fmt::join(unavailable, ", "));
  return note;
}

}  // namespace fb::onednn
