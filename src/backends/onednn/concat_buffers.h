#pragma once
// In-place concatenation, decided before lowering. At batch 1, the first K channels of a channel-blocked
// tensor (nChw16c, K a multiple of 16) are themselves a dense nChw16c tensor of K channels at the same
// address, and channels [a, a + K) are one at a byte offset. So a chain of concatenations that each extend
// the one before (DenseNet's cat(x0, f1, ..., fk) for k = 1, 2, ...; the dense pattern's cat(cat(...), f))
// can share one buffer: every input is written once at its channel offset, and every concatenation's
// result is a prefix of the buffer. No copies, where each concatenation copied everything so far before.
// Batch > 1 (a channel slice is no longer one block) and channel counts off the block keep their copies.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backends/onednn/plan.h"

namespace fb::onednn {

struct ConcatBuffer {
  Shape shape;                    // {1, all channels, H, W}
  std::string name;               // the last concatenation's output, for describe()
  std::vector<ValueId> inputs;    // written into it, in channel order
  std::vector<int> concat_steps;  // the concatenations whose results are prefixes of it
};

struct ConcatPlacement {
  std::vector<ConcatBuffer> buffers;
  struct Place {
    int buffer = -1;
    int64_t channel = 0;  // where the value's channels start
  };
  std::map<ValueId, Place> input_place;  // every value written into a buffer
  std::map<int, int> step_buffer;        // concatenation step -> its buffer
  std::vector<std::string> declined;     // "cat: concat not in place: why", one per concatenation left as a copy
};

// Groups the plan's live concatenations into buffers: concatenations along channels whose inputs, with
// any concatenated input replaced by that concatenation's own inputs, share a first input and are prefixes
// of the longest such list. A group is declined (each of its concatenations with the reason) unless the
// batch is 1, every input's channel count is a multiple of `channel_block`, at least half of the inputs
// are written by convolutions (the others are copied in), and no input belongs to two groups or appears twice.
ConcatPlacement place_concats(const Plan& p, int64_t channel_block);

}  // namespace fb::onednn
