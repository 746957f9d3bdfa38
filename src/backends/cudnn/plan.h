#pragma once
// The cudnn backend's compile-time decisions, kept free of CUDA so they are unit-tested on machines without
// a GPU: which nodes become which device calls (fusions), which tensors live inside another tensor's buffer
// (views), where every buffer sits in the one arena, and the key under which a convolution's algorithm is
// cached. The device side (executable.cpp) only follows this plan.
#include <cstdint>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "ir/graph.h"

namespace fb::cudnn {

enum class Act { None, Relu, Relu6, Sigmoid, HardSigmoid, Silu, HardSwish };
Act act_of(Op op);  // Act::None for a non-activation
const char* act_name(Act a);

enum class Kind { Conv, BatchNorm, Activation, Add, Mul, Concat, Split, ChannelShuffle, MaxPool, AvgPool,
                  GlobalAvgPool, Linear, Softmax };
const char* kind_name(Kind k);

struct Step {
  Kind kind = Kind::Conv;
  NodeId node = -1;              // the node whose op, attrs and params this step computes
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;  // the last fused node's outputs
  ValueId residual = -1;         // Conv: the z operand (a fused Add): y = act(conv(x) + bias + z)
  Act act = Act::None;           // applied to the result, after the residual
  bool act_in_call = false;      // Conv: the activation runs inside cudnnConvolutionBiasActivationForward
  bool copy = false;             // Concat/Split: data is copied (no views possible)
  std::string label;             // "layer1.0.conv1+bn1+relu"
};

// A value stored inside another value's buffer (elements from its start): Flatten aliases, in-place
// activations, concat inputs written straight into their slice, split outputs read from theirs.
struct View {
  ValueId base = -1;  // -1: the value owns its buffer
  int64_t offset = 0;  // in elements
};

struct PlanOptions {
  bool fuse = true;   // conv + residual add + activation in one call
  bool views = true;  // concat/split views and in-place activations
};

struct Plan {
  Graph g;  // after batch-norm folding and identity elimination
  std::vector<Step> steps;
  std::vector<View> views;            // per value
  std::vector<std::string> fusions;   // one line per fusion applied
  std::vector<std::string> declined;  // candidates not fused, with the reason
  std::vector<std::string> copies;    // concat/split steps that copy (views impossible), with the reason
  bool is_graph_input(ValueId v) const;
  bool is_graph_output(ValueId v) const;
  // The buffer-owning value v lives in, and v's element offset inside it.
  View root(ValueId v) const;
};

// Builds the plan; throws fb::Error naming every node the backend cannot run (see unsupported_reason).
Plan make_plan(Graph g, const PlanOptions& opt = {});
// Why a node cannot run on this backend ("" when it can).
std::string unsupported_reason(const Graph& g, const Node& n);

// Where every buffer-owning value sits in the arena. Graph inputs and outputs live for the whole run (inputs
// stay resident between runs); other buffers only from the step that first writes them to the last that
// reads them, and share memory when their lifetimes do not overlap.
struct BufferPlan {
  std::vector<int64_t> offset;  // per value, bytes from the arena's start (views resolved); -1 if unused
  int64_t arena_bytes = 0;
  int64_t naive_bytes = 0;  // every owned buffer separately
  // Per owning value: [first step, last step] it is live (inputs: -1; outputs: steps.size()).
  std::vector<std::pair<int, int>> live;
  std::vector<ValueId> owners;
};
inline constexpr int64_t k_buffer_alignment = 256;
BufferPlan plan_buffers(const Plan& p, int64_t element_bytes);

// The algorithm cache key of a convolution: every property cudnnFind's answer depends on.
struct ConvKey {
  Shape x, w;
  Conv2dAttrs a;
  std::string dtype;  // "fp32", "fp16"
  std::string math;   // "fma", "tensor_op"
  bool fused = false;  // cudnnConvolutionBiasActivationForward (restricts the algorithms)
  int device = 0;
  int align = 256;     // largest power of two (<= 256) dividing the input and output addresses (views at offsets)
  std::string str() const;
};

// One candidate algorithm as cudnnFind (or the heuristic) reported it.
struct AlgoResult {
  int algo = 0;          // cudnnConvolutionFwdAlgo_t
  std::string name;
  float ms = -1;         // measured time; the heuristic gives none (its order is its ranking)
  int64_t workspace = 0;
  int math = 0;          // cudnnMathType_t the result was measured with
  bool ok = true;
};
inline constexpr int k_algo_implicit_precomp_gemm = 1;  // CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM

// How one conv step runs. cudnnConvolutionBiasActivationForward applies ReLU with any algorithm but the
// identity activation only with IMPLICIT_PRECOMP_GEMM; without ReLU the choice is the fastest algorithm
// plus separate bias/residual additions (each costs about `epilogue_ms_each`) or the fused call restricted
// to IMPLICIT_PRECOMP_GEMM, whichever is expected to be faster. Results over `workspace_limit` are skipped.
struct ConvDecision {
  int index = -1;         // into the results
  bool fused_call = false;
  std::string why;
};
ConvDecision decide_conv(const std::vector<AlgoResult>& results, bool relu, bool has_bias, bool has_residual,
                         double epilogue_ms_each, int64_t workspace_limit);

// Per-backend options (CompileOptions::extra) and their meaning.
struct CudnnOptions {
  bool fuse = true;
  bool views = true;
  bool cuda_graph = true;
  bool exhaustive_find = true;  // cudnnFind (timed) vs cudnnGet (heuristic)
  std::string layout = "nchw";  // only NCHW is implemented
};
CudnnOptions parse_cudnn_options(const CompileOptions& opt);  // throws on a bad key or value
int parse_cuda_device(const std::string& device);              // "cuda" / "cuda:N" -> N; throws otherwise
void check_precision(Precision p);                             // fp32, tf32, fp16; throws for others

}  // namespace fb::cudnn
