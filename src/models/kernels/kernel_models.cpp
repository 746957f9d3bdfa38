// Kernel models: a network of one layer (with the BatchNorm and activation that follow it in real networks),
// referenced as kernel:NAME?key=value. They are what `predictor sample` measures: a latency predictor learns
// each kernel's time from many of them at sizes a real network has, without the network.
//   kernel:conv?cin=32&cout=64&k=3&stride=1&groups=1&res=56&act=relu&add=0
//   kernel:eltwise?c=64&res=56&op=relu
//   kernel:pool?c=64&k=3&stride=2&res=56&type=max
//   kernel:linear?in=1280&out=1000&res=1
#include <fmt/format.h>

#include "core/error.h"
#include "ir/builder.h"
#include "models/model_ref.h"

namespace fb {
namespace {

// Far beyond any real layer (VGG's largest has 103 M weights), low enough to allocate.
constexpr int64_t k_max_weights = int64_t{1} << 28;

void check_weights(const char* what, int64_t weights) {
  if (weights > k_max_weights) fail("{}: {} weights is more than a layer has (at most {})", what, weights, k_max_weights);
}

ValueId activation(GraphBuilder& b, ValueId x, const std::string& act) {
  if (act == "relu") return b.relu(x, "act");
  if (act == "relu6") return b.relu6(x, "act");
  if (act == "silu") return b.silu(x, "act");
  if (act == "hardswish") return b.hard_swish(x, "act");
  if (act == "none") return x;
  fail("kernel:conv: act={} must be relu, relu6, silu, hardswish or none", act);
}

// conv -> BN -> (+ input) -> activation, as ResNet's and MobileNet's blocks end; with pre=1 activation -> conv ->
// BN, as NAS cells order them (the activation then cannot be a post-op of the convolution).
Graph conv_kernel(ModelParams& p) {
  const int64_t batch = p.get_int("batch", 1, k_max_batch);
  const int64_t res = p.get_int("res", 56, k_max_res);
  const int64_t cin = p.get_int("cin", 32, 65536), cout = p.get_int("cout", cin, 65536);
  const int64_t k = p.get_int("k", 3, 15), stride = p.get_int("stride", 1, 4), groups = p.get_int("groups", 1, 65536);
  const std::string act = p.get_string("act", "relu");
  const bool add = p.get_string("add", "0") == "1", pre = p.get_string("pre", "0") == "1";
  if (cin % groups != 0 || cout % groups != 0)
    fail("kernel:conv: groups={} must divide cin={} and cout={}", groups, cin, cout);
  if (add && (stride != 1 || cin != cout)) fail("kernel:conv: add=1 needs stride=1 and cin=cout (a residual sum)");
  if (res < k) fail("kernel:conv: res={} is smaller than the kernel k={}", res, k);
  check_weights("kernel:conv", cout * (cin / groups) * k * k);
  GraphBuilder b("kernel:conv");
  const ValueId x = b.input("input", {batch, cin, res, res});
  if (pre && add) fail("kernel:conv: pre=1 and add=1 together are no layer a network has");
  ValueId y = b.batch_norm(b.conv(pre ? activation(b, x, act) : x, {.out = cout, .k = k, .stride = stride, .groups = groups},
                                  "conv"),
                           "bn");
  if (add) y = b.add(y, x, "add");
  b.output(pre ? y : activation(b, y, act));
  return b.finish();
}

// One elementwise pass on its own, as where nothing precedes it to fuse into: an activation, or a sum or
// product (of the tensor with itself: the same bytes as two tensors of a cell).
Graph eltwise_kernel(ModelParams& p) {
  const int64_t batch = p.get_int("batch", 1, k_max_batch);
  const int64_t res = p.get_int("res", 56, k_max_res), c = p.get_int("c", 64, 65536);
  const std::string op = p.get_string("op", "relu");
  GraphBuilder b("kernel:eltwise");
  const ValueId x = b.input("input", {batch, c, res, res});
  if (op == "add") b.output(b.add(x, x, "op"));
  else if (op == "mul") b.output(b.mul(x, x, "op"));
  else if (op == "sigmoid") b.output(b.sigmoid(x, "op"));
  else if (op == "relu" || op == "relu6" || op == "silu" || op == "hardswish") b.output(activation(b, x, op));
  else fail("kernel:eltwise: op={} must be relu, relu6, silu, hardswish, sigmoid, add or mul", op);
  return b.finish();
}

Graph pool_kernel(ModelParams& p) {
  const int64_t batch = p.get_int("batch", 1, k_max_batch);
  const int64_t res = p.get_int("res", 56, k_max_res), c = p.get_int("c", 64, 65536);
  const int64_t k = p.get_int("k", 3, 15), stride = p.get_int("stride", 2, 15);
  const std::string type = p.get_string("type", "max");
  if (res < k) fail("kernel:pool: res={} is smaller than the window k={}", res, k);
  GraphBuilder b("kernel:pool");
  const ValueId x = b.input("input", {batch, c, res, res});
  const PoolSpec s{.k = k, .stride = stride, .pad = k / 2};
  if (type == "max") b.output(b.max_pool(x, s, "pool"));
  else if (type == "avg") b.output(b.avg_pool(x, s, "pool"));
  else if (type == "global") b.output(b.global_avg_pool(x, "pool"));
  else fail("kernel:pool: type={} must be max, avg or global", type);
  return b.finish();
}

// A classifier head: flatten -> linear over in x res x res features (res = 1: a plain fully connected layer).
Graph linear_kernel(ModelParams& p) {
  const int64_t batch = p.get_int("batch", 1, k_max_batch);
  const int64_t in = p.get_int("in", 1280, 1 << 20), out = p.get_int("out", 1000, 1 << 20);
  const int64_t res = p.get_int("res", 1, 64);
  check_weights("kernel:linear", in * res * res * out);
  GraphBuilder b("kernel:linear");
  b.output(b.linear(b.flatten(b.input("input", {batch, in, res, res}), "flatten"), out, "fc"));
  return b.finish();
}

struct Registrar {
  Registrar() {
    const std::string source = "formbench (a latency sample: one layer as real networks use it)";
    register_kernel_model({"conv", "conv -> BatchNorm -> [+input] -> activation, or with pre=1 activation -> conv -> "
                                   "BatchNorm (cin, cout, k, stride, groups, res, act, add, pre)",
                           source, "kernel", conv_kernel});
    register_kernel_model({"eltwise", "one activation, sum or product on its own (c, res, op)", source, "kernel",
                           eltwise_kernel});
    register_kernel_model({"pool", "max, avg or global average pooling (c, k, stride, res, type)", source, "kernel",
                           pool_kernel});
    register_kernel_model({"linear", "flatten -> a fully connected layer (in, out, res)", source, "kernel", linear_kernel});
  }
} registrar;

}  // namespace
}  // namespace fb
