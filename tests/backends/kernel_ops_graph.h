#pragma once
// One small graph with every op kind the cudnn backend handles outside cuDNN's convolution engines:
// ceil-mode pooling, standalone batch norm, hard swish/sigmoid, broadcast multiply, channel shuffle, split
// and concat (views at batch 1, copies at batch 2), softmax. The GPU test and its host emulation both use it.
#include <cstdint>

#include "ir/builder.h"

namespace fb::test {

inline Graph kernel_ops_graph(int64_t batch) {
  GraphBuilder b("ops");
  ValueId x = b.input("x", {batch, 8, 9, 9});
  ValueId p = b.max_pool(x, {.k = 3, .stride = 2, .ceil_mode = true});
  ValueId q = b.avg_pool(x, {.k = 3, .stride = 2, .pad = 1, .ceil_mode = true, .count_include_pad = false});
  ValueId h = b.hard_swish(b.batch_norm(p, "bn_alone"));
  ValueId s = b.hard_sigmoid(b.global_avg_pool(q));
  ValueId m = b.mul(h, s);
  auto parts = b.split(b.channel_shuffle(m, 2), {3, 5});
  ValueId c = b.concat({b.silu(parts[1]), b.relu6(parts[0])});
  b.output(b.softmax(b.linear(b.flatten(b.global_avg_pool(c)), 7)));
  Graph g = b.finish();
  materialize_weights(g, 8);
  return g;
}

}  // namespace fb::test
