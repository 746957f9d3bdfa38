#pragma once
// `formbench report`: analyses of a results database written as index.html (self-contained, Vega-Lite
// charts), report.md and one CSV per table. With `against`, a second database is compared side by side.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/analysis.h"
#include "report/table.h"

namespace fb::report {

struct ReportOptions {
  std::string out_dir;
  std::string against;     // second database, or empty
  AnalysisOptions analysis;
  std::string assets_dir;  // folder holding vega/, vega-lite/, vega-embed/ (npm node_modules); empty: default
  // What a caller adds from layers above this one (a latency predictor's check, docs/predict.md): summary
  // lines, and tables written after the analysis's own.
  std::vector<std::string> extra_lines;
  std::vector<Table> extra_tables;
};

struct ReportFiles {
  std::string index_html, report_md;
  std::vector<std::string> csvs;
};

ReportFiles write_report(const std::string& db_path, const ReportOptions& opt);

// The tables of one database's analysis, in report order.
std::vector<Table> build_tables(const Analysis& a, const ResultsDb& db);
// Where points were measured in more than one precision: the speedup by form per precision (geometric means
// per pattern) and the ladder per point (precision_ladder.cpp); none otherwise.
std::vector<Table> precision_tables(const Analysis& a);
// Two databases side by side: average speedups per pattern, then latency and speedup per shared point, with
// ratio B/A and whether it is beyond noise.
std::vector<Table> against_tables(const Analysis& a, const Analysis& b);

// Vega-Lite specifications (data inline), each {"id", "title", "spec"}.
nlohmann::json chart_specs(const Analysis& a);
nlohmann::json against_chart_specs(const Analysis& a, const Analysis& b);

// The charting libraries' code, read from `dir` (or the FORMBENCH_ASSETS_DIR environment variable, or the
// node_modules folder of the source tree); throws fb::Error naming the missing file.
struct Assets {
  std::string vega, vega_lite, vega_embed;
};
Assets load_assets(const std::string& dir);

struct HtmlDoc {
  std::string title;
  std::vector<std::string> summary_lines;  // plain text, escaped on output
  std::vector<Table> tables;
  nlohmann::json charts;
  size_t charts_after = 2;  // tables shown before the charts
};
std::string render_html(const HtmlDoc& doc, const Assets& assets);

// Escaping for HTML text/attributes, and JSON safe inside <script> (no "</", "<!--", "]]>").
std::string html_escape(const std::string& s);
std::string script_safe_json(const nlohmann::json& j);

}  // namespace fb::report
