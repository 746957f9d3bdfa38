// Machine ceilings, latency-vs-FLOPs fits and roofline coordinates.
#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "backends/backend.h"
#include "ir/cost.h"
#include "models/model_ref.h"
#include "report/analysis_parts.h"

namespace fb::report {
namespace {

// Depth-first search for the first number whose key satisfies `match`.
std::optional<double> find_number(const nlohmann::json& j, const std::function<bool(const std::string&)>& match) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      std::string lk = k;
      std::transform(lk.begin(), lk.end(), lk.begin(), [](unsigned char c) { return std::tolower(c); });
      if (v.is_number() && match(lk) && v.get<double>() > 0) return v.get<double>();
    }
    for (const auto& [k, v] : j.items())
      if (auto r = find_number(v, match)) return r;
  } else if (j.is_array()) {
    for (const auto& v : j)
      if (auto r = find_number(v, match)) return r;
  }
  return std::nullopt;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Bytes per stored element in a record's precision, for the cost model's bytes (a bf16 point moves half of
// fp32's); 4 for a name the precision table does not know (a database from another version).
int storage_bytes(const std::string& precision) {
  const PrecisionInfo* p = find_precision(precision);
  return p ? p->storage_bytes : 4;
}

// The model reference with the point's resolution and batch made explicit, for the cost model.
std::string sized_ref(const Record& r) {
  ModelRef ref = parse_model_ref(r.model);
  if (ref.scheme != "zoo" && ref.scheme != "pattern" && ref.scheme != "kernel") return r.model;
  std::string s = r.model;
  char sep = s.find('?') == std::string::npos ? '?' : '&';
  if (!ref.params.count("res")) {
    s += fmt::format("{}res={}", sep, r.resolution);
    sep = '&';
  }
  if (!ref.params.count("batch")) s += fmt::format("{}batch={}", sep, r.batch);
  return s;
}

}  // namespace

std::optional<double> facts_peak_gflops(const nlohmann::json& facts) {
  return find_number(facts, [](const std::string& k) {
    return k.find("peak") != std::string::npos && k.find("gflops") != std::string::npos;
  });
}

std::optional<double> facts_bandwidth_gbps(const nlohmann::json& facts) {
  return find_number(facts, [](const std::string& k) {
    return k.find("bandwidth") != std::string::npos || k.find("triad") != std::string::npos;
  });
}

