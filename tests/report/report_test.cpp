// Analyses on a synthetic database with hand-computed answers (see synthetic_db.h for the data).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "core/error.h"
#include "report/analysis.h"
#include "report/report.h"
#include "synthetic_db.h"

namespace fb::report {
namespace {

namespace fs = std::filesystem;

fs::path tmp_dir() { return fs::temp_directory_path() / ("formbench_report_test_" + std::to_string(::getpid())); }

std::string tmp_path(const std::string& name) {
  fs::create_directories(tmp_dir());
  return (tmp_dir() / name).string();
}

// Removes this process's scratch databases and reports when the test program ends.
struct CleanUp : ::testing::Environment {
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(tmp_dir(), ec);
  }
};
const auto* const k_clean_up = ::testing::AddGlobalTestEnvironment(new CleanUp);

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct ReportDb : ::testing::Test {
  static void SetUpTestSuite() {
    path = tmp_path("ref.sqlite");
    test::build_reference_study(path);
  }
  static inline std::string path;
};

const Speedup* find_speedup(const Analysis& a, const std::string& model) {
  for (const Speedup& s : a.speedups)
    if (s.accel->model == model) return &s;
  return nullptr;
}
const Average* find_avg(const Analysis& a, const std::string& scope) {
  for (const Average& av : a.averages)
    if (av.scope == scope) return &av;
  return nullptr;
}
const CorrelationRow* find_corr(const Analysis& a, const std::string& pattern, const std::string& backend,
                                const std::string& axis, const std::string& x, const std::string& y) {
  for (const CorrelationRow& c : a.correlations)
    if (c.pattern == pattern && c.backend == backend && c.axis == axis && c.x == x && c.y == y) return &c;
  return nullptr;
}

TEST(ReportStats, HandComputedValues) {
  EXPECT_NEAR(stats::normal_quantile(0.975), 1.959963984540054, 1e-8);
  EXPECT_NEAR(stats::normal_quantile(0.01), -2.3263478740408408, 1e-8);
  EXPECT_EQ(stats::ranks({10, 20, 20, 5}), (std::vector<double>{2, 3.5, 3.5, 1}));
  EXPECT_NEAR(stats::geomean({1, 4, 16}), 4.0, 1e-12);
  auto p = stats::pearson({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5});  // r = 6 / sqrt(10 * 6)
  ASSERT_TRUE(p.r);
  EXPECT_NEAR(*p.r, 6 / std::sqrt(60.0), 1e-12);
  ASSERT_TRUE(p.ci95);
  const double z = std::atanh(6 / std::sqrt(60.0)), se = 1 / std::sqrt(2.0);
  EXPECT_NEAR(p.ci95->low, std::tanh(z - 1.959963984540054 * se), 1e-9);
  EXPECT_NEAR(p.ci95->high, std::tanh(z + 1.959963984540054 * se), 1e-9);
  EXPECT_FALSE(stats::pearson({1, 1, 1, 1}, {1, 2, 3, 4}).r);      // constant x
  EXPECT_FALSE(stats::pearson({1, 2}, {1, 2}).r);                  // too few points
  auto s = stats::spearman({1, 2, 3, 4, 5}, {1, 4, 9, 16, 100});  // monotone: rho = 1, CI undefined
  EXPECT_DOUBLE_EQ(*s.r, 1.0);
  EXPECT_FALSE(s.ci95);
  auto f = stats::least_squares({1, 2, 4}, {12, 22, 42});
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->slope, 10, 1e-12);
  EXPECT_NEAR(f->intercept, 2, 1e-12);
  EXPECT_NEAR(f->r2, 1, 1e-12);
}

TEST_F(ReportDb, SpeedupsAndMOVERIntervals) {
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const Speedup* s = find_speedup(a, "pattern:residual?depth=1&width=16");
  ASSERT_TRUE(s && s->value);
  EXPECT_NEAR(*s->value, 3.0, 1e-12);
  ASSERT_TRUE(s->ci95);
  EXPECT_NEAR(s->ci95->low, 2.692247334891155, 1e-9);
  EXPECT_NEAR(s->ci95->high, 3.3693551244650966, 1e-9);
  EXPECT_NEAR(*find_speedup(a, "pattern:residual?depth=8&width=16")->value, 82.0 / 15.0, 1e-12);
  EXPECT_NEAR(*find_speedup(a, "darts")->value, 12.0, 1e-12);
  // the crashed point: no speedup, and the reason says why
  const Speedup* crashed = find_speedup(a, "pattern:depthwise_bottleneck?depth=4&width=16");
  ASSERT_TRUE(crashed);
  EXPECT_FALSE(crashed->value);
  EXPECT_NE(crashed->why_missing.find("crash"), std::string::npos) << crashed->why_missing;
  const Speedup* pending = find_speedup(a, "<script>alert(1)</script>");
  ASSERT_TRUE(pending);
  EXPECT_FALSE(pending->value);
  EXPECT_NE(pending->why_missing.find("not measured yet"), std::string::npos);
}

