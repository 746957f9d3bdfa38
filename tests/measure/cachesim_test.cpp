// Cache simulation: the output parser (cachegrind's and callgrind's) and the per-inference division against
// hand-computed values,
// geometry handling, and an end-to-end run under valgrind on a tiny network whose weights (256 KiB) fit a
// 1 MiB simulated LL but not a 64 KiB one. The child is this test binary itself (see child_mode below).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/backend.h"
#include "core/error.h"
#include "ir/builder.h"
#include "own_command_line.h"
#include "measure/cachesim.h"

using namespace fb;
using namespace fb::measure;

namespace {

constexpr const char* k_child_flag = "--formbench-cachesim-test-child";

// Linear 256 -> 256: 256 KiB of fp32 weights.
Graph tiny_linear() {
  GraphBuilder b("tiny_linear");
  ValueId x = b.input("x", {1, 256});
  b.output(b.relu(b.linear(x, 256, "fc"), "relu"));
  Graph g = b.finish();
  materialize_weights(g, 3);
  return g;
}

// When valgrind starts this binary with k_child_flag, run the loop and exit before GoogleTest starts.
const bool child_mode = [] {
  const std::vector<std::string> args = fb::test::own_command_line();
  if (args.size() != 3 || args[1] != k_child_flag) return false;
  const int iterations = std::atoi(args[2].c_str());
  Graph g = tiny_linear();
  auto exe = make_backend("reference")->compile(g, CompileOptions{});
  auto inputs = make_inputs(g, 1);
  std::vector<Tensor> out;
  run_simulated_loop([&] { exe->run(inputs, out); }, iterations);
  std::exit(0);
}();

const char* k_sample = R"(desc: I1 cache:         32768 B, 64 B, 8-way associative
desc: D1 cache:         32768 B, 64 B, 8-way associative
desc: LL cache:         33554432 B, 64 B, 16-way associative
cmd: ./prog 2
events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
fl=prog.c
fn=main
1 5 1 1 2 0 0 1 0 0
summary: 1800 12 5 900 90 36 360 50 18
)";

}  // namespace

TEST(MeasureCacheSim, ParsesCachegrindSummary) {
  CachegrindTotals t = parse_cachegrind_output(k_sample);
  EXPECT_DOUBLE_EQ(t.get("Ir"), 1800);
  EXPECT_DOUBLE_EQ(t.get("DLmw"), 18);
  EXPECT_THROW(t.get("Bc"), fb::Error);
  EXPECT_THROW(parse_cachegrind_output("events: Ir\n"), fb::Error);                  // no summary
  EXPECT_THROW(parse_cachegrind_output("summary: 1\n"), fb::Error);                  // no events
  EXPECT_THROW(parse_cachegrind_output("events: Ir\nsummary: 1 2\n"), fb::Error);     // more values than events
  EXPECT_THROW(parse_cachegrind_output("events: Ir\nsummary: 1x\n"), fb::Error);
}

// callgrind: `summary:` covers the last dump only and `totals:` the run; trailing zeros are left out.
const char* k_callgrind_sample = R"(creator: callgrind-3.19.0
positions: line
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
summary: 0
fl=(1) prog.c
fn=(1) main
3 4 2 1
totals: 12582915 4194304 2097153 1 131074 1 1
)";

TEST(MeasureCacheSim, ParsesCallgrindTotals) {
  CachegrindTotals t = parse_cachegrind_output(k_callgrind_sample);
  EXPECT_DOUBLE_EQ(t.get("Ir"), 12582915);
  EXPECT_DOUBLE_EQ(t.get("D1mr"), 131074);
  EXPECT_DOUBLE_EQ(t.get("ILmr"), 1);
  EXPECT_DOUBLE_EQ(t.get("DLmr"), 0);  // left out: zero
  EXPECT_DOUBLE_EQ(t.get("DLmw"), 0);
  EXPECT_THROW(parse_cachegrind_output("events: Ir\ntotals: 1 2\n"), fb::Error);  // more values than events
}

TEST(MeasureCacheSim, PerInferenceIsTheTotalsOverK) {
  CachegrindTotals two_runs = parse_cachegrind_output(k_sample);
  CacheSimResult r = derive_per_inference(two_runs, 2);
  EXPECT_DOUBLE_EQ(r.instructions, 900);             // 1800 / 2
  EXPECT_DOUBLE_EQ(r.ll_refs, (12 + 90 + 50) / 2.0);  // I1mr + D1mr + D1mw
  EXPECT_DOUBLE_EQ(r.ll_misses, (5 + 36 + 18) / 2.0);  // ILmr + DLmr + DLmw
  EXPECT_DOUBLE_EQ(r.data_refs, (900 + 360) / 2.0);
  EXPECT_NEAR(r.ll_miss_rate(), 59.0 / 152.0, 1e-12);
  EXPECT_EQ(r.to_json()["source"], "simulated");
  EXPECT_THROW(derive_per_inference(two_runs, 0), fb::Error);
}

