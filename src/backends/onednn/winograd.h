#pragma once
// Winograd for 3x3 stride-1 fp32 convolutions. oneDNN 2.x has two AVX-512 Winograd kernels, F(2x2,3x3) and
// F(4x4,3x3): the same convolution with 2.25x and 4x fewer multiplications, within fp32's tolerance. On VGG
// and ResNet layer shapes at batch 1 they ran 1.4-3.1x faster than the direct kernel, but F(4x4,3x3) ran
// 3.5x slower on one shape (256 channels at 56 px, 2 threads; docs/onednn_backend.md). No rule of shape
// predicts that, so `auto` times each candidate against the direct kernel while compiling, the two
// interleaved, and keeps Winograd only where the paired ratio says it is clearly faster. oneDNN 3.x offers
// no Winograd kernel on x64 CPUs: there every candidate stays direct, and describe() says so.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <dnnl.hpp>

#include "ir/attrs.h"

namespace fb::onednn {

enum class WinogradMode { Off, Auto, On };

// Winograd is kept only when at least this much faster: a close call could flip between processes, and a
// study point would then depend on which process compiled it.
inline constexpr double k_winograd_min_gain = 1.10;

// The convolutions oneDNN's Winograd kernels compute: 3x3, stride 1, no dilation, not grouped.
bool winograd_shape(const Conv2dAttrs& a);

// Median over pairs of direct_ms[i] / winograd_ms[i] (pair i ran the two back to back).
double median_pair_ratio(const std::vector<double>& direct_ms, const std::vector<double>& winograd_ms);

// a() and b() each run one candidate and return its time in ms; they run back to back, alternating which
// goes first, in 3 to max_pairs pairs filling about budget_ms after one warm-up run each. Returns the paired
// speedup of b over a (a's time / b's).
double time_paired(const std::function<double()>& a, const std::function<double()>& b, double budget_ms,
                   int max_pairs);

struct WinogradChoice {
  std::optional<dnnl::convolution_forward::primitive_desc> pd;  // set: run this instead of the direct one
  std::optional<double> speedup;                                // Auto: the timed direct / winograd ratio
  std::string unavailable;                                      // why there was no Winograd primitive
};

// `make_winograd` builds the same convolution with the Winograd algorithm (it may throw dnnl::error). On
// takes it whenever it exists; Auto times both on zeroed tensors with the thread count current now, each
// with the reorder its input needs from `have` (the layout the producer wrote; empty: none counted), and
// takes Winograd where it is faster by k_winograd_min_gain. Winograd's kernels read and write nChw16c,
// where oneDNN's direct kernel prefers nhwc: what that costs downstream is left to the layout propagation.
WinogradChoice choose_winograd(const dnnl::engine& eng, const dnnl::convolution_forward::primitive_desc& direct,
                               const std::function<dnnl::convolution_forward::primitive_desc()>& make_winograd,
                               WinogradMode mode, const dnnl::memory::desc& have);

// describe()'s line for a program's candidates (label, choice), in order; empty without candidates.
std::string winograd_note(const std::vector<std::pair<std::string, WinogradChoice>>& candidates, WinogradMode mode);

}  // namespace fb::onednn
