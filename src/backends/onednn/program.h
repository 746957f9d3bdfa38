#pragma once
// The compiled program: tensors ("slots") with their oneDNN layouts, and the primitives that run in order.
// Everything here is built at compile time; running only sets the user's input/output pointers and executes.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <dnnl.hpp>

namespace fb::onednn {

struct Slot {
  enum class Kind { Arena, Input, Output };
  dnnl::memory::desc md;
  std::string name;
  Kind kind = Kind::Arena;
  int external_index = -1;  // Input/Output: index into the run's inputs/outputs
  // Shares the storage of another slot: a view (flatten, sub-tensor), an in-place result (sum post-op), or a
  // part of a concatenation buffer (concat_buffers.h), which starts `byte_offset` bytes into it.
  int alias_of = -1;
  int64_t byte_offset = 0;
  bool view = false;  // a view is not a tensor of its own (not counted in the naive activation sum)
  bool concat_buffer = false;  // holds in-place concatenations: its parts are never written in place again
  int64_t bytes() const { return static_cast<int64_t>(md.get_size()); }
};

struct Exec {
  dnnl::primitive prim;
  std::string name;  // the step label ("layer1.0.conv1+bn1+relu") or the reorder's description
  std::string kind;  // "conv", "reorder", "pool", ...
  std::string impl;  // oneDNN implementation name
  std::vector<std::string> covers;  // the IR nodes it computes (its step's); empty for layout conversions
  std::vector<std::pair<int, int>> slot_args;             // (DNNL_ARG_*, slot)
  std::unordered_map<int, dnnl::memory> const_args;       // weights, biases, scratchpad
  std::unordered_map<int, dnnl::memory> args;             // everything, built when memory is bound
};

struct Program {
  std::vector<Slot> slots;
  std::vector<Exec> execs;
  std::vector<std::string> reorders;  // one line per reorder executed on every run
  size_t scratchpad_bytes = 0;
  int root(int s) const {
    while (slots[static_cast<size_t>(s)].alias_of >= 0) s = slots[static_cast<size_t>(s)].alias_of;
    return s;
  }
  // Where slot s starts in its root's storage.
  int64_t offset_in_root(int s) const {
    int64_t off = 0;
    for (; slots[static_cast<size_t>(s)].alias_of >= 0; s = slots[static_cast<size_t>(s)].alias_of)
      off += slots[static_cast<size_t>(s)].byte_offset;
    return off;
  }
};

struct ArenaPlan {
  std::vector<int64_t> offset;  // per slot (root slots in the arena; -1 otherwise)
  int64_t arena_bytes = 0;
  int64_t naive_bytes = 0;  // every non-view arena tensor in its own buffer
};

// Assigns arena offsets by liveness: two roots share bytes only if no exec touches both in overlapping
// intervals [first use, last use].
ArenaPlan plan_arena(const Program& prog);

}  // namespace fb::onednn
