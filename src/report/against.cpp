// Two databases side by side (`report A --against B`): the same points on two machines or two versions.
// A difference is called beyond the noise when the two 95% CIs do not overlap (conservative: non-overlap
// implies a significant difference at a level stricter than 5%; overlap does not prove equality).
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "report/analysis_parts.h"
#include "report/report.h"

namespace fb::report {
namespace {

// The options entry too: two entries may give one backend the same options (and so the same label).
using Key = std::tuple<std::string, int64_t, int64_t, int64_t, std::string, std::string, std::string, std::string>;
Key key(const Record& r) {
  return {r.model, r.resolution, r.batch, r.threads, r.precision, r.device, r.backend, r.options};
}

std::string verdict(std::optional<stats::Interval> a, std::optional<stats::Interval> b, const char* up,
                    const char* down) {
  if (!a || !b) return "unknown (no CI)";
  if (b->low > a->high) return std::string("yes: ") + up;
  if (b->high < a->low) return std::string("yes: ") + down;
  return "no";
}

std::optional<stats::Interval> ci(const Record& r) {
  if (!r.median_ms || !r.ci95_low_ms || !r.ci95_high_ms || *r.ci95_low_ms <= 0) return std::nullopt;
  return stats::Interval{*r.ci95_low_ms, *r.ci95_high_ms};
}

struct Match {
  const Record *a = nullptr, *b = nullptr;
};

std::vector<Match> matches(const Analysis& a, const Analysis& b) {
  std::map<Key, const Record*> in_b;
  for (const Record* r : b.records) in_b.emplace(key(*r), r);
  std::vector<Match> out;
  for (const Record* r : a.records) {
    auto it = in_b.find(key(*r));
    if (it != in_b.end()) out.push_back({r, it->second});
  }
  return out;
}

using detail::speedup_of;

Cell ms_ci(const Record& r) {
  if (!r.median_ms) return Cell::na(r.why_no_latency());
  auto c = ci(r);
  return {c ? fmt::format("{:.3f} [{:.3f}, {:.3f}]", *r.median_ms, c->low, c->high) : fmt::format("{:.3f}", *r.median_ms),
          *r.median_ms, std::nullopt};
}

Cell x_ci(const Speedup& s) {
  if (!s.value) return Cell::na(s.why_missing);
  return {s.ci95 ? fmt::format("{:.2f} [{:.2f}, {:.2f}]", *s.value, s.ci95->low, s.ci95->high) : fmt::format("{:.2f}", *s.value),
          *s.value, std::nullopt};
}

// Per pattern / overall: the two geometric means and how many of the shared points moved beyond the noise.
Table against_averages(const Analysis& a, const Analysis& b) {
  Table t{"against_averages", "A vs B: average speedup per pattern and overall",
          "Geometric means over the points both databases have a speedup for (so two databases that cover "
          "different points still compare like with like); 'beyond noise' counts those whose speedup CIs do "
          "not overlap (B higher / B lower)."};
  t.columns = {"scope", "backend", "A geomean", "B geomean", "B/A", "shared points", "B higher", "B lower"};
  auto same = [](const Context& x, const Context& y) {
    return x.device == y.device && x.precision == y.precision && x.batch == y.batch && x.threads == y.threads;
  };
  const auto pairs = matches(a, b);
  for (const Average& av : a.averages) {
    const Average* bv = nullptr;
    for (const Average& c : b.averages)
      if (c.scope == av.scope && c.backend == av.backend && same(c.context, av.context)) bv = &c;
    if (!bv) continue;
    int shared = 0, higher = 0, lower = 0;
    double log_a = 0, log_b = 0;
    for (const Match& m : pairs) {
      if (m.a->backend != av.backend || !same(context_of(*m.a), av.context)) continue;
      const bool in_scope = av.scope == "all networks" || (av.scope == "all patterns" && m.a->pattern) ||
                            (m.a->pattern && *m.a->pattern == av.scope);
      const Speedup *sa = speedup_of(a, m.a), *sb = speedup_of(b, m.b);
      if (!in_scope || !sa || !sb || !sa->value || !sb->value) continue;
      ++shared;
      log_a += std::log(*sa->value);
      log_b += std::log(*sb->value);
      const std::string v = verdict(sa->ci95, sb->ci95, "up", "down");
      higher += v == "yes: up";
      lower += v == "yes: down";
    }
    std::optional<double> ga, gb;
    if (shared > 0) ga = std::exp(log_a / shared), gb = std::exp(log_b / shared);
    const std::string why = "no point with a speedup in both";
    std::vector<Cell> row = {Cell::str(av.scope), Cell::str(av.backend), Cell::opt(ga, 2, why), Cell::opt(gb, 2, why)};
    if (ga && gb)
      row.push_back(Cell::num(*gb / *ga, 3));
    else
      row.push_back(Cell::na(why));
    row.push_back(Cell::integer(shared));
    row.push_back(Cell::integer(higher));
    row.push_back(Cell::integer(lower));
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

std::vector<Table> against_tables(const Analysis& a, const Analysis& b) {
  Table lat{"against_latency", "A vs B: latency per point",
            "Median latency [95% CI] in ms; ratio = B / A with its CI (MOVER, log scale); beyond noise when the two "
            "medians' CIs do not overlap."};
  lat.columns = {"model", "backend", "threads", "A ms", "B ms", "B/A", "B/A CI low", "B/A CI high", "beyond noise"};
  Table sp{"against_speedup", "A vs B: speedup over native per point",
           "Speedup [95% CI] in each database; ratio = B / A; beyond noise when the speedup CIs do not overlap."};
  sp.columns = {"model", "backend", "threads", "A speedup", "B speedup", "B/A", "beyond noise"};
  for (const Match& m : matches(a, b)) {
    const Record &ra = *m.a, &rb = *m.b;
    std::vector<Cell> row = {Cell::str(ra.model), Cell::str(ra.backend), Cell::integer(static_cast<double>(ra.threads)),
                             ms_ci(ra), ms_ci(rb)};
    if (ra.median_ms && rb.median_ms) {
      row.push_back(Cell::num(*rb.median_ms / *ra.median_ms, 3));
      auto ca = ci(ra), cb = ci(rb);
      if (ca && cb) {
        auto r = stats::ratio_ci(*rb.median_ms, *cb, *ra.median_ms, *ca);
        row.push_back(Cell::num(r.low, 3));
        row.push_back(Cell::num(r.high, 3));
      } else {
        row.push_back(Cell::na("no CI recorded"));
        row.push_back(Cell::na("no CI recorded"));
      }
      row.push_back(Cell::str(verdict(ca, cb, "B slower", "B faster")));
    } else {
      const std::string why = !ra.median_ms ? "A: " + ra.why_no_latency() : "B: " + rb.why_no_latency();
      for (int i = 0; i < 3; ++i) row.push_back(Cell::na(why));
      row.push_back(Cell::str("unknown"));
    }
    lat.rows.push_back(std::move(row));

    const Speedup *sa = speedup_of(a, m.a), *sb = speedup_of(b, m.b);
    if (!sa || !sb) continue;  // native points have no speedup
    std::vector<Cell> srow = {Cell::str(ra.model), Cell::str(ra.backend), Cell::integer(static_cast<double>(ra.threads)),
                              x_ci(*sa), x_ci(*sb)};
    if (sa->value && sb->value) {
      srow.push_back(Cell::num(*sb->value / *sa->value, 3));
      srow.push_back(Cell::str(verdict(sa->ci95, sb->ci95, "B gains more", "B gains less")));
    } else {
      srow.push_back(Cell::na(!sa->value ? "A: " + sa->why_missing : "B: " + sb->why_missing));
      srow.push_back(Cell::str("unknown"));
    }
    sp.rows.push_back(std::move(srow));
  }
  return {against_averages(a, b), lat, sp};
}

nlohmann::json against_chart_specs(const Analysis& a, const Analysis& b) {
  using json = nlohmann::json;
  json rows = json::array();
  double lo = 1e300, hi = 0;
  for (const Match& m : matches(a, b)) {
    if (!m.a->median_ms || !m.b->median_ms) continue;
    rows.push_back({{"model", m.a->model}, {"backend", m.a->backend}, {"a_ms", *m.a->median_ms}, {"b_ms", *m.b->median_ms}});
    lo = std::min({lo, *m.a->median_ms, *m.b->median_ms});
    hi = std::max({hi, *m.a->median_ms, *m.b->median_ms});
  }
  json spec;
  if (rows.empty()) {
    spec = {{"data", {{"values", json::array({{{"msg", "No point was measured in both databases."}}})}}},
            {"mark", "text"}, {"encoding", {{"text", {{"field", "msg"}, {"type", "nominal"}}}}}, {"width", 500}, {"height", 30}};
  } else {
    json x = {{"field", "a_ms"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", "A median latency (ms)"}};
    json y = {{"field", "b_ms"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", "B median latency (ms)"}};
    json diag = json::array({{{"a_ms", lo}, {"b_ms", lo}}, {{"a_ms", hi}, {"b_ms", hi}}});
    spec = {{"width", 420}, {"height", 420},
            {"layer", json::array({{{"data", {{"values", diag}}}, {"mark", {{"type", "line"}, {"color", "#999"}, {"strokeDash", {4, 3}}}},
                                    {"encoding", {{"x", x}, {"y", y}}}},
                                   {{"data", {{"values", rows}}}, {"mark", {{"type", "point"}, {"filled", true}, {"tooltip", {{"content", "data"}}}}},
                                    {"encoding", {{"x", x}, {"y", y}, {"color", {{"field", "backend"}, {"type", "nominal"}}}}}}})}};
  }
  spec["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json";
  return json::array({{{"id", "against_latency"}, {"title", "A vs B: median latency per point (dashed: equal)"}, {"spec", spec}}});
}

}  // namespace fb::report
