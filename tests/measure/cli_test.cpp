// The CLI end to end: bench/compare/doctor JSON parsed and checked against independent truths (the cost
// model in-process, statistics recomputed from the raw samples, the reference backend agreeing with itself).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "formbench/version.h"
#include "ir/cost.h"
#include "measure/bench.h"
#include "measure/point_flags.h"
#include "measure/stats.h"
#include "models/model_ref.h"

namespace {

struct CliResult {
  int code = -1;
  std::string out, err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `env`: more VAR=value assignments for the command, e.g. "FORMBENCH_ENABLE_TEST_FAULTS=1".
CliResult run_cli(const std::vector<std::string>& args, const std::string& env = "") {
  const std::string err_path = std::filesystem::temp_directory_path() / ("fb_cli_err_" + std::to_string(::getpid()));
  std::string cmd = env + " FORMBENCH_CACHE_DIR=" + quote(std::filesystem::temp_directory_path() / "fb_cli_cache") + " " +
                    quote(FORMBENCH_CLI_PATH);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " 2>" + quote(err_path);
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream f(err_path);
  std::stringstream ss;
  ss << f.rdbuf();
  r.err = ss.str();
  std::filesystem::remove(err_path);
  return r;
}

const char* k_model = "resnet18?res=16&classes=10";
const std::vector<std::string> k_fast = {"--warmup", "1", "--warmup-time", "0", "--min-runs", "6", "--min-time", "0",
                                         "--no-ceilings"};

// A clear error: exit status 1 and a message that says `says`.
void expect_error(const CliResult& r, const std::string& says) {
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
}

std::vector<std::string> args(std::vector<std::string> a, bool fast = true) {
  if (fast) a.insert(a.end(), k_fast.begin(), k_fast.end());
  return a;
}

}  // namespace

TEST(MeasureCli, BenchJsonHasTheDocumentedFieldsAndConsistentNumbers) {
  CliResult r = run_cli(args({"bench", k_model, "--backend", "reference", "--check", "--json"}));
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* k : {"schema", "model", "backend", "device", "precision", "threads", "batch", "input_shape",
                        "samples", "samples_ms", "min_ms", "median_ms", "mean_ms", "stddev_ms", "p90_ms", "p99_ms",
                        "max_ms", "ci95_low_ms", "ci95_high_ms", "throughput_ips", "images_per_s", "compile_ms",
                        "first_inference_ms", "timer_overhead_ns", "macs", "flops", "params",
                        "peak_activation_bytes", "achieved_gflops", "peak_gflops", "pct_of_peak", "counters",
                        "agreement", "describe", "machine"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["schema"], "formbench.bench/1");
  EXPECT_EQ(j["backend"], "reference");
  EXPECT_EQ(j["threads"], 1);
  // Statistics recomputed from the raw samples.
  std::vector<double> samples = j["samples_ms"].get<std::vector<double>>();
  ASSERT_EQ(samples.size(), j["samples"].get<size_t>());
  ASSERT_GE(samples.size(), 6u);
  fb::measure::LatencyStats st = fb::measure::compute_stats(samples);
  EXPECT_DOUBLE_EQ(j["median_ms"].get<double>(), st.median);
  EXPECT_DOUBLE_EQ(j["ci95_low_ms"].get<double>(), st.ci->low);
  EXPECT_DOUBLE_EQ(j["throughput_ips"].get<double>(), 1000.0 / st.median);
  EXPECT_LE(j["min_ms"].get<double>(), j["median_ms"].get<double>());
  EXPECT_GT(j["first_inference_ms"].get<double>(), 0);
  // Cost from the cost model, in-process.
  fb::GraphCost c = fb::graph_cost(fb::load_model(k_model, false));
  EXPECT_EQ(j["macs"].get<int64_t>(), c.total.macs);
  EXPECT_EQ(j["params"].get<int64_t>(), c.total.params);
  EXPECT_NEAR(j["achieved_gflops"].get<double>(), c.total.flops / (st.median * 1e6), 1e-9);
  // No ceilings requested: null with a reason, never 0.
  EXPECT_TRUE(j["peak_gflops"].is_null());
  EXPECT_TRUE(j["pct_of_peak"].is_null());
  EXPECT_FALSE(j["peak_reason"].is_null());
  // Counters: hardware with values, or unavailable with a reason and nulls.
  const auto& cnt = j["counters"];
  if (cnt["source"] == "unavailable") {
    EXPECT_FALSE(cnt["reason"].is_null());
    EXPECT_TRUE(cnt["ll_misses_per_inference"].is_null());
    EXPECT_NE(r.err.find("counters unavailable"), std::string::npos) << "said once on stderr";
  }
  // The reference agrees with itself exactly.
  EXPECT_EQ(j["agreement"]["rel_max_error"].get<double>(), 0.0);
  EXPECT_TRUE(j["agreement"]["passed"].get<bool>());
  EXPECT_EQ(j["describe"]["backend"], "reference");
  EXPECT_EQ(j["machine"]["git_revision"], FORMBENCH_GIT_REV);
  EXPECT_TRUE(j["cache_sim"].is_null());
}

// bench is compare's session with one backend: its samples are whole rounds of `block` runs, every round
// carries its noise evidence, and the placement gate applies from two threads on.
TEST(MeasureCli, BenchMeasuresInGatedRounds) {
  CliResult r = run_cli(args({"bench", k_model, "--backend", "reference", "--json", "--no-counters"}));
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  const size_t block = j["block"].get<size_t>();
  ASSERT_GE(block, 1u);
  ASSERT_FALSE(j["rounds"].empty());
  size_t kept = 0;
  for (const auto& round : j["rounds"]) {
    EXPECT_TRUE(round.contains("round_trip_ns"));
    EXPECT_TRUE(round.contains("steal_pct"));
    kept += round["kept"].get<bool>() ? 1 : 0;
  }
  EXPECT_EQ(j["samples"].get<size_t>(), kept * block);
  EXPECT_TRUE(j["placement"]["max_round_trip_ns"].is_null()) << "one thread: no gate";
  EXPECT_EQ(j["placement"]["rounds_rejected"], 0);

  // Two threads and a limit no pair of cores meets: every round whose probe answered is set aside; when none
  // passes before --max-time the result is flagged and uses every round.
  CliResult g = run_cli({"bench", k_model, "--backend", "reference", "--json", "--no-counters", "--no-ceilings",
                         "--threads", "2", "--max-round-trip", "1", "--warmup", "1", "--min-runs", "6",
                         "--min-time", "0", "--max-time", "50"});
  ASSERT_EQ(g.code, 0) << g.err;
  nlohmann::json h = nlohmann::json::parse(g.out);
  if (h["affinity_cpus"].size() < 2) GTEST_SKIP() << "one CPU: the gate needs two";
  EXPECT_EQ(h["placement"]["max_round_trip_ns"].get<double>(), 1.0);
  size_t answered = 0;
  for (const auto& round : h["rounds"]) answered += round["round_trip_ns"].is_null() ? 0 : 1;
  EXPECT_EQ(h["placement"]["rounds_rejected"].get<size_t>(), answered);
  if (answered == h["rounds"].size()) {
    EXPECT_TRUE(h["placement"]["unmet"].get<bool>());
    EXPECT_EQ(h["samples"].get<size_t>(), h["rounds"].size() * h["block"].get<size_t>());
  }
}

TEST(MeasureCli, BenchCsvAndHumanTable) {
  CliResult r = run_cli(args({"bench", k_model, "--backend", "reference", "--csv", "--no-counters"}));
  ASSERT_EQ(r.code, 0) << r.err;
  std::stringstream ss(r.out);
  std::string header, row;
  std::getline(ss, header);
  std::getline(ss, row);
  auto count = [](const std::string& s) { return std::count(s.begin(), s.end(), ','); };
  EXPECT_EQ(header.rfind("model,backend,", 0), 0u);
  EXPECT_EQ(count(header), count(row)) << row;  // no field holds a comma in this run
  CliResult t = run_cli(args({"bench", k_model, "--backend", "reference", "--batch", "2"}));
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("median ms"), std::string::npos);
  EXPECT_NE(t.out.find("batch 2"), std::string::npos);
  EXPECT_NE(t.out.find("images/s"), std::string::npos);
}

