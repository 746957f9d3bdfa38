// One cell builder for every genotype (genotypes.cpp), and the two ImageNet "mobile" skeletons the papers
// stack the cells in. Ops the IR lacks are composed from IR ops, ReLU-Conv-BN ordered as in the papers:
//   sep_conv_kxk  ReLU - dw kxk (stride) - 1x1 - BN - ReLU - dw kxk - 1x1 - BN   (applied twice, as NASNet/DARTS)
//   dil_conv_3x3  ReLU - dw 3x3 dilation 2 (stride) - 1x1 - BN
//   conv_7x1_1x7  ReLU - 1x7 (stride) - 7x1 - BN (as AmoebaNet's TF implementation)
//   avg/max_pool_3x3  pool 3x3, padding 1 (average excludes the padding)
//   skip_connect  identity, or at stride 2 a factorised reduce: ReLU - two 1x1 stride-2 convs (C/2 each) -
//                 concat - BN. The original's second conv reads the input shifted by one pixel; the IR has no
//                 slice, so here both read the same pixels (parameters and MACs are unchanged).
#include <fmt/format.h>

#include "core/error.h"
#include "models/nas/genotypes.h"
#include "models/zoo/zoo_common.h"

namespace fb::nas {
namespace {

using zoo::CommonParams;

ValueId relu_conv_bn(GraphBuilder& b, ValueId x, int64_t out, const std::string& name) {
  auto s = b.scope(name);
  return b.batch_norm(b.conv(b.relu(x, "relu"), {.out = out, .k = 1}, "conv"), "bn");
}

ValueId factorized_reduce(GraphBuilder& b, ValueId x, int64_t out, const std::string& name) {
  auto s = b.scope(name);
  x = b.relu(x, "relu");
  ValueId a = b.conv(x, {.out = out / 2, .k = 1, .stride = 2, .pad = 0}, "conv_1");
  ValueId c = b.conv(x, {.out = out - out / 2, .k = 1, .stride = 2, .pad = 0}, "conv_2");
  return b.batch_norm(b.concat({a, c}, "cat"), "bn");
}

ValueId dw_pw(GraphBuilder& b, ValueId x, int64_t k, int64_t stride, int64_t dilation, const std::string& tag) {
  const int64_t c = b.channels(x);
  x = b.conv(x, {.out = c, .k = k, .stride = stride, .groups = c, .dilation = dilation}, "dw" + tag);
  return b.conv(x, {.out = c, .k = 1}, "pw" + tag);
}

ValueId apply_op(GraphBuilder& b, ValueId x, const std::string& op, int64_t stride, const std::string& name) {
  const int64_t c = b.channels(x);
  if (op == "skip_connect") return stride == 1 ? x : factorized_reduce(b, x, c, name);
  auto s = b.scope(name);
  if (op == "max_pool_3x3") return b.max_pool(x, {.k = 3, .stride = stride, .pad = 1}, "pool");
  if (op == "avg_pool_3x3")
    return b.avg_pool(x, {.k = 3, .stride = stride, .pad = 1, .count_include_pad = false}, "pool");
  if (op == "dil_conv_3x3") return b.batch_norm(dw_pw(b, b.relu(x, "relu"), 3, stride, 2, ""), "bn");
  if (op == "conv_7x1_1x7") {
    x = b.relu(x, "relu");
    Conv2dAttrs a{.out_channels = c, .kernel_h = 1, .kernel_w = 7, .stride_h = stride, .stride_w = stride};
    a.pad_left = a.pad_right = 3;
    x = b.conv2d(x, a, "conv_1x7");
    Conv2dAttrs v{.out_channels = c, .kernel_h = 7, .kernel_w = 1, .stride_h = 1, .stride_w = 1};
    v.pad_top = v.pad_bottom = 3;
    return b.batch_norm(b.conv2d(x, v, "conv_7x1"), "bn");
  }
  for (int64_t k : {3, 5, 7})
    if (op == fmt::format("sep_conv_{}x{}", k, k)) {
      x = b.batch_norm(dw_pw(b, b.relu(x, "relu1"), k, stride, 1, "1"), "bn1");
      return b.batch_norm(dw_pw(b, b.relu(x, "relu2"), k, 1, 1, "2"), "bn2");
    }
  fail("NAS genotype: unknown op '{}' (valid: sep_conv_3x3, sep_conv_5x5, sep_conv_7x7, dil_conv_3x3, "
       "conv_7x1_1x7, avg_pool_3x3, max_pool_3x3, skip_connect)",
       op);
}

// A cell with C channels per node; s0 is reduced to s1's resolution when a reduction cell lies between them.
ValueId cell(GraphBuilder& b, ValueId s0, ValueId s1, const CellGenotype& g, int64_t C, bool reduction) {
  const bool s0_larger = b.shape(s0)[2] != b.shape(s1)[2];
  std::vector<ValueId> states = {s0_larger ? factorized_reduce(b, s0, C, "preprocess0")
                                           : relu_conv_bn(b, s0, C, "preprocess0"),
                                 relu_conv_bn(b, s1, C, "preprocess1")};
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    auto s = b.scope(fmt::format("node{}", i + 2));
    ValueId h[2];
    const OpRef* ops[2] = {&g.nodes[i].first, &g.nodes[i].second};
    for (int j = 0; j < 2; ++j) {
      FB_ASSERT(ops[j]->input >= 0 && static_cast<size_t>(ops[j]->input) < states.size());
      const int64_t stride = reduction && ops[j]->input < 2 ? 2 : 1;
      h[j] = apply_op(b, states[static_cast<size_t>(ops[j]->input)], ops[j]->op, stride, fmt::format("op{}", j));
    }
    states.push_back(b.add(h[0], h[1], "add"));
  }
  std::vector<ValueId> out;
  for (int i : g.concat) out.push_back(states[static_cast<size_t>(i)]);
  return b.concat(out, "cat");
}

Graph finish_head(GraphBuilder& b, ValueId x, const CommonParams& c) {
  x = zoo::pool_flatten(b, b.relu(x, "relu_final"));
  b.output(b.linear(x, c.classes, "classifier"));
  return b.finish();
}

// DARTS' NetworkImageNet: two stride-4 stems, `layers` cells with reductions at 1/3 and 2/3 (no auxiliary head).
Graph darts_network(const std::string& name, ModelParams& p, const Genotype& g, int64_t C, int layers) {
  CommonParams c = zoo::common_params(p);
  GraphBuilder b(name);
  ValueId x = zoo::zoo_input(b, c, name, 32);
  ValueId s0;
  {
    auto s = b.scope("stem0");
    s0 = b.relu(b.batch_norm(b.conv(x, {.out = C / 2, .k = 3, .stride = 2}, "conv1"), "bn1"), "relu");
    s0 = b.batch_norm(b.conv(s0, {.out = C, .k = 3, .stride = 2}, "conv2"), "bn2");
  }
  ValueId s1;
  {
    auto s = b.scope("stem1");
    s1 = b.batch_norm(b.conv(b.relu(s0, "relu"), {.out = C, .k = 3, .stride = 2}, "conv"), "bn");
  }
  int64_t cc = C;
  for (int i = 0; i < layers; ++i) {
    const bool reduction = i == layers / 3 || i == 2 * layers / 3;
    if (reduction) cc *= 2;
    auto s = b.scope(fmt::format("cells.{}", i));
    ValueId out = cell(b, s0, s1, reduction ? g.reduce : g.normal, cc, reduction);
    s0 = s1;
    s1 = out;
  }
  x = zoo::pool_flatten(b, s1);  // DARTS pools the last cell directly (no final ReLU)
  b.output(b.linear(x, c.classes, "classifier"));
  return b.finish();
}

// NASNet's ImageNet skeleton (also AmoebaNet's and PNASNet's): a 3x3 stride-2 conv with `stem` filters, two
// reduction cells with F/4 and F/2 channels, then three stages of N normal cells (F, 2F, 4F channels) with a
// reduction cell before the second and third. PNASNet's reduction cells take the place of a normal cell
// (`reduction_in_stage`: TF-slim pnasnet builds 3N cells with reductions at N and 2N), NASNet's are extra.
Graph nasnet_network(const std::string& name, ModelParams& p, const Genotype& g, int64_t F, int N, int64_t stem,
                     bool reduction_in_stage = false) {
  CommonParams c = zoo::common_params(p);
  GraphBuilder b(name);
  ValueId x = zoo::zoo_input(b, c, name, 32);
  x = b.batch_norm(b.conv(x, {.out = stem, .k = 3, .stride = 2, .pad = 0}, "conv0"), "conv0_bn");
  ValueId s0 = x, s1 = x;
  int idx = 0;
  auto add_cell = [&](bool reduction, int64_t C, const std::string& label) {
    auto s = b.scope(fmt::format("{}{}", label, idx++));
    ValueId out = cell(b, s0, s1, reduction ? g.reduce : g.normal, C, reduction);
    s0 = s1;
    s1 = out;
  };
  add_cell(true, F / 4, "cell_stem_");
  add_cell(true, F / 2, "cell_stem_");
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) add_cell(true, F << stage, "reduction_cell_");
    for (int i = (stage > 0 && reduction_in_stage) ? 1 : 0; i < N; ++i) add_cell(false, F << stage, "cell_");
  }
  return finish_head(b, s1, c);
}

