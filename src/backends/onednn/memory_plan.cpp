#include <algorithm>
#include <climits>

#include "backends/onednn/program.h"

namespace fb::onednn {

ArenaPlan plan_arena(const Program& prog) {
  const size_t n = prog.slots.size();
  std::vector<int> first(n, INT_MAX), last(n, -1);
  for (size_t e = 0; e < prog.execs.size(); ++e)
    for (const auto& [arg, s] : prog.execs[e].slot_args) {
      const auto r = static_cast<size_t>(prog.root(s));
      first[r] = std::min(first[r], static_cast<int>(e));
      last[r] = std::max(last[r], static_cast<int>(e));
    }
  ArenaPlan plan;
  plan.offset.assign(n, -1);
  std::vector<size_t> roots;
  for (size_t s = 0; s < n; ++s) {
    const Slot& sl = prog.slots[s];
    if (sl.kind != Slot::Kind::Arena) continue;
    if (!sl.view) plan.naive_bytes += sl.bytes();  // in-place results count: they are tensors of their own
    if (sl.alias_of < 0 && last[s] >= 0) roots.push_back(s);
  }
  // Largest first, each at the lowest offset that does not collide with a placed, overlapping-lifetime root.
  std::sort(roots.begin(), roots.end(), [&](size_t a, size_t b) {
    return prog.slots[a].bytes() != prog.slots[b].bytes() ? prog.slots[a].bytes() > prog.slots[b].bytes() : a < b;
  });
  constexpr int64_t align = 64;
  std::vector<size_t> placed;
  for (size_t r : roots) {
    const int64_t size = (prog.slots[r].bytes() + align - 1) / align * align;
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t q : placed)
      if (first[q] <= last[r] && first[r] <= last[q])
        busy.push_back({plan.offset[q], plan.offset[q] + (prog.slots[q].bytes() + align - 1) / align * align});
    std::sort(busy.begin(), busy.end());
    int64_t off = 0;
    for (const auto& [b, e] : busy) {
      if (off + size <= b) break;
      off = std::max(off, e);
    }
    plan.offset[r] = off;
    plan.arena_bytes = std::max(plan.arena_bytes, off + size);
    placed.push_back(r);
  }
  return plan;
}

}  // namespace fb::onednn