TEST(MeasureCli, BadInputIsAClearError) {
  expect_error(run_cli(args({"bench", k_model, "--backend", "nonesuch"})), "unknown backend 'nonesuch'");
  expect_error(run_cli({"bench", k_model, "--backend", "reference", "--min-runs", "0"}), "--min-runs");
  expect_error(run_cli(args({"bench", k_model, "--backend", "reference", "--cache-sim-ll", "96K,16,64"})),
               "--cache-sim-ll");
  expect_error(run_cli(args({"bench", k_model, "--backend", "reference", "--pin", "x"})), "CPU list");
  CliResult u = run_cli({"bench", k_model, "--backend", "reference", "--no-such-flag"});
  EXPECT_EQ(u.code, 2);
}

// What is measured is one table (measure/point_flags.h): bench takes every row's flag and its value reaches
// the result; a bad value is a clear error naming the flag; the cache-simulation child takes the command line
// the table writes.
TEST(MeasureCli, EveryPointFlagIsTakenAndReachesTheResult) {
  // Non-default values (torch computes bf16 on the CPU; the reference only fp32).
  std::vector<std::string> given = {"bench", k_model, "--backend", "torch", "--json", "--no-counters"};
  const std::vector<std::string> values = {"--threads", "2",  "--batch", "3",      "--precision", "bf16",
                                           "--device",  "cpu", "--seed", "7",      "--malloc",    "default"};
  given.insert(given.end(), values.begin(), values.end());
  for (const fb::measure::PointFlag& p : fb::measure::point_flags())
    EXPECT_NE(std::find(values.begin(), values.end(), p.flag), values.end()) << p.flag << " is not tried here";
  CliResult r = run_cli(args(given));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["batch"], 3);
  EXPECT_EQ(j["input_shape"][0], 3);
  EXPECT_EQ(j["precision"], "bf16");
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["settings"]["seed"], 7);
  EXPECT_EQ(j["malloc"], "default");
  // The device reaches the backend, which says where it runs.
  expect_error(run_cli(args({"bench", k_model, "--backend", "reference", "--device", "cuda"})),
               "backend 'reference' runs on the cpu only, not on 'cuda'");
  // A malformed number is a usage error (exit 2), as for every numeric flag; a bad name is an error naming
  // the flag.
  const std::vector<std::pair<std::string, std::string>> numbers = {{"--threads", "two"}, {"--batch", "1.5"}, {"--seed", "x"}};
  for (const auto& [flag, value] : numbers) {
    const CliResult u = run_cli(args({"bench", k_model, "--backend", "reference", flag, value}));
    EXPECT_EQ(u.code, 2) << flag << ": " << u.err;
    EXPECT_NE(u.err.find(flag), std::string::npos) << u.err;
  }
  expect_error(run_cli(args({"bench", k_model, "--backend", "reference", "--precision", "fp8"})),
               "--precision: unknown precision 'fp8'");
  expect_error(run_cli(args({"bench", k_model, "--backend", "reference", "--malloc", "jemalloc"})), "--malloc 'jemalloc'");

  fb::measure::BenchSettings s;
  s.model = k_model;
  s.threads = 2;
  s.seed = 7;
  s.malloc = fb::measure::MallocPolicy::Default;
  const std::vector<std::string> child = fb::measure::cachesim_child_args(s, "reference", 3, 1);
  for (const fb::measure::PointFlag& p : fb::measure::point_flags())
    EXPECT_NE(std::find(child.begin(), child.end(), p.flag), child.end()) << p.flag;
  CliResult c = run_cli(child);
  EXPECT_EQ(c.code, 0) << c.err;
}

