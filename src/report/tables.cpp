// The report's tables, built from an Analysis.
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "report/report.h"

namespace fb::report {
namespace {

Cell ms(const std::optional<double>& v, const std::string& why) { return Cell::opt(v, 3, why); }
Cell x2(const std::optional<double>& v, const std::string& why) { return Cell::opt(v, 2, why); }
Cell count(const std::optional<double>& v, const std::string& why) { return v ? Cell::integer(*v) : Cell::na(why); }
Cell r3(const std::optional<double>& v, const std::string& why) { return Cell::opt(v, 3, why); }
Cell opt_int(const std::optional<int64_t>& v, const std::string& why) {
  return v ? Cell::integer(static_cast<double>(*v)) : Cell::na(why);
}
std::string cost_why(const Record& r) { return r.status == Status::Measured ? "not recorded" : r.why_no_latency(); }
// Older databases have no peak_reason: then it was the missing peak.
std::string why_no_pct(const Record& r) { return r.peak_reason.empty() ? "no measured peak" : r.peak_reason; }

void add_context(Table& t, std::vector<Cell>& row, const Analysis& a, const Context& c) {
  if (a.several_contexts) row.push_back(Cell::str(c.label()));
}
void context_column(Table& t, const Analysis& a) {
  if (a.several_contexts) t.columns.push_back("setting");
}

Table headline(const Analysis& a) {
  Table t{"headline", "The paper's headline findings beside ours",
          "Paper: Abbasi et al., \"Does Form Follow Function?\" (arXiv:2107.04144), OpenVINO vs PyTorch on its own "
          "Intel CPU; our values are from this database, speedup = the paired speedup of backends measured together "
          "(native median / accelerated median for points measured apart)."};
  t.columns = {"finding", "paper", "backend", "ours", "note"};
  for (const Headline& h : a.headline)
    t.rows.push_back({Cell::str(h.finding), Cell::str(h.paper), Cell::str(h.backend),
                      h.our_value ? Cell{h.ours, h.our_value, std::nullopt} : Cell::na(h.ours.substr(std::min<size_t>(5, h.ours.size()))),
                      Cell::str(h.note)});
  return t;
}

Table pattern_speedups(const Analysis& a) {
  Table t{"speedup_patterns", "Speedup over native per pattern, depth and width",
          fmt::format("speedup = {} median / backend median; 95% CI by MOVER on the log scale from both medians' "
                      "order-statistic CIs (independent runs assumed).", a.native)};
  t.columns = {"pattern", "depth", "width", "res", "backend", "native ms", "backend ms", "speedup", "CI low", "CI high"};
  context_column(t, a);
  for (const Speedup& s : a.speedups) {
    const Record& r = *s.accel;
    if (!r.pattern) continue;
    const std::string why = s.why_missing;
    std::vector<Cell> row = {Cell::str(*r.pattern), opt_int(r.depth, "NULL"), opt_int(r.width, "NULL"),
                             Cell::integer(static_cast<double>(r.resolution)), Cell::str(r.backend),
                             s.native ? ms(s.native->median_ms, s.native->why_no_latency())
                                      : Cell::na("no native point"),
                             ms(r.median_ms, r.why_no_latency()), x2(s.value, why),
                             s.ci95 ? Cell::num(s.ci95->low, 2) : Cell::na(why),
                             s.ci95 ? Cell::num(s.ci95->high, 2) : Cell::na(why)};
    add_context(t, row, a, context_of(s));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table averages(const Analysis& a) {
  Table t{"speedup_averages", "Average speedup per pattern and overall",
          "Arithmetic and geometric means over every point (depths and widths) with a speedup; n_missing counts "
          "points without one (failed, not run or no native twin)."};
  t.columns = {"scope", "backend", "n", "n missing", "mean", "geomean", "min", "max", "paper"};
  context_column(t, a);
  for (const Average& av : a.averages) {
    std::string paper;
    if (av.scope == "all networks") paper = fmt::format("{:.1f}x", k_paper_overall_speedup);
    if (av.scope == "depthwise_bottleneck") paper = fmt::format("{:.1f}x", k_paper_depthwise_bottleneck_speedup);
    const std::string why = av.why_missing.empty() ? "no points" : av.why_missing;
    std::vector<Cell> row = {Cell::str(av.scope), Cell::str(av.backend), Cell::integer(av.n),
                             Cell::integer(av.n_missing), x2(av.mean, why), x2(av.geomean, why), x2(av.min, why),
                             x2(av.max, why), Cell::str(paper)};
    add_context(t, row, a, av.context);
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table zoo(const Analysis& a) {
  Table t{"zoo", "Zoo networks: native vs accelerated",
          "GFLOP/s = FLOPs / median latency of the accelerated backend; % of peak against the measured fp32 FMA "
          "peak on the same threads."};
  t.columns = {"model", "family", "res", "backend", "native ms", "backend ms", "speedup", "CI low", "CI high",
               "MACs", "params", "GFLOP/s", "% of peak"};
  context_column(t, a);
  std::set<const Record*> paired;
  for (const Speedup& s : a.speedups) {
    const Record& r = *s.accel;
    if (r.pattern || r.family == "pattern") continue;
    if (s.native) paired.insert(s.native);
    const std::string why = s.why_missing;
    std::vector<Cell> row = {Cell::str(r.model), Cell::str(r.family), Cell::integer(static_cast<double>(r.resolution)),
                             Cell::str(r.backend),
                             s.native ? ms(s.native->median_ms, s.native->why_no_latency()) : Cell::na("no native point"),
                             ms(r.median_ms, r.why_no_latency()), x2(s.value, why),
                             s.ci95 ? Cell::num(s.ci95->low, 2) : Cell::na(why),
                             s.ci95 ? Cell::num(s.ci95->high, 2) : Cell::na(why), count(r.macs, cost_why(r)),
                             count(r.params, cost_why(r)), Cell::opt(r.achieved_gflops, 1, cost_why(r)),
                             Cell::opt(r.pct_of_peak, 1, r.status == Status::Measured ? why_no_pct(r) : cost_why(r))};
    add_context(t, row, a, context_of(s));
    t.rows.push_back(std::move(row));
  }
  for (const Record* r : a.records) {  // native-only networks
    if (r->pattern || r->family == "pattern" || plain_backend(r->backend) != a.native || paired.count(r)) continue;
    std::vector<Cell> row = {Cell::str(r->model), Cell::str(r->family), Cell::integer(static_cast<double>(r->resolution)),
                             Cell::na("no accelerated point"), ms(r->median_ms, r->why_no_latency()),
                             Cell::na("no accelerated point"), Cell::na("no accelerated point"),
                             Cell::na("no accelerated point"), Cell::na("no accelerated point"),
                             count(r->macs, cost_why(*r)), count(r->params, cost_why(*r)),
                             Cell::opt(r->achieved_gflops, 1, cost_why(*r)),
                             Cell::opt(r->pct_of_peak, 1, why_no_pct(*r))};
    add_context(t, row, a, context_of(*r));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table fits(const Analysis& a) {
  Table t{"latency_vs_flops", "Latency vs FLOPs per pattern (least squares)",
          "latency_ms = intercept + slope x GFLOPs over every depth and width of the pattern; effective GFLOP/s = "
          "1000 / slope (the marginal rate); efficiency = effective / measured peak."};
  t.columns = {"pattern", "backend", "res", "n", "slope ms/GFLOP", "intercept ms", "R^2", "effective GFLOP/s",
               "peak GFLOP/s", "efficiency %"};
  context_column(t, a);
  for (const Fit& f : a.fits) {
    const std::string why = f.why_missing.empty() ? "no fit" : f.why_missing;
    std::vector<Cell> row = {Cell::str(f.pattern), Cell::str(f.backend), Cell::integer(static_cast<double>(f.resolution)),
                             f.fit ? Cell::integer(f.fit->n) : Cell::na(why),
                             f.fit ? Cell::num(f.fit->slope, 4) : Cell::na(why),
                             f.fit ? Cell::num(f.fit->intercept, 4) : Cell::na(why),
                             f.fit ? Cell::num(f.fit->r2, 3) : Cell::na(why), Cell::opt(f.effective_gflops, 1, why),
                             Cell::opt(f.peak_gflops, 1, "no measured peak"),
                             Cell::opt(f.efficiency_pct, 1, f.effective_gflops ? "no measured peak" : why)};
    add_context(t, row, a, f.context);
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string corr_text(const stats::Correlation& c) {
  if (!c.r) return "";
  if (!c.ci95) return fmt::format("{:.2f}", *c.r);
  return fmt::format("{:.2f} [{:.2f}, {:.2f}]", *c.r, c.ci95->low, c.ci95->high);
}

Table correlations(const Analysis& a) {
  Table t{"correlations", "Correlations along depth and along width",
          "Pearson r and Spearman rho over one sweep (the other axis fixed), with 95% CIs by Fisher's z "
          "(SE 1/sqrt(n-3); Spearman SE sqrt(1.06/(n-3))). n counts points with both values."};
  t.columns = {"pattern", "backend", "axis", "fixed", "x", "y", "n", "pearson r", "r CI low", "r CI high",
               "spearman rho", "rho CI low", "rho CI high"};
  context_column(t, a);
  for (const CorrelationRow& c : a.correlations) {
    std::string why = c.pearson.why_missing;
    if (!c.why_missing.empty()) why = why.empty() ? c.why_missing : why + "; " + c.why_missing;
    const std::string swhy = c.spearman.why_missing.empty() ? why : c.spearman.why_missing;
    std::vector<Cell> row = {Cell::str(c.pattern), Cell::str(c.backend), Cell::str(c.axis), Cell::str(c.fixed),
                             Cell::str(c.x), Cell::str(c.y), Cell::integer(c.pearson.n), r3(c.pearson.r, why),
                             c.pearson.ci95 ? Cell::num(c.pearson.ci95->low, 3) : Cell::na(why),
                             c.pearson.ci95 ? Cell::num(c.pearson.ci95->high, 3) : Cell::na(why),
                             r3(c.spearman.r, swhy),
                             c.spearman.ci95 ? Cell::num(c.spearman.ci95->low, 3) : Cell::na(swhy),
                             c.spearman.ci95 ? Cell::num(c.spearman.ci95->high, 3) : Cell::na(swhy)};
    add_context(t, row, a, c.context);
    t.rows.push_back(std::move(row));
  }
  return t;
}

// One row per sweep, Pearson r [CI] of the headline pairs: the Markdown-sized view of `correlations`.
Table correlation_summary(const Analysis& a) {
  Table t{"correlations_summary", "Correlation summary (Pearson r [95% CI])",
          "The main pairs per sweep; every pair with Spearman's rho is in the correlations table / CSV."};
  const std::vector<std::pair<std::string, std::string>> cols = {
      {"FLOPs", "latency"}, {"LL misses", "latency"}, {"LL miss rate", "latency"},
      {"FLOPs", "speedup"}, {"LL misses", "speedup"}, {"LL miss rate", "speedup"}};
  t.columns = {"pattern", "backend", "axis", "fixed", "points"};
  for (const auto& [x, y] : cols) t.columns.push_back(x + " ~ " + y);
  context_column(t, a);
  std::map<std::tuple<std::string, std::string, std::string, std::string, Context>, std::vector<Cell>> rows;
  std::vector<std::tuple<std::string, std::string, std::string, std::string, Context>> order;
  for (const CorrelationRow& c : a.correlations) {
    auto k = std::make_tuple(c.pattern, c.backend, c.axis, c.fixed, c.context);
    if (!rows.count(k)) {
      order.push_back(k);
      std::vector<Cell> row = {Cell::str(c.pattern), Cell::str(c.backend), Cell::str(c.axis), Cell::str(c.fixed),
                               Cell::integer(c.points)};
      for (size_t i = 0; i < cols.size(); ++i)
        row.push_back(Cell::na(plain_backend(c.backend) == a.native && cols[i].second == "speedup" ? "native backend"
                                                                                                   : "not computed"));
      rows[k] = row;
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i].first != c.x || cols[i].second != c.y) continue;
      // Terse: the per-point reasons are in the correlations table and once in the summary lines.
      std::string why = c.pearson.why_missing;
      if (!c.short_missing.empty()) why = why.empty() ? c.short_missing : why + " (" + c.short_missing + ")";
      rows[k][5 + i] = c.pearson.r ? Cell{corr_text(c.pearson), c.pearson.r, std::nullopt} : Cell::na(why);
    }
  }
  for (const auto& k : order) {
    auto row = rows[k];
    add_context(t, row, a, std::get<4>(k));
    t.rows.push_back(row);
  }
  return t;
}

Table roofline(const Analysis& a) {
  Table t{"roofline", "Roofline coordinates per measured network",
          "intensity = FLOPs / bytes (cost model: weights + every layer's activations in and out, no reuse "
          "between layers); DRAM intensity = FLOPs / (LL misses x the LL cache line, 64 B unless the machine facts say) where counters exist."};
  t.columns = {"model", "backend", "GFLOP/s", "bytes", "FLOP/B", "DRAM FLOP/B", "peak GFLOP/s", "bandwidth GB/s"};
  context_column(t, a);
  for (const RooflinePoint& p : a.roofline) {
    const Record& r = *p.record;
    MachineCeilings c;
    auto it = a.ceilings.find({context_of(r).machine, r.threads});
    if (it != a.ceilings.end()) c = it->second;
    std::vector<Cell> row = {Cell::str(r.model), Cell::str(r.backend),
                             Cell::opt(p.achieved_gflops, 2, p.why_no_intensity),
                             count(p.bytes, p.why_no_intensity), Cell::opt(p.intensity, 2, p.why_no_intensity),
                             Cell::opt(p.dram_intensity, 2, p.why_no_dram),
                             Cell::opt(c.peak_gflops, 1, c.why_no_peak.empty() ? "not a CPU point" : c.why_no_peak),
                             Cell::opt(c.bandwidth_gbps, 1, c.why_no_bandwidth.empty() ? "not a CPU point" : c.why_no_bandwidth)};
    add_context(t, row, a, context_of(r));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table roofline_layers(const Analysis& a) {
  Table t{"roofline_layers", "Roofline coordinates per profiled layer",
          fmt::format("From per-layer profiles recorded with the measurements; FLOPs and bytes from the cost model "
                      "(a fused group counts every node it names). {} profiled layer(s) had names the cost model "
                      "does not know and are left out.", a.unmatched_layers)};
  t.columns = {"model", "backend", "layer", "op", "ms", "GFLOP/s", "FLOP/B"};
  for (const RooflineLayer& l : a.roofline_layers)
    t.rows.push_back({Cell::str(l.record->model), Cell::str(l.record->backend), Cell::str(l.layer), Cell::str(l.op),
                      Cell::num(l.ms, 4), Cell::num(l.achieved_gflops(), 2), Cell::num(l.intensity(), 2)});
  return t;
}

Table trust(const Analysis& a, const ResultsDb& db) {
  Table t{"trust", "How far to trust these numbers",
          "Each point's backends are measured together in one process, interleaved in rounds of random order, and "
          "that in k independent processes; speedups are paired per round and their 95% CIs cover both the "
          "processes and the rounds (docs/measure.md). A point whose CIs stayed wide after the added processes "
          "is flagged unstable and listed here; it is never silently averaged. An A/A recheck "
          "(`formbench study recheck`) tells whether the intervals hold what they promise."};
  t.columns = {"check", "value", "detail"};
  int measured = 0, paired = 0, unpaired = 0, remeasured = 0, beside = 0, wide_latency = 0;
  int64_t excluded = 0, set_aside = 0, unmet = 0;
  // Counts read from a file: a hostile one holds any int64 (UBSan found INT64_MAX + INT64_MAX here).
  // Negative counts add nothing; the sum saturates.
  auto count_into = [](int64_t& sum, int64_t v) {
    if (v > 0) sum = v > std::numeric_limits<int64_t>::max() - sum ? std::numeric_limits<int64_t>::max() : sum + v;
  };
  bool gate_recorded = false;
  // A comparison group: its backends share one record of the gate and one stability verdict.
  auto group_of = [](const Record* r) { return r->model + " · " + r->options + " · " + context_of(*r).label(); };
  std::set<std::string> placement_groups;  // a group's backends share one record of the gate: count it once
  std::vector<int64_t> processes;
  std::optional<double> steal;
  std::vector<const Record*> unstable;
  for (const Record* r : a.records) {
    if (r->status != Status::Measured) continue;
    ++measured;
    if (r->processes) processes.push_back(*r->processes);
    if (r->remeasured.value_or(0) > 0) ++remeasured;
    count_into(excluded, r->excluded_processes.value_or(0));
    if (r->beside_other_measurement) ++beside;
    if (r->rounds_set_aside) {
      gate_recorded = true;
      if (placement_groups.insert(group_of(r)).second) {
        count_into(set_aside, *r->rounds_set_aside);
        count_into(unmet, r->processes_placement_unmet.value_or(0));
      }
    }
    if (r->steal_pct_max) steal = std::max(steal.value_or(0), *r->steal_pct_max);
    if (!r->unstable.empty()) unstable.push_back(r);
    // The measurement's latency-CI bound (measure/processes.h): wide asks for processes, but is no flag.
    if (r->median_ms && r->ci95_low_ms && r->ci95_high_ms &&
        (*r->ci95_low_ms < 0.75 * *r->median_ms || *r->ci95_high_ms > 1.25 * *r->median_ms))
      ++wide_latency;
  }
  for (const Speedup& s : a.speedups)
    if (s.value) (s.paired ? paired : unpaired)++;
  std::sort(processes.begin(), processes.end());
  t.rows.push_back({Cell::str("measured backend points"), Cell::integer(measured),
                    Cell::str("a point per backend; the counts below are of these")});
  t.rows.push_back({Cell::str("processes per point"),
                    processes.empty() ? Cell::na("not recorded (a database from formbench 0.2: one process per backend)")
                                      : Cell::str(processes.front() == processes.back()
                                                      ? std::to_string(processes.front())
                                                      : fmt::format("{} to {}", processes.front(), processes.back())),
                    Cell::str("CIs cover the variation between processes only when k > 1")});
  t.rows.push_back({Cell::str("paired speedups"), Cell::integer(paired),
                    Cell::str(unpaired ? fmt::format("{} unpaired (ratio of medians from separate processes, MOVER CI)", unpaired)
                                       : "every speedup")});
  t.rows.push_back({Cell::str("points remeasured"), Cell::integer(remeasured),
                    Cell::str("processes were added because a CI was wide or a process was disturbed")});
  t.rows.push_back({Cell::str("processes excluded as disturbed"), Cell::integer(static_cast<double>(excluded)),
                    Cell::str("over all backend points; each was replaced by a new process (reasons in the point's "
                              "result_json.excluded)")});
  t.rows.push_back({Cell::str("processes whose threads sat on distant cores"),
                    gate_recorded ? Cell::integer(static_cast<double>(unmet)) : Cell::na("not recorded (before the placement gate)"),
                    Cell::str(gate_recorded ? fmt::format("over all comparison groups; {} rounds were set aside because two CPUs answered "
                                                          "each other slower than the gate (docs/measure.md, \"Where the threads sit\")",
                                                          set_aside)
                                            : "")});
  // Count groups, as they are listed, not each backend's point.
  std::set<std::string> unstable_groups;
  for (const Record* r : unstable) unstable_groups.insert(group_of(r));
  t.rows.push_back({Cell::str("comparison groups unstable"), Cell::integer(static_cast<double>(unstable_groups.size())),
                    Cell::str(unstable.empty() ? "" : fmt::format("listed below ({} backend points)", unstable.size()))});
  t.rows.push_back({Cell::str("latencies with a 95% CI wider than +-25%"), Cell::integer(wide_latency),
                    Cell::str("the machine's speed drifted between processes; the CI shows how far (no flag: pairing "
                              "cancels the drift in the speedups)")});
  t.rows.push_back({Cell::str("worst steal (a process's mean over its rounds)"),
                    steal ? Cell::num(*steal, 2) : Cell::na("not recorded"), Cell::str("% of the machine's CPU time")});
  t.rows.push_back({Cell::str("points measured beside another measurement"), Cell::integer(beside),
                    Cell::str(beside ? "contaminated: rerun them alone" : "")});
  const RecheckCoverage& c = db.rechecks;
  auto coverage = [](int in, int n) {
    return n ? Cell::str(fmt::format("{:.0f}% ({} of {})", 100.0 * in / n, in, n)) : Cell::na("no A/A recheck recorded");
  };
  // A rerun has an error of its own, so even correct 95% CIs hold fewer than 95% of reruns (measure/two_level.h).
  t.rows.push_back({Cell::str("A/A recheck: rerun medians inside the first 95% CI"), coverage(c.medians_inside, c.medians),
                    Cell::str("about 89% expected with 3 processes (83% with 5); far less: the intervals are too narrow")});
  t.rows.push_back({Cell::str("A/A recheck: rerun speedups inside the first 95% CI"), coverage(c.speedups_inside, c.speedups),
                    Cell::str("formbench study recheck DB --sample N")});
  t.rows.push_back({Cell::str("A/A recheck: rerun medians inside the first run's rerun interval"),
                    coverage(c.medians_inside_rerun, c.medians_judged_rerun),
                    Cell::str("the CI widened by sqrt 2 on the log scale; about 94% expected with 3 processes")});
  t.rows.push_back({Cell::str("A/A recheck: rerun speedups inside the first run's rerun interval"),
                    coverage(c.speedups_inside_rerun, c.speedups_judged_rerun), Cell::str("")});
  std::set<std::pair<std::string, std::string>> listed;  // a group's backends share the verdict: list it once
  for (const Record* r : unstable)
    if (listed.insert({group_of(r), r->unstable}).second)
      t.rows.push_back({Cell::str("unstable: " + r->model), Cell::str("flagged"), Cell::str(r->unstable)});
  return t;
}

Table measurements(const Analysis& a) {
  Table t{"measurements", "Every point", "One row per point setting and backend (a later measurement supersedes "
                                         "an earlier one). LL figures: source in 'counters'."};
  t.columns = {"model", "family", "backend", "status", "median ms", "CI low", "CI high", "samples", "GFLOP/s",
               "% of peak", "counters", "LL misses", "LL miss rate"};
  context_column(t, a);
  for (const Record* r : a.records) {
    const std::string why = r->why_no_latency();
    std::vector<Cell> row = {Cell::str(r->model), Cell::str(r->family), Cell::str(r->backend),
                             Cell::str(status_name(r->status)), ms(r->median_ms, why), ms(r->ci95_low_ms, why.empty() ? "not recorded" : why),
                             ms(r->ci95_high_ms, why.empty() ? "not recorded" : why),
                             opt_int(r->samples, why.empty() ? "not recorded" : why),
                             Cell::opt(r->achieved_gflops, 2, cost_why(*r)),
                             Cell::opt(r->pct_of_peak, 1, r->status == Status::Measured ? why_no_pct(*r) : why),
                             Cell::str(r->counters_source), count(r->ll_misses, r->why_no_counters()),
                             Cell::opt(r->ll_miss_rate, 4, r->why_no_counters())};
    add_context(t, row, a, context_of(*r));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table failures(const Analysis& a) {
  Table t{"failures", "Failed and pending points", "Points of the study without a measurement, with the reason."};
  t.columns = {"model", "backend", "status", "kind", "reason"};
  for (const Record* r : a.records) {
    if (r->status == Status::Measured) continue;
    t.rows.push_back({Cell::str(r->model), Cell::str(r->backend), Cell::str(status_name(r->status)),
                      Cell::str(r->failure_kind), Cell::str(r->status == Status::Failed ? r->failure_reason : "not run yet")});
  }
  return t;
}

void flatten(const nlohmann::json& j, const std::string& prefix, Table& t, const std::string& machine) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, t, machine);
  } else if (j.is_array() && !j.empty() && (j[0].is_object() || j[0].is_array())) {
    for (size_t i = 0; i < j.size(); ++i) flatten(j[i], fmt::format("{}[{}]", prefix, i), t, machine);
  } else {
    std::string v;
    if (j.is_string())
      v = j.get<std::string>();
    else if (j.is_array())
      for (const auto& e : j) v += (v.empty() ? "" : ", ") + (e.is_string() ? e.get<std::string>() : e.dump());
    else
      v = j.dump();
    t.rows.push_back({Cell::str(machine), Cell::str(prefix), j.is_null() ? Cell::na("null in the facts") : Cell::str(v)});
  }
}

Table machines(const ResultsDb& db) {
  Table t{"machines", "Machine facts", "As recorded with the measurements (bench --json 'machine')."};
  t.columns = {"machine", "fact", "value"};
  for (const Machine& m : db.machines) {
    t.rows.push_back({Cell::str(std::to_string(m.id)), Cell::str("fingerprint"), Cell::str(m.fingerprint)});
    flatten(m.facts, "", t, std::to_string(m.id));
  }
  return t;
}

}  // namespace

std::vector<Table> build_tables(const Analysis& a, const ResultsDb& db) {
  std::vector<Table> out = {headline(a), trust(a, db), averages(a)};
  for (Table t : precision_tables(a)) out.push_back(std::move(t));
  for (Table t : {pattern_speedups(a), zoo(a), fits(a), correlation_summary(a), correlations(a), roofline(a)})
    out.push_back(std::move(t));
  if (!a.roofline_layers.empty() || a.unmatched_layers) out.push_back(roofline_layers(a));
  for (Table t : {measurements(a), failures(a), machines(db)}) out.push_back(std::move(t));
  return out;
}

}  // namespace fb::report