zoo::Registrar darts({"darts", "DARTS-V2 cells, 14 cells, C=48 (ImageNet mobile setting)",
                      "Liu et al. 2019, DARTS (arXiv:1806.09055): DARTS_V2 genotype, NetworkImageNet", "nas",
                      [](ModelParams& p) { return darts_network("darts", p, darts_v2(), 48, 14); }});
zoo::Registrar nasnet({"nasnet_a_mobile", "NASNet-A Mobile (4 @ 1056): N=4, F=44",
                       "Zoph et al. 2018 (arXiv:1707.07012), NASNet-A cells, ImageNet mobile skeleton", "nas",
                       [](ModelParams& p) { return nasnet_network("nasnet_a_mobile", p, nasnet_a(), 44, 4, 32); }});
zoo::Registrar amoeba({"amoebanet_a", "AmoebaNet-A mobile: N=4, F=50",
                       "Real et al. 2019 (arXiv:1802.01548), AmoebaNet-A cells, NASNet's ImageNet skeleton", "nas",
                       [](ModelParams& p) { return nasnet_network("amoebanet_a", p, amoebanet_a(), 50, 4, 32); }});
zoo::Registrar pnas({"pnasnet5", "PNASNet-5 mobile: N=3, F=54",
                     "Liu et al. 2018 (arXiv:1712.00559), PNASNet-5 cell, NASNet's ImageNet skeleton", "nas",
                     [](ModelParams& p) { return nasnet_network("pnasnet5", p, pnasnet5(), 54, 3, 32, true); }});

}  // namespace
}  // namespace fb::nas
