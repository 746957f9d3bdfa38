#include "report/analysis.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "report/analysis_parts.h"

namespace fb::report {
namespace {

// Everything a point shares with its native twin: the form, the input, the measurement context and the
// options entry of its comparison group (an optioned backend's twin is the native measured beside it).
struct SettingKey {
  std::string model;
  int64_t resolution, batch, threads;
  std::string precision, device, options;
  auto operator<=>(const SettingKey&) const = default;
};
SettingKey key_of(const Record& r) {
  return {r.model, r.resolution, r.batch, r.threads, r.precision, r.device, r.options};
}

int rank(const Record& r) { return r.status == Status::Measured ? 2 : r.status == Status::Failed ? 1 : 0; }

// One record per (settings, backend, machine): a measurement beats a failure beats a pending point; among
// equals the latest finished wins (a study run again later supersedes the earlier one).
std::vector<const Record*> dedupe(const ResultsDb& db) {
  std::map<std::tuple<SettingKey, std::string, int64_t>, const Record*> best;
  std::vector<std::tuple<SettingKey, std::string, int64_t>> order;
  for (const Record& r : db.records) {
    auto k = std::make_tuple(key_of(r), r.backend, r.machine_id.value_or(-1));
    auto it = best.find(k);
    if (it == best.end()) {
      best[k] = &r;
      order.push_back(k);
    } else if (std::make_pair(rank(r), r.finished_at) > std::make_pair(rank(*it->second), it->second->finished_at)) {
      it->second = &r;
    }
  }
  std::vector<const Record*> out;
  for (const auto& k : order) out.push_back(best[k]);
  // A pending duplicate of a point done on some machine is not a separate point.
  std::set<std::pair<SettingKey, std::string>> done;
  for (const Record* r : out)
    if (r->machine_id) done.insert({key_of(*r), r->backend});
  std::erase_if(out, [&](const Record* r) { return !r->machine_id && done.count({key_of(*r), r->backend}); });
  return out;
}

bool has_ci(const Record& r) {
  return r.ci95_low_ms && r.ci95_high_ms && *r.ci95_low_ms > 0 && *r.ci95_low_ms <= *r.median_ms &&
         *r.ci95_high_ms >= *r.median_ms;
}

Speedup pair_up(const Record* accel, const std::vector<const Record*>& natives, const std::string& native) {
  Speedup s;
  s.accel = accel;
  for (const Record* n : natives) {
    const bool same_machine = accel->machine_id && n->machine_id == accel->machine_id;
    if (!s.native || same_machine || (!s.native->median_ms && n->median_ms && !accel->machine_id)) s.native = n;
    if (same_machine) break;
  }
  if (s.native && accel->machine_id && s.native->machine_id && s.native->machine_id != accel->machine_id)
    s.native = nullptr;  // measured on another machine: not comparable
  if (!accel->median_ms) {
    s.why_missing = accel->why_no_latency();
  } else if (!s.native) {
    s.why_missing = fmt::format("no {} point with the same settings on this machine", native);
  } else if (!s.native->median_ms) {
    s.why_missing = s.native->why_no_latency();
  } else if (accel->paired_speedup && accel->native_point_id == s.native->point_id) {
    // Measured together with this native point, in the same processes: the paired two-level figures.
    s.value = *accel->paired_speedup;
    if (accel->paired_ci95_low && accel->paired_ci95_high)
      s.ci95 = stats::Interval{*accel->paired_ci95_low, *accel->paired_ci95_high};
    else
      s.why_missing = "no CI of the paired speedup recorded";
    s.paired = true;
  } else {
    s.value = *s.native->median_ms / *accel->median_ms;
    if (has_ci(*s.native) && has_ci(*accel))
      s.ci95 = stats::ratio_ci(*s.native->median_ms, {*s.native->ci95_low_ms, *s.native->ci95_high_ms},
                               *accel->median_ms, {*accel->ci95_low_ms, *accel->ci95_high_ms});
    else
      s.why_missing = "no CI of the median recorded";
  }
  return s;
}

Average average(std::string scope, std::string backend, Context ctx, const std::vector<const Speedup*>& sp) {
  Average a;
  a.scope = std::move(scope);
  a.backend = std::move(backend);
  a.context = std::move(ctx);
  std::vector<double> v;
  for (const Speedup* s : sp) {
    if (s->value)
      v.push_back(*s->value);
    else if (a.why_missing.empty())
      a.why_missing = s->why_missing;
  }
  a.n = static_cast<int>(v.size());
  a.n_missing = static_cast<int>(sp.size() - v.size());
  if (v.empty()) return a;
  a.mean = stats::mean(v);
  a.geomean = stats::geomean(v);
  a.min = *std::min_element(v.begin(), v.end());
  a.max = *std::max_element(v.begin(), v.end());
  return a;
}

bool is_zoo_model(const Record& r, const std::string& name) {
  return r.family != "pattern" && (r.model == name || r.model.rfind(name + "?", 0) == 0);
}

std::string times(double v) { return fmt::format("{:.2f}x", v); }

void add_headline(Analysis& a) {
  std::set<std::pair<std::string, Context>> groups;
  for (const Average& av : a.averages) groups.insert({av.backend, av.context});
  for (const auto& group : groups) {
    // Plain references, not a structured binding: clang before 16 cannot capture bindings in the lambdas below.
    const std::string& backend = group.first;
    const Context& ctx = group.second;
    const std::string where = a.several_contexts ? ctx.label() : "";
    auto find_avg = [&](const std::string& scope) -> const Average* {
      for (const Average& av : a.averages)
        if (av.scope == scope && av.backend == backend && av.context == ctx) return &av;
      return nullptr;
    };
    auto from_avg = [&](const std::string& finding, double paper, const std::string& scope) {
      Headline h{finding, times(paper), backend, "", where, paper, std::nullopt};
      const Average* av = find_avg(scope);
      if (av && av->mean) {
        h.our_value = *av->mean;
        h.ours = fmt::format("{} (geomean {}, n={})", times(*av->mean), times(*av->geomean), av->n);
      } else {
        h.ours = av ? "n/a: " + av->why_missing : "n/a: not in this study";
      }
      a.headline.push_back(h);
    };
    from_avg("Average speedup over native, all networks", k_paper_overall_speedup, "all networks");
    from_avg("Average speedup, depthwise bottleneck pattern", k_paper_depthwise_bottleneck_speedup,
             "depthwise_bottleneck");
    Headline d{"Speedup of DARTS", times(k_paper_darts_speedup), backend, "n/a: darts not in this study", where,
               k_paper_darts_speedup, std::nullopt};
    for (const Speedup& s : a.speedups) {
      if (s.accel->backend != backend || context_of(s) != ctx || !is_zoo_model(*s.accel, "darts")) continue;
      if (s.value) {
        d.our_value = *s.value;
        d.ours = times(*s.value);
      } else {
        d.ours = "n/a: " + s.why_missing;
      }
      break;
    }
    a.headline.push_back(d);
  }
  Headline f{"Fastest network", fmt::format("mobilenet_v2, {:.1f} ms", k_paper_fastest_ms), "", "n/a: no network measured",
             "", k_paper_fastest_ms, std::nullopt};
  if (a.fastest) {
    f.backend = a.fastest->backend;
    f.ours = fmt::format("{}, {:.3f} ms", a.fastest->model, *a.fastest->median_ms);
    f.our_value = *a.fastest->median_ms;
    f.note = a.fastest->device + (a.several_contexts ? " · " + context_of(*a.fastest).label() : "");
  }
  a.headline.push_back(f);
}

}  // namespace

std::string Context::label() const {
  return fmt::format("{} · {} · batch {} · {} thread{} · {}", machine < 0 ? "machine ?" : fmt::format("machine {}", machine),
                     device, batch, threads, threads == 1 ? "" : "s", precision);
}

Context context_of(const Record& r) {
  return {r.machine_id.value_or(-1), r.device, r.precision, r.batch, r.threads};
}

Context context_of(const Speedup& s) {
  if (!s.accel->machine_id && s.native) return context_of(*s.native);
  return context_of(*s.accel);
}

namespace detail {
const Speedup* speedup_of(const Analysis& a, const Record* accel) {
  auto it = a.speedup_index.find(accel);
  return it == a.speedup_index.end() ? nullptr : &a.speedups[it->second];
}
}  // namespace detail

Analysis analyze(const ResultsDb& db, const AnalysisOptions& opt) {
  Analysis a;
  a.native = opt.native;
  a.records = dedupe(db);
  std::set<Context> contexts;
  for (const Record* r : a.records)
    if (r->machine_id) contexts.insert(context_of(*r));
  a.several_contexts = contexts.size() > 1;

  std::map<SettingKey, std::vector<const Record*>> natives;
  for (const Record* r : a.records)
    if (plain_backend(r->backend) == opt.native) natives[key_of(*r)].push_back(r);
  for (const Record* r : a.records)
    if (plain_backend(r->backend) != opt.native) {
      a.speedup_index[r] = a.speedups.size();
      a.speedups.push_back(pair_up(r, natives[key_of(*r)], opt.native));
    }

  // Averages: per pattern, all patterns, all networks; per backend and context.
  std::map<std::tuple<std::string, std::string, Context>, std::vector<const Speedup*>> groups;
  std::vector<std::tuple<std::string, std::string, Context>> order;
  auto add = [&](const std::string& scope, const Speedup& s) {
    auto k = std::make_tuple(scope, s.accel->backend, context_of(s));
    if (!groups.count(k)) order.push_back(k);
    groups[k].push_back(&s);
  };
  for (const Speedup& s : a.speedups)
    if (s.accel->pattern) add(*s.accel->pattern, s);
  for (const Speedup& s : a.speedups)
    if (s.accel->pattern) add("all patterns", s);
  for (const Speedup& s : a.speedups) add("all networks", s);
  for (const auto& k : order) a.averages.push_back(average(std::get<0>(k), std::get<1>(k), std::get<2>(k), groups[k]));

  for (const Record* r : a.records)
    if (r->family != "pattern" && r->median_ms && (!a.fastest || *r->median_ms < *a.fastest->median_ms)) a.fastest = r;

  add_headline(a);
  detail::add_correlations(a);
  detail::add_ceilings(a, db);
  detail::add_fits(a);
  detail::add_roofline(a, opt);
  return a;
}

}  // namespace fb::report
