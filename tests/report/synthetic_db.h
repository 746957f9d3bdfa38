#pragma once
// Builds results databases for the report tests directly with SQL, using the schema block of
// docs/results_schema.md itself (so the tests follow the contract the study runner writes).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace fb::report::test {

inline std::string schema_sql() {
  std::ifstream f(std::string(FORMBENCH_SOURCE_DIR) + "/docs/results_schema.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const auto b = doc.find("```sql\n");
  const auto e = doc.find("```", b + 7);
  EXPECT_NE(b, std::string::npos);
  return doc.substr(b + 7, e - b - 7);
}

// NULL for a missing value.
inline std::string q(const std::optional<double>& v) { return v ? std::to_string(*v) : "NULL"; }
inline std::string qs(const std::optional<std::string>& s) {
  if (!s) return "NULL";
  std::string o = "'";
  for (char c : *s) o += c == '\'' ? std::string("''") : std::string(1, c);
  return o + "'";
}

struct PointSpec {
  std::string model, family = "pattern";
  std::optional<std::string> pattern;
  std::optional<double> depth, width;
  int resolution = 32, batch = 1, threads = 2;
  std::string backend = "torch", precision = "fp32";
  std::string device = "cpu";  // goes into points.device and settings_json
  int machine = 1;             // the measurement's machine
};

struct MeasureSpec {
  double median_ms = 1;
  double ci_low_rel = 0.95, ci_high_rel = 1.05;  // CI = median x these
  std::optional<double> flops, macs, params, activation;
  std::optional<double> peak_gflops = 100.0;
  std::string counters_source = "unavailable";
  std::optional<std::string> counters_reason = std::string("perf_event_open: Permission denied");
  std::optional<double> ll_misses, ll_miss_rate;
  std::optional<std::string> result_json;
};

class SyntheticDb {
 public:
  explicit SyntheticDb(const std::string& path) : path_(path) {
    std::filesystem::remove(path);
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    exec("PRAGMA journal_mode=WAL");  // as the study runner writes it
    exec(schema_sql());
    exec("BEGIN");  // one transaction: fast, and the file is complete when the builder goes away
    exec("INSERT INTO machines VALUES (1, 'fp-test', '{\"cpu\": {\"model\": \"Test CPU\", \"cores\": 2}, "
         "\"ceilings\": {\"fma_peak_gflops\": 100.0, \"memory_bandwidth_gbps\": 20.0}, \"caches\": [{\"level\": 1, "
         "\"line_bytes\": 32}, {\"level\": 3, \"line_bytes\": 128}, {\"level\": 2, \"line_bytes\": 64}]}')");
    exec("INSERT INTO studies VALUES (1, 'synthetic', '', '2026-01-01T00:00:00Z')");
  }
  ~SyntheticDb() {
    exec("COMMIT");
    sqlite3_close(db_);
  }

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      ADD_FAILURE() << "SQL failed: " << (err ? err : "?") << "\n" << sql;
      sqlite3_free(err);
    }
  }

  std::string point(const PointSpec& p) {
    const std::string id = "p" + std::to_string(++seq_);
    exec("INSERT INTO points (id, study_id, seq, model, family, pattern, depth, width, resolution, batch, backend, "
         "threads, precision, device, settings_json) VALUES (" + qs(id) + ", 1, " + std::to_string(seq_) + ", " + qs(p.model) + ", " +
         qs(p.family) + ", " + qs(p.pattern) + ", " + q(p.depth) + ", " + q(p.width) + ", " +
         std::to_string(p.resolution) + ", " + std::to_string(p.batch) + ", " + qs(p.backend) + ", " +
         std::to_string(p.threads) + ", " + qs(p.precision) + ", " + qs(p.device) + ", '{\"device\": \"" + p.device + "\"}')");
    machine_of_[id] = p.machine;
    return id;
  }

  void measure(const std::string& id, const MeasureSpec& m) {
    const double med = m.median_ms;
    std::optional<double> achieved, pct;
    if (m.flops) achieved = *m.flops / (med * 1e6);
    if (achieved && m.peak_gflops) pct = 100 * *achieved / *m.peak_gflops;
    exec("INSERT INTO measurements (point_id, machine_id, finished_at, median_ms, mean_ms, min_ms, max_ms, "
         "ci95_low_ms, ci95_high_ms, samples, macs, flops, params, peak_activation_bytes, achieved_gflops, "
         "peak_gflops, pct_of_peak, counters_source, counters_reason, ll_misses_per_inference, ll_miss_rate, "
         "result_json) VALUES (" + qs(id) + ", " + std::to_string(machine_of_[id]) + ", '2026-01-01T00:00:01Z', " + q(med) + ", " + q(med) + ", " + q(med * 0.9) +
         ", " + q(med * 1.2) + ", " + q(med * m.ci_low_rel) + ", " + q(med * m.ci_high_rel) + ", 30, " + q(m.macs) +
         ", " + q(m.flops) + ", " + q(m.params) + ", " + q(m.activation) + ", " + q(achieved) + ", " +
         q(m.peak_gflops) + ", " + q(pct) + ", " + qs(m.counters_source) + ", " + qs(m.counters_reason) + ", " +
         q(m.ll_misses) + ", " + q(m.ll_miss_rate) + ", " + qs(m.result_json) + ")");
  }

  void failure(const std::string& id, const std::string& kind, const std::string& reason) {
    exec("INSERT INTO failures VALUES (" + qs(id) + ", 1, '2026-01-01T00:00:02Z', " + qs(kind) + ", " + qs(reason) + ")");
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  int seq_ = 0;
  std::map<std::string, int> machine_of_;
};