TEST_F(ReportDb, AveragesAndHeadline) {
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const Average* res = find_avg(a, "residual");
  ASSERT_TRUE(res && res->mean);
  EXPECT_EQ(res->n, 6);
  EXPECT_NEAR(*res->mean, 3.8722222222222213, 1e-9);
  EXPECT_NEAR(*res->geomean, 3.7280390280553175, 1e-9);
  const Average* dw = find_avg(a, "depthwise_bottleneck");
  ASSERT_TRUE(dw && dw->mean);
  EXPECT_EQ(dw->n, 3);
  EXPECT_EQ(dw->n_missing, 1);
  EXPECT_NEAR(*dw->mean, 16.0 / 3, 1e-9);
  EXPECT_NEAR(*dw->geomean, 5.313292845913055, 1e-9);
  EXPECT_DOUBLE_EQ(*dw->min, 5);
  EXPECT_DOUBLE_EQ(*dw->max, 6);
  const Average* all = find_avg(a, "all networks");
  ASSERT_TRUE(all && all->mean);
  EXPECT_EQ(all->n, 12);
  EXPECT_EQ(all->n_missing, 2);
  EXPECT_NEAR(*all->mean, 4.783333333333332, 1e-9);
  EXPECT_NEAR(*all->geomean, 4.3027670088308785, 1e-9);

  ASSERT_TRUE(a.fastest);
  EXPECT_EQ(a.fastest->model, "mobilenet_v2");
  EXPECT_EQ(a.fastest->backend, "onednn");
  bool saw_darts = false, saw_overall = false;
  for (const Headline& h : a.headline) {
    if (h.finding == "Speedup of DARTS") {
      saw_darts = true;
      EXPECT_DOUBLE_EQ(*h.paper_value, 12.0);
      ASSERT_TRUE(h.our_value) << h.ours;
      EXPECT_NEAR(*h.our_value, 12.0, 1e-12);
    }
    if (h.finding.find("all networks") != std::string::npos) {
      saw_overall = true;
      EXPECT_DOUBLE_EQ(*h.paper_value, 3.8);
      ASSERT_TRUE(h.our_value) << h.ours;
      EXPECT_NEAR(*h.our_value, 4.783333333333332, 1e-9);
    }
  }
  EXPECT_TRUE(saw_darts && saw_overall);
}

TEST_F(ReportDb, CorrelationsAlongDepthAndWidth) {
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const CorrelationRow* c = find_corr(a, "residual", "onednn", "depth", "LL misses", "speedup");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->fixed, "width=16");
  EXPECT_EQ(c->pearson.n, 4);
  ASSERT_TRUE(c->pearson.r && c->pearson.ci95);
  EXPECT_NEAR(*c->pearson.r, 0.8151194206153572, 1e-9);
  EXPECT_NEAR(c->pearson.ci95->low, -0.673906577150061, 1e-6);
  EXPECT_NEAR(c->pearson.ci95->high, 0.9959659976938553, 1e-6);
  const CorrelationRow* sl = find_corr(a, "residual", "onednn", "depth", "LL misses", "latency");
  ASSERT_TRUE(sl && sl->spearman.r && sl->spearman.ci95);
  EXPECT_NEAR(*sl->spearman.r, 0.8, 1e-12);
  EXPECT_NEAR(sl->spearman.ci95->low, -0.7255633198751879, 1e-6);
  EXPECT_NEAR(sl->spearman.ci95->high, 0.996080737597307, 1e-6);
  // torch has no counters: missing with the recorded reason, never a number
  const CorrelationRow* t = find_corr(a, "residual", "torch", "depth", "LL misses", "latency");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->pearson.r);
  EXPECT_NE(t->why_missing.find("Permission denied"), std::string::npos) << t->why_missing;
  EXPECT_FALSE(find_corr(a, "residual", "torch", "depth", "FLOPs", "speedup"));  // native has no speedup
  // along width (depth 2): 3 points, r defined, CI needs 4
  const CorrelationRow* w = find_corr(a, "residual", "onednn", "width", "FLOPs", "latency");
  ASSERT_TRUE(w && w->pearson.r);
  EXPECT_EQ(w->fixed, "depth=2");
  EXPECT_NEAR(*w->pearson.r, 0.9997107736743556, 1e-9);
  EXPECT_FALSE(w->pearson.ci95);
  // depthwise_bottleneck's depth sweep: the crashed point leaves 3 of 4 with a speedup
  const CorrelationRow* d = find_corr(a, "depthwise_bottleneck", "onednn", "depth", "FLOPs", "speedup");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->points, 4);
  EXPECT_EQ(d->pearson.n, 3);
}

TEST_F(ReportDb, LatencyFlopsFitAndCeilings) {
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const Fit* f = nullptr;
  for (const Fit& x : a.fits)
    if (x.pattern == "residual" && x.backend == "torch") f = &x;
  ASSERT_TRUE(f && f->fit && f->effective_gflops && f->efficiency_pct);
  EXPECT_EQ(f->fit->n, 6);  // torch is exactly 2 + 10 ms per GFLOP at every depth and width
  EXPECT_NEAR(f->fit->slope, 10, 1e-9);
  EXPECT_NEAR(f->fit->intercept, 2, 1e-9);
  EXPECT_NEAR(*f->effective_gflops, 100, 1e-6);
  EXPECT_NEAR(*f->efficiency_pct, 100, 1e-6);
  const auto& c = a.ceilings.at({1, 2});
  EXPECT_DOUBLE_EQ(*c.peak_gflops, 100);
  EXPECT_DOUBLE_EQ(*c.bandwidth_gbps, 20);
  EXPECT_DOUBLE_EQ(*facts_peak_gflops(nlohmann::json::parse(R"({"x": {"fp32_peak_gflops": 7}})")), 7);
  EXPECT_FALSE(facts_bandwidth_gbps(nlohmann::json::parse(R"({"cpu": "x"})")));
}