TEST(MeasureCli, PinningIsRecorded) {
  CliResult r = run_cli(args({"bench", k_model, "--backend", "reference", "--pin", "0", "--json", "--no-counters"}));
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["pinned"].get<bool>());
  EXPECT_EQ(j["affinity_cpus"], nlohmann::json::array({0}));
}

TEST(MeasureCli, CompareJsonAndCacheSimChild) {
  CliResult r = run_cli(args({"compare", k_model, "--backends", "reference", "--json", "--per-layer",
                              "--per-layer-iterations", "1"}));
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["native"], "reference");
  ASSERT_EQ(j["backends"].size(), 1u);
  const auto& b = j["backends"][0];
  EXPECT_EQ(b["speedup"].get<double>(), 1.0);
  EXPECT_GE(b["samples"].get<int>(), 6);
  EXPECT_TRUE(b["agreement"]["passed"].get<bool>());
  EXPECT_FALSE(b["per_layer_supported"].get<bool>());  // the reference cannot profile layers
  CliResult c = run_cli({"_cachesim-child", k_model, "--backend", "reference", "--iterations", "1"});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(run_cli({"compare", k_model, "--backends", "reference,reference"}).code, 1);
}

// bench --processes K: K processes combined; the later-process interval recomputed here from the process
// medians; --span spreads the processes' starts (a lower bound on the wall time, never an upper one).
TEST(MeasureCli, BenchInProcessesGivesALaterProcessIntervalAndSpreadsWithSpan) {
  const auto t0 = std::chrono::steady_clock::now();
  CliResult r = run_cli(args({"bench", k_model, "--backend", "reference", "--processes", "3", "--span", "3", "--json"}));
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "formbench.compare.processes/1");
  // Three processes ran, and on a busy machine (the suite runs in parallel) the stability rule may leave out a
  // disturbed one (counted apart) and add processes while a CI stays wide, up to 2K.
  EXPECT_GE(j["processes"].get<int>() + j["excluded_processes"].get<int>(), 3);
  EXPECT_LE(j["processes"].get<int>() + j["excluded_processes"].get<int>(), 6);
  ASSERT_GE(j["processes"].get<int>(), 2);
  const nlohmann::json& b = j["backends"][0];
  std::vector<double> logs;
  for (const auto& m : b["process_medians_ms"]) logs.push_back(std::log(m.get<double>()));
  double mean = 0, ss = 0;
  for (double x : logs) mean += x / static_cast<double>(logs.size());
  for (double x : logs) ss += (x - mean) * (x - mean);
  const size_t k = logs.size();
  const double t = k == 2 ? 12.706 : k == 3 ? 4.303 : k == 4 ? 3.182 : k == 5 ? 2.776 : 2.571;  // t(k-1), 97.5%
  const double half = t * std::sqrt(ss / static_cast<double>(k - 1)) * std::sqrt(1 + 1.0 / static_cast<double>(k));
  const double est = b["median_ms"].get<double>();
  // The prediction interval, or the CI where that is wider (never narrower than the CI).
  EXPECT_NEAR(b["next_process_low_ms"].get<double>(), std::min(est * std::exp(-half), b["ci95_low_ms"].get<double>()),
              1e-9 * est);
  EXPECT_NEAR(b["next_process_high_ms"].get<double>(), std::max(est * std::exp(half), b["ci95_high_ms"].get<double>()),
              1e-9 * est);
  EXPECT_GE(wall_s, 3.0);  // the third process started no earlier than 3 s after the first
  expect_error(run_cli(args({"bench", k_model, "--backend", "reference", "--span", "5"})), "--span");
}

