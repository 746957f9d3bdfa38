#include "measure/attribution.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>

#include "core/table.h"
#include "measure/report.h"

namespace fb::measure {
namespace {

// Ops whose pass a kernel before them can take over (a post-op, a folded BatchNorm, a view); any other op in
// a step is work the step still does.
bool fusable(Op op) {
  return op == Op::BatchNorm || is_activation(op) || op == Op::Add || op == Op::Mul || op == Op::Flatten ||
         op == Op::Identity || op == Op::Dropout;
}

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) {
    while (parent[static_cast<size_t>(x)] != x) x = parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
    return x;
  }
  void unite(int a, int b) { parent[static_cast<size_t>(find(a))] = find(b); }
};

// One side's profile resolved against the graph.
struct Side {
  std::vector<double> node_ms;  // a step's time on its first node
  std::vector<bool> runs;       // a step of this side does the node's work (first node, or not fusable)
  double overhead = 0, reorder = 0, unmapped = 0, total = 0;
  int reorders = 0;
  std::vector<const LayerTime*> mapped;  // compute and copy steps whose nodes are all in the graph
};

Side resolve(const Graph& g, const std::unordered_map<std::string, int>& id, const std::vector<LayerTime>& layers) {
  Side s;
  s.node_ms.assign(g.nodes.size(), 0.0);
  s.runs.assign(g.nodes.size(), false);
  for (const LayerTime& l : layers) {
    s.total += l.ms;
    if (l.kind == LayerKind::Overhead) { s.overhead += l.ms; continue; }
    if (l.kind == LayerKind::Reorder) { s.reorder += l.ms; ++s.reorders; continue; }
    const bool known = !l.nodes.empty() && std::all_of(l.nodes.begin(), l.nodes.end(), [&](const std::string& n) { return id.count(n) > 0; });
    if (!known) { s.unmapped += l.ms; continue; }
    s.mapped.push_back(&l);
    for (size_t k = 0; k < l.nodes.size(); ++k) {
      const int n = id.at(l.nodes[k]);
      if (k == 0 || !fusable(g.nodes[static_cast<size_t>(n)].op)) s.runs[static_cast<size_t>(n)] = true;
    }
    s.node_ms[static_cast<size_t>(id.at(l.nodes[0]))] += l.ms;
  }
  return s;
}

std::string fusion_sentence(OpClass c, int n) {
  switch (c) {
    case OpClass::BatchNorm: return fmt::format("{} BatchNorm pass{} folded into convolutions or fused", n, n == 1 ? "" : "es");
    case OpClass::Activation: return fmt::format("{} activation pass{} fused into the kernel before {}", n, n == 1 ? "" : "es", n == 1 ? "it" : "them");
    case OpClass::AddMul: return fmt::format("{} add/mul pass{} fused into the kernel before {}", n, n == 1 ? "" : "es", n == 1 ? "it" : "them");
    case OpClass::ConcatCopy: return fmt::format("{} concatenation cop{} removed (inputs written in place)", n, n == 1 ? "y" : "ies");
    default: return fmt::format("{} {} pass{} not run", n, op_class_name(c), n == 1 ? "" : "es");
  }
}

}  // namespace

const char* op_class_name(OpClass c) {
  switch (c) {
    case OpClass::Conv1x1: return "conv 1x1";
    case OpClass::ConvKxK: return "conv kxk";
    case OpClass::Depthwise: return "depthwise conv";
    case OpClass::Grouped: return "grouped conv";
    case OpClass::BatchNorm: return "batchnorm";
    case OpClass::Activation: return "activation";
    case OpClass::AddMul: return "add/mul";
    case OpClass::ConcatCopy: return "concat/copy";
    case OpClass::Pooling: return "pooling";
    case OpClass::Linear: return "linear";
    case OpClass::Other: return "other";
  }
  return "?";
}

OpClass op_class(const Node& n) {
  if (n.op == Op::Conv2d) {
    const auto& a = n.attr<Conv2dAttrs>();
    if (a.groups > 1) return a.groups == a.out_channels ? OpClass::Depthwise : OpClass::Grouped;
    return a.kernel_h == 1 && a.kernel_w == 1 ? OpClass::Conv1x1 : OpClass::ConvKxK;
  }
  if (n.op == Op::BatchNorm) return OpClass::BatchNorm;
  if (is_activation(n.op)) return OpClass::Activation;
  if (n.op == Op::Add || n.op == Op::Mul) return OpClass::AddMul;
  if (n.op == Op::Concat || n.op == Op::Split || n.op == Op::ChannelShuffle) return OpClass::ConcatCopy;
  if (n.op == Op::MaxPool || n.op == Op::AvgPool || n.op == Op::GlobalAvgPool) return OpClass::Pooling;
  if (n.op == Op::Linear) return OpClass::Linear;
  return OpClass::Other;
}