TEST_F(ReportDb, RooflineUsesCostModelOrSaysWhy) {
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  bool resnet = false, residual = false;
  for (const RooflinePoint& p : a.roofline) {
    if (p.record->model == "resnet18?res=32") {
      resnet = true;
      ASSERT_TRUE(p.intensity && p.bytes && p.achieved_gflops);
      EXPECT_NEAR(*p.intensity, *p.record->flops / *p.bytes, 1e-9);
      EXPECT_GT(*p.bytes, 4 * 11689512.0);  // at least the fp32 weights
    }
    if (p.record->model == "pattern:residual?depth=1&width=16" && p.record->backend == "onednn") {
      residual = true;
      ASSERT_TRUE(p.dram_intensity);
      EXPECT_NEAR(*p.dram_intensity, 1e9 / (1e5 * 128), 1e-9);  // the L3 line of the facts
      EXPECT_NEAR(*p.achieved_gflops, 1e9 / 4e6, 1e-9);
    }
    if (!p.intensity) {
      EXPECT_FALSE(p.why_no_intensity.empty()) << p.record->model;
    }
  }
  EXPECT_TRUE(resnet);
  EXPECT_TRUE(residual);
}

TEST_F(ReportDb, MarkdownAndCsvShowMissingAsMissing) {
  ReportOptions o;
  o.out_dir = tmp_path("out_md");
  const ReportFiles f = write_report(path, o);
  const std::string md = slurp(f.report_md);
  EXPECT_NE(md.find("| residual | 1 | 16 | 32 | onednn | 12.000 | 4.000 | 3.00 | 2.69 | 3.37 |"), std::string::npos);
  EXPECT_NE(md.find("\\<script\\>alert(1)\\</script\\>"), std::string::npos);  // escaped, renders as text
  EXPECT_EQ(md.find("<script>"), std::string::npos);
  // where the LL figures came from, and the hardware reason said once in the summary lines
  EXPECT_NE(md.find("from cache simulation (valgrind)"), std::string::npos);
  EXPECT_NE(md.find("Hardware counters unavailable: perf\\_event\\_open: Permission denied."), std::string::npos);
  // the correlation summary is terse: a count, not the per-point reason
  const std::string cs = slurp(o.out_dir + "/correlations_summary.csv");
  EXPECT_EQ(cs.find("Permission denied"), std::string::npos) << cs;
  const std::string csv = slurp(o.out_dir + "/measurements.csv");
  // torch's LL misses are empty (not 0) with the reason in the "missing" column
  std::istringstream lines(csv);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_NE(header.find(",missing"), std::string::npos);
  bool checked = false;
  while (std::getline(lines, line)) {
    if (line.rfind("pattern:residual?depth=1&width=16,pattern,torch,", 0) != 0) continue;
    checked = true;
    EXPECT_NE(line.find(",unavailable,,,"), std::string::npos) << line;
    EXPECT_NE(line.find("LL misses, LL miss rate: perf_event_open: Permission denied"), std::string::npos) << line;
  }
  EXPECT_TRUE(checked);
  const std::string sp = slurp(o.out_dir + "/speedup_averages.csv");
  EXPECT_NE(sp.find("depthwise_bottleneck,onednn,3,1,5.333333333333333,"), std::string::npos) << sp;
  for (const char* t : {"headline", "speedup_patterns", "zoo", "latency_vs_flops", "correlations", "roofline",
                        "failures", "machines"})
    EXPECT_TRUE(fs::exists(o.out_dir + "/" + t + ".csv")) << t;
}

