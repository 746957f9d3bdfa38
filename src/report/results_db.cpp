#include "report/results_db.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

#include <sqlite3.h>

#include <fmt/format.h>

#include "backends/options.h"
#include "core/error.h"
#include "models/model_ref.h"
#include "report/analysis.h"
#include "report/results_columns.h"

namespace fb::report {
namespace {

// A pattern network with parameters beyond depth, width, res and batch (e.g. `staged=4`) is a different
// network from the plain pattern of the same depth and width: it is analysed as its own variant,
// "plain[staged=4]", so it never mixes into the plain pattern's depth and width sweeps or averages.
std::optional<std::string> pattern_variant(const std::optional<std::string>& pattern, const std::string& model) {
  if (!pattern) return pattern;
  ModelRef ref;
  try {
    ref = parse_model_ref(model);
  } catch (const Error&) {
    return pattern;  // not a reference formbench wrote; keep the column as it is
  }
  std::string extra;
  for (const auto& [key, value] : ref.params)
    if (key != "depth" && key != "width" && key != "res" && key != "batch")
      extra += fmt::format("{}{}={}", extra.empty() ? "" : ",", key, value);
  return extra.empty() ? pattern : std::optional<std::string>(*pattern + "[" + extra + "]");
}

// Backend options make another measurement. A point whose comparison group had an options entry is analysed
// under its own backend label: the options that backend got, bare, then the ones scoped to the others:
// "onednn[fuse=off]" and, for the torch point measured beside it, "torch[onednn:fuse=off]". Labelling the
// native twin too (not only the backend the options apply to) keeps it apart from the plain group's torch
// point of the same settings: both would otherwise be one record (analysis.cpp keeps one per settings and
// backend), and the optioned onednn would lose the native it was paired with, or the plain onednn its own.
// The entry itself (Record::options) is part of the key that pairs a point with its native twin.
std::string backend_variant(const std::string& backend, const std::map<std::string, std::string>& options) {
  if (options.empty()) return backend;
  std::vector<std::string> items;
  for (const auto& [key, value] : options_for(options, backend)) items.push_back(key + "=" + value);
  for (const auto& [key, value] : options) {
    const std::string scope = option_scope(key);
    if (!scope.empty() && scope != backend) items.push_back(key + "=" + value);
  }
  return fmt::format("{}[{}]", backend, fmt::join(items, ","));
}

// settings_json.options: {"[BACKEND:]KEY": "VALUE"}; absent for a point without options (and in every
// database from before them). Anything else a hostile file holds there still keeps the point apart.
std::map<std::string, std::string> options_of(const nlohmann::json& settings) {
  std::map<std::string, std::string> out;
  if (!settings.is_object() || !settings.contains("options")) return out;
  const nlohmann::json& o = settings["options"];
  if (!o.is_object()) return {{"options", o.dump()}};
  for (const auto& [key, value] : o.items()) out[key] = value.is_string() ? value.get<std::string>() : value.dump();
  return out;
}

class Db {
 public:
  explicit Db(const std::string& path) : path_(path) {
    if (!std::filesystem::is_regular_file(path)) fail("results database '{}': no such file", path);
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      fail("results database '{}': cannot open: {}", path, msg);
    }
    sqlite3_busy_timeout(db_, 5000);  // a study may be writing (WAL): wait instead of failing
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs `sql`, calling `row` for each result row.
  template <typename F>
  void query(const std::string& sql, F row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db_);
      // Preparing reads the schema first: a damaged file fails here, not for want of a table.
      const int code = sqlite3_errcode(db_);
      if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        fail("results database '{}' is damaged or not an SQLite file: {}", path_, msg);
      fail("results database '{}' does not follow the results schema (docs/results_schema.md): {}", path_, msg);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) fail("results database '{}': {}", path_, msg);
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

std::string text(sqlite3_stmt* st, int i) {
  const unsigned char* t = sqlite3_column_text(st, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}
std::optional<std::string> opt_text(sqlite3_stmt* st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::nullopt;
  return text(st, i);
}
std::optional<double> opt_real(sqlite3_stmt* st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(st, i);
}
std::optional<int64_t> opt_int(sqlite3_stmt* st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(st, i);
}

nlohmann::json parse_json(const std::string& s) {
  if (s.empty()) return nlohmann::json::object();
  return nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
}

std::string device_of(const std::string& column, const std::string& backend, const std::string& settings,
                      const std::string& result) {
  if (!column.empty()) return column;
  for (const std::string* s : {&settings, &result}) {
    nlohmann::json j = parse_json(*s);
    if (j.is_object() && j.contains("device") && j["device"].is_string()) return j["device"].get<std::string>();
  }
  if (backend.find("cuda") != std::string::npos || backend.find("cudnn") != std::string::npos) return "cuda";
  return "cpu";
}

// A profile step's node list (a JSON array of names; anything else is no nodes).
std::vector<std::string> node_names(const nlohmann::json& nodes) {
  std::vector<std::string> out;
  if (nodes.is_array())
    for (const auto& n : nodes)
      if (n.is_string()) out.push_back(n.get<std::string>());
  return out;
}

// The parts of a result's attribution; absent when any is missing or not a number (a hand-edited file).
std::optional<AttributionParts> attribution_parts(const nlohmann::json& a) {
  const nlohmann::json p = a.value("parts_ms", nlohmann::json());
  if (!p.is_object() || !a.value("gain_ms", nlohmann::json()).is_number()) return std::nullopt;
  AttributionParts out;
  out.gain_ms = a["gain_ms"].get<double>();
  const std::pair<const char*, double*> fields[] = {{"overhead", &out.overhead_ms}, {"fusion", &out.fusion_ms},
                                                    {"layout", &out.layout_ms},     {"kernels", &out.kernels_ms},
                                                    {"unmapped", &out.unmapped_ms}, {"residual", &out.residual_ms}};
  for (const auto& [key, into] : fields) {
    if (!p.value(key, nlohmann::json()).is_number()) return std::nullopt;
    *into = p[key].get<double>();
  }
  if (p.value("drift", nlohmann::json()).is_number()) out.drift_ms = p["drift"].get<double>();
  return out;
}

}  // namespace

std::string plain_backend(const std::string& backend) { return backend.substr(0, backend.find('[')); }

const char* status_name(Status s) {
  switch (s) {
    case Status::Measured: return "measured";
    case Status::Failed: return "failed";
    case Status::Pending: return "pending";
  }
  return "?";
}

std::string Record::why_no_latency() const {
  if (status == Status::Failed) return fmt::format("{} failed ({}: {})", backend, failure_kind, failure_reason);
  if (status == Status::Pending) return fmt::format("{} not measured yet", backend);
  if (!median_ms) return fmt::format("{}: median is NULL", backend);
  return "";
}

std::string Record::why_no_counters() const {
  if (status != Status::Measured) return why_no_latency();
  if (!counters_reason.empty()) return counters_reason;
  if (!counters_source.empty() && counters_source != "hardware" && counters_source != "simulated")
    return "counters " + counters_source;
  return "no LL-cache counters recorded";
}

const Machine* ResultsDb::machine(int64_t id) const {
  for (const Machine& m : machines)
    if (m.id == id) return &m;
  return nullptr;
}

ResultsDb load_results(const std::string& path) {
  Db db(path);
  ResultsDb out;
  out.path = path;
  // `points.device` came after the first version of the schema: read it where the writer has it.
  bool has_device = false;
  db.query("SELECT name FROM pragma_table_info('points')", [&](sqlite3_stmt* st) { has_device |= text(st, 0) == "device"; });
  db.query("SELECT id, fingerprint, facts_json FROM machines ORDER BY id", [&](sqlite3_stmt* st) {
    Machine m{sqlite3_column_int64(st, 0), text(st, 1), parse_json(text(st, 2))};
    if (m.facts.is_discarded()) m.facts = nlohmann::json::object();
    out.machines.push_back(std::move(m));
  });
  db.query("SELECT id, name, created_at FROM studies ORDER BY id", [&](sqlite3_stmt* st) {
    out.studies.push_back({sqlite3_column_int64(st, 0), text(st, 1), text(st, 2)});
  });
  // Measurement columns by name (report/results_columns.h), NULL where an older writer lacked one.
  std::set<std::string> present;
  db.query("SELECT name FROM pragma_table_info('measurements')", [&](sqlite3_stmt* st) { present.insert(text(st, 0)); });
  const auto& mcols = measurement_columns();
  std::string mselect;
  for (const Column& c : mcols) mselect += fmt::format(", {}", present.count(c.name) ? "m." + std::string(c.name) : "NULL");
  constexpr int m0 = 14;  // after the 14 point columns
  const int f0 = m0 + static_cast<int>(mcols.size());
  std::map<std::string_view, int> mpos;  // built once; every row looks its columns up by name
  for (size_t i = 0; i < mcols.size(); ++i) mpos[mcols[i].name] = m0 + static_cast<int>(i);
  auto mc = [&](std::string_view name) {
    const auto it = mpos.find(name);
    if (it == mpos.end()) fail("internal: no measurement column '{}'", name);
    return it->second;
  };
  db.query(
      "SELECT p.id, p.study_id, p.seq, p.model, p.family, p.pattern, p.depth, p.width, p.resolution, p.batch,"
      " p.backend, p.threads, p.precision, p.settings_json" + mselect +
          ", f.point_id, f.machine_id, f.finished_at, f.kind, f.reason, " +
          std::string(has_device ? "p.device" : "''") +
      " FROM points p LEFT JOIN measurements m ON m.point_id = p.id LEFT JOIN failures f ON f.point_id = p.id"
      " ORDER BY p.study_id, p.seq, p.id",
      [&](sqlite3_stmt* st) {
        Record r;
        r.point_id = text(st, 0);
        r.study_id = sqlite3_column_int64(st, 1);
        r.seq = sqlite3_column_int64(st, 2);
        r.model = text(st, 3);
        r.family = text(st, 4);
        r.pattern = pattern_variant(opt_text(st, 5), r.model);
        r.depth = opt_int(st, 6);
        r.width = opt_int(st, 7);
        r.resolution = sqlite3_column_int64(st, 8);
        r.batch = sqlite3_column_int64(st, 9);
        r.backend = text(st, 10);
        r.threads = sqlite3_column_int64(st, 11);
        r.precision = text(st, 12);
        const std::string settings = text(st, 13), device_column = text(st, f0 + 5);
        const std::map<std::string, std::string> options = options_of(parse_json(settings));
        const bool has_measurement = sqlite3_column_type(st, mc("point_id")) != SQLITE_NULL;
        if (has_measurement) {
          r.status = Status::Measured;
          r.machine_id = opt_int(st, mc("machine_id"));
          r.finished_at = text(st, mc("finished_at"));
          r.median_ms = opt_real(st, mc("median_ms"));
          r.ci95_low_ms = opt_real(st, mc("ci95_low_ms"));
          r.ci95_high_ms = opt_real(st, mc("ci95_high_ms"));
          r.mean_ms = opt_real(st, mc("mean_ms"));
          r.stddev_ms = opt_real(st, mc("stddev_ms"));
          r.samples = opt_int(st, mc("samples"));
          r.macs = opt_real(st, mc("macs"));
          r.flops = opt_real(st, mc("flops"));
          r.params = opt_real(st, mc("params"));
          r.peak_activation_bytes = opt_real(st, mc("peak_activation_bytes"));
          r.achieved_gflops = opt_real(st, mc("achieved_gflops"));
          r.peak_gflops = opt_real(st, mc("peak_gflops"));
          r.pct_of_peak = opt_real(st, mc("pct_of_peak"));
          r.counters_source = text(st, mc("counters_source"));
          r.counters_reason = text(st, mc("counters_reason"));
          r.ll_references = opt_real(st, mc("ll_references_per_inference"));
          r.ll_misses = opt_real(st, mc("ll_misses_per_inference"));
          r.ll_miss_rate = opt_real(st, mc("ll_miss_rate"));
          r.agreement_rel_error = opt_real(st, mc("agreement_rel_error"));
          if (auto p = opt_int(st, mc("agreement_passed"))) r.agreement_passed = *p != 0;
          const std::string result = text(st, mc("result_json"));
          r.device = device_of(device_column, r.backend, settings, result);
          const nlohmann::json rj = parse_json(result);
          if (rj.is_object() && rj.value("peak_reason", nlohmann::json()).is_string())
            r.peak_reason = rj["peak_reason"].get<std::string>();
          if (rj.is_object() && rj.contains("ceilings") && rj["ceilings"].is_object())
            r.bandwidth_gbps = facts_bandwidth_gbps(rj["ceilings"]);
          if (rj.is_object() && rj.value("rounds_set_aside", nlohmann::json()).is_number_integer())
            r.rounds_set_aside = rj["rounds_set_aside"].get<int64_t>();
          if (rj.is_object() && rj.value("processes_placement_unmet", nlohmann::json()).is_number_integer())
            r.processes_placement_unmet = rj["processes_placement_unmet"].get<int64_t>();
          if (rj.is_object() && rj.contains("layers") && rj["layers"].is_array())
            for (const auto& l : rj["layers"])
              if (l.is_object() && l.value("name", nlohmann::json()).is_string() && l.value("ms", nlohmann::json()).is_number() &&
                  l["ms"].get<double>() > 0) {
                LayerTiming lt{l["name"].get<std::string>(), l.value("op", std::string()), l["ms"].get<double>()};
                if (l.value("kind", nlohmann::json()).is_string()) lt.kind = l["kind"].get<std::string>();
                lt.nodes = node_names(l.value("nodes", nlohmann::json()));
                r.layers.push_back(std::move(lt));
              }
          if (rj.is_object() && rj.value("attribution", nlohmann::json()).is_object()) r.attribution = attribution_parts(rj["attribution"]);
        } else if (sqlite3_column_type(st, f0) != SQLITE_NULL) {
          r.status = Status::Failed;
          r.machine_id = opt_int(st, f0 + 1);
          r.finished_at = text(st, f0 + 2);
          r.failure_kind = text(st, f0 + 3);
          r.failure_reason = text(st, f0 + 4);
        }
        // A time only counts when the outputs agreed with the reference: a disagreeing measurement is shown
        // as failed, with its error, and its latency takes part in nothing.
        if (r.status == Status::Measured && r.agreement_passed == false) {
          r.status = Status::Failed;
          r.failure_kind = "disagreement";
          r.failure_reason = text(st, f0 + 3) == "disagreement"
                                 ? text(st, f0 + 4)
                                 : fmt::format("outputs disagree with the reference backend (relative max error {:.3g})",
                                               r.agreement_rel_error.value_or(std::nan("")));
          r.median_ms.reset();
          r.ci95_low_ms.reset();
          r.ci95_high_ms.reset();
          r.mean_ms.reset();
          r.achieved_gflops.reset();
          r.pct_of_peak.reset();
          r.ll_references.reset();
          r.ll_misses.reset();
          r.ll_miss_rate.reset();
        }
        // Schema 2's paired figures (NULL in a version-1 file): a disagreeing backend's speedup takes part in
        // nothing.
        if (has_measurement) {
          r.processes = opt_int(st, mc("processes"));
          r.rounds = opt_int(st, mc("rounds"));
          r.remeasured = opt_int(st, mc("remeasured"));
          r.native_point_id = text(st, mc("native_point_id"));
          r.unstable = text(st, mc("unstable"));
          r.steal_pct_max = opt_real(st, mc("steal_pct_max"));
          r.beside_other_measurement = opt_int(st, mc("beside_other_measurement")).value_or(0) != 0;
          r.excluded_processes = opt_int(st, mc("excluded_processes"));
          if (r.status == Status::Measured) {
            r.paired_speedup = opt_real(st, mc("speedup"));
            r.paired_ci95_low = opt_real(st, mc("speedup_ci95_low"));
            r.paired_ci95_high = opt_real(st, mc("speedup_ci95_high"));
          }
        }
        if (r.device.empty()) r.device = device_of(device_column, r.backend, settings, "");
        // After the device guess, which reads the name of the backend that ran.
        r.backend = backend_variant(r.backend, options);
        for (const auto& [key, value] : options) r.options += fmt::format("{}{}={}", r.options.empty() ? "" : " ", key, value);
        // A non-positive latency cannot be a measurement: treat it as missing rather than divide by it.
        if (r.median_ms && *r.median_ms <= 0) r.median_ms.reset();
        out.records.push_back(std::move(r));
      });
  // Per-layer profiles in their own table (written since `explain`); older files keep them in result_json.
  bool has_layers = false;
  db.query("SELECT name FROM sqlite_master WHERE type='table' AND name='layers'", [&](sqlite3_stmt*) { has_layers = true; });
  if (has_layers) {
    std::map<std::string, std::vector<LayerTiming>> by_point;
    db.query("SELECT point_id, name, op, kind, ms, nodes_json FROM layers ORDER BY point_id, step", [&](sqlite3_stmt* st) {
      const auto ms = opt_real(st, 4);
      if (!ms || !(*ms > 0)) return;
      LayerTiming lt{text(st, 1), text(st, 2), *ms};
      if (const std::string kind = text(st, 3); !kind.empty()) lt.kind = kind;
      lt.nodes = node_names(parse_json(text(st, 5)));
      by_point[text(st, 0)].push_back(std::move(lt));
    });
    for (Record& r : out.records)
      if (const auto it = by_point.find(r.point_id); it != by_point.end() && r.status == Status::Measured) r.layers = it->second;
  }
  bool has_rechecks = false;
  db.query("SELECT name FROM sqlite_master WHERE type='table' AND name='rechecks'", [&](sqlite3_stmt*) { has_rechecks = true; });
  bool has_rerun_verdicts = false;
  if (has_rechecks)
    db.query("SELECT name FROM pragma_table_info('rechecks')",
             [&](sqlite3_stmt* st) { has_rerun_verdicts |= text(st, 0) == "speedup_inside_rerun"; });
  if (has_rechecks)
    db.query(std::string("SELECT count(median_inside), coalesce(sum(median_inside), 0), count(speedup_inside),"
                         " coalesce(sum(speedup_inside), 0)") +
                 (has_rerun_verdicts ? ", count(median_inside_rerun), coalesce(sum(median_inside_rerun), 0),"
                                       " count(speedup_inside_rerun), coalesce(sum(speedup_inside_rerun), 0)"
                                     : ", 0, 0, 0, 0") +
                 " FROM rechecks",
             [&](sqlite3_stmt* st) {
               auto n = [&](int c) { return static_cast<int>(sqlite3_column_int64(st, c)); };
               out.rechecks = {n(0), n(1), n(2), n(3), n(4), n(5), n(6), n(7)};
             });
  return out;
}

}  // namespace fb::report