Attribution attribute(const Graph& g, const ProfiledSide& native_side, const ProfiledSide& accel_side, size_t top_n) {
  Attribution a;
  const std::string& native_name = native_side.backend;
  const std::string& accel_name = accel_side.backend;
  a.native = native_name;
  a.accelerated = accel_name;
  a.native_ms = native_side.timed_ms;
  a.accel_ms = accel_side.timed_ms;
  a.native_phase_ms = native_side.phase_ms > 0 ? native_side.phase_ms : native_side.timed_ms;
  a.accel_phase_ms = accel_side.phase_ms > 0 ? accel_side.phase_ms : accel_side.timed_ms;
  const std::vector<LayerTime>& native = native_side.layers;
  const std::vector<LayerTime>& accel = accel_side.layers;
  std::unordered_map<std::string, int> id;
  for (size_t i = 0; i < g.nodes.size(); ++i) id[g.nodes[i].name] = static_cast<int>(i);
  const Side nat = resolve(g, id, native), acc = resolve(g, id, accel);
  a.native_profiled_ms = nat.total;
  a.accel_profiled_ms = acc.total;
  a.overhead_ms = nat.overhead - acc.overhead;
  a.layout_ms = nat.reorder - acc.reorder;
  a.reorders = acc.reorders;
  a.unmapped_ms = nat.unmapped - acc.unmapped;

  // Blocks: nodes any step of either side computes together.
  UnionFind uf(g.nodes.size());
  for (const Side* s : {&nat, &acc})
    for (const LayerTime* l : s->mapped)
      for (const std::string& n : l->nodes) uf.unite(id.at(l->nodes[0]), id.at(n));

  std::vector<ClassRow> rows(k_num_op_classes);
  for (int c = 0; c < k_num_op_classes; ++c) rows[static_cast<size_t>(c)].cls = static_cast<OpClass>(c);
  auto row = [&](int node) -> ClassRow& { return rows[static_cast<size_t>(op_class(g.nodes[static_cast<size_t>(node)]))]; };
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    ClassRow& r = row(static_cast<int>(n));
    ++r.nodes;
    r.native_ms += nat.node_ms[n];
  }
  // A block's kernel gain goes to the class of the first node of its first accelerated step (a fused
  // group's class is its anchor's), else of its first native step.
  std::unordered_map<int, int> block_class_node;
  for (const Side* s : {&acc, &nat})
    for (const LayerTime* l : s->mapped) block_class_node.emplace(uf.find(id.at(l->nodes[0])), id.at(l->nodes[0]));
  std::unordered_map<int, double> block_kernel;
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const int b = uf.find(static_cast<int>(n));
    if (nat.runs[n] && !acc.runs[n]) {  // a native pass the accelerated side does not run
      a.fusion_ms += nat.node_ms[n];
      ClassRow& r = row(static_cast<int>(n));
      ++r.eliminated;
      r.eliminated_ms += nat.node_ms[n];
    } else {
      block_kernel[b] += nat.node_ms[n];
    }
    if (acc.runs[n] && !nat.runs[n]) a.fusion_ms -= acc.node_ms[n];  // a pass the native side fused
    else block_kernel[b] -= acc.node_ms[n];
  }
  for (const LayerTime* l : acc.mapped) {
    ClassRow& r = row(id.at(l->nodes[0]));
    r.accel_ms += l->ms;
    ++r.accel_steps;
  }
  for (const auto& [b, ms] : block_kernel) {
    a.kernels_ms += ms;
    const auto it = block_class_node.find(b);
    if (it != block_class_node.end()) row(it->second).kernel_gain_ms += ms;
  }
  a.residual_ms = (a.native_phase_ms - a.accel_phase_ms) - (nat.total - acc.total);
  a.drift_ms = a.gain_ms() - (a.native_phase_ms - a.accel_phase_ms);
  for (const ClassRow& r : rows)
    if (r.native_ms > 0 || r.accel_ms > 0 || r.eliminated > 0) a.classes.push_back(r);

  // Fused groups: accelerated steps over several nodes (steps over the same nodes merged).
  for (const LayerTime* l : acc.mapped) {
    if (l->nodes.size() < 2) continue;
    auto it = std::find_if(a.groups.begin(), a.groups.end(), [&](const FusedGroup& f) { return f.nodes == l->nodes; });
    if (it == a.groups.end()) {
      FusedGroup f;
      f.step = l->name;
      f.nodes = l->nodes;
      for (const std::string& n : l->nodes) f.native_ms += nat.node_ms[static_cast<size_t>(id.at(n))];
      a.groups.push_back(f);
      it = a.groups.end() - 1;
    }
    it->accel_ms += l->ms;
  }

  // Contributors, largest first.
  const double gain = a.gain_ms();
  std::vector<Contributor> all;
  for (const ClassRow& r : a.classes) {
    if (r.eliminated > 0) all.push_back({"fusion", r.cls, true, r.eliminated, r.eliminated_ms, fusion_sentence(r.cls, r.eliminated)});
    if (r.accel_steps > 0) {
      const double acc_ms = r.accel_ms, nat_ms = r.kernel_gain_ms + r.accel_ms;
      all.push_back({"kernels", r.cls, true, r.accel_steps, r.kernel_gain_ms,
                     fmt::format("{} {} kernel{} {} ms on {} against {} ms on {}{}", r.accel_steps, op_class_name(r.cls),
                                 r.accel_steps == 1 ? "" : "s", fmt_ms(acc_ms), accel_name, fmt_ms(nat_ms), native_name,
                                 acc_ms > 0 ? fmt::format(" ({:.2f}x)", nat_ms / acc_ms) : "")});
    }
  }
  all.push_back({"layout", OpClass::Other, false, a.reorders, a.layout_ms,
                 fmt::format("{} layout conversion{} added on {}", a.reorders, a.reorders == 1 ? "" : "s", accel_name)});
  all.push_back({"overhead", OpClass::Other, false, 0, a.overhead_ms,
                 fmt::format("time between steps: {} ms on {}, {} ms on {}", fmt_ms(nat.overhead), native_name, fmt_ms(acc.overhead), accel_name)});
  if (a.unmapped_ms != 0) all.push_back({"unmapped", OpClass::Other, false, 0, a.unmapped_ms, "steps that name no node of the graph"});
  all.push_back({"residual", OpClass::Other, false, 0, a.residual_ms,
                 "not explained by the per-layer profiles (the gain of unprofiled runs between them minus the profiled gain)"});
  all.push_back({"drift", OpClass::Other, false, 0, a.drift_ms,
                 fmt::format("the machine's speed between the timed rounds and the profiles ({} ms -> {} ms on {}, {} ms -> {} ms on {})",
                             fmt_ms(a.native_ms), fmt_ms(a.native_phase_ms), native_name, fmt_ms(a.accel_ms),
                             fmt_ms(a.accel_phase_ms), accel_name)});
  std::stable_sort(all.begin(), all.end(), [](const Contributor& x, const Contributor& y) { return std::fabs(x.ms) > std::fabs(y.ms); });
  for (Contributor& c : all) {
    if (a.top.size() >= top_n) break;
    const std::string share = gain != 0 ? fmt::format("{:.0f}% of the {}", 100 * c.ms / gain, gain > 0 ? "gain" : "loss") : "of no gain";
    c.sentence = fmt::format("{} ({:+.3f} ms): {}", share, c.ms, c.sentence);
    a.top.push_back(c);
  }
  return a;
}