// The reference study of the tests; every expected value in report_test.cpp was computed by hand from it.
//  residual, width 16, depths 1 2 4 8: FLOPs d GFLOP; torch 2 + 10 d ms; onednn 4 6 9 15 ms;
//    onednn LL misses 1e5 3e5 2e5 8e5 (simulated); torch counters unavailable.
//  residual, depth 2, widths 8 16 32: FLOPs 0.5 2 8 GFLOP; torch 7 22 82 ms; onednn 3 6 20 ms.
//  depthwise_bottleneck, width 16, depths 1 2 3: torch 10 20 30, onednn 2 4 5; depth 4: torch 40, onednn crashed.
//  zoo: resnet18 (res 32) 3.0 / 1.5 ms, with a per-layer profile; darts 24 / 2 ms; mobilenet_v2 5 / 1.2 ms;
//    "<script>alert(1)</script>" (onnx) torch 7 ms, onednn pending.
// torch CIs are median x [0.95, 1.05], onednn x [0.9, 1.1].
inline void build_reference_study(const std::string& path, double onednn_scale = 1.0) {
  SyntheticDb db(path);
  auto pair = [&](PointSpec p, double torch_ms, std::optional<double> onednn_ms, MeasureSpec m,
                  std::optional<double> ll = std::nullopt) {
    p.backend = "torch";
    m.median_ms = torch_ms;
    db.measure(db.point(p), m);
    p.backend = "onednn";
    const std::string id = db.point(p);
    if (!onednn_ms) return id;
    m.median_ms = *onednn_ms * onednn_scale;
    m.ci_low_rel = 0.9;
    m.ci_high_rel = 1.1;
    if (ll) {
      m.counters_source = "simulated";
      m.counters_reason.reset();
      m.ll_misses = *ll;
      m.ll_miss_rate = *ll / 1e7;
    }
    db.measure(id, m);
    return id;
  };
  auto pat = [](const std::string& name, int d, int w) {
    PointSpec p;
    p.model = "pattern:" + name + "?depth=" + std::to_string(d) + "&width=" + std::to_string(w);
    p.pattern = name;
    p.depth = d;
    p.width = w;
    return p;
  };
  const double on_depth[] = {4, 6, 9, 15}, ll[] = {1e5, 3e5, 2e5, 8e5};
  const int depths[] = {1, 2, 4, 8};
  for (int i = 0; i < 4; ++i) {
    MeasureSpec m;
    m.flops = depths[i] * 1e9;
    m.params = depths[i] * 1e4;
    m.activation = 1e6 + depths[i] * 1e5;
    // explain = true: the parts of a 10 ms gain (shares 10, 40, -10, 50, 0, 10 %)
    m.result_json = R"({"attribution": {"gain_ms": 10, "parts_ms": {"overhead": 1, "fusion": 4, "layout": -1,
                        "kernels": 5, "unmapped": 0, "residual": 1}}})";
    pair(pat("residual", depths[i], 16), 2 + 10 * depths[i], on_depth[i], m, ll[i]);
  }
  const double wf[] = {0.5, 8}, wt[] = {7, 82}, wo[] = {3, 20};
  const int widths[] = {8, 32};
  for (int i = 0; i < 2; ++i) {
    MeasureSpec m;
    m.flops = wf[i] * 1e9;
    m.params = widths[i] * 1e3;
    m.activation = widths[i] * 1e5;
    pair(pat("residual", 2, widths[i]), wt[i], wo[i], m);
  }
  for (int d = 1; d <= 4; ++d) {
    MeasureSpec m;
    m.flops = d * 0.3e9;
    const double on[] = {2, 4, 5};
    const std::string id = pair(pat("depthwise_bottleneck", d, 16), 10.0 * d, d < 4 ? std::optional<double>(on[d - 1]) : std::nullopt, m);
    if (d == 4) db.failure(id, "crash", "signal 11 (SIGSEGV) in onednn compile");
  }
  auto zoo = [](const std::string& model, const std::string& family) {
    PointSpec p;
    p.model = model;
    p.family = family;
    return p;
  };
  MeasureSpec z;
  z.flops = 1.2e8;
  z.macs = 0.6e8;
  z.params = 11689512;
  z.result_json = R"({"layers": [{"name": "conv1+bn1+relu", "op": "Conv", "ms": 0.05},
                                 {"name": "layer1.0.conv1", "op": "Conv", "ms": 0.04},
                                 {"name": "fc", "op": "Linear", "ms": 0.01}],
                      "attribution": {"gain_ms": 1.5, "parts_ms": {"overhead": 0.1, "fusion": 0.5, "layout": -0.1,
                                      "kernels": 0.9, "unmapped": 0, "residual": 0.1}}})";
  pair(zoo("resnet18?res=32", "hand-crafted"), 3.0, 1.5, z);
  z.result_json.reset();
  z.flops = 1.1e9;
  z.params = 4.7e6;
  pair(zoo("darts", "nas"), 24, 2, z);
  z.flops = 0.6e9;
  z.params = 3504872;
  pair(zoo("mobilenet_v2", "hand-crafted"), 5, 1.2, z);
  pair(zoo("<script>alert(1)</script>", "onnx"), 7, std::nullopt, z);
}

}  // namespace fb::report::test