TEST_F(ReportDb, HtmlIsSelfContainedAndEscaped) {
  ReportOptions o;
  o.out_dir = tmp_path("out_html");
  const ReportFiles f = write_report(path, o);
  const std::string html = slurp(f.index_html);
  EXPECT_EQ(html.find("<script>alert(1)</script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), std::string::npos);  // in chart JSON
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("vegaEmbed"), std::string::npos);
  size_t charts = 0;
  for (size_t p = 0; (p = html.find("<div class=\"chart\"", p)) != std::string::npos; ++p) ++charts;
  EXPECT_EQ(charts, 11u);
}

// A study with explain = true records where each speedup comes from; the report stacks the parts as shares
// of the gain per pattern and depth, and per zoo network (the synthetic parts: 10, 40, -10, 50, 0, 10 %).
TEST_F(ReportDb, WhereTheSpeedupComesFrom) {
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const nlohmann::json charts = chart_specs(a);
  auto rows_of = [&](const std::string& id) {
    for (const auto& c : charts)
      if (c["id"] == id) return c["spec"]["data"]["values"];
    return nlohmann::json();
  };
  const nlohmann::json pat = rows_of("speedup_parts_vs_depth");
  ASSERT_TRUE(pat.is_array());
  ASSERT_EQ(pat.size(), 7u * 4);  // seven parts (drift 0) at each of the residual pattern's four attributed depths
  std::map<int64_t, double> sum;
  for (const auto& r : pat) {
    EXPECT_EQ(r["pattern"], "residual");
    sum[r["depth"].get<int64_t>()] += r["share_pct"].get<double>();
    if (r["part"] == "passes eliminated by fusion") EXPECT_DOUBLE_EQ(r["share_pct"].get<double>(), 40);
    if (r["part"] == "layout conversions") EXPECT_DOUBLE_EQ(r["share_pct"].get<double>(), -10);
  }
  for (const auto& [depth, pct] : sum) EXPECT_NEAR(pct, 100, 1e-9) << depth;
  // Along width: the same four attributed points (all at width 16), one bar per depth.
  const nlohmann::json wid = rows_of("speedup_parts_vs_width");
  ASSERT_EQ(wid.size(), 7u * 4);
  std::set<std::string> series;
  for (const auto& r : wid) {
    EXPECT_EQ(r["width"], 16);
    series.insert(r["series"].get<std::string>());
  }
  EXPECT_EQ(series, (std::set<std::string>{"onednn · d=1", "onednn · d=2", "onednn · d=4", "onednn · d=8"}));
  const nlohmann::json zoo = rows_of("zoo_speedup_parts");
  ASSERT_EQ(zoo.size(), 7u);
  EXPECT_EQ(zoo[0]["model"], "resnet18?res=32");
  EXPECT_NEAR(zoo[0]["share_pct"].get<double>(), 60, 1e-9);  // kernels: 0.9 of 1.5 ms
}

// Speedups pair points of the same machine and device only; bandwidth comes from the bench ceilings.
TEST(ReportPairing, SameMachineAndDeviceOnly) {
  const std::string path = tmp_path("pairing.sqlite");
  {
    test::SyntheticDb db(path);
    db.exec("INSERT INTO machines VALUES (2, 'fp-other', '{\"cpu\": {\"model\": \"Other CPU\"}}')");
    test::PointSpec p;
    p.model = "darts";
    p.family = "nas";
    test::MeasureSpec m;
    m.median_ms = 24;
    m.result_json = R"({"ceilings": {"fma_peak_gflops": 150.0, "triad_gbps": 12.5}})";
    db.measure(db.point(p), m);  // torch, machine 1
    p.backend = "onednn";
    p.machine = 2;
    m.median_ms = 2;
    db.measure(db.point(p), m);  // onednn, machine 2 only
    test::PointSpec g;
    g.model = "resnet18";
    g.family = "hand-crafted";
    m.median_ms = 10;
    db.measure(db.point(g), m);  // torch cpu
    g.device = "cuda";
    m.median_ms = 2;
    db.measure(db.point(g), m);  // torch cuda
    g.backend = "cudnn";
    m.median_ms = 1;
    db.measure(db.point(g), m);  // cudnn cuda
  }
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  EXPECT_TRUE(a.several_contexts);
  const Speedup* d = find_speedup(a, "darts");
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->value);
  EXPECT_NE(d->why_missing.find("no torch point with the same settings on this machine"), std::string::npos)
      << d->why_missing;
  const Speedup* g = find_speedup(a, "resnet18");
  ASSERT_TRUE(g && g->value);
  EXPECT_EQ(g->accel->backend, "cudnn");
  EXPECT_NEAR(*g->value, 2.0, 1e-12);  // against torch on cuda (2 ms), not on the CPU (10 ms)
  EXPECT_DOUBLE_EQ(*a.ceilings.at({1, 2}).bandwidth_gbps, 12.5);  // the measurements' ceilings beat the facts
}

// A run without a % of the FMA peak says why in the report (the measurement's peak_reason: Winograd,
// bf16, int8); an older database without the reason says the peak was not measured.
TEST(ReportPeak, MissingPercentOfPeakCarriesTheMeasurementsReason) {
  const std::string path = tmp_path("peak_reason.sqlite");
  const std::string reason = "12 Winograd convolution(s) do fewer multiplications than the FLOP count";
  {
    test::SyntheticDb db(path);
    test::PointSpec p;
    p.model = "vgg16";
    test::MeasureSpec m;
    m.median_ms = 100;
    db.measure(db.point(p), m);
    p.backend = "onednn";
    m.median_ms = 50;
    const std::string accel = db.point(p);
    db.measure(accel, m);
    db.exec("UPDATE measurements SET pct_of_peak = NULL, result_json = '{\"peak_reason\": \"" + reason +
            "\"}' WHERE point_id = '" + accel + "'");
    p.model = "resnet18";  // no reason recorded (an older file)
    const std::string old = db.point(p);
    db.measure(old, m);
    db.exec("UPDATE measurements SET pct_of_peak = NULL WHERE point_id = '" + old + "'");
  }
  const ResultsDb db = load_results(path);
  int with_reason = 0, without = 0;
  for (const Table& t : build_tables(analyze(db), db))
    for (const auto& row : t.rows)
      for (const Cell& c : row) {
        with_reason += c.missing == reason;
        without += c.missing == std::optional<std::string>("no measured peak");
      }
  EXPECT_GE(with_reason, 1);
  EXPECT_GE(without, 1);
}

