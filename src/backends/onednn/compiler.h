#pragma once
// Lowers a fused plan to a Program: chooses layouts (format_tag::any for convolutions, blocked layouts kept
// through pooling, eltwise, binary and concat), inserts the reorders that remain unavoidable, reorders
// weights once, and creates every primitive.
#include <map>
#include <optional>
#include <string>

#include "backends/onednn/plan.h"
#include "backends/onednn/program.h"
#include "backends/onednn/winograd.h"
#include "core/quantize.h"

namespace fb::onednn {

struct LowerOptions {
  bool blocked_layouts = true;  // false: every activation stays plain (nchw), for comparison/fallback tests
  bool inplace_concat = true;
  // fp32 3x3 stride-1 convolutions: Winograd where timed faster (Auto), wherever offered (On), never (Off).
  WinogradMode winograd = WinogradMode::Auto;
  bool bf16 = false;  // activations and weights in bf16 (fp32 accumulation, fp32 graph inputs/outputs)
  // int8 (docs/int8_design.md): every value's quantization by name, from calibration. Set: convolutions (with
  // their eltwise post-ops) and pooling run in int8 with per-channel s8 weights; every other op runs in fp32
  // between a dequantizing and a quantizing reorder. Sum and depthwise post-ops are not supported here.
  std::optional<std::map<std::string, QParams>> int8;
};

struct Lowered {
  Program prog;
  std::vector<std::string> notes;
  std::vector<std::string> applied;   // in-place concatenations, one line per buffer
  std::vector<std::string> rejected;  // fusions declined while lowering (concat not in place, with why)
  int winograd_convs = 0;             // convolutions lowered to a Winograd kernel
};

Lowered lower(const Plan& p, const dnnl::engine& eng, const LowerOptions& opt);

// Layout name for describe(): "nchw", "nChw16c", ... or "other".
std::string layout_name(const dnnl::memory::desc& md);
dnnl::memory::desc plain_md(const Shape& s);

// How good a oneDNN implementation is, from its name: 0 reference loops, 1 gemm-based, 2 narrow-vector JIT
// (avx2, sse41, jit:uni), 3 AVX-512/AMX JIT or brgemm. Layout choices never trade a kernel for a lower rank.
int kernel_rank(const std::string& impl);

}  // namespace fb::onednn
