#pragma once
// Shape inference and attribute validation, one op at a time. Every error names the node and says in words
// what is wrong, e.g. "stage2.block1.conv2: input has 64 channels but groups=3 does not divide it".
#include <vector>

#include "ir/graph.h"

namespace fb {

// Output shapes of node `n` given the shapes of its inputs (already set in g). Throws fb::Error.
std::vector<Shape> infer_output_shapes(const Graph& g, const Node& n);

// The params node `n` must carry, with their shapes (no data), given its input shapes.
std::vector<Param> expected_params(const Graph& g, const Node& n);

// Largest element count any one tensor may have; bigger shapes are refused, not allocated.
inline constexpr int64_t k_max_tensor_elements = int64_t{1} << 34;

}  // namespace fb