nlohmann::json Attribution::to_json() const {
  nlohmann::json j;
  j["native"] = native;
  j["accelerated"] = accelerated;
  j["native_ms"] = native_ms;
  j["accelerated_ms"] = accel_ms;
  j["gain_ms"] = gain_ms();
  j["native_phase_ms"] = native_phase_ms;
  j["accelerated_phase_ms"] = accel_phase_ms;
  j["native_profiled_ms"] = native_profiled_ms;
  j["accelerated_profiled_ms"] = accel_profiled_ms;
  j["parts_ms"] = {{"overhead", overhead_ms}, {"fusion", fusion_ms}, {"layout", layout_ms},
                   {"kernels", kernels_ms}, {"unmapped", unmapped_ms}, {"residual", residual_ms}, {"drift", drift_ms}};
  j["reorders"] = reorders;
  j["classes"] = nlohmann::json::array();
  for (const ClassRow& r : classes)
    j["classes"].push_back({{"class", op_class_name(r.cls)}, {"nodes", r.nodes}, {"native_ms", r.native_ms},
                            {"accelerated_ms", r.accel_ms}, {"accelerated_steps", r.accel_steps},
                            {"eliminated", r.eliminated}, {"eliminated_ms", r.eliminated_ms},
                            {"kernel_gain_ms", r.kernel_gain_ms}});
  j["fused_groups"] = nlohmann::json::array();
  for (const FusedGroup& f : groups)
    j["fused_groups"].push_back({{"step", f.step}, {"nodes", f.nodes}, {"native_ms", f.native_ms}, {"accelerated_ms", f.accel_ms}});
  j["top"] = nlohmann::json::array();
  for (const Contributor& c : top)
    j["top"].push_back({{"part", c.part}, {"class", c.has_class ? nlohmann::json(op_class_name(c.cls)) : nlohmann::json(nullptr)},
                        {"count", c.count}, {"ms", c.ms}, {"sentence", c.sentence}});
  return j;
}

