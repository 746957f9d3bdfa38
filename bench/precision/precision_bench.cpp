// precision_bench: what each precision gains, measured the way the measurement discipline asks. Per model,
// every (backend, precision) pair is compiled in this one process, checked against the fp32 reference on one
// input, and timed interleaved in rounds (runner.h: random order per round); each comparison is the median of
// per-round paired ratios with its bootstrap CI over the rounds (speedup.h):
//   - a backend's gain from its own fp32: fp32 / bf16 and fp32 / int8 on the same backend;
//   - accelerated against native in the same precision: torch p / onednn p.
//   - a backend option's effect: a backend listed twice, once with options (onednn:winograd=off), is
//     compared as the first listing / each later one.
// One process per run: rerun it (another process, later) before calling a difference real.
//   precision_bench [--threads 2] [--min-time 3000] [--block 3] [--backends torch,onednn[:KEY=VALUE...]]
//                   [--precisions fp32,bf16,int8] [--calibration N] [--json] MODEL...
// --calibration: int8's calibration inputs (default 8, the backends'); fewer only shortens compiling large
// networks, whose calibration runs on the slow reference backend, and leaves the kernels as they are.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "backends/compare.h"
#include "core/error.h"
#include "measure/runner.h"
#include "measure/speedup.h"
#include "measure/stats.h"
#include "models/model_ref.h"

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// "onednn:winograd=off:layout=plain" -> the backend's name and its options.
std::pair<std::string, std::map<std::string, std::string>> backend_spec(const std::string& spec) {
  std::map<std::string, std::string> extra;
  size_t at = spec.find(':');
  const std::string name = spec.substr(0, at);
  while (at != std::string::npos) {
    const size_t next = spec.find(':', at + 1);
    const std::string kv = spec.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw fb::Error("backend option '" + kv + "' in '" + spec + "' is not KEY=VALUE");
    extra[kv.substr(0, eq)] = kv.substr(eq + 1);
    at = next;
  }
  return {name, extra};
}

