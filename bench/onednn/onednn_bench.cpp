// onednn_bench: latency, achieved GFLOP/s and % of the measured FMA peak for whole networks on the onednn
// backend (and, when built, the torch backend measured alternately in the same run).
//   onednn_bench [--threads 2] [--runs 30] [--models resnet50,vgg16] [--extra key=value] [--layers] [--describe]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/backend.h"
#include "fma_peak.h"
#include "ir/cost.h"
#include "models/model_ref.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

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

}  // namespace

int main(int argc, char** argv) try {
  int threads = 2, runs = 30;
  bool layers = false, describe = false;
  std::vector<std::string> models = {"resnet50", "vgg16"};
  std::map<std::string, std::string> extra;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) fb::fail("{} needs a value", a);
      return argv[++i];
    };
    if (a == "--threads") threads = std::stoi(next());
    else if (a == "--runs") runs = std::stoi(next());
    else if (a == "--models") models = split(next());
    else if (a == "--layers") layers = true;
    else if (a == "--describe") describe = true;
    else if (a == "--extra") {
      std::string kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos) fb::fail("--extra wants key=value, got '{}'", kv);
      extra[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else fb::fail("unknown argument '{}'", a);
  }
  if (threads < 1) fb::fail("--threads must be >= 1");
  if (runs < 1) fb::fail("--runs must be >= 1");
  const double peak = fb::bench::measure_fma_peak_gflops(threads);
  fmt::print("fp32 FMA peak on {} thread(s): {:.1f} GFLOP/s (AVX-512, 16 independent chains per thread)\n", threads, peak);
  const auto names = fb::backend_names();
  const bool with_torch = std::find(names.begin(), names.end(), "torch") != names.end();
  for (const std::string& m : models) {
    fb::Graph g;
    try {
      g = fb::load_model(m);
    } catch (const fb::Error& e) {
      fmt::print("{}: skipped ({})\n", m, e.what());
      continue;
    }
    const double gflop = static_cast<double>(fb::graph_cost(g).total.flops) / 1e9;
    fb::CompileOptions opt;
    opt.threads = threads;
    opt.extra = extra;
    std::vector<std::string> backends = {"onednn"};
    if (with_torch) backends.push_back("torch");
    std::vector<std::unique_ptr<fb::Executable>> exes;
    std::vector<double> compile_ms;
    for (const std::string& b : backends) {
      fb::CompileOptions o = opt;
      if (b != "onednn") o.extra.clear();
      const auto t0 = std::chrono::steady_clock::now();
      exes.push_back(fb::make_backend(b)->compile(g, o));
      compile_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    const auto inputs = fb::make_inputs(g);
    std::vector<std::vector<double>> samples(backends.size());
    std::vector<fb::Tensor> out;
    for (auto& e : exes)
      for (int w = 0; w < 3; ++w) e->run(inputs, out);
    for (int r = 0; r < runs; ++r)  // alternate backends run by run: both see the same machine noise
      for (size_t b = 0; b < exes.size(); ++b) {
        const auto t0 = std::chrono::steady_clock::now();
        exes[b]->run(inputs, out);
        samples[b].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
    const fb::Description d = exes[0]->describe();
    for (size_t b = 0; b < exes.size(); ++b) {
      const double med = median(samples[b]);
      const double achieved = gflop / (med / 1e3);
      fmt::print("{:<18} {:<7} median {:8.2f} ms  min {:8.2f} ms  {:7.1f} GFLOP/s  {:5.1f}% of peak  compile {:7.1f} ms\n", m,
                 backends[b], med, *std::min_element(samples[b].begin(), samples[b].end()), achieved,
                 100 * achieved / peak, compile_ms[b]);
    }
    if (exes.size() > 1)
      fmt::print("{:<18} speedup onednn over torch (ratio of medians): {:.2f}x\n", m, median(samples[1]) / median(samples[0]));
    fmt::print("  {}\n", d.summary());
    if (describe) {
      for (const auto& l : d.fusions) fmt::print("    fusion: {}\n", l);
      for (const auto& l : d.reorders) fmt::print("    reorder: {}\n", l);
      for (const auto& l : d.notes) fmt::print("    note: {}\n", l);
    }
    if (layers) {
      auto lt = exes[0]->profile_layers(inputs, 10);
      std::sort(lt.begin(), lt.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
      for (size_t i = 0; i < std::min<size_t>(lt.size(), 15); ++i)
        fmt::print("    {:8.3f} ms  {:<8} {}\n", lt[i].ms, lt[i].op, lt[i].name);
    }
  }
  const double peak_after = fb::bench::measure_fma_peak_gflops(threads);
  fmt::print("fp32 FMA peak again after the models: {:.1f} GFLOP/s (a big change means the machine was busy)\n", peak_after);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "onednn_bench: %s\n", e.what());
  return 1;
}
