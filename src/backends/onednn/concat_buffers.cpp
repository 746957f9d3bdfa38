#include "backends/onednn/concat_buffers.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace fb::onednn {

namespace {

// Whether v is the output of a convolution step that can write it in any layout: not a residual sum (which
// writes into its operand's tensor) and not a depthwise post-op (whose fused kernel keeps its own layout).
bool conv_writes(const Plan& p, ValueId v) {
  const int ps = p.producer_step(v);
  if (ps < 0) return false;
  const Step& s = p.steps[static_cast<size_t>(ps)];
  if (p.node_of(s).op != Op::Conv2d) return false;
  return std::none_of(s.post_ops.begin(), s.post_ops.end(), [](const PostOp& po) { return po.kind != PostOp::Kind::Eltwise; });
}

}  // namespace

ConcatPlacement place_concats(const Plan& p, int64_t channel_block) {
  ConcatPlacement out;
  auto name_of = [&](int step) { return p.node_of(p.steps[static_cast<size_t>(step)]).name; };
  // Each channel concatenation's inputs, a concatenated input replaced by its own inputs, in step order.
  std::map<int, std::vector<ValueId>> flat;
  std::vector<int> cats;
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    if (s.removed || p.node_of(s).op != Op::Concat) continue;
    const Shape& shape = p.g.value(s.outputs[0]).shape;
    int64_t axis = p.node_of(s).attr<AxisAttrs>().axis;
    if (axis < 0) axis += static_cast<int64_t>(shape.size());
    if (shape.size() != 4 || axis != 1) {
      out.declined.push_back(fmt::format("{}: concat not in place: only channel concatenations of 4-D tensors can be",
                                         name_of(static_cast<int>(i))));
      continue;
    }
    std::vector<ValueId> inputs;
    for (ValueId v : s.inputs) {
      const auto it = flat.find(p.producer_step(v));
      if (it != flat.end()) inputs.insert(inputs.end(), it->second.begin(), it->second.end());
      else inputs.push_back(v);
    }
    flat[static_cast<int>(i)] = std::move(inputs);
    cats.push_back(static_cast<int>(i));
  }
  // Groups by first input, in order of first appearance.
  std::map<ValueId, std::vector<int>> by_first;
  std::vector<ValueId> order;
  for (int c : cats) {
    const ValueId first = flat[c].front();
    if (!by_first.count(first)) order.push_back(first);
    by_first[first].push_back(c);
  }
  std::set<ValueId> taken;
  for (ValueId first : order) {
    const std::vector<int>& group = by_first[first];
    int longest = group.front();
    for (int c : group)
      if (flat[c].size() > flat[longest].size()) longest = c;
    const std::vector<ValueId>& all = flat[longest];
    const Shape& shape = p.g.value(p.steps[static_cast<size_t>(longest)].outputs[0]).shape;
    std::string why;
    for (int c : group)
      if (why.empty() && !std::equal(flat[c].begin(), flat[c].end(), all.begin()))
        why = fmt::format("the inputs of {} are not a prefix of those of {}", name_of(c), name_of(longest));
    if (why.empty() && shape[0] != 1)
      why = fmt::format("batch {}: a channel slice of more than one image is not one dense block", shape[0]);
    // Inputs a convolution writes can go straight into the buffer; any other is copied in, one copy each,
    // which costs what the concatenation did (NAS cells concatenate sums): then the buffer gains nothing.
    const auto written_by_conv = std::count_if(all.begin(), all.end(), [&](ValueId v) { return conv_writes(p, v); });
    if (why.empty() && written_by_conv * 2 < static_cast<std::ptrdiff_t>(all.size()))
      why = fmt::format("only {} of its {} inputs are written by convolutions (the rest would be copied in, as "
                        "the concatenation copies them)",
                        written_by_conv, all.size());
    std::set<ValueId> seen;
    for (ValueId v : all) {
      if (!why.empty()) break;
      const int64_t c = p.g.value(v).shape[1];
      if (c % channel_block != 0)
        why = fmt::format("input '{}' has {} channels, not a multiple of the {}-channel block", p.g.value(v).name, c,
                          channel_block);
      else if (!seen.insert(v).second)
        why = fmt::format("input '{}' appears twice", p.g.value(v).name);
      else if (taken.count(v))
        why = fmt::format("input '{}' is already in another concatenation's buffer", p.g.value(v).name);
    }
    if (!why.empty()) {
      for (int c : group) out.declined.push_back(fmt::format("{}: concat not in place: {}", name_of(c), why));
      continue;
    }
    const int index = static_cast<int>(out.buffers.size());
    ConcatBuffer b;
    b.shape = shape;
    b.name = p.g.value(p.steps[static_cast<size_t>(longest)].outputs[0]).name;
    b.inputs = all;
    b.concat_steps = group;
    int64_t channel = 0;
    for (ValueId v : all) {
      out.input_place[v] = {index, channel};
      channel += p.g.value(v).shape[1];
      taken.insert(v);
    }
    for (int c : group) out.step_buffer[c] = index;
    out.buffers.push_back(std::move(b));
  }
  return out;
}

}  // namespace fb::onednn