namespace detail {

void add_ceilings(Analysis& a, const ResultsDb& db) {
  std::map<std::pair<int64_t, int64_t>, std::vector<double>> peaks, bandwidths;
  for (const Record* r : a.records) {
    if (!r->machine_id || r->device != "cpu") continue;
    auto& v = peaks[{*r->machine_id, r->threads}];
    if (r->peak_gflops && *r->peak_gflops > 0) v.push_back(*r->peak_gflops);
    if (r->bandwidth_gbps && *r->bandwidth_gbps > 0) bandwidths[{*r->machine_id, r->threads}].push_back(*r->bandwidth_gbps);
  }
  for (auto& [k, v] : peaks) {
    MachineCeilings c;
    const Machine* m = db.machine(k.first);
    if (!v.empty())
      c.peak_gflops = median(v);
    else if (m && (c.peak_gflops = facts_peak_gflops(m->facts)))
      ;
    else
      c.why_no_peak = "no measured peak in the measurements or the machine facts";
    if (m && m->facts.is_object() && m->facts.contains("caches") && m->facts["caches"].is_array()) {
      int64_t level = -1;
      for (const auto& cache : m->facts["caches"]) {
        if (!cache.is_object() || !cache.value("level", nlohmann::json()).is_number_integer() ||
            !cache.value("line_bytes", nlohmann::json()).is_number() || cache["line_bytes"].get<double>() <= 0)
          continue;
        if (cache["level"].get<int64_t>() > level) {
          level = cache["level"].get<int64_t>();
          c.ll_line_bytes = cache["line_bytes"].get<double>();
        }
      }
    }
    if (!bandwidths[k].empty())
      c.bandwidth_gbps = median(bandwidths[k]);
    else if (m)
      c.bandwidth_gbps = facts_bandwidth_gbps(m->facts);
    if (!c.bandwidth_gbps) c.why_no_bandwidth = "no memory bandwidth in the measurements' ceilings or the machine facts";
    a.ceilings[k] = c;
  }
}

void add_fits(Analysis& a) {
  using Key = std::tuple<std::string, std::string, Context, int64_t>;
  std::map<Key, std::vector<const Record*>> groups;
  std::vector<Key> order;
  for (const Record* r : a.records) {
    if (!r->pattern || !r->machine_id) continue;
    Key k{*r->pattern, r->backend, context_of(*r), r->resolution};
    if (!groups.count(k)) order.push_back(k);
    groups[k].push_back(r);
  }
  for (const Key& k : order) {
    Fit f;
    f.pattern = std::get<0>(k);
    f.backend = std::get<1>(k);
    f.context = std::get<2>(k);
    f.resolution = std::get<3>(k);
    std::vector<double> x, y;
    for (const Record* r : groups[k]) {
      if (r->flops && r->median_ms) {
        x.push_back(*r->flops / 1e9);
        y.push_back(*r->median_ms);
      } else if (f.why_missing.empty()) {
        f.why_missing = r->median_ms ? "FLOPs missing" : r->why_no_latency();
      }
    }
    f.fit = stats::least_squares(x, y);
    if (!f.fit) {
      f.why_missing = x.size() < 2 ? fmt::format("{} point{} with latency and FLOPs", x.size(), x.size() == 1 ? "" : "s")
                                   : "FLOPs do not vary";
    } else if (f.fit->slope <= 0) {
      f.why_missing = "latency does not grow with FLOPs (slope <= 0)";
    } else {
      f.effective_gflops = 1000.0 / f.fit->slope;  // slope is ms per GFLOP
    }
    auto c = a.ceilings.find({f.context.machine, f.context.threads});
    if (c != a.ceilings.end()) f.peak_gflops = c->second.peak_gflops;
    if (f.effective_gflops && f.peak_gflops) f.efficiency_pct = 100.0 * *f.effective_gflops / *f.peak_gflops;
    a.fits.push_back(std::move(f));
  }
}

void add_roofline(Analysis& a, const AnalysisOptions& opt) {
  struct Cost {
    std::optional<double> bytes;
    std::string why;
    std::map<std::string, NodeCost> nodes;  // by node name, for per-layer profiles
  };
  std::map<std::string, Cost> cost_cache;  // by sized model reference and precision
  for (const Record* r : a.records) {
    if (r->status != Status::Measured) continue;
    RooflinePoint p;
    p.record = r;
    if (r->flops && r->median_ms) p.achieved_gflops = *r->flops / (*r->median_ms * 1e6);
    if (!p.achieved_gflops) p.why_no_intensity = r->flops ? r->why_no_latency() : "FLOPs missing";
    if (opt.cost_model && r->flops) {
      std::string ref;
      try {
        ref = sized_ref(*r);
      } catch (const std::exception& e) {
        ref = r->model;
      }
      const std::string key = ref + " " + r->precision;
      auto it = cost_cache.find(key);
      if (it == cost_cache.end()) {
        Cost v;
        try {
          const Graph g = load_model(ref, /*with_weights=*/false);
          const GraphCost c = at_storage_bytes(graph_cost(g), storage_bytes(r->precision));
          v.bytes = static_cast<double>(c.total.weight_bytes + c.total.activation_in_bytes + c.total.activation_out_bytes);
          for (size_t i = 0; i < g.nodes.size(); ++i) v.nodes[g.nodes[i].name] = c.per_node[i];
        } catch (const std::exception& e) {
          v.why = fmt::format("cost model cannot build '{}' here: {}", ref, e.what());
        }
        it = cost_cache.emplace(key, std::move(v)).first;
      }
      p.bytes = it->second.bytes;
      if (p.bytes && *p.bytes > 0)
        p.intensity = *r->flops / *p.bytes;
      else if (p.why_no_intensity.empty())
        p.why_no_intensity = it->second.why;
      // Per-layer profile: a step counts the FLOPs and bytes of every node it computes (its node list; in older
      // databases the nodes its name "a+b+c" joins). Layout conversions and the time between steps are no layer.
      for (const LayerTiming& l : r->layers) {
        if (l.kind == "reorder" || l.kind == "overhead") continue;
        RooflineLayer rl{r, l.name, l.op, l.ms};
        std::vector<std::string> names = l.nodes;
        if (names.empty())
          for (size_t start = 0;;) {
            const size_t end = std::min(l.name.find('+', start), l.name.size());
            names.push_back(l.name.substr(start, end - start));
            if (end == l.name.size()) break;
            start = end + 1;
          }
        bool known = true;
        for (const std::string& name : names) {
          auto n = it->second.nodes.find(name);
          if (n == it->second.nodes.end()) {
            known = false;
            break;
          }
          rl.flops += static_cast<double>(n->second.flops);
          rl.bytes += static_cast<double>(n->second.weight_bytes + n->second.activation_in_bytes + n->second.activation_out_bytes);
        }
        if (known && rl.flops > 0 && rl.bytes > 0)
          a.roofline_layers.push_back(rl);
        else if (!known)
          ++a.unmatched_layers;
      }
    } else if (p.why_no_intensity.empty()) {
      p.why_no_intensity = r->flops ? "cost model disabled" : "FLOPs missing";
    }
    double line = 64;
    if (auto c = a.ceilings.find({context_of(*r).machine, r->threads}); c != a.ceilings.end()) line = c->second.ll_line_bytes;
    if (r->flops && r->ll_misses && *r->ll_misses > 0)
      p.dram_intensity = *r->flops / (*r->ll_misses * line);
    else
      p.why_no_dram = r->ll_misses ? "no LL misses" : r->why_no_counters();
    a.roofline.push_back(std::move(p));
  }
}

}  // namespace detail
}  // namespace fb::report