struct Entry {
  std::string backend, precision;  // backend: the spec as listed
  std::unique_ptr<fb::Executable> exe;
  std::vector<fb::Tensor> out;
  std::string agreement;
  double median_ms = 0;
  std::vector<double> samples;
};

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, block = 3, calibration = 0;
  double min_time = 3000;
  bool json = false;
  std::vector<std::string> backends = {"torch", "onednn"}, precisions = {"fp32", "bf16", "int8"}, models;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "precision_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--threads") threads = std::stoi(next());
    else if (a == "--min-time") min_time = std::stod(next());
    else if (a == "--block") block = std::stoi(next());
    else if (a == "--backends") backends = split(next());
    else if (a == "--precisions") precisions = split(next());
    else if (a == "--calibration") calibration = std::stoi(next());
    else if (a == "--json") json = true;
    else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "precision_bench: unknown flag '%s'\n", a.c_str());
      return 2;
    } else models.push_back(a);
  }
  if (models.empty()) {
    std::fprintf(stderr, "usage: precision_bench [--threads T] [--min-time MS] [--block B] [--backends ...] "
                         "[--precisions ...] [--json] MODEL...\n");
    return 2;
  }
  nlohmann::json all = nlohmann::json::array();
  try {
    for (const std::string& model : models) {
      const fb::Graph g = fb::load_model(model, true);
      const std::vector<fb::Tensor> inputs = fb::make_inputs(g, 1);
      std::vector<fb::Tensor> ref;
      fb::make_backend("reference")->compile(g, fb::CompileOptions{})->run(inputs, ref);
      std::vector<Entry> entries;
      for (const std::string& b : backends)
        for (const std::string& p : precisions) {
          fb::CompileOptions opt;
          const auto [name, extra] = backend_spec(b);
          opt.extra = extra;
          opt.threads = threads;
          opt.precision = fb::parse_precision(p);
          if (calibration > 0 && opt.precision == fb::Precision::I8) opt.extra["calibration_inputs"] = std::to_string(calibration);
          Entry e{b, p, nullptr, {}, "", 0, {}};
          try {
            e.exe = fb::make_backend(name)->compile(g, opt);
          } catch (const fb::Error& err) {
            std::fprintf(stderr, "%s: %s %s not compiled: %s\n", model.c_str(), b.c_str(), p.c_str(), err.what());
            continue;
          }
          e.exe->run(inputs, e.out);
          const double tol = fb::precision_info(opt.precision).tolerance;
          const fb::Agreement ag = fb::compare_outputs(ref.at(0), e.out.at(0), tol);
          e.agreement = fmt::format("{} {:.1e}", ag.passed(tol) ? "ok" : "FAIL", ag.rel_max_error);
          entries.push_back(std::move(e));
        }
      if (entries.empty()) {
        std::fprintf(stderr, "%s: nothing compiled, skipped\n", model.c_str());
        continue;
      }
      fb::measure::RunSettings rs;
      rs.warmup_runs = 2;
      rs.min_runs = 6;
      rs.min_time_ms = min_time;
      rs.max_time_ms = 4 * min_time;
      fb::measure::InterleaveSettings how;
      how.block = block;
      std::vector<std::function<void()>> steps;
      for (Entry& e : entries) steps.push_back([&e, &inputs] { e.exe->run(inputs, e.out); });
      const fb::measure::Interleaved il = fb::measure::run_interleaved(steps, rs, how);
      for (size_t k = 0; k < entries.size(); ++k) {
        entries[k].samples = il.runs[k].samples_ms;
        std::vector<double> sorted = entries[k].samples;
        entries[k].median_ms = fb::measure::median_in_place(sorted);
      }
      auto find = [&](const std::string& b, const std::string& p) -> const Entry* {
        for (const Entry& e : entries)
          if (e.backend == b && e.precision == p) return &e;
        return nullptr;
      };
      nlohmann::json m = {{"model", model}, {"threads", threads}, {"rounds", il.rounds.size()}};
      for (const Entry& e : entries)
        m["latency"].push_back({{"backend", e.backend}, {"precision", e.precision}, {"median_ms", e.median_ms},
                                {"agreement", e.agreement}});
      auto ratio = [&](const Entry* slow, const Entry* fast, const std::string& what) {
        if (!slow || !fast) return;
        const auto r = fb::measure::round_ratios(slow->samples, fast->samples, block);
        const auto sp = fb::measure::paired_speedup({r});
        m["ratios"].push_back({{"what", what}, {"ratio", sp.speedup}, {"low", sp.low}, {"high", sp.high}});
      };
      for (const std::string& b : backends)
        for (const std::string& p : precisions)
          if (p != "fp32") ratio(find(b, "fp32"), find(b, p), fmt::format("{} fp32 / {}", b, p));
      for (const std::string& p : precisions) ratio(find("torch", p), find("onednn", p), fmt::format("torch / onednn, {}", p));
      for (size_t i = 0; i < backends.size(); ++i)
        for (size_t j = i + 1; j < backends.size(); ++j)
          if (backend_spec(backends[i]).first == backend_spec(backends[j]).first)
            for (const std::string& p : precisions)
              ratio(find(backends[i], p), find(backends[j], p), fmt::format("{} / {}, {}", backends[i], backends[j], p));
      if (json) {
        all.push_back(m);
        continue;
      }
      std::printf("%s (%d threads, %zu rounds of %d)\n", model.c_str(), threads, il.rounds.size(), block);
      for (const Entry& e : entries)
        std::printf("  %-20s %-5s %9.3f ms   agreement %s\n", e.backend.c_str(), e.precision.c_str(), e.median_ms,
                    e.agreement.c_str());
      for (const auto& r : m["ratios"])
        std::printf("  %-44s %6.3fx [%.3f, %.3f]\n", r["what"].get<std::string>().c_str(), r["ratio"].get<double>(),
                    r["low"].get<double>(), r["high"].get<double>());
      std::fflush(stdout);
    }
  } catch (const fb::Error& e) {
    std::fprintf(stderr, "precision_bench: %s\n", e.what());
    return 1;
  }
  if (json) std::printf("%s\n", all.dump(1).c_str());
  return 0;
}
