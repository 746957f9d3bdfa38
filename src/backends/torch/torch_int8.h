#pragma once
// int8 on the `torch` backend: PyTorch's eager-mode static post-training quantization, as a user writes it
// (fuse conv+bn(+relu), calibrate, convert): quantized::conv2d(_relu) with per-output-channel s8 weights,
// quantized::add(_relu), quantized::cat, quantized::linear and quantized pooling on quint8 activations in
// channels-last. Ops without a quantized kernel here run in fp32 between a dequantize and a quantize, as a
// user's DeQuantStub/QuantStub pair does. The activation scales come from the same calibration the onednn
// backend takes (backends/calibrate.h), so an int8 speedup is int8 against int8.
#include <memory>

#include "backends/backend.h"

namespace fb::torch_be {

// Throws fb::Error when LibTorch has no quantized engine, or naming an option it cannot honour.
std::unique_ptr<Executable> compile_int8(const Graph& g, const CompileOptions& opt);

}  // namespace fb::torch_be