// Results schema 2: the study recorded the paired speedup (median per-round ratio, two-level CI) with the
// accelerated row; the report uses it instead of dividing two medians, and says how far to trust it.
TEST(ReportPairing, PairedSpeedupFromTheSameProcessesWins) {
  const std::string path = tmp_path("paired.sqlite");
  {
    test::SyntheticDb db(path);
    test::PointSpec p;
    p.model = "darts";
    p.family = "nas";
    test::MeasureSpec m;
    m.median_ms = 24;
    const std::string native = db.point(p);
    db.measure(native, m);
    p.backend = "onednn";
    m.median_ms = 2;  // 24 / 2 = 12 unpaired; the paired rounds said 11.5
    const std::string accel = db.point(p);
    db.measure(accel, m);
    db.exec("UPDATE measurements SET processes = 3, rounds = 30, remeasured = 2, speedup = 11.5, speedup_ci95_low = 11.0,"
            " speedup_ci95_high = 12.1, native_point_id = '" + native + "', steal_pct_max = 0.4, excluded_processes = 2,"
            " unstable = 'onednn: speedup CI wider than +-5%' WHERE point_id = '" + accel + "'");
    db.exec("UPDATE measurements SET processes = 3 WHERE point_id = '" + native + "'");
    // The placement gate, recorded once per comparison group and copied to each backend's row.
    db.exec("UPDATE measurements SET result_json = '{\"rounds_set_aside\": 40, \"processes_placement_unmet\": 1}'"
            " WHERE point_id IN ('" + native + "', '" + accel + "')");
    // Three A/A reruns of the speedup: inside the CI; outside it but inside the rerun interval; and one
    // recorded before rerun verdicts existed (NULL: counted for the CI only).
    db.exec("INSERT INTO rechecks(point_id, finished_at, speedup, speedup_inside, speedup_inside_rerun) VALUES"
            " ('" + accel + "', 't', 11.6, 1, 1), ('" + accel + "', 't', 12.3, 0, 1), ('" + accel + "', 't', 13.5, 0, NULL)");
    p.model = "resnet18";  // a pair without the paired columns: the ratio of medians, MOVER
    p.backend = "torch";
    m.median_ms = 10;
    m.ci_high_rel = 1.4;  // a latency CI wider than +-25%: counted in the trust table, no flag
    db.measure(db.point(p), m);
    m.ci_high_rel = 1.05;
    p.backend = "onednn";
    m.median_ms = 4;
    db.measure(db.point(p), m);
  }
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const Speedup* d = find_speedup(a, "darts");
  ASSERT_TRUE(d && d->value && d->ci95);
  EXPECT_TRUE(d->paired);
  EXPECT_DOUBLE_EQ(*d->value, 11.5);
  EXPECT_DOUBLE_EQ(d->ci95->low, 11.0);
  EXPECT_DOUBLE_EQ(d->ci95->high, 12.1);
  const Speedup* r = find_speedup(a, "resnet18");
  ASSERT_TRUE(r && r->value);
  EXPECT_FALSE(r->paired);
  EXPECT_DOUBLE_EQ(*r->value, 2.5);
  const std::vector<Table> tables = build_tables(a, db);
  const auto trust = std::find_if(tables.begin(), tables.end(), [](const Table& t) { return t.id == "trust"; });
  ASSERT_NE(trust, tables.end());
  auto row = [&](const std::string& check) -> std::vector<Cell> {
    for (const auto& rw : trust->rows)
      if (rw[0].text == check) return rw;
    return {};
  };
  EXPECT_EQ(row("paired speedups")[1].text, "1");
  EXPECT_NE(row("paired speedups")[2].text.find("1 unpaired"), std::string::npos);
  EXPECT_EQ(row("points remeasured")[1].text, "1");
  EXPECT_EQ(row("comparison groups unstable")[1].text, "1");
  EXPECT_EQ(row("unstable: darts")[2].text, "onednn: speedup CI wider than +-5%");
  EXPECT_EQ(row("processes per point")[1].text, "3");
  EXPECT_EQ(row("latencies with a 95% CI wider than +-25%")[1].text, "1");
  EXPECT_EQ(row("processes excluded as disturbed")[1].text, "2");
  EXPECT_EQ(row("processes whose threads sat on distant cores")[1].text, "1");  // darts' group once, not per backend
  EXPECT_NE(row("processes whose threads sat on distant cores")[2].text.find("40 rounds were set aside"), std::string::npos);
  EXPECT_EQ(row("A/A recheck: rerun speedups inside the first 95% CI")[1].text, "33% (1 of 3)");
  EXPECT_EQ(row("A/A recheck: rerun speedups inside the first run's rerun interval")[1].text, "100% (2 of 2)");
}

// A staged pattern network is its own variant: it neither pairs with nor averages into the plain pattern.
TEST(ReportPatterns, StagedNetworksAreTheirOwnVariant) {
  const std::string path = tmp_path("staged.sqlite");
  {
    test::SyntheticDb db(path);
    test::PointSpec p;
    p.pattern = "plain";
    p.depth = 4;
    p.width = 32;
    test::MeasureSpec m;
    for (const auto& [model, torch_ms, onednn_ms] :
         {std::tuple{"pattern:plain?depth=4&width=32&res=32", 8.0, 2.0},
          std::tuple{"pattern:plain?depth=4&width=32&staged=4&res=32", 6.0, 3.0}}) {
      p.model = model;
      p.backend = "torch";
      m.median_ms = torch_ms;
      db.measure(db.point(p), m);
      p.backend = "onednn";
      m.median_ms = onednn_ms;
      db.measure(db.point(p), m);
    }
  }
  const ResultsDb db = load_results(path);
  std::set<std::string> patterns;
  for (const Record& r : db.records) patterns.insert(r.pattern.value_or(""));
  EXPECT_EQ(patterns, (std::set<std::string>{"plain", "plain[staged=4]"}));
  const Analysis a = analyze(db);
  const Speedup* plain = find_speedup(a, "pattern:plain?depth=4&width=32&res=32");
  const Speedup* staged = find_speedup(a, "pattern:plain?depth=4&width=32&staged=4&res=32");
  ASSERT_TRUE(plain && plain->value && staged && staged->value);
  EXPECT_NEAR(*plain->value, 4.0, 1e-12);   // 8 / 2, not against the staged torch point
  EXPECT_NEAR(*staged->value, 2.0, 1e-12);  // 6 / 3
}

