#include "backends/backend.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.h"

namespace fb {

const std::vector<PrecisionInfo>& precisions() {
  static const std::vector<PrecisionInfo> table = {
      {Precision::F32, "fp32", "f32", 4, "fp32", 1e-3},
      {Precision::BF16, "bf16", "", 2, "fp32", 1e-2},
      {Precision::TF32, "tf32", "", 4, "fp32", 1e-2},
      {Precision::F16, "fp16", "f16", 2, "fp32", 5e-2},
      {Precision::I8, "int8", "i8", 1, "int32", 0.25, 100, 0.99, 0.95},
  };
  return table;
}

const PrecisionInfo& precision_info(Precision p) {
  for (const PrecisionInfo& i : precisions())
    if (i.precision == p) return i;
  fail("precision #{} is not in the precision table", static_cast<int>(p));
}

const char* precision_name(Precision p) { return precision_info(p).name; }

const PrecisionInfo* find_precision(const std::string& s) {
  for (const PrecisionInfo& i : precisions()) {
    if (s == i.name) return &i;
    const std::string aliases = i.aliases;
    for (size_t start = 0; start < aliases.size();) {
      const size_t comma = std::min(aliases.find(',', start), aliases.size());
      if (s == aliases.substr(start, comma - start)) return &i;
      start = comma + 1;
    }
  }
  return nullptr;
}

Precision parse_precision(const std::string& s) {
  if (const PrecisionInfo* i = find_precision(s)) return i->precision;
  std::string valid;
  for (const PrecisionInfo& i : precisions()) valid += (valid.empty() ? "" : ", ") + std::string(i.name);
  fail("unknown precision '{}': valid are {}", s, valid);
}

nlohmann::json Description::to_json() const {
  return {{"backend", backend},
          {"ops_executed", ops_executed},
          {"fusions", fusions},
          {"num_fusions", fusions.size()},
          {"reorders", reorders},
          {"num_reorders", reorders.size()},
          {"arena_bytes", arena_bytes},
          {"naive_activation_bytes", naive_activation_bytes},
          {"compile_ms", compile_ms},
          {"fast_algorithm_convs", fast_algorithm_convs},
          {"notes", notes}};
}

const char* layer_kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::Compute: return "compute";
    case LayerKind::Reorder: return "reorder";
    case LayerKind::Copy: return "copy";
    case LayerKind::Overhead: return "overhead";
  }
  return "?";
}

std::string Description::summary() const {
  std::string s = fmt::format("{}: {} ops, {} fusions, {} reorders", backend, ops_executed, fusions.size(),
                              reorders.size());
  if (arena_bytes > 0)
    s += fmt::format(", arena {:.1f} MiB (naive {:.1f} MiB)", arena_bytes / 1048576.0,
                     naive_activation_bytes / 1048576.0);
  s += fmt::format(", compiled in {:.1f} ms", compile_ms);
  return s;
}

void check_supported(const Backend& b, const Graph& g, const CompileOptions& opt) {
  // Group by op type so a model with 50 unsupported nodes gives one readable line per op.
  std::map<std::string, std::vector<std::string>> bad;
  std::map<std::string, std::string> reasons;
  for (const Node& n : g.nodes) {
    Support s = b.supports(g, n, opt);
    if (!s.ok) {
      bad[op_name(n.op)].push_back(n.name);
      reasons[op_name(n.op)] = s.reason;
    }
  }
  if (bad.empty()) return;
  std::string msg = fmt::format("backend '{}' cannot run model '{}':", b.name(), g.name);
  for (const auto& [op, nodes] : bad)
    msg += fmt::format(" {} x{} (first: {}; {});", op, nodes.size(), nodes.front(), reasons[op]);
  msg.pop_back();
  throw Error(msg);
}

void check_extra_options(const Backend& b, const CompileOptions& opt, const std::vector<std::string>& known) {
  for (const auto& [key, value] : opt.extra) {
    if (std::find(known.begin(), known.end(), key) == known.end())
      fail("backend '{}' has no option '{}' (valid: {})", b.name(), key,
           known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", ")));
  }
}

std::vector<Tensor> make_inputs(const Graph& g, uint64_t seed) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < g.inputs.size(); ++i)
    inputs.push_back(random_tensor(g.value(g.inputs[i]).shape, seed + 7919 * i));
  return inputs;
}

}  // namespace fb
