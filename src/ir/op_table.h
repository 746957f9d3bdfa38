#pragma once
// Every op is declared once here; the enum, its names and the ONNX op types are derived from this table.
// To add an op: add a row, give it attributes in ir/attrs.h if it has any, shape inference in
// ir/shape_infer.cpp, a cost in ir/cost.cpp and an implementation in backends/reference. Other backends
// say they do not support it (Backend::supports) until they learn it.
//
//   X(enum name, display name, ONNX op type, number of inputs (-1 = variadic), number of outputs (-1 = attr))
#define FB_OP_TABLE(X)                                    \
  X(Conv2d, "Conv2d", "Conv", 1, 1)                       \
  X(BatchNorm, "BatchNorm", "BatchNormalization", 1, 1)   \
  X(Relu, "ReLU", "Relu", 1, 1)                           \
  X(Relu6, "ReLU6", "Clip", 1, 1)                         \
  X(Sigmoid, "Sigmoid", "Sigmoid", 1, 1)                  \
  X(HardSigmoid, "HardSigmoid", "HardSigmoid", 1, 1)      \
  X(Silu, "SiLU", "Mul", 1, 1)                            \
  X(HardSwish, "HardSwish", "HardSwish", 1, 1)            \
  X(Add, "Add", "Add", 2, 1)                              \
  X(Mul, "Mul", "Mul", 2, 1)                              \
  X(Concat, "Concat", "Concat", -1, 1)                    \
  X(Split, "Split", "Split", 1, -1)                       \
  X(ChannelShuffle, "ChannelShuffle", "Reshape", 1, 1)    \
  X(MaxPool, "MaxPool", "MaxPool", 1, 1)                  \
  X(AvgPool, "AvgPool", "AveragePool", 1, 1)              \
  X(GlobalAvgPool, "GlobalAvgPool", "GlobalAveragePool", 1, 1) \
  X(Flatten, "Flatten", "Flatten", 1, 1)                  \
  X(Linear, "Linear", "Gemm", 1, 1)                       \
  X(Softmax, "Softmax", "Softmax", 1, 1)                  \
  X(Identity, "Identity", "Identity", 1, 1)               \
  X(Dropout, "Dropout", "Dropout", 1, 1)

namespace fb {

enum class Op {
#define FB_OP_ENUM(e, name, onnx, nin, nout) e,
  FB_OP_TABLE(FB_OP_ENUM)
#undef FB_OP_ENUM
};

struct OpInfo {
  Op op;
  const char* name;
  const char* onnx_type;  // the ONNX op an exporter emits first for it (composites noted in onnx/)
  int num_inputs;         // -1: variadic
  int num_outputs;        // -1: given by attributes (Split)
};

inline constexpr OpInfo k_op_table[] = {
#define FB_OP_INFO(e, name, onnx, nin, nout) {Op::e, name, onnx, nin, nout},
    FB_OP_TABLE(FB_OP_INFO)
#undef FB_OP_INFO
};
inline constexpr int k_num_ops = static_cast<int>(sizeof(k_op_table) / sizeof(k_op_table[0]));
static_assert(k_num_ops == 21, "op table changed: update shape inference, cost and the reference backend");

inline const OpInfo& op_info(Op op) { return k_op_table[static_cast<int>(op)]; }
inline const char* op_name(Op op) { return op_info(op).name; }

// Elementwise unary activations: one input, one output of the same shape, no weights.
inline bool is_activation(Op op) {
  return op == Op::Relu || op == Op::Relu6 || op == Op::Sigmoid || op == Op::HardSigmoid ||
         op == Op::Silu || op == Op::HardSwish;
}

}  // namespace fb