// --opt [BACKEND:]KEY=VALUE on the command line: a scoped option reaches its backend and no other.
TEST(MeasureCli, ScopedOptionsReachOnlyTheirBackend) {
  // The reference has no options: the scoped one reached it, and it names the option.
  expect_error(run_cli(args({"compare", k_model, "--backends", "reference", "--opt", "reference:nonesuch=1"})),
               "backend 'reference' has no option 'nonesuch'");
  // A backend that is not measured: an error naming the option, before anything runs.
  expect_error(run_cli(args({"compare", k_model, "--backends", "reference", "--opt", "onednn:fuse=off"})),
               "--opt 'onednn:fuse=off': backend 'onednn' is not measured here");
  expect_error(run_cli(args({"bench", k_model, "--backend", "reference", "--opt", "onednn:fuse=off"})),
               "--opt 'onednn:fuse=off'");
  expect_error(run_cli(args({"bench", k_model, "--backend", "reference", "--opt", ":fuse=off"})),
               "bad --opt ':fuse=off': expected [BACKEND:]KEY=VALUE");
  // The split, per backend: test_noisy (the reference plus a sleep) hands its options to the reference inside
  // it, which refuses them; the reference beside it gets none and is measured.
  const std::string faults = "FORMBENCH_ENABLE_TEST_FAULTS=1";
  CliResult k = run_cli(args({"compare", k_model, "--backends", "reference,test_noisy", "--opt", "test_noisy:x=1",
                              "--keep-going", "--json", "--no-counters", "--no-check"}),
                        faults);
  ASSERT_EQ(k.code, 0) << k.err;
  nlohmann::json j = nlohmann::json::parse(k.out);
  ASSERT_EQ(j["backends"].size(), 2u);
  EXPECT_TRUE(j["backends"][0]["error"].is_null()) << j["backends"][0]["error"];
  EXPECT_GE(j["backends"][0]["samples"].get<int>(), 6);
  EXPECT_NE(j["backends"][1]["error"].get<std::string>().find("has no option 'x'"), std::string::npos);
  // Unscoped, it goes to both: neither runs.
  expect_error(run_cli(args({"compare", k_model, "--backends", "reference,test_noisy", "--opt", "x=1", "--keep-going",
                             "--no-counters", "--no-check"}),
                       faults),
               "has no option 'x'");
}

