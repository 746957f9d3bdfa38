#pragma once
#include "ir/passes/pass.h"

namespace fb::passes {

// Folds an inference BatchNorm into the convolution that produces its input:
//   w' = w * s, b' = (b - mean) * s + beta, with s = gamma / sqrt(var + eps) per output channel.
// Only when the conv output feeds nothing but that BatchNorm and is not a graph output (otherwise the
// unnormalised tensor is still needed). The conv takes over the BatchNorm's output value.
PassReport fold_batch_norm(Graph& g);

}  // namespace fb::passes