// Backend options (a study's `options` axis) make other measurements: the optioned backend and the torch point
// measured beside it carry the options in their backend label, pair with each other, and neither collides
// with nor averages into the plain pair of the same settings.
TEST(ReportOptions, OptionedGroupsAreTheirOwnBackends) {
  const std::string path = tmp_path("options.sqlite");
  std::pair<std::string, std::string> plain, optioned;  // (native, accelerated) point ids
  {
    test::SyntheticDb db(path);
    test::PointSpec p;
    p.model = "darts";
    p.family = "nas";
    test::MeasureSpec m;
    auto group = [&](const std::string& settings, double torch_ms, double onednn_ms, const std::string& paired) {
      p.backend = "torch";
      m.median_ms = torch_ms;
      const std::string native = db.point(p);
      db.measure(native, m);
      p.backend = "onednn";
      m.median_ms = onednn_ms;
      const std::string accel = db.point(p);
      db.measure(accel, m);
      db.exec("UPDATE points SET settings_json = '" + settings + "' WHERE id IN ('" + native + "', '" + accel + "')");
      db.exec("UPDATE measurements SET processes = 3, speedup = " + paired + ", speedup_ci95_low = 1, speedup_ci95_high = 20,"
              " native_point_id = '" + native + "' WHERE point_id = '" + accel + "'");
      return std::pair{native, accel};
    };
    plain = group(R"({"device": "cpu"})", 24, 2, "11.5");
    optioned = group(R"({"device": "cpu", "options": {"onednn:fuse": "off"}})", 25, 5, "4.75");
  }
  const ResultsDb db = load_results(path);
  std::map<std::string, std::string> label;
  for (const Record& r : db.records) label[r.point_id] = r.backend;
  EXPECT_EQ(label[plain.first], "torch");
  EXPECT_EQ(label[plain.second], "onednn");
  EXPECT_EQ(label[optioned.first], "torch[onednn:fuse=off]");
  EXPECT_EQ(label[optioned.second], "onednn[fuse=off]");
  const Analysis a = analyze(db);
  EXPECT_EQ(a.records.size(), 4u);  // no torch record hides the other
  ASSERT_EQ(a.speedups.size(), 2u);  // the optioned torch is a native too, not an accelerated backend
  for (const Speedup& s : a.speedups) {
    ASSERT_TRUE(s.native && s.value) << s.accel->backend << ": " << s.why_missing;
    EXPECT_TRUE(s.paired) << s.accel->backend;
    const bool is_optioned = s.accel->point_id == optioned.second;
    EXPECT_EQ(s.native->point_id, is_optioned ? optioned.first : plain.first) << s.accel->backend;
    EXPECT_DOUBLE_EQ(*s.value, is_optioned ? 4.75 : 11.5);
  }
  std::map<std::string, int> averaged;  // backend -> points in its "all networks" average
  for (const Average& av : a.averages)
    if (av.scope == "all networks") averaged[av.backend] = av.n;
  EXPECT_EQ(averaged, (std::map<std::string, int>{{"onednn", 1}, {"onednn[fuse=off]", 1}}));
}

// The `device` column on points takes precedence over settings_json.
TEST(ReportPairing, DeviceColumnWhenPresent) {
  const std::string path = tmp_path("devcol.sqlite");
  {
    test::SyntheticDb db(path);
    test::PointSpec g;
    g.model = "resnet18";
    g.family = "hand-crafted";
    test::MeasureSpec m;
    m.median_ms = 10;
    db.measure(db.point(g), m);
    m.median_ms = 4;
    const std::string id = db.point(g);
    db.exec("UPDATE points SET device = 'cuda' WHERE id = '" + id + "'");
    db.measure(id, m);
    g.backend = "cudnn";
    m.median_ms = 1;
    const std::string id2 = db.point(g);
    db.exec("UPDATE points SET device = 'cuda' WHERE id = '" + id2 + "'");
    db.measure(id2, m);
  }
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const Speedup* g = find_speedup(a, "resnet18");
  ASSERT_TRUE(g && g->value);
  EXPECT_EQ(g->accel->device, "cuda");
  EXPECT_NEAR(*g->value, 4.0, 1e-12);
}

// A measurement whose outputs disagreed with the reference (the study stores it with a 'disagreement' flag)
// is a failed point: no speedup from its time, no fastest network, the reason in the failures table.
TEST(ReportPairing, DisagreeingMeasurementDoesNotCount) {
  const std::string path = tmp_path("disagree.sqlite");
  {
    test::SyntheticDb db(path);
    test::PointSpec g;
    g.model = "mobilenet_v2";
    g.family = "hand-crafted";
    test::MeasureSpec m;
    m.median_ms = 10;
    db.measure(db.point(g), m);  // torch
    g.backend = "onednn";
    m.median_ms = 1;
    const std::string id = db.point(g);
    db.measure(id, m);
    db.exec("UPDATE measurements SET agreement_rel_error = 0.41, agreement_passed = 0 WHERE point_id = '" + id + "'");
    db.failure(id, "disagreement", "outputs disagree with the reference backend: relative max error 0.41");
  }
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const Speedup* s = find_speedup(a, "mobilenet_v2");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->value);
  EXPECT_NE(s->why_missing.find("disagree"), std::string::npos) << s->why_missing;
  ASSERT_TRUE(a.fastest);
  EXPECT_EQ(a.fastest->backend, "torch");  // the 1 ms does not make it the fastest
  ReportOptions o;
  o.out_dir = tmp_path("out_disagree");
  const ReportFiles f = write_report(path, o);
  EXPECT_NE(slurp(o.out_dir + "/failures.csv").find("disagreement"), std::string::npos);
}