// Winograd convolutions do fewer multiplications than the FLOP count: a bench that ran any claims no % of
// the FMA peak and says why; the same network with winograd=off gets its percentage (where the peak is
// measured). On a oneDNN without Winograd kernels (3.x) both runs are direct and both get a percentage.
TEST(MeasureCli, NoShareOfThePeakWhereWinogradRan) {
  const std::vector<std::string> with_ceilings = {"--warmup", "1", "--warmup-time", "0", "--min-runs", "6",
                                                  "--min-time", "0", "--json", "--no-counters"};
  for (const char* mode : {"on", "off"}) {
    SCOPED_TRACE(mode);
    std::vector<std::string> a = {"bench", "resnet18?res=56&classes=10", "--backend", "onednn", "--opt",
                                  std::string("winograd=") + mode};
    a.insert(a.end(), with_ceilings.begin(), with_ceilings.end());
    CliResult r = run_cli(a);
    if (r.code != 0 && r.err.find("unknown backend 'onednn'") != std::string::npos) GTEST_SKIP() << "onednn not built";
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    if (j["peak_gflops"].is_null()) GTEST_SKIP() << "no FMA peak measured here: " << j["peak_reason"];
    const int64_t fast = j["describe"]["fast_algorithm_convs"].get<int64_t>();
    if (std::string(mode) == "off") EXPECT_EQ(fast, 0);
    if (fast > 0) {
      EXPECT_TRUE(j["pct_of_peak"].is_null());
      EXPECT_NE(j["peak_reason"].get<std::string>().find("Winograd"), std::string::npos) << j["peak_reason"];
    } else {
      EXPECT_NEAR(j["pct_of_peak"].get<double>(), 100 * j["achieved_gflops"].get<double>() / j["peak_gflops"].get<double>(), 1e-9);
      EXPECT_TRUE(j["peak_reason"].is_null());
    }
  }
}

TEST(MeasureCli, DoctorReportsBackendsAndCounters) {
  CliResult r = run_cli({"doctor", "--json", "--no-ceilings"});
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  bool has_reference = false;
  for (const auto& b : j["backends"]) has_reference |= b["name"] == "reference" && b["built"].get<bool>();
  EXPECT_TRUE(has_reference);
  if (!j["counters"]["available"].get<bool>()) {
    EXPECT_FALSE(j["counters"]["reason"].is_null());
  }
  EXPECT_TRUE(j["machine"].contains("cpu_model"));
  // The threads' placement: 20 probes, ordered statistics, counted against the gate.
  if (j["round_trip_ns"].is_object()) {
    const auto& rt = j["round_trip_ns"];
    EXPECT_GE(rt["probes"].get<int>(), 1);  // a probe on a busy CPU may give no answer within 50 ms
    EXPECT_LE(rt["probes"].get<int>(), 20);
    EXPECT_LE(rt["min"].get<double>(), rt["median"].get<double>());
    EXPECT_LE(rt["median"].get<double>(), rt["max"].get<double>());
    EXPECT_LE(rt["above_gate"].get<int>(), 20);
    EXPECT_EQ(rt["gate"], 250);
  }
}

// `explain` through the CLI: the JSON's attribution adds up to the timed rounds' gain, names its parts, and
// the human table shows the parts; bad input is a one-line error.
TEST(MeasureCli, ExplainSplitsTheGainIntoPartsThatAddUp) {
  const CliResult r = run_cli(args({"explain", k_model, "--backends", "torch,onednn", "--threads", "1", "--json",
                                    "--per-layer-iterations", "5"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "formbench.explain/1");
  ASSERT_EQ(j["attributions"].size(), 1u);
  const nlohmann::json& a = j["attributions"][0];
  EXPECT_EQ(a["native"], "torch");
  EXPECT_EQ(a["accelerated"], "onednn");
  double sum = 0;
  for (const char* part : {"overhead", "fusion", "layout", "kernels", "unmapped", "residual", "drift"}) sum += a["parts_ms"][part].get<double>();
  EXPECT_NEAR(sum, a["gain_ms"].get<double>(), 1e-9);
  EXPECT_NEAR(a["gain_ms"].get<double>(), a["native_ms"].get<double>() - a["accelerated_ms"].get<double>(), 1e-9);
  EXPECT_EQ(a["top"].size(), 5u);
  // ResNet-18's BatchNorms all fold into its convolutions on onednn.
  bool bn = false;
  for (const auto& c : a["classes"])
    if (c["class"] == "batchnorm") bn = c["eliminated"] == c["nodes"];
  EXPECT_TRUE(bn) << a["classes"].dump();
  const CliResult t = run_cli(args({"explain", k_model, "--threads", "1", "--per-layer-iterations", "5", "--no-check"}));
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("passes eliminated by fusion"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("largest contributors:"), std::string::npos) << t.out;
  expect_error(run_cli({"explain", k_model, "--backends", "torch"}), "explain needs two backends");
  expect_error(run_cli({"explain", k_model, "--per-layer-iterations", "0"}), "--per-layer-iterations must be >= 1");
}
