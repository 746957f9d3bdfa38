#pragma once
// A builder in which a block reads like its PyTorch definition:
//
//   auto s = b.scope("layer1.0");
//   ValueId y = b.relu(b.batch_norm(b.conv(x, {.out = 64, .k = 3}), "bn1"));
//
// Each call infers shapes at once, so a bad attribute fails at the line that made it, naming the node.
// Names are scoped ("layer1.0.conv1") and made unique with a numeric suffix when repeated.
#include <string>
#include <vector>

#include "ir/graph.h"

namespace fb {

struct ConvSpec {
  int64_t out = 0;
  int64_t k = 1;          // square kernel; kh/kw override it for 1x7 / 7x1 kernels
  int64_t stride = 1;
  int64_t pad = -1;       // -1: "same" for stride 1, i.e. dilation * (k - 1) / 2
  int64_t groups = 1;
  int64_t dilation = 1;
  bool bias = false;
  int64_t kh = 0, kw = 0;
  int64_t pad_h = -1, pad_w = -1;
};

struct PoolSpec {
  int64_t k = 2;
  int64_t stride = -1;  // -1: equal to k, as in PyTorch
  int64_t pad = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string graph_name);

  // RAII name scope: everything built while it lives is prefixed "name.".
  class Scope {
   public:
    Scope(GraphBuilder& b, std::string name);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    GraphBuilder& b_;
  };
  [[nodiscard]] Scope scope(std::string name) { return Scope(*this, std::move(name)); }

  ValueId input(std::string name, Shape shape);
  void output(ValueId v);
  Graph finish();  // validates; the builder is spent afterwards

  ValueId conv(ValueId x, const ConvSpec& s, std::string name = "conv");
  ValueId conv2d(ValueId x, const Conv2dAttrs& a, std::string name = "conv");
  // init_scale < 1 marks the last BatchNorm of a residual branch (see Node::init_scale).
  ValueId batch_norm(ValueId x, std::string name = "bn", float init_scale = 1.0f, float eps = 1e-5f);
  ValueId relu(ValueId x, std::string name = "relu");
  ValueId relu6(ValueId x, std::string name = "relu6");
  ValueId sigmoid(ValueId x, std::string name = "sigmoid");
  ValueId hard_sigmoid(ValueId x, std::string name = "hardsigmoid", HardSigmoidAttrs a = {});
  ValueId silu(ValueId x, std::string name = "silu");
  ValueId hard_swish(ValueId x, std::string name = "hardswish");
  ValueId add(ValueId a, ValueId b, std::string name = "add");
  ValueId mul(ValueId a, ValueId b, std::string name = "mul");
  ValueId concat(const std::vector<ValueId>& xs, std::string name = "cat");
  std::vector<ValueId> split(ValueId x, const std::vector<int64_t>& sizes, std::string name = "split");
  ValueId channel_shuffle(ValueId x, int64_t groups, std::string name = "shuffle");
  ValueId max_pool(ValueId x, const PoolSpec& s, std::string name = "maxpool");
  ValueId avg_pool(ValueId x, const PoolSpec& s, std::string name = "avgpool");
  ValueId global_avg_pool(ValueId x, std::string name = "avgpool");
  ValueId flatten(ValueId x, std::string name = "flatten");
  ValueId linear(ValueId x, int64_t out_features, std::string name = "fc", bool bias = true);
  ValueId softmax(ValueId x, std::string name = "softmax");
  ValueId identity(ValueId x, std::string name = "identity");
  ValueId dropout(ValueId x, std::string name = "dropout");

  // Generic form, for ops added later and for importers.
  std::vector<ValueId> add_node(Op op, Attrs attrs, std::vector<ValueId> inputs, std::string name,
                                int num_outputs = 1, float init_scale = 1.0f);

  const Shape& shape(ValueId v) const { return g_.value(v).shape; }
  int64_t channels(ValueId v) const { return g_.value(v).shape.at(1); }
  const Graph& graph() const { return g_; }

 private:
  std::string qualified(const std::string& name);
  ValueId unary(Op op, ValueId x, std::string name, Attrs attrs = NoAttrs{});

  Graph g_;
  std::vector<std::string> scopes_;
  std::vector<std::string> used_names_;
};

}  // namespace fb
