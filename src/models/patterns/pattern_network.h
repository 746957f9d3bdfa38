#pragma once
// A pattern network: a fixed stem, a body of `depth` blocks of one design pattern, and a fixed head, so that
// changing the pattern, depth or width changes only the body (docs/patterns.md states every block exactly).
//
//   stem: 3x3 conv stride 2 (3 -> width) - BN - ReLU          (the body runs at res / 2)
//   body: depth blocks; with staged=K, blocks K, 2K, ... halve the resolution and double the width
//   head: global average pool - flatten - linear(classes)
#include <cstdint>
#include <functional>
#include <string>

#include "ir/builder.h"
#include "models/model_ref.h"

namespace fb::pattern {

// What one block is asked to do. `out` is the stage width (channels between blocks); stride 2 marks the first
// block of a new stage in staged mode (out is then twice the input's channels). `width` is the network's
// width parameter, for patterns that derive a constant from it (the dense growth rate).
struct BlockArgs {
  int64_t out = 0;
  int64_t stride = 1;
  int64_t width = 0;
};

struct PatternDef {
  std::string name;
  std::string description;  // one line
  std::string source;       // the architecture the block comes from
  // Empty when `width` suits the pattern, else the reason and the rule ("must be a multiple of 64").
  std::function<std::string(int64_t width)> check_width;
  std::function<ValueId(GraphBuilder&, ValueId, const BlockArgs&)> block;
};

// Builds the network for `def` from pattern parameters depth, width, res, batch, staged, classes.
Graph build_pattern_network(const PatternDef& def, ModelParams& p);

// Registers the pattern with the model registry (static-initialisation time).
struct PatternRegistrar {
  explicit PatternRegistrar(PatternDef def);
};

// The last BatchNorm of every residual branch starts small (Node::init_scale) so deep stacks stay finite.
inline constexpr float k_branch_end_scale = 0.2f;

// conv - BN - ReLU, the unit most blocks are made of; `bn_scale` is the BatchNorm's init_scale.
ValueId conv_bn_relu(GraphBuilder& b, ValueId x, const ConvSpec& s, const std::string& name,
                     float bn_scale = 1.0f);

}  // namespace fb::pattern
