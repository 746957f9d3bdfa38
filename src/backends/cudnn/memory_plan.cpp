// Buffer planning for the cudnn backend: one arena, allocated once; a buffer's bytes are reused by
// another whose lifetime does not overlap (greedy first fit, largest first).
#include <algorithm>
#include <limits>

#include "backends/cudnn/plan.h"

namespace fb::cudnn {

BufferPlan plan_buffers(const Plan& p, int64_t element_bytes) {
  const size_t nv = p.g.values.size();
  const int end = static_cast<int>(p.steps.size());
  constexpr int k_unset = std::numeric_limits<int>::max();
  std::vector<int> def(nv, k_unset), last(nv, -1);
  auto touch_def = [&](ValueId v, int t) {
    const ValueId r = p.root(v).base;
    def[static_cast<size_t>(r)] = std::min(def[static_cast<size_t>(r)], t);
    last[static_cast<size_t>(r)] = std::max(last[static_cast<size_t>(r)], t);
  };
  auto touch_use = [&](ValueId v, int t) {
    const ValueId r = p.root(v).base;
    last[static_cast<size_t>(r)] = std::max(last[static_cast<size_t>(r)], t);
    def[static_cast<size_t>(r)] = std::min(def[static_cast<size_t>(r)], t);  // a use implies it exists
  };
  for (ValueId v : p.g.inputs) {
    touch_def(v, -1);
    touch_use(v, end);  // resident between runs
  }
  for (int t = 0; t < end; ++t) {
    const Step& s = p.steps[static_cast<size_t>(t)];
    for (ValueId v : s.outputs) touch_def(v, t);
    for (ValueId v : s.inputs) touch_use(v, t);
    if (s.residual >= 0) touch_use(s.residual, t);
  }
  for (ValueId v : p.g.outputs) touch_use(v, end);

  BufferPlan b;
  b.offset.assign(nv, -1);
  b.live.assign(nv, {0, -1});
  std::vector<int64_t> size(nv, 0);
  for (size_t v = 0; v < nv; ++v) {
    if (p.views[v].base >= 0 || last[v] < 0) continue;
    b.owners.push_back(static_cast<ValueId>(v));
    b.live[v] = {def[v], last[v]};
    const int64_t bytes = shape_numel(p.g.values[v].shape) * element_bytes;
    size[v] = (bytes + k_buffer_alignment - 1) / k_buffer_alignment * k_buffer_alignment;
    b.naive_bytes += size[v];
  }
  std::vector<ValueId> order = b.owners;
  std::stable_sort(order.begin(), order.end(), [&](ValueId x, ValueId y) { return size[static_cast<size_t>(x)] > size[static_cast<size_t>(y)]; });
  std::vector<ValueId> placed;
  for (ValueId v : order) {
    const auto [d, l] = b.live[static_cast<size_t>(v)];
    std::vector<std::pair<int64_t, int64_t>> busy;  // [begin, end) of overlapping placed buffers
    for (ValueId q : placed) {
      const auto [qd, ql] = b.live[static_cast<size_t>(q)];
      if (qd <= l && d <= ql) busy.emplace_back(b.offset[static_cast<size_t>(q)], b.offset[static_cast<size_t>(q)] + size[static_cast<size_t>(q)]);
    }
    std::sort(busy.begin(), busy.end());
    int64_t at = 0;
    for (const auto& [lo, hi] : busy) {
      if (at + size[static_cast<size_t>(v)] <= lo) break;
      at = std::max(at, hi);
    }
    b.offset[static_cast<size_t>(v)] = at;
    b.arena_bytes = std::max(b.arena_bytes, at + size[static_cast<size_t>(v)]);
    placed.push_back(v);
  }
  // Views: their owner's offset plus their own.
  for (size_t v = 0; v < nv; ++v) {
    if (p.views[v].base < 0) continue;
    const View r = p.root(static_cast<ValueId>(v));
    if (b.offset[static_cast<size_t>(r.base)] >= 0) b.offset[v] = b.offset[static_cast<size_t>(r.base)] + r.offset * element_bytes;
  }
  return b;
}

}  // namespace fb::cudnn