TEST(MeasureCacheSim, GeometryParsingAndPowerOfTwoSets) {
  CacheGeometry g = parse_cache_geometry("32M,16,64", "--cache-sim-ll");
  EXPECT_EQ(g.size_bytes, 32 << 20);
  EXPECT_EQ(g.str(), "33554432,16,64");
  EXPECT_EQ(parse_cache_geometry("48K,12,64", "x").size_bytes, 48 * 1024);  // 64 sets: fine
  EXPECT_THROW(parse_cache_geometry("32M,16", "x"), fb::Error);
  EXPECT_THROW(parse_cache_geometry("1X,1,64", "x"), fb::Error);
  EXPECT_THROW(parse_cache_geometry("96K,16,64", "x"), fb::Error);  // 96 sets
  EXPECT_THROW(parse_cache_geometry("64K,16,48", "x"), fb::Error);  // line not a power of two
  std::string note;
  CacheGeometry h = simulable_geometry({36 << 20, 12, 64}, &note);  // 49152 sets = 3 x 16384
  EXPECT_EQ(h.size_bytes, 36 << 20);
  EXPECT_EQ(h.assoc, 36);
  EXPECT_FALSE(note.empty());
  std::string none;
  EXPECT_EQ(simulable_geometry({32 << 20, 16, 64}, &none).assoc, 16);
  EXPECT_TRUE(none.empty());
}

TEST(MeasureCacheSim, ChildEnvironmentAvoidsAvx512UnderValgrind) {
  const char* saved = std::getenv("OPENBLAS_CORETYPE");
  const std::string keep = saved ? saved : "";
  unsetenv("OPENBLAS_CORETYPE");
  EXPECT_EQ(cache_sim_child_env()["OPENBLAS_CORETYPE"], "HASWELL");
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  EXPECT_EQ(cache_sim_child_env()["OPENBLAS_CORETYPE"], "HASWELL");  // would SIGILL under valgrind
  setenv("OPENBLAS_CORETYPE", "ZEN", 1);
  EXPECT_EQ(cache_sim_child_env().count("OPENBLAS_CORETYPE"), 0u);  // the user's choice stands
  if (saved) setenv("OPENBLAS_CORETYPE", keep.c_str(), 1);
  else unsetenv("OPENBLAS_CORETYPE");
}

TEST(MeasureCacheSim, WorkingSetThatFitsTheSimulatedLlMissesFarLess) {
  if (!valgrind_version()) GTEST_SKIP() << "valgrind not installed";
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "valgrind cannot run an AddressSanitizer binary (its runtime must come first)";
#endif
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  auto argv_for = [&](int k) { return std::vector<std::string>{self, k_child_flag, std::to_string(k)}; };
  CacheSimSettings s;
  s.iterations = 2;
  s.i1 = CacheGeometry{32768, 8, 64};
  s.d1 = CacheGeometry{4096, 4, 64};  // tiny D1, so the weights stream through LL each inference
  s.ll = CacheGeometry{1 << 20, 16, 64};
  // One OpenMP thread: idle pool threads spinning in the child would add references that differ run to run.
  auto env = cache_sim_child_env();
  env["OMP_NUM_THREADS"] = "1";
  CacheSimResult fits = run_cache_sim(argv_for, env, s);
  s.ll = CacheGeometry{64 << 10, 16, 64};
  CacheSimResult spills = run_cache_sim(argv_for, env, s);
  // 256 KiB of weights = 4096 lines. LRU and a streaming pass larger than the cache: every weight line
  // misses in the 64 KiB LL; in the 1 MiB LL they stay resident after the warm-up run.
  RecordProperty("ll_misses_fits", std::to_string(fits.ll_misses));
  RecordProperty("ll_misses_spills", std::to_string(spills.ll_misses));
  RecordProperty("ll_refs", std::to_string(spills.ll_refs));
  EXPECT_GT(spills.ll_misses, 4000) << spills.to_json().dump();
  EXPECT_LT(fits.ll_misses, 100) << fits.to_json().dump();
  EXPECT_GT(spills.ll_miss_rate(), 0.5);
  // The same program: LL references (L1 misses) roughly agree, since D1 and I1 are the same in both. Not
  // exactly: heap addresses differ between runs, and with a 4 KiB D1 that moves conflict misses (seen: 4151
  // vs 4553 references per inference with the LibTorch-linked test binary as the child).
  EXPECT_NEAR(fits.ll_refs, spills.ll_refs, 0.2 * spills.ll_refs);
  EXPECT_GT(fits.instructions, 256 * 256);  // at least one instruction per MAC
}