// Per-layer profiles recorded with a measurement put each layer on the roofline. Expected values from
// `formbench inspect resnet18?res=32 --layers` and torchvision's layer shapes: layer1.0.conv1 is a 3x3
// 64->64 conv at 8x8 (2,359,296 MACs, 26.18 FLOP/B); conv1 (7x7, 3->64 at 16x16: 2,408,448 MACs) + bn1 + relu
// adds 2 x 64 x 16 x 16 FLOPs.
TEST(ReportRoofline, PerLayerProfiles) {
  const std::string path = tmp_path("layers.sqlite");
  {
    test::SyntheticDb db(path);
    test::PointSpec p;
    p.model = "resnet18?res=32";
    p.family = "hand-crafted";
    p.backend = "onednn";
    test::MeasureSpec m;
    m.median_ms = 0.5;
    m.flops = 1e8;
    m.result_json = R"J({"layers": [{"name": "conv1+bn1+relu", "op": "Conv", "ms": 0.01},
                                   {"name": "layer1.0.conv1", "op": "Conv", "ms": 0.02},
                                   {"name": "fused_by_the_backend_7", "op": "?", "ms": 0.1},
                                   {"name": "layer1.0.conv2 -> whatever", "op": "conv", "ms": 0.02, "kind": "compute",
                                    "nodes": ["layer1.0.conv2", "layer1.0.bn2"]},
                                   {"name": "x: nchw -> nChw16c", "op": "reorder", "ms": 0.01, "kind": "reorder", "nodes": []},
                                   {"name": "(between primitives)", "op": "overhead", "ms": 0.01, "kind": "overhead"}]})J";
    db.measure(db.point(p), m);
  }
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  // The step with a node list is placed by its nodes whatever its name; the reorder and the time between
  // steps are no layer, and not unmatched either.
  ASSERT_EQ(a.roofline_layers.size(), 3u);
  EXPECT_EQ(a.unmatched_layers, 1);
  EXPECT_DOUBLE_EQ(a.roofline_layers[2].flops, 2 * 2359296.0 + 64 * 8 * 8);  // conv2 + bn2 (one FLOP per element)
  const RooflineLayer& stem = a.roofline_layers[0];
  EXPECT_DOUBLE_EQ(stem.flops, 2 * 2408448.0 + 2 * 64 * 16 * 16);
  EXPECT_NEAR(stem.achieved_gflops(), stem.flops / 0.01e6, 1e-9);
  const RooflineLayer& l = a.roofline_layers[1];
  EXPECT_DOUBLE_EQ(l.flops, 2 * 2359296.0);
  EXPECT_NEAR(l.intensity(), 26.18, 0.005);
  EXPECT_NEAR(l.achieved_gflops(), 2 * 2359296.0 / 0.02e6, 1e-9);
  bool table = false;
  for (const Table& t : build_tables(a, db))
    if (t.id == "roofline_layers") table = t.rows.size() == 3;
  EXPECT_TRUE(table);
}