std::string Attribution::table() const {
  const double gain = gain_ms();
  auto pct = [&](double ms) { return gain != 0 ? fmt::format("{:.0f}%", 100 * ms / gain) : "-"; };
  std::string out = fmt::format(
      "{} {} ms -> {} {} ms ({:.2f}x): {} {} ms; between the profiles {} ms -> {} ms, profiled {} ms -> {} ms\n", native,
      fmt_ms(native_ms), accelerated, fmt_ms(accel_ms), accel_ms > 0 ? native_ms / accel_ms : 0.0, gain >= 0 ? "gain" : "loss",
      fmt_ms(std::fabs(gain)), fmt_ms(native_phase_ms), fmt_ms(accel_phase_ms), fmt_ms(native_profiled_ms), fmt_ms(accel_profiled_ms));
  TextTable parts({"part", "ms", "share"});
  parts.add_row({"framework overhead removed", fmt::format("{:+.3f}", overhead_ms), pct(overhead_ms)});
  parts.add_row({"passes eliminated by fusion", fmt::format("{:+.3f}", fusion_ms), pct(fusion_ms)});
  parts.add_row({fmt::format("layout conversions ({})", reorders), fmt::format("{:+.3f}", layout_ms), pct(layout_ms)});
  parts.add_row({"kernel efficiency", fmt::format("{:+.3f}", kernels_ms), pct(kernels_ms)});
  if (unmapped_ms != 0) parts.add_row({"unmapped steps", fmt::format("{:+.3f}", unmapped_ms), pct(unmapped_ms)});
  parts.add_row({"residual (not in the profiles)", fmt::format("{:+.3f}", residual_ms), pct(residual_ms)});
  parts.add_row({"drift (timed rounds vs profile phase)", fmt::format("{:+.3f}", drift_ms), pct(drift_ms)});
  out += parts.str();
  TextTable ct({"op class", "nodes", native + " ms", accelerated + " ms", "kernels", "eliminated", "eliminated ms", "kernel gain ms"});
  for (const ClassRow& r : classes)
    ct.add_row({op_class_name(r.cls), std::to_string(r.nodes), fmt_ms(r.native_ms), fmt_ms(r.accel_ms), std::to_string(r.accel_steps),
                std::to_string(r.eliminated), fmt_ms(r.eliminated_ms), fmt::format("{:+.3f}", r.kernel_gain_ms)});
  out += "\n" + ct.str();
  out += "\nlargest contributors:\n";
  for (const Contributor& c : top) out += "  " + c.sentence + "\n";
  if (!groups.empty()) {
    // The groups that save the most first; all of them are in the JSON.
    std::vector<const FusedGroup*> order;
    for (const FusedGroup& f : groups) order.push_back(&f);
    std::stable_sort(order.begin(), order.end(), [](const FusedGroup* x, const FusedGroup* y) {
      return x->native_ms - x->accel_ms > y->native_ms - y->accel_ms;
    });
    const size_t shown = std::min<size_t>(order.size(), 12);
    out += fmt::format("\nfused groups on {} ({}{}):\n", accelerated, groups.size(),
                       shown < order.size() ? fmt::format(", the {} saving most; --json lists all", shown) : "");
    for (size_t i = 0; i < shown; ++i)
      out += fmt::format("  {}: {} ({} ms on {}, {} ms on {})\n", order[i]->step, fmt::join(order[i]->nodes, ", "),
                         fmt_ms(order[i]->native_ms), native, fmt_ms(order[i]->accel_ms), accelerated);
  }
  return out;
}

}  // namespace fb::measure
