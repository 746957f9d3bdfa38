// index.html: one self-contained file. The charting libraries are inlined, chart specs travel as JSON in
// <script type="application/json"> blocks (escaped so no data can close the block), and every piece of
// text from the database is HTML-escaped.
#include <cctype>

#include <fmt/format.h>

#include "report/report.h"

namespace fb::report {
namespace {

// A library's code inside <script>: the HTML tokenizer ends the block at "</script" (any case) and treats
// "<!--" specially; "<\/script" and "<\!--" mean the same in JS strings and regular expressions.
std::string script_safe_js(const std::string& js) {
  std::string out;
  out.reserve(js.size());
  for (size_t i = 0; i < js.size(); ++i) {
    if (js[i] == '<' && js.compare(i, 4, "<!--") == 0) {
      out += "<\\";
      continue;
    }
    if (js[i] == '<' && i + 7 < js.size() && js[i + 1] == '/') {
      std::string word = js.substr(i + 2, 6);
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (word == "script") {
        out += "<\\";
        // the next character follows as is
        continue;
      }
    }
    out += js[i];
  }
  return out;
}

std::string table_html(const Table& t) {
  std::string o = fmt::format("<section id=\"{}\"><h2>{}</h2>\n", html_escape(t.id), html_escape(t.title));
  if (!t.note.empty()) o += "<p class=\"note\">" + html_escape(t.note) + "</p>\n";
  if (t.rows.empty()) return o + "<p class=\"empty\">No data.</p></section>\n";
  const bool big = t.rows.size() > 40;
  if (big) o += fmt::format("<details><summary>{} rows (also in {}.csv)</summary>\n", t.rows.size(), html_escape(t.id));
  o += "<div class=\"scroll\"><table><thead><tr>";
  for (const auto& h : t.header()) o += "<th>" + html_escape(h) + "</th>";
  o += "</tr></thead><tbody>\n";
  const bool extra = t.has_missing();
  for (const auto& r : t.rows) {
    o += "<tr>";
    for (const auto& c : r) {
      if (c.missing)
        o += "<td class=\"missing\" title=\"" + html_escape(*c.missing) + "\">n/a</td>";
      else
        o += std::string(c.value ? "<td class=\"num\">" : "<td>") + html_escape(c.text) + "</td>";
    }
    if (extra) {
      o += "<td class=\"reason\">" + html_escape(joined_missing(t, r)) + "</td>";
    }
    o += "</tr>\n";
  }
  o += "</tbody></table></div>\n";
  if (big) o += "</details>\n";
  return o + "</section>\n";
}

const char* k_style = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #ddd;padding:3px 7px}
th{background:#f4f4f4;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.missing{color:#a33;text-align:center;font-style:italic}td.reason{color:#666;font-size:.9em}
.scroll{overflow-x:auto}.note{color:#555;font-size:.9em}.chart{margin:.5em 0 1.5em}
nav a{margin-right:1em}.summary li{margin:.2em 0}
)";

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string script_safe_json(const nlohmann::json& j) {
  // '<', '>' and '&' only occur inside JSON strings, where \u escapes mean the same characters.
  const std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    if (c == '<')
      o += "\\u003c";
    else if (c == '>')
      o += "\\u003e";
    else if (c == '&')
      o += "\\u0026";
    else
      o += c;
  }
  return o;
}

std::string render_html(const HtmlDoc& doc, const Assets& assets) {
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>" + html_escape(doc.title) + "</title>\n<style>" + k_style + "</style>\n";
  o += "<script>" + script_safe_js(assets.vega) + "</script>\n";
  o += "<script>" + script_safe_js(assets.vega_lite) + "</script>\n";
  o += "<script>" + script_safe_js(assets.vega_embed) + "</script>\n";
  o += "</head><body>\n<h1>" + html_escape(doc.title) + "</h1>\n<ul class=\"summary\">";
  for (const auto& l : doc.summary_lines) o += "<li>" + html_escape(l) + "</li>";
  o += "</ul>\n<nav>";
  for (const auto& c : doc.charts) o += "<a href=\"#chart-" + html_escape(c["id"].get<std::string>()) + "\">" + html_escape(c["title"].get<std::string>()) + "</a> ";
  for (const auto& t : doc.tables) o += "<a href=\"#" + html_escape(t.id) + "\">" + html_escape(t.title) + "</a> ";
  o += "</nav>\n";
  std::string charts;
  for (const auto& c : doc.charts) {
    const std::string id = html_escape(c["id"].get<std::string>());
    charts += "<section><h2 id=\"chart-" + id + "\">" + html_escape(c["title"].get<std::string>()) + "</h2>\n";
    charts += "<div class=\"chart\" id=\"view-" + id + "\" data-chart=\"" + id + "\"></div>\n";
    charts += "<script type=\"application/json\" id=\"spec-" + id + "\">" + script_safe_json(c["spec"]) + "</script></section>\n";
  }
  // The charts sit after the summary tables, before the detailed ones.
  for (size_t i = 0; i < doc.tables.size(); ++i) {
    if (i == doc.charts_after) o += charts;
    o += table_html(doc.tables[i]);
  }
  if (doc.charts_after >= doc.tables.size()) o += charts;
  o += R"(<script>
document.querySelectorAll('div.chart').forEach(function (el) {
  var spec = JSON.parse(document.getElementById('spec-' + el.dataset.chart).textContent);
  vegaEmbed(el, spec, {renderer: 'svg', actions: false}).catch(function (e) {
    el.textContent = 'chart failed: ' + e; console.error(e);
  });
});
</script>
</body></html>
)";
  return o;
}

}  // namespace fb::report