TEST(ReportErrors, BadInputsNameTheCulprit) {
  ReportOptions o;
  o.out_dir = tmp_path("out_err");
  try {
    write_report("/nonexistent/x.sqlite", o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.sqlite"), std::string::npos);
  }
  const std::string junk = tmp_path("junk.sqlite");
  std::ofstream(junk) << "not a database at all, just text that is long enough to not be empty............";
  EXPECT_THROW(load_results(junk), Error);
  o.assets_dir = "/nonexistent-assets";
  try {
    write_report(junk, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-assets/vega/build/vega.min.js"), std::string::npos) << e.what();
  }
}

TEST_F(ReportDb, AgainstFlagsDifferencesBeyondNoise) {
  const std::string slow = tmp_path("slow.sqlite");
  test::build_reference_study(slow, /*onednn_scale=*/2.0);
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const ResultsDb db_b = load_results(slow);
  const Analysis same = analyze(db);
  const Analysis b = analyze(db_b);
  auto verdict = [](const std::vector<Table>& t, const std::string& model, const std::string& backend) {
    for (const auto& row : t[1].rows)
      if (row[0].text == model && row[1].text == backend) return row.back().text + "|" + row[5].text;
    return std::string("absent");
  };
  const auto vs = against_tables(a, b);
  EXPECT_EQ(verdict(vs, "darts", "onednn"), "yes: B slower|2.000");  // CIs [1.8, 2.2] vs [3.6, 4.4]
  EXPECT_EQ(verdict(vs, "darts", "torch"), "no|1.000");
  EXPECT_EQ(verdict(against_tables(a, same), "darts", "onednn"), "no|1.000");
  bool speedup_row = false;
  for (const auto& row : vs[2].rows)
    if (row[0].text == "darts") {
      speedup_row = true;
      EXPECT_EQ(row[5].text, "0.500");
      EXPECT_EQ(row[6].text, "yes: B gains less");
    }
  EXPECT_TRUE(speedup_row);
  ASSERT_EQ(vs.size(), 3u);
  bool dw = false;
  for (const auto& row : vs[0].rows)
    if (row[0].text == "depthwise_bottleneck") {  // every onednn latency doubled: speedups halve
      dw = true;
      EXPECT_EQ(row[4].text, "0.500");
      EXPECT_EQ(row[5].text, "3");  // shared points with a speedup in both
      EXPECT_EQ(row[6].text, "0");
      EXPECT_EQ(row[7].text, "3");
    }
  EXPECT_TRUE(dw);
}

// Two databases that cover different points compare their averages over the shared points only: B, the
// same study without depthwise_bottleneck depth 1 on onednn, must not look different from A.
TEST_F(ReportDb, AgainstAveragesUseSharedPointsOnly) {
  const std::string fewer = tmp_path("fewer.sqlite");
  test::build_reference_study(fewer);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(fewer.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "DELETE FROM measurements WHERE point_id IN (SELECT id FROM points WHERE pattern = "
                             "'depthwise_bottleneck' AND depth = 1 AND backend = 'onednn')", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  const ResultsDb db_a = load_results(path), db_b = load_results(fewer);
  const Analysis a = analyze(db_a), b = analyze(db_b);
  bool dw = false;
  const auto vs = against_tables(a, b);
  for (const auto& row : vs[0].rows)
    if (row[0].text == "depthwise_bottleneck") {
      dw = true;
      EXPECT_EQ(row[2].text, "5.48");  // sqrt(20/4 x 30/5), depths 2 and 3; A alone has 5.31 over 3 depths
      EXPECT_EQ(row[3].text, "5.48");
      EXPECT_EQ(row[4].text, "1.000");
      EXPECT_EQ(row[5].text, "2");
    }
  EXPECT_TRUE(dw);
}

TEST(ReportTable, LongTablesLinkToTheirCsvInMarkdown) {
  Table t{"big", "Big"};
  t.columns = {"x"};
  for (size_t i = 0; i <= k_markdown_max_rows; ++i) t.rows.push_back({Cell::integer(static_cast<double>(i))});
  EXPECT_NE(to_markdown(t).find("see [big.csv](big.csv)"), std::string::npos);
  t.rows.pop_back();
  EXPECT_EQ(to_markdown(t).find("big.csv"), std::string::npos);
  EXPECT_NE(to_markdown(t).find("| 1,199 |"), std::string::npos);
}

// Precision as a study axis: a pattern measured in fp32, bf16 and int8 on both backends, and a zoo network in
// fp32 only. The ladder puts each point's speedups per precision side by side with each side's gain from its
// own fp32 (hand-computed below); the per-pattern table takes geometric means; single-precision points stay
// out of both.
TEST(ReportPrecision, LadderPerPointAndByPattern) {
  const std::string path = tmp_path("precision.sqlite");
  {
    test::SyntheticDb db(path);
    test::MeasureSpec m;
    // (precision, depth) -> native ms, onednn ms
    const std::vector<std::tuple<std::string, int, double, double>> points = {
        {"fp32", 1, 10, 4}, {"bf16", 1, 8, 2}, {"int8", 1, 6, 1},
        {"fp32", 4, 40, 10}, {"bf16", 4, 30, 5}, {"int8", 4, 24, 4}};
    for (const auto& [precision, depth, native_ms, onednn_ms] : points) {
      test::PointSpec p;
      p.model = "pattern:plain?depth=" + std::to_string(depth);
      p.pattern = "plain";
      p.depth = depth;
      p.width = 32;
      p.precision = precision;
      m.median_ms = native_ms;
      db.measure(db.point(p), m);
      p.backend = "onednn";
      m.median_ms = onednn_ms;
      db.measure(db.point(p), m);
    }
    test::PointSpec z;
    z.model = "resnet18";
    z.family = "hand-crafted";
    m.median_ms = 10;
    db.measure(db.point(z), m);
    z.backend = "onednn";
    m.median_ms = 5;
    db.measure(db.point(z), m);
  }
  const ResultsDb db = load_results(path);
  const Analysis a = analyze(db);
  const std::vector<Table> tables = precision_tables(a);
  ASSERT_EQ(tables.size(), 2u);
  const Table& by_pattern = tables[0];
  const Table& ladder = tables[1];
  EXPECT_EQ(ladder.id, "precision_ladder");
  ASSERT_EQ(ladder.rows.size(), 2u);  // plain at depths 1 and 4; resnet18 has fp32 only
  const std::vector<std::string> want = {"pattern / model", "width", "depth", "res", "backend", "speedup fp32",
                                         "speedup bf16", "speedup int8", "accelerated bf16 / fp32", "native bf16 / fp32",
                                         "accelerated int8 / fp32", "native int8 / fp32", "setting"};
  EXPECT_EQ(ladder.columns, want);
  const auto value = [](const Cell& c) { return c.value.value_or(-1); };
  const std::vector<Cell>& d1 = ladder.rows[0];
  EXPECT_EQ(d1[2].text, "1");
  EXPECT_DOUBLE_EQ(value(d1[5]), 2.5);      // 10 / 4
  EXPECT_DOUBLE_EQ(value(d1[6]), 4.0);      // 8 / 2
  EXPECT_DOUBLE_EQ(value(d1[7]), 6.0);      // 6 / 1
  EXPECT_DOUBLE_EQ(value(d1[8]), 2.0);      // onednn 4 ms in fp32 / 2 ms in bf16
  EXPECT_DOUBLE_EQ(value(d1[9]), 1.25);     // torch 10 / 8
  EXPECT_DOUBLE_EQ(value(d1[10]), 4.0);     // onednn 4 / 1
  EXPECT_NEAR(value(d1[11]), 10.0 / 6, 1e-12);
  EXPECT_EQ(ladder.rows[1][2].text, "4");
  EXPECT_DOUBLE_EQ(value(ladder.rows[1][7]), 6.0);  // 24 / 4
  EXPECT_EQ(by_pattern.id, "precision_by_pattern");
  ASSERT_EQ(by_pattern.rows.size(), 1u);
  EXPECT_EQ(by_pattern.rows[0][0].text, "plain");
  EXPECT_NEAR(value(by_pattern.rows[0][2]), std::sqrt(2.5 * 4.0), 1e-2);  // speedup fp32: geomean of 2.5 and 4, 2 decimals
  EXPECT_NEAR(value(by_pattern.rows[0][4]), 6.0, 1e-12);                 // speedup int8 at both depths
  EXPECT_EQ(by_pattern.rows[0][by_pattern.columns.size() - 2].text, "2");
  // In the report, after the averages; and absent from a database with one precision.
  const std::vector<Table> all = build_tables(a, db);
  EXPECT_EQ(all[3].id, "precision_by_pattern");
  const std::string single = tmp_path("single_precision.sqlite");
  test::build_reference_study(single);
  const ResultsDb one = load_results(single);
  EXPECT_TRUE(precision_tables(analyze(one)).empty());
}

}  // namespace
}  // namespace fb::report
