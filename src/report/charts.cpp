// Vega-Lite specifications of the report's charts, with their data inline.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report/analysis_parts.h"
#include "report/report.h"

namespace fb::report {
namespace {

using json = nlohmann::json;

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// A chart that says why it has no data (long reasons wrapped at spaces, since text marks do not wrap).
json message(const std::string& msg) {
  std::string wrapped, line;
  size_t lines = 1;
  for (size_t i = 0; i <= msg.size(); ++i) {
    if (i == msg.size() || msg[i] == ' ') {
      const size_t space = line.find_last_of(' ');
      if (line.size() > 110 && space != std::string::npos && space > 0) {
        wrapped += line.substr(0, space) + "\n";
        line = line.substr(space + 1);
        ++lines;
      }
    }
    if (i < msg.size()) line += msg[i];
  }
  wrapped += line;
  return {{"data", {{"values", json::array({{{"msg", wrapped}}})}}},
          {"mark", {{"type", "text"}, {"fontSize", 13}, {"align", "left"}, {"baseline", "top"}, {"x", 5}, {"y", 5},
                    {"lineBreak", "\n"}}},
          {"encoding", {{"text", {{"field", "msg"}, {"type", "nominal"}}}}},
          {"width", 800},
          {"height", static_cast<int>(18 * lines + 10)}};
}

json chart(const std::string& id, const std::string& title, json spec) {
  spec["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json";  // an identifier only: never fetched
  return {{"id", id}, {"title", title}, {"spec", std::move(spec)}};
}

// A small multiple per pattern: x = the sweep axis, y = a field, one line per series.
json per_pattern(const json& rows, const std::string& x, const std::string& y, const std::string& y_title,
                 bool log_y, const std::string& lo = "", const std::string& hi = "") {
  json enc = {{"x", {{"field", x}, {"type", "quantitative"}, {"title", x}}},
              {"y", {{"field", y}, {"type", "quantitative"}, {"title", y_title},
                     {"scale", log_y ? json{{"type", "log"}} : json{{"zero", false}}}}},
              {"color", {{"field", "series"}, {"type", "nominal"}, {"title", "backend · other axis"}}}};
  json layers = json::array();
  layers.push_back({{"mark", {{"type", "line"}, {"point", true}, {"tooltip", {{"content", "data"}}}}}, {"encoding", enc}});
  if (!lo.empty()) {
    json e = enc;
    e["y"] = {{"field", lo}, {"type", "quantitative"}, {"title", y_title}};
    e["y2"] = {{"field", hi}};
    layers.push_back({{"mark", "rule"}, {"encoding", e}});
  }
  return {{"data", {{"values", rows}}},
          {"facet", {{"field", "pattern"}, {"type", "nominal"}, {"title", nullptr}}},
          {"columns", 3},
          {"spec", {{"width", 230}, {"height", 160}, {"layer", layers}}},
          {"resolve", {{"scale", {{"y", "independent"}}}}}};
}

json speedup_vs_depth(const Analysis& a) {
  json rows = json::array();
  for (const Speedup& s : a.speedups) {
    const Record& r = *s.accel;
    if (!r.pattern || !r.depth || !s.value) continue;
    rows.push_back({{"pattern", *r.pattern}, {"depth", *r.depth}, {"width", opt(r.width ? std::optional<double>(*r.width) : std::nullopt)},
                    {"series", fmt::format("{} · w={}", r.backend, r.width ? std::to_string(*r.width) : "?")},
                    {"speedup", *s.value}, {"ci_low", s.ci95 ? json(s.ci95->low) : json(nullptr)},
                    {"ci_high", s.ci95 ? json(s.ci95->high) : json(nullptr)}});
  }
  if (rows.empty()) return message("No pattern point has a speedup (need native and accelerated measurements).");
  return per_pattern(rows, "depth", "speedup", "speedup over native (x)", false, "ci_low", "ci_high");
}

json latency_vs_depth(const Analysis& a) {
  json rows = json::array();
  for (const Record* r : a.records) {
    if (!r->pattern || !r->depth || !r->median_ms) continue;
    rows.push_back({{"pattern", *r->pattern}, {"depth", *r->depth},
                    {"series", fmt::format("{} · w={}", r->backend, r->width ? std::to_string(*r->width) : "?")},
                    {"median_ms", *r->median_ms}, {"ci_low", opt(r->ci95_low_ms)}, {"ci_high", opt(r->ci95_high_ms)}});
  }
  if (rows.empty()) return message("No pattern point was measured.");
  return per_pattern(rows, "depth", "median_ms", "median latency (ms)", true, "ci_low", "ci_high");
}

json ll_misses_vs(const Analysis& a, const std::string& axis) {
  json rows = json::array();
  std::string why;
  for (const Record* r : a.records) {
    if (!r->pattern || !r->depth || !r->width) continue;
    if (!r->ll_misses) {
      if (why.empty() && r->status == Status::Measured) why = r->why_no_counters();
      continue;
    }
    const int64_t other = axis == "depth" ? *r->width : *r->depth;
    rows.push_back({{"pattern", *r->pattern}, {axis, axis == "depth" ? *r->depth : *r->width},
                    {"series", fmt::format("{} · {}={}", r->backend, axis == "depth" ? "w" : "d", other)},
                    {"ll_misses", *r->ll_misses}, {"source", r->counters_source}});
  }
  if (rows.empty())
    return message("No LL-cache data: " + (why.empty() ? std::string("no pattern point measured") : why));
  return per_pattern(rows, axis, "ll_misses", "LL misses per inference", true);
}

json latency_vs_flops(const Analysis& a) {
  json rows = json::array();
  for (const Record* r : a.records) {
    if (!r->pattern || !r->flops || !r->median_ms) continue;
    rows.push_back({{"pattern", *r->pattern}, {"backend", r->backend}, {"gflop", *r->flops / 1e9},
                    {"median_ms", *r->median_ms}, {"model", r->model}});
  }
  if (rows.empty()) return message("No pattern point has both FLOPs and a latency.");
  json enc = {{"x", {{"field", "gflop"}, {"type", "quantitative"}, {"title", "GFLOPs per inference"}}},
              {"y", {{"field", "median_ms"}, {"type", "quantitative"}, {"title", "median latency (ms)"}}},
              {"color", {{"field", "pattern"}, {"type", "nominal"}}}};
  json fit_enc = enc;
  json points = {{"mark", {{"type", "point"}, {"tooltip", {{"content", "data"}}}}}, {"encoding", enc}};
  json lines = {{"transform", json::array({{{"regression", "median_ms"}, {"on", "gflop"}, {"groupby", json::array({"pattern"})}}})},
                {"mark", {{"type", "line"}, {"opacity", 0.6}}},
                {"encoding", fit_enc}};
  return {{"data", {{"values", rows}}},
          {"facet", {{"field", "backend"}, {"type", "nominal"}, {"title", nullptr}}},
          {"columns", 3},
          {"spec", {{"width", 260}, {"height", 200}, {"layer", json::array({points, lines})}}},
          {"resolve", {{"scale", {{"y", "independent"}, {"x", "independent"}}}}}};
}

json roofline(const Analysis& a) {
  json pts = json::array();
  double lo = INFINITY, hi = 0;
  for (const RooflinePoint& p : a.roofline) {
    if (!p.intensity || !p.achieved_gflops) continue;
    lo = std::min(lo, *p.intensity);
    hi = std::max(hi, *p.intensity);
    pts.push_back({{"model", p.record->model}, {"backend", p.record->backend}, {"precision", p.record->precision},
                   {"intensity", *p.intensity}, {"gflops", *p.achieved_gflops}});
  }
  json layer_pts = json::array();
  for (const RooflineLayer& l : a.roofline_layers) {
    lo = std::min(lo, l.intensity());
    hi = std::max(hi, l.intensity());
    layer_pts.push_back({{"model", l.record->model}, {"backend", l.record->backend}, {"precision", l.record->precision},
                         {"layer", l.layer}, {"op", l.op}, {"intensity", l.intensity()}, {"gflops", l.achieved_gflops()}});
  }
  if (pts.empty() && layer_pts.empty()) {
    std::string why = "no measured network";
    for (const RooflinePoint& p : a.roofline)
      if (!p.why_no_intensity.empty()) {
        why = p.why_no_intensity;
        break;
      }
    return message("No roofline point: " + why);
  }
  json roof = json::array();
  for (const auto& [k, c] : a.ceilings) {
    if (!c.peak_gflops) continue;
    // The roof is fp32's: a bf16 or int8 point (bytes counted in its own precision) may rise above it.
    const std::string name = fmt::format("machine {} · {} threads · fp32 FMA peak{}", k.first, k.second,
                                         c.bandwidth_gbps ? "" : " (peak only)");
    const double l = lo / 4, h = hi * 4;
    for (int i = 0; i <= 40; ++i) {
      const double I = l * std::pow(h / l, i / 40.0);
      const double y = c.bandwidth_gbps ? std::min(*c.peak_gflops, *c.bandwidth_gbps * I) : *c.peak_gflops;
      roof.push_back({{"roof", name}, {"intensity", I}, {"gflops", y}});
    }
  }
  json x = {{"field", "intensity"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", "arithmetic intensity (FLOP/byte, cost model)"}};
  json y = {{"field", "gflops"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"title", "achieved GFLOP/s"}};
  json layers = json::array();
  if (!roof.empty())
    layers.push_back({{"data", {{"values", roof}}}, {"mark", {{"type", "line"}, {"color", "#888"}, {"strokeDash", {4, 3}}}},
                      {"encoding", {{"x", x}, {"y", y}, {"detail", {{"field", "roof"}, {"type", "nominal"}}}}}});
  if (!layer_pts.empty())
    layers.push_back({{"data", {{"values", layer_pts}}},
                      {"mark", {{"type", "point"}, {"shape", "triangle-up"}, {"size", 25}, {"opacity", 0.5}, {"tooltip", {{"content", "data"}}}}},
                      {"encoding", {{"x", x}, {"y", y}, {"color", {{"field", "backend"}, {"type", "nominal"}}}}}});
  if (!pts.empty())
    layers.push_back({{"data", {{"values", pts}}}, {"mark", {{"type", "point"}, {"filled", true}, {"size", 60}, {"tooltip", {{"content", "data"}}}}},
                      {"encoding", {{"x", x}, {"y", y}, {"color", {{"field", "backend"}, {"type", "nominal"}}}}}});
  return {{"width", 560}, {"height", 340}, {"layer", layers}};
}

json zoo_bars(const Analysis& a, bool speedup) {
  json rows = json::array();
  for (const Record* r : a.records) {
    if (r->family == "pattern" || r->pattern) continue;
    if (speedup) {
      const Speedup* s = detail::speedup_of(a, r);
      if (!s || !s->value) continue;
      rows.push_back({{"model", r->model}, {"backend", r->backend}, {"speedup", *s->value}});
    } else if (r->median_ms) {
      rows.push_back({{"model", r->model}, {"backend", r->backend}, {"median_ms", *r->median_ms}});
    }
  }
  if (rows.empty()) return message(speedup ? "No zoo network has a speedup." : "No zoo network was measured.");
  const std::string f = speedup ? "speedup" : "median_ms";
  json bars = {{"mark", {{"type", "bar"}, {"tooltip", {{"content", "data"}}}}},
               {"encoding",
                {{"y", {{"field", "model"}, {"type", "nominal"}, {"sort", {{"field", f}, {"op", "max"}, {"order", "descending"}}}, {"title", nullptr}}},
                 {"x", {{"field", f}, {"type", "quantitative"}, {"title", speedup ? "speedup over native (x)" : "median latency (ms)"}}},
                 {"color", {{"field", "backend"}, {"type", "nominal"}}},
                 {"yOffset", {{"field", "backend"}, {"type", "nominal"}}}}}};
  json layers = json::array({bars});
  if (speedup)
    layers.push_back({{"data", {{"values", json::array({{{"one", 1}}})}}}, {"mark", {{"type", "rule"}, {"color", "#333"}}},
                      {"encoding", {{"x", {{"field", "one"}, {"type", "quantitative"}}}}}});
  return {{"data", {{"values", rows}}}, {"width", 520}, {"layer", layers}};
}

// Where a speedup comes from: the attribution's parts (results_db.h) as shares of the gain, one row each. Parts
// that cost time (layout conversions; a residual where the profiles overstate the gain) stack below zero.
void add_parts(json& rows, const AttributionParts& p, json key) {
  if (p.gain_ms == 0) return;
  const std::pair<const char*, double> parts[] = {{"kernel efficiency", p.kernels_ms},   {"passes eliminated by fusion", p.fusion_ms},
                                                  {"framework overhead", p.overhead_ms}, {"layout conversions", p.layout_ms},
                                                  {"unmapped steps", p.unmapped_ms},     {"residual (not in the profiles)", p.residual_ms},
                                                  {"drift between phases", p.drift_ms}};
  int order = 0;
  for (const auto& [part, ms] : parts) {
    json row = key;
    row["part"] = part;
    row["order"] = order++;
    row["ms"] = ms;
    row["share_pct"] = 100 * ms / p.gain_ms;
    rows.push_back(row);
  }
}

json parts_color() {
  return {{"field", "part"}, {"type", "nominal"}, {"title", "part of the gain"},
          {"sort", {"kernel efficiency", "passes eliminated by fusion", "framework overhead", "layout conversions",
                    "unmapped steps", "residual (not in the profiles)", "drift between phases"}}};
}

// Per pattern along `axis` ("depth" or "width"), one bar per backend and value of the other axis.
json speedup_parts_vs(const Analysis& a, const std::string& axis) {
  const bool by_depth = axis == "depth";
  json rows = json::array();
  for (const Speedup& s : a.speedups) {
    const Record& r = *s.accel;
    const std::optional<int64_t> x = by_depth ? r.depth : r.width, other = by_depth ? r.width : r.depth;
    if (!r.pattern || !x || !r.attribution) continue;
    add_parts(rows, *r.attribution, {{"pattern", *r.pattern}, {axis, *x},
                                     {"series", fmt::format("{} · {}={}", r.backend, by_depth ? "w" : "d", other ? std::to_string(*other) : "?")}});
  }
  if (rows.empty())
    return message("No pattern point has its speedup attributed: a study records it with explain = true in [measure] "
                   "(formbench explain does it for one network).");
  return {{"data", {{"values", rows}}},
          {"facet", {{"field", "pattern"}, {"type", "nominal"}, {"title", nullptr}}},
          {"columns", 3},
          {"spec", {{"width", 230}, {"height", 160},
                    {"mark", {{"type", "bar"}, {"tooltip", {{"content", "data"}}}}},
                    {"encoding", {{"x", {{"field", axis}, {"type", "ordinal"}, {"title", axis}}},
                                  {"xOffset", {{"field", "series"}, {"type", "nominal"}}},
                                  {"y", {{"field", "share_pct"}, {"type", "quantitative"}, {"title", "% of the gain"}}},
                                  {"color", parts_color()},
                                  {"order", {{"field", "order"}, {"type", "quantitative"}}}}}}},
          {"resolve", {{"scale", {{"y", "independent"}}}}}};
}

json zoo_speedup_parts(const Analysis& a) {
  json rows = json::array();
  for (const Speedup& s : a.speedups) {
    const Record& r = *s.accel;
    if (r.family == "pattern" || r.pattern || !r.attribution) continue;
    add_parts(rows, *r.attribution, {{"model", r.model}, {"backend", r.backend}});
  }
  if (rows.empty()) return message("No zoo network has its speedup attributed (explain = true in the study's [measure]).");
  return {{"data", {{"values", rows}}},
          {"width", 520},
          {"mark", {{"type", "bar"}, {"tooltip", {{"content", "data"}}}}},
          {"encoding", {{"y", {{"field", "model"}, {"type", "nominal"}, {"title", nullptr}}},
                        {"yOffset", {{"field", "backend"}, {"type", "nominal"}}},
                        {"x", {{"field", "share_pct"}, {"type", "quantitative"}, {"title", "% of the gain over native"}}},
                        {"color", parts_color()},
                        {"order", {{"field", "order"}, {"type", "quantitative"}}}}}};
}

}  // namespace

json chart_specs(const Analysis& a) {
  json c = json::array();
  c.push_back(chart("speedup_vs_depth", "Speedup over native vs depth, per pattern (bars: 95% CI)", speedup_vs_depth(a)));
  c.push_back(chart("latency_vs_depth", "Latency vs depth, per pattern", latency_vs_depth(a)));
  c.push_back(chart("ll_misses_vs_depth", "LL-cache misses per inference vs depth", ll_misses_vs(a, "depth")));
  c.push_back(chart("ll_misses_vs_width", "LL-cache misses per inference vs width", ll_misses_vs(a, "width")));
  c.push_back(chart("latency_vs_flops", "Latency vs FLOPs, per backend (lines: least-squares fit per pattern)", latency_vs_flops(a)));
  c.push_back(chart("roofline", a.roofline_layers.empty() ? "Roofline: achieved GFLOP/s vs arithmetic intensity"
                                            : "Roofline: achieved GFLOP/s vs arithmetic intensity (dots: networks, triangles: layers)", roofline(a)));
  c.push_back(chart("zoo_latency", "Zoo networks: median latency", zoo_bars(a, false)));
  c.push_back(chart("zoo_speedup", "Zoo networks: speedup over native", zoo_bars(a, true)));
  c.push_back(chart("speedup_parts_vs_depth", "Where the speedup comes from, per pattern and depth (share of the gain; bars per backend and width)",
                    speedup_parts_vs(a, "depth")));
  c.push_back(chart("speedup_parts_vs_width", "Where the speedup comes from, per pattern and width (share of the gain; bars per backend and depth)",
                    speedup_parts_vs(a, "width")));
  c.push_back(chart("zoo_speedup_parts", "Zoo networks: where the speedup comes from (share of the gain)", zoo_speedup_parts(a)));
  return c;
}

}  // namespace fb::report
