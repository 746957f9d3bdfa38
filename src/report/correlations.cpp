// Correlations along depth and width, per pattern, backend and measurement context.
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "core/error.h"
#include "report/analysis_parts.h"

namespace fb::report::detail {
namespace {

struct Var {
  const char* name;
  std::function<std::optional<double>(const Record&, const Speedup*)> get;
  std::function<std::string(const Record&, const Speedup*)> why;
};

std::string latency_why(const Record& r, const Speedup*) { return r.why_no_latency(); }
std::string counters_why(const Record& r, const Speedup*) { return r.why_no_counters(); }
std::string cost_why(const Record& r, const Speedup*) {
  return r.status == Status::Measured ? "cost model value is NULL" : r.why_no_latency();
}

const std::vector<Var>& variables() {
  static const std::vector<Var> vars = {
      {"FLOPs", [](const Record& r, const Speedup*) { return r.flops; }, cost_why},
      {"params", [](const Record& r, const Speedup*) { return r.params; }, cost_why},
      {"activation memory", [](const Record& r, const Speedup*) { return r.peak_activation_bytes; }, cost_why},
      {"LL misses", [](const Record& r, const Speedup*) { return r.ll_misses; }, counters_why},
      {"LL miss rate", [](const Record& r, const Speedup*) { return r.ll_miss_rate; }, counters_why},
      {"latency", [](const Record& r, const Speedup*) { return r.median_ms; }, latency_why},
      {"speedup", [](const Record&, const Speedup* s) { return s ? s->value : std::nullopt; },
       [](const Record&, const Speedup* s) { return s ? s->why_missing : std::string("native backend"); }},
  };
  return vars;
}

const Var& var(const std::string& name) {
  for (const Var& v : variables())
    if (name == v.name) return v;
  FB_ASSERT(false);
  return variables().front();
}

// (x, y) pairs reported: every cost and cache figure against latency and against speedup.
const std::vector<std::pair<std::string, std::string>>& pairs() {
  static const std::vector<std::pair<std::string, std::string>> p = {
      {"FLOPs", "latency"},   {"params", "latency"},     {"activation memory", "latency"},
      {"LL misses", "latency"}, {"LL miss rate", "latency"}, {"FLOPs", "speedup"},
      {"params", "speedup"},  {"activation memory", "speedup"}, {"LL misses", "speedup"},
      {"LL miss rate", "speedup"}, {"latency", "speedup"}};
  return p;
}

}  // namespace

void add_correlations(Analysis& a) {
  for (const std::string axis : {"depth", "width"}) {
    using Key = std::tuple<std::string, std::string, Context, int64_t, int64_t>;
    std::map<Key, std::vector<const Record*>> sweeps;
    std::vector<Key> order;
    for (const Record* r : a.records) {
      if (!r->pattern || !r->depth || !r->width || !r->machine_id) continue;
      Key k{*r->pattern, r->backend, context_of(*r), r->resolution, axis == "depth" ? *r->width : *r->depth};
      if (!sweeps.count(k)) order.push_back(k);
      sweeps[k].push_back(r);
    }
    for (const Key& k : order) {
      const auto& recs = sweeps[k];
      std::set<int64_t> levels;
      for (const Record* r : recs) levels.insert(axis == "depth" ? *r->depth : *r->width);
      if (levels.size() < 3) continue;  // not a sweep along this axis
      const bool native = plain_backend(std::get<1>(k)) == a.native;
      for (const auto& [xn, yn] : pairs()) {
        if (native && (xn == "speedup" || yn == "speedup")) continue;
        const Var &xv = var(xn), &yv = var(yn);
        CorrelationRow row;
        row.pattern = std::get<0>(k);
        row.backend = std::get<1>(k);
        row.axis = axis;
        row.fixed = fmt::format("{}={}", axis == "depth" ? "width" : "depth", std::get<4>(k));
        row.context = std::get<2>(k);
        row.resolution = std::get<3>(k);
        row.x = xn;
        row.y = yn;
        row.points = static_cast<int>(recs.size());
        std::vector<double> xs, ys;
        std::map<std::string, int> lacking;  // variable -> points without it
        for (const Record* r : recs) {
          const Speedup* s = native ? nullptr : speedup_of(a, r);
          auto x = xv.get(*r, s), y = yv.get(*r, s);
          if (x && y) {
            xs.push_back(*x);
            ys.push_back(*y);
          } else {
            ++lacking[x ? yn : xn];
            if (row.why_missing.empty())
              row.why_missing = fmt::format("{} at {}={}: {}", x ? yn : xn, axis, axis == "depth" ? *r->depth : *r->width,
                                            x ? yv.why(*r, s) : xv.why(*r, s));
          }
        }
        for (const auto& [name, n] : lacking)
          row.short_missing += fmt::format("{}{} missing at {} of {} points", row.short_missing.empty() ? "" : ", ",
                                           name, n, recs.size());
        row.pearson = stats::pearson(xs, ys);
        row.spearman = stats::spearman(xs, ys);
        a.correlations.push_back(std::move(row));
      }
    }
  }
}

}  // namespace fb::report::detail
