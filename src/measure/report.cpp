#include "measure/report.h"

#include <cmath>

#include <fmt/format.h>

#include "core/table.h"

namespace fb::measure {
namespace {

const nlohmann::json* lookup(const nlohmann::json& j, const std::string& dotted) {
  const nlohmann::json* cur = &j;
  size_t start = 0;
  while (start <= dotted.size()) {
    const size_t dot = dotted.find('.', start);
    const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

std::string opt_cell(const std::optional<double>& v, const char* f = "{:.3g}") {
  return v ? fmt::format(fmt::runtime(f), *v) : "n/a";
}

}  // namespace

std::string fmt_ms(double ms) {
  if (ms >= 100) return fmt::format("{:.1f}", ms);
  if (ms >= 10) return fmt::format("{:.2f}", ms);
  if (ms >= 0.1) return fmt::format("{:.3f}", ms);
  return fmt::format("{:.4f}", ms);
}

std::string bench_table(const BenchResult& r) {
  std::string out;
  const BenchSettings& bs = r.settings();
  const CompareEntry& e = r.entry();
  const CompareResult& c = r.session;
  const auto& st = e.stats;
  out += fmt::format("{} on {} ({}, {}), {} thread(s), batch {}, input {}\n", bs.model, bs.backend, bs.device,
                     precision_name(bs.precision), bs.threads, c.batch, shape_str(c.input_shape));
  TextTable t({"samples", "min ms", "median ms", "95% CI of median", "mean ms", "stddev", "p90 ms", "p99 ms",
               "max ms", "inf/s"});
  t.add_row({std::to_string(st.n), fmt_ms(st.min), fmt_ms(st.median),
             st.ci ? fmt::format("[{}, {}]", fmt_ms(st.ci->low), fmt_ms(st.ci->high)) : "n/a (< 6 samples)",
             fmt_ms(st.mean), st.stddev ? fmt_ms(*st.stddev) : "n/a", fmt_ms(st.p90), fmt_ms(st.p99), fmt_ms(st.max),
             fmt::format("{:.2f}", r.throughput_ips())});
  out += t.str() + "\n";
  out += fmt::format("compile {} ms, first inference {} ms, warm-up {} runs / {:.0f} ms, stop: {}, timer {:.0f} ns/read\n",
                     fmt_ms(e.compile_ms), fmt_ms(e.first_inference_ms), e.run.warmup_runs, e.run.warmup_ms,
                     stop_reason_name(e.run.stop), c.timer_overhead_ns);
  if (c.batch > 1) out += fmt::format("images/s {:.1f}\n", r.throughput_ips() * static_cast<double>(c.batch));
  out += c.placement.note(c.rounds.size());
  if (c.malloc_not_applied) out += "note: " + *c.malloc_not_applied + "\n";
  out += fmt::format("cost: {} MACs, {} FLOPs, {} params; achieved {:.2f} GFLOP/s", si(static_cast<double>(c.cost.total.macs)),
                     si(static_cast<double>(c.cost.total.flops)), with_commas(c.cost.total.params), r.achieved_gflops());
  if (r.pct_of_peak())
    out += fmt::format(" = {:.1f}% of the measured {} FMA peak {:.1f} GFLOP/s on {} thread(s)", *r.pct_of_peak(),
                       c.ceilings->fma_isa, *r.peak_gflops(), bs.threads);
  else
    out += fmt::format(" (peak: {})", r.ceilings_reason());
  out += "\n";
  const CounterResult& k = e.counters;
  if (k.source == "hardware") {
    out += fmt::format("hardware counters per inference: LL refs {}, LL misses {}, miss rate {}, cycles {}, instructions {}\n",
                       opt_cell(k.ll_references), opt_cell(k.ll_misses), opt_cell(k.ll_miss_rate()), opt_cell(k.cycles),
                       opt_cell(k.instructions));
    if (k.reason) out += fmt::format("  (partly: {})\n", *k.reason);
  } else {
    out += fmt::format("hardware counters: unavailable ({})\n", k.reason.value_or("unknown"));
  }
  if (e.cache_sim) {
    const CacheSimResult& s = *e.cache_sim;
    out += fmt::format("SIMULATED cache (valgrind, LL {} KiB {}-way {} B lines; per inference, set-up excluded): "
                       "LL refs {:.4g}, LL misses {:.4g}, miss rate {:.2f}%, instructions {:.4g}\n",
                       s.ll.size_bytes / 1024, s.ll.assoc, s.ll.line_bytes, s.ll_refs, s.ll_misses,
                       100 * s.ll_miss_rate(), s.instructions);
  }
  if (e.agreement)
    out += fmt::format("agreement with reference: {} -> {} (tol {:.1e})\n", e.agreement->summary(),
                       e.agreement->passed(c.agreement_tol) ? "PASS" : "FAIL", c.agreement_tol);
  out += fmt::format("backend: {}\n", e.describe.summary());
  for (const auto& n : e.describe.notes) out += "  note: " + n + "\n";
  out += fmt::format("machine: {}, {} cores / {} cpus, formbench {} ({}), {}\n", c.machine.cpu_model,
                     c.machine.physical_cores, c.machine.logical_cpus, c.machine.formbench_version,
                     c.machine.git_revision, c.machine.timestamp);
  return out;
}

const std::vector<std::string>& bench_csv_columns() {
  static const std::vector<std::string> cols = {
      "model", "backend", "device", "precision", "threads", "batch", "samples", "min_ms", "median_ms", "mean_ms",
      "stddev_ms", "p90_ms", "p99_ms", "max_ms", "ci95_low_ms", "ci95_high_ms", "throughput_ips", "images_per_s",
      "compile_ms", "first_inference_ms", "timer_overhead_ns", "macs", "flops", "params", "peak_activation_bytes",
      "achieved_gflops", "peak_gflops", "pct_of_peak", "counters.source", "counters.ll_references_per_inference",
      "counters.ll_misses_per_inference", "counters.ll_miss_rate", "counters.cycles_per_inference",
      "counters.instructions_per_inference", "counters.reason", "agreement.rel_max_error", "agreement.passed",
      "machine.cpu_model", "machine.git_revision", "machine.timestamp"};
  return cols;
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string csv_header(const std::vector<std::string>& columns) {
  std::string o;
  for (size_t i = 0; i < columns.size(); ++i) o += (i ? "," : "") + csv_escape(columns[i]);
  return o + "\n";
}

std::string csv_row(const nlohmann::json& j, const std::vector<std::string>& columns) {
  std::string o;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) o += ",";
    const nlohmann::json* v = lookup(j, columns[i]);
    if (!v || v->is_null()) continue;
    if (v->is_string()) o += csv_escape(v->get<std::string>());
    else if (v->is_number_float()) o += fmt::format("{}", v->get<double>());
    else o += csv_escape(v->dump());
  }
  return o + "\n";
}

}  // namespace fb::measure
