// Study specs: parsing (good and bad) and the deterministic expansion into points.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "study/point.h"
#include "models/model_ref.h"
#include "measure/timing_flags.h"
#include "study/spec.h"

namespace fb::study {
namespace {

// A registry stand-in: every model exists, 1 GMAC at batch 1; zoo names ending in "nas" are NAS-found.
ModelInfo fake_info(const std::string& ref, bool is_pattern) {
  if (ref.find("unknown") != std::string::npos) fail("unknown model '{}'", ref);
  ModelInfo i;
  i.family = is_pattern ? "pattern" : ref.ends_with(".onnx") ? "onnx" : ref.find("nas") != std::string::npos ? "nas" : "hand-crafted";
  i.resolution = ref.ends_with(".onnx") ? 299 : 0;
  i.gmacs = 1;
  return i;
}

std::string error_of(const std::string& toml) {
  try {
    parse_spec(toml, "t.toml");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

constexpr const char* k_good = R"(
name = "demo"
backend = ["torch", "onednn"]
threads = [1, 2]
resolution = 32
[measure]
warmup = 2
min_time_ms = 50
repetitions = 5
counters = true
[[patterns]]
pattern = ["plain", "residual"]
depth = "1..3"
width = [16, 32]
[[models]]
model = ["resnet18", "darts_nas", "net.onnx"]
resolution = [64, 128]
batch = [1, 4]
backend = "torch"
measure = { cache_sim = true, timeout_s = 30 }
)";

TEST(StudySpec, ParsesAxesRangesAndOverrides) {
  Spec s = parse_spec(k_good, "t.toml");
  EXPECT_EQ(s.name, "demo");
  EXPECT_EQ(s.backends, (std::vector<std::string>{"torch", "onednn"}));
  EXPECT_EQ(s.threads, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(s.resolutions, (std::vector<int64_t>{32}));
  EXPECT_EQ(s.precisions, (std::vector<std::string>{"fp32"}));
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].depths, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(s.groups[0].widths, (std::vector<int64_t>{16, 32}));
  EXPECT_EQ(*s.groups[1].batches, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(*s.groups[1].backends, (std::vector<std::string>{"torch"}));
  EXPECT_TRUE(*s.groups[1].measure.cache_sim);
  EXPECT_EQ(*s.measure.warmup, 2);
  EXPECT_EQ(*s.measure.repetitions, 5);
}

TEST(StudySpec, Ranges) {
  EXPECT_EQ(parse_range("1..4"), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(parse_range(" 2..10:4 "), (std::vector<int64_t>{2, 6, 10}));
  EXPECT_EQ(parse_range("5..5"), (std::vector<int64_t>{5}));
  for (const char* bad : {"0..3", "4..1", "1..", "..3", "1..3:0", "a..b", "1-3", "1..3:x"})
    EXPECT_THROW(parse_range(bad), Error) << bad;
}

TEST(StudySpec, BadSpecsNameTheKeyAndWhatIsValid) {
  const std::string head = "name = \"x\"\nbackend = \"torch\"\n";
  const std::string pat = "[[patterns]]\npattern = \"plain\"\nwidth = 8\n";
  // The issue's example: the third [[patterns]] table (index 2) with a bad depth.
  EXPECT_EQ(error_of(head + pat + "depth = 1\n" + pat + "depth = 2\n" + pat + "depth = [1, -2]\n"),
            "t.toml: patterns[2].depth: expected a positive integer, a list of positive integers or a range \"1..32\" (line 14)");
  EXPECT_NE(error_of(head + pat + "depth = \"1..x\"\n").find("patterns[0].depth: expected"), std::string::npos);
  EXPECT_NE(error_of(head + pat + "depth = 2.5\n").find("patterns[0].depth: expected"), std::string::npos);
  EXPECT_NE(error_of(head + pat + "depth = []\n").find("patterns[0].depth: expected"), std::string::npos);
  EXPECT_NE(error_of(head + pat + "depth = [2, 2]\n").find("patterns[0].depth: 2 is listed twice"), std::string::npos);
  EXPECT_NE(error_of(head + pat).find("patterns[0]: missing 'depth'"), std::string::npos);
  EXPECT_NE(error_of(head + "[[patterns]]\ndepth = 1\nwidth = 8\n").find("patterns[0]: missing 'pattern'"), std::string::npos);
  // Unknown keys list the valid ones.
  const std::string e = error_of(head + pat + "depth = 1\ndepths = 2\n");
  EXPECT_NE(e.find("patterns[0].depths: unknown key (valid here: "), std::string::npos) << e;
  EXPECT_NE(e.find("depth, "), std::string::npos) << e;
  EXPECT_NE(error_of("name = \"x\"\nbackends = [\"torch\"]\n").find("backends: unknown key"), std::string::npos);
  EXPECT_NE(error_of(head + "precision = \"fp64\"\n" + pat + "depth = 1\n").find("precision: unknown precision 'fp64' (valid: fp32"),
            std::string::npos);
  EXPECT_NE(error_of(head + "[measure]\nwarmup = -1\n" + pat + "depth = 1\n").find("measure.warmup: expected an integer >= 0"),
            std::string::npos);
  EXPECT_NE(error_of(head + "[measure]\nrepetitions = 10\nmax_repetitions = 5\n" + pat + "depth = 1\n")
                .find("measure.max_repetitions: must be >= repetitions (10)"),
            std::string::npos);
  EXPECT_NE(error_of(head + "[measure]\ncache_sim = \"yes\"\n" + pat + "depth = 1\n").find("measure.cache_sim: expected true or false"),
            std::string::npos);
  EXPECT_NE(error_of("name = \"x\"\n" + pat + "depth = 1\n").find("patterns[0]: no backend"), std::string::npos);
  EXPECT_NE(error_of(head).find("nothing to measure"), std::string::npos);
  EXPECT_NE(error_of("backend = \"torch\"\n" + pat + "depth = 1\n").find("name: missing"), std::string::npos);
  EXPECT_NE(error_of(head + "patterns = 3\n").find("patterns: expected an array of tables"), std::string::npos);
  EXPECT_NE(error_of(head + "[[models]]\nmodel = 3\n").find("models[0].model: expected zoo model names"), std::string::npos);
  EXPECT_NE(error_of(head + "[[models]]\nmodel = \"resnet18\"\nparams = { res = 3 }\n").find("models[0].params.res: set this"),
            std::string::npos);
  // TOML syntax errors carry the position.
  EXPECT_NE(error_of("name = \n").find("t.toml: line 1"), std::string::npos);
}

TEST(StudyExpand, OrderCountAndFamilies) {
  Spec s = parse_spec(k_good, "t.toml");
  std::vector<Point> pts = expand(s, fake_info);
  // patterns: 2 names x 3 depths x 2 widths x 1 res x 1 batch x 2 threads x 2 backends = 48
  // models: (2 zoo x 2 res + 1 onnx) x 2 batches x 2 threads x 1 backend = 20
  ASSERT_EQ(pts.size(), 68u);
  EXPECT_EQ(pts[0].model, "pattern:plain?depth=1&width=16&res=32");
  EXPECT_EQ(pts[0].backend, "torch");
  EXPECT_EQ(pts[1].backend, "onednn");  // backend innermost: pairs run back to back
  EXPECT_EQ(pts[0].group, pts[1].group);
  EXPECT_EQ(pts[2].threads, 2);
  EXPECT_EQ(pts[2].group, pts[0].group + 1);
  EXPECT_EQ(pts[4].model, "pattern:plain?depth=1&width=32&res=32");
  EXPECT_EQ(pts[8].model, "pattern:plain?depth=2&width=16&res=32");
  EXPECT_EQ(pts[24].model, "pattern:residual?depth=1&width=16&res=32");
  EXPECT_EQ(*pts[47].depth, 3);
  EXPECT_EQ(pts[48].model, "resnet18?res=64");
  EXPECT_EQ(pts[48].family, "hand-crafted");
  EXPECT_EQ(pts[48].measure.timeout_s.value(), 30);
  EXPECT_TRUE(pts[48].measure.cache_sim.value());
  EXPECT_TRUE(pts[48].measure.counters.value());  // from the top-level [measure]
  EXPECT_EQ(pts[56].model, "darts_nas?res=64");
  EXPECT_EQ(pts[56].family, "nas");
  EXPECT_EQ(pts[64].model, "net.onnx");  // files keep their own resolution
  EXPECT_EQ(pts[64].resolution, 299);
  EXPECT_EQ(pts[64].family, "onnx");
  for (size_t i = 0; i < pts.size(); ++i) EXPECT_EQ(pts[i].seq, static_cast<int64_t>(i));
  std::set<std::string> ids;
  for (const Point& p : pts) ids.insert(p.id);
  EXPECT_EQ(ids.size(), pts.size());
}

TEST(StudyExpand, UnknownModelNamesTheGroup) {
  const std::string spec = "name=\"x\"\nbackend=\"torch\"\n[[models]]\nmodel=\"resnet18\"\n[[models]]\nmodel=[\"a\", \"unknown_net\"]\n";
  try {
    expand(parse_spec(spec, "t.toml"), fake_info);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "t.toml: models[1].model: unknown model 'unknown_net?res=224'");
  }
}

TEST(StudyExpand, IdentityDependsOnEverySettingButNotOnSpelling) {
  const std::string a = "name=\"a\"\nbackend=[\"torch\"]\nthreads=2\n[measure]\nwarmup=3\n[[models]]\nmodel=\"resnet18\"\nresolution=64\n";
  // Same settings, different study name, key order, formatting and timeout.
  const std::string b = "name = \"b\"\n[measure]\ntimeout_s = 5\nwarmup = 3\n[[models]]\nresolution = [64]\nmodel = [\"resnet18\"]\n"
                        "threads = [2]\nbackend = \"torch\"\n";
  const Point pa = expand(parse_spec(a), fake_info).at(0), pb = expand(parse_spec(b), fake_info).at(0);
  EXPECT_EQ(pa.id, pb.id);
  EXPECT_EQ(pa.id.size(), 16u);
  std::set<std::string> ids{pa.id};
  for (std::string changed : {"threads=2", "backend=[\"torch\"]", "warmup=3", "resolution=64"}) {
    std::string v = a;
    const std::string repl = changed == "threads=2"              ? "threads=4"
                             : changed == "backend=[\"torch\"]"   ? "backend=[\"onednn\"]"
                             : changed == "warmup=3"              ? "warmup=4"
                                                                  : "resolution=96";
    v.replace(v.find(changed), changed.size(), repl);
    ids.insert(expand(parse_spec(v), fake_info).at(0).id);
  }
  EXPECT_EQ(ids.size(), 5u);
}

TEST(StudyExpand, DuplicatesKeepTheirFirstPosition) {
  const std::string s = "name=\"x\"\nbackend=[\"torch\",\"onednn\"]\n[[models]]\nmodel=[\"resnet18\",\"resnet34\"]\n"
                        "[[models]]\nmodel=[\"resnet34\",\"resnet50\"]\n";
  std::vector<Point> pts = expand(parse_spec(s), fake_info);
  ASSERT_EQ(pts.size(), 6u);
  EXPECT_EQ(pts[4].model, "resnet50?res=224");
  EXPECT_EQ(pts[4].group, 2);
}

TEST(StudyExpand, CoresMeansTheGivenCountWhenSet) {
  // A cluster task expands threads = "cores" as the cores it is granted (study run --cores), like the submitter.
  const std::string s = "name=\"x\"\nbackend=\"torch\"\nthreads=[1,\"cores\"]\n[[models]]\nmodel=\"resnet18\"\n"
                        "[[models]]\nmodel=\"resnet34\"\nthreads=2\n";
  Spec spec = parse_spec(s);
  EXPECT_TRUE(spec.uses_cores());
  spec.cores = 8;
  std::vector<Point> pts = expand(spec, fake_info);
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(pts[0].threads, 1);
  EXPECT_EQ(pts[1].threads, 8);
  EXPECT_EQ(pts[2].threads, 2);
  EXPECT_FALSE(parse_spec("name=\"x\"\nbackend=\"torch\"\nthreads=\"cores\"\n[[models]]\nmodel=\"resnet18\"\n"
                          "threads=1\n")
                   .uses_cores());  // the group overrides the default
}

TEST(StudyExpand, CacheSimulationOnlyWhereAffordable) {
  const std::string s = "name=\"x\"\nbackend=\"torch\"\n[measure]\ncache_sim=true\ncache_sim_max_gmacs=2.5\n"
                        "[[models]]\nmodel=\"resnet18\"\nbatch=[1,2,4]\n";
  std::vector<Point> pts = expand(parse_spec(s), fake_info);  // 1 GMAC per image
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_TRUE(*pts[0].measure.cache_sim);
  EXPECT_TRUE(*pts[1].measure.cache_sim);
  EXPECT_FALSE(*pts[2].measure.cache_sim);
}

TEST(StudyExpand, ShardsPartitionByComparisonGroup) {
  Spec s = parse_spec(k_good, "t.toml");
  std::vector<Point> pts = expand(s, fake_info);
  std::multiset<std::string> seen;
  for (int i = 1; i <= 3; ++i)
    for (const Point& p : pts)
      if (in_shard(p, {i, 3})) seen.insert(p.id);
  EXPECT_EQ(seen.size(), pts.size());
  for (const Point& p : pts) EXPECT_EQ(seen.count(p.id), 1u);
  // Both backends of one configuration land on the same machine.
  for (size_t i = 0; i + 1 < 48; i += 2) EXPECT_EQ(in_shard(pts[i], {1, 3}), in_shard(pts[i + 1], {1, 3}));
  EXPECT_EQ(parse_shard("2/5"), (std::pair<int, int>{2, 5}));
  for (const char* bad : {"0/3", "4/3", "1/0", "1", "a/b", "1/3x"}) EXPECT_THROW(parse_shard(bad), Error) << bad;
}

// The timing flags are one table (measure/timing_flags.h): each row's spec key is a key the spec reader
// takes, and reaches the point's compare command line as the row's flag with its value.
TEST(StudyExpand, EveryTimingSettingReachesThePointsCommandLineAsItsFlag) {
  std::string s = "name=\"x\"\nbackend=\"torch\"\n[measure]\n";
  for (const measure::TimingFlag& t : measure::timing_flags()) s += fmt::format("{} = 7\n", t.spec_key);
  s += "[[models]]\nmodel=\"m\"\n";
  const std::vector<Point> pts = expand(parse_spec(s), fake_info);
  ASSERT_EQ(pts.size(), 1u);
  const std::vector<std::string> a = group_args({&pts[0]}, 0);
  for (const measure::TimingFlag& t : measure::timing_flags()) {
    const auto it = std::find(a.begin(), a.end(), t.flag);
    ASSERT_NE(it, a.end()) << t.flag;
    ASSERT_NE(it + 1, a.end()) << t.flag;
    EXPECT_EQ(*(it + 1), "7") << t.flag;
  }
}

// explain = true: the first process profiles per layer (compare --per-layer), so each speedup is attributed
// once; the point's identity does not change with it (the timed rounds come before the profiles).
TEST(StudyExpand, ExplainProfilesTheFirstProcessOnly) {
  const std::string head = "name=\"x\"\nbackend=[\"torch\", \"onednn\"]\n[measure]\nprocesses=3\n";
  const std::string pat = "[[patterns]]\npattern=\"plain\"\ndepth=2\nwidth=8\nresolution=16\n";
  std::vector<Point> on = expand(parse_spec(head + "explain=true\n" + pat), fake_info);
  std::vector<Point> off = expand(parse_spec(head + pat), fake_info);
  ASSERT_EQ(on.size(), 2u);
  auto has = [](const std::vector<std::string>& v, const char* x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  EXPECT_TRUE(has(group_args({&on[0], &on[1]}, 0), "--per-layer"));
  EXPECT_FALSE(has(group_args({&on[0], &on[1]}, 1), "--per-layer"));
  EXPECT_FALSE(has(group_args({&off[0], &off[1]}, 0), "--per-layer"));
  EXPECT_EQ(on[0].id, off[0].id);
  EXPECT_NE(error_of(head + "explain=\"yes\"\n" + pat).find("measure.explain: expected true or false"), std::string::npos);
  // A group's own [measure] turns it off for that group.
  std::vector<Point> mixed = expand(parse_spec(head + "explain=true\n" + pat + "measure = { explain = false }\n"), fake_info);
  EXPECT_FALSE(has(group_args({&mixed[0], &mixed[1]}, 0), "--per-layer"));
}

TEST(StudyExpand, GroupArgumentsMeasureTheBackendsTogether) {
  const std::string s = "name=\"x\"\nbackend=[\"torch\", \"onednn\"]\nthreads=2\nprecision=\"bf16\"\n[measure]\nwarmup=1\n"
                        "min_time_ms=20\nrepetitions=3\ncounters=true\ncheck=true\ncache_sim=true\nprocesses=4\n"
                        "[[patterns]]\npattern=\"plain\"\ndepth=2\nwidth=8\nresolution=16\nparams={staged=1}\n";
  std::vector<Point> pts = expand(parse_spec(s), fake_info);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].group, pts[1].group);
  EXPECT_EQ(pts[0].model, "pattern:plain?depth=2&width=8&res=16&staged=1");
  EXPECT_EQ(pts[0].settings_json()["processes"], 4);
  const std::vector<std::string> a = group_args({&pts[0], &pts[1]}, 0);
  ASSERT_GE(a.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(a.begin(), a.begin() + 4),
            (std::vector<std::string>{"compare", pts[0].model, "--backends", "torch,onednn"}));
  auto value_of = [](const std::vector<std::string>& v, const std::string& flag) {
    const auto it = std::find(v.begin(), v.end(), flag);
    return it == v.end() || it + 1 == v.end() ? std::string("(absent)") : *(it + 1);
  };
  EXPECT_EQ(value_of(a, "--threads"), "2");
  EXPECT_EQ(value_of(a, "--batch"), "1");
  EXPECT_EQ(value_of(a, "--precision"), "bf16");
  EXPECT_EQ(value_of(a, "--device"), "cpu");
  EXPECT_EQ(value_of(a, "--order-seed"), "1");
  EXPECT_EQ(value_of(a, "--processes"), "1");
  auto has = [](const std::vector<std::string>& v, const char* x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  EXPECT_TRUE(has(a, "--json"));
  EXPECT_TRUE(has(a, "--keep-going"));
  // The first process checks and simulates; later ones only time, with their own round order.
  EXPECT_FALSE(has(a, "--no-check"));
  EXPECT_TRUE(has(a, "--cache-sim"));
  const std::vector<std::string> b = group_args({&pts[0], &pts[1]}, 2);
  EXPECT_TRUE(has(b, "--no-check"));
  EXPECT_FALSE(has(b, "--cache-sim"));
  EXPECT_EQ(value_of(b, "--order-seed"), "3");
  EXPECT_EQ(processes_of(pts[0].measure), 4);
  EXPECT_EQ(max_processes_of(pts[0].measure), 8);
  EXPECT_THROW(parse_spec("name=\"x\"\nbackend=\"torch\"\n[measure]\nprocesses=4\nmax_processes=2\n"), Error);
  // The disturbance limit: the rule's default unless the spec sets it; runner-only, so no compare argument.
  EXPECT_DOUBLE_EQ(stability_rule_of(pts[0].measure).switches_per_thread_s, measure::StabilityRule{}.switches_per_thread_s);
  const Spec busy = parse_spec("name=\"x\"\nbackend=\"torch\"\n[measure]\nmax_preemptions_per_thread_s=500\n[[models]]\nmodel=\"m\"\n");
  EXPECT_DOUBLE_EQ(stability_rule_of(busy.measure).switches_per_thread_s, 500);
  EXPECT_FALSE(pts[0].settings_json().contains("max_preemptions_per_thread_s"));
  // The placement gate is a measurement setting: part of a point's identity and passed to the child.
  const Spec gated = parse_spec("name=\"x\"\nbackend=\"torch\"\nthreads=2\n[measure]\nmax_round_trip_ns=0\n[[models]]\nmodel=\"m\"\n");
  const auto gp = expand(gated, fake_info);
  ASSERT_EQ(gp.size(), 1u);
  EXPECT_EQ(gp[0].settings_json()["max_round_trip_ns"], 0);
  const auto ga = group_args({&gp[0]}, 0);
  const auto at = std::find(ga.begin(), ga.end(), "--max-round-trip");
  ASSERT_NE(at, ga.end());
  EXPECT_EQ(*(at + 1), "0");
  EXPECT_THROW(parse_spec("name=\"x\"\nbackend=\"torch\"\n[measure]\nmax_round_trip_ns=-1\n"), Error);
  EXPECT_FALSE(pts[0].settings_json().contains("max_round_trip_ns"));
}

// The `options` axis: entries of space-separated [BACKEND:]KEY=VALUE items, "" for none; a group's replaces the
// top level's.
TEST(StudySpec, OptionsAxis) {
  const std::string head = "name=\"x\"\nbackend=[\"torch\", \"onednn\"]\n";
  const Spec s = parse_spec(head + "options=[\"\", \" onednn:fuse=off  layout=plain\"]\n[[models]]\nmodel=\"a\"\n"
                                   "[[models]]\nmodel=\"b\"\noptions=\"fuse=on\"\n",
                            "t.toml");
  ASSERT_EQ(s.options.size(), 2u);
  EXPECT_TRUE(s.options[0].empty());
  EXPECT_EQ(s.options[1], (OptionSet{{"onednn:fuse", "off"}, {"layout", "plain"}}));
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_FALSE(s.groups[0].options.has_value());
  ASSERT_TRUE(s.groups[1].options.has_value());
  EXPECT_EQ(*s.groups[1].options, (std::vector<OptionSet>{OptionSet{{"fuse", "on"}}}));
  // Left out: one entry, the backends' defaults.
  EXPECT_EQ(parse_spec(head + "[[models]]\nmodel=\"a\"\n").options, (std::vector<OptionSet>{OptionSet{}}));
  // Malformed entries name the key and the item.
  const std::string model = "[[models]]\nmodel=\"a\"\n";
  for (const char* item : {"fuse", "=off", ":fuse=off", "onednn:=off", "a:b:c=1", "on-ednn:fuse=off"}) {
    const std::string e = error_of(head + "options=[\"\", \"" + item + "\"]\n" + model);
    EXPECT_EQ(e.rfind(std::string("t.toml: options: '") + item + "' is not [BACKEND:]KEY=VALUE", 0), 0u) << e;
  }
  EXPECT_NE(error_of(head + model + "options=\"fuse=off fuse=on\"\n").find("models[0].options: 'fuse' is set twice"),
            std::string::npos);
  EXPECT_NE(error_of(head + "options=[\"a=1 b=2\", \"b=2 a=1\"]\n" + model).find("options: entries 0 and 1 are the same"),
            std::string::npos);
  EXPECT_NE(error_of(head + "options=[]\n" + model).find("options: expected a string or a list of strings"), std::string::npos);
  EXPECT_NE(error_of(head + "options=[\"\", 3]\n" + model).find("options: expected a string or a list of strings"),
            std::string::npos);
  // A scoped item for a backend the group does not measure: refused by the expansion, before any model is built.
  int built = 0;
  const ModelResolver counting = [&](const std::string& ref, bool is_pattern) {
    ++built;
    return fake_info(ref, is_pattern);
  };
  auto expand_error = [&](const std::string& toml) -> std::string {
    try {
      expand(parse_spec(toml, "t.toml"), counting);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(expand_error(head + model + "[[models]]\nmodel=\"b\"\nbackend=\"torch\"\noptions=[\"\", \"onednn:fuse=off\"]\n"),
            "t.toml: models[1].options: 'onednn:fuse=off' names backend 'onednn', which models[1] does not measure "
            "(backend: torch)");
  EXPECT_EQ(expand_error(head + "options=\"onednn:fuse=off\"\n" + model + "backend=[\"torch\", \"torchscript\"]\n"),
            "t.toml: options: 'onednn:fuse=off' names backend 'onednn', which models[0] does not measure "
            "(backend: torch, torchscript)");
  EXPECT_EQ(built, 0);
}

TEST(StudyExpand, OneComparisonGroupPerOptionsEntry) {
  const std::string head = "name=\"x\"\nbackend=[\"torch\", \"onednn\"]\nthreads=[1, 2]\n";
  const std::string model = "[[models]]\nmodel=\"resnet18\"\n";
  const std::vector<Point> plain = expand(parse_spec(head + model), fake_info);
  ASSERT_EQ(plain.size(), 4u);
  EXPECT_FALSE(plain[0].settings_json().contains("options"));
  EXPECT_EQ(plain[0].label(), "resnet18?res=224 torch t=1 b=1");
  // Saying "" (the default) changes nothing: the same points and identities, so a database's resume holds.
  for (const std::string& spelled : {head + "options=[\"\"]\n" + model, head + model + "options=\"\"\n"}) {
    const std::vector<Point> same = expand(parse_spec(spelled), fake_info);
    ASSERT_EQ(same.size(), plain.size()) << spelled;
    for (size_t i = 0; i < plain.size(); ++i) {
      EXPECT_EQ(same[i].id, plain[i].id) << spelled;
      EXPECT_EQ(same[i].group, plain[i].group) << spelled;
    }
  }
  const std::vector<Point> pts =
      expand(parse_spec(head + "options=[\"\", \"onednn:fuse=off\", \"onednn:fuse=off onednn:layout=plain\"]\n" + model),
             fake_info);
  // threads x options x backend: each entry is a comparison group of its own, its backends back to back.
  ASSERT_EQ(pts.size(), 12u);
  for (size_t i = 0; i < pts.size(); ++i) {
    EXPECT_EQ(pts[i].group, static_cast<int64_t>(i / 2)) << i;
    EXPECT_EQ(pts[i].backend, i % 2 ? "onednn" : "torch") << i;
    EXPECT_EQ(pts[i].group_size, 2) << i;
    EXPECT_EQ(pts[i].threads, i < 6 ? 1 : 2) << i;
  }
  // The plain entry's points are the plain spec's; the others are new points, torch's too (it shares their
  // processes, so it is not the plain group's torch measurement).
  EXPECT_EQ(pts[0].id, plain[0].id);
  EXPECT_EQ(pts[1].id, plain[1].id);
  EXPECT_EQ(pts[6].id, plain[2].id);
  EXPECT_EQ(pts[7].id, plain[3].id);
  std::set<std::string> ids;
  for (const Point& p : pts) ids.insert(p.id);
  EXPECT_EQ(ids.size(), pts.size());
  EXPECT_EQ(pts[2].options, (OptionSet{{"onednn:fuse", "off"}}));
  EXPECT_EQ(pts[3].options, pts[2].options);
  EXPECT_EQ(pts[2].settings_json()["options"].dump(), R"({"onednn:fuse":"off"})");
  EXPECT_EQ(pts[3].label(), "resnet18?res=224 onednn t=1 b=1 (onednn:fuse=off)");
  EXPECT_EQ(pts[5].label(), "resnet18?res=224 onednn t=1 b=1 (onednn:fuse=off onednn:layout=plain)");
  // A group's own entry replaces the top level's.
  const std::vector<Point> over =
      expand(parse_spec("name=\"x\"\nbackend=[\"torch\", \"onednn\"]\noptions=[\"\", \"onednn:fuse=off\"]\n" + model +
                        "[[models]]\nmodel=\"darts\"\noptions=\"onednn:layout=plain\"\n"),
             fake_info);
  ASSERT_EQ(over.size(), 6u);
  EXPECT_EQ(over[4].model, "darts?res=224");
  EXPECT_EQ(over[4].options, (OptionSet{{"onednn:layout", "plain"}}));
  EXPECT_EQ(over[5].group, 2);
}

TEST(StudyExpand, GroupArgumentsCarryTheOptions) {
  const std::vector<Point> pts = expand(
      parse_spec("name=\"x\"\nbackend=[\"torch\", \"onednn\"]\noptions=\"fuse=off onednn:layout=plain\"\n[[models]]\nmodel=\"m\"\n"),
      fake_info);
  ASSERT_EQ(pts.size(), 2u);
  auto opts = [](const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == "--opt") out.push_back(args[i + 1]);
    return out;
  };
  const std::vector<std::string> both{"fuse=off", "onednn:layout=plain"};
  EXPECT_EQ(opts(group_args({&pts[0], &pts[1]}, 0)), both);
  EXPECT_EQ(opts(group_args({&pts[0], &pts[1]}, 2)), both);  // every process, not only the first
  // torch measured alone (after its group's process crashed): onednn's own option stays out, the shared one goes.
  EXPECT_EQ(opts(group_args({&pts[0]}, 0)), std::vector<std::string>{"fuse=off"});
  EXPECT_EQ(opts(group_args({&pts[1]}, 0)), both);
  const std::vector<Point> plain =
      expand(parse_spec("name=\"x\"\nbackend=[\"torch\", \"onednn\"]\n[[models]]\nmodel=\"m\"\n"), fake_info);
  EXPECT_TRUE(opts(group_args({&plain[0], &plain[1]}, 0)).empty());
}

}  // namespace
}  // namespace fb::study

namespace fb::study {
namespace {

TEST(StudySpec, ThreadsMayBeThePhysicalCoreCount) {
  Spec s = parse_spec("name=\"x\"\nbackend=\"torch\"\nthreads=[1, \"cores\"]\n[[models]]\nmodel=\"resnet18\"\n");
  EXPECT_EQ(s.threads, (std::vector<int64_t>{1, 0}));
  std::vector<Point> pts = expand(s, fake_info);
  ASSERT_GE(pts.size(), 1u);
  EXPECT_EQ(pts[0].threads, 1);
  if (pts.size() == 2) {  // one point only on a single-core machine
    EXPECT_GT(pts[1].threads, 1);
  }
  EXPECT_NE(error_of("name=\"x\"\nbackend=\"torch\"\nthreads=\"core\"\n[[models]]\nmodel=\"a\"\n")
                .find("threads: expected a positive integer, a list of positive integers or a range \"1..32\" or \"cores\""),
            std::string::npos);
  EXPECT_NE(error_of("name=\"x\"\nbackend=\"torch\"\nbatch=\"cores\"\n[[models]]\nmodel=\"a\"\n").find("batch: expected"),
            std::string::npos);
}

Spec preset(const std::string& name) { return load_spec(std::string(FORMBENCH_SOURCE_DIR) + "/studies/" + name + ".toml"); }

TEST(StudyPresets, ExpandToTheDocumentedGrids) {
  // quick: (6 patterns x 3 depths + 5 zoo models) x 2 backends.
  std::vector<Point> quick = expand(preset("quick"), fake_info);
  EXPECT_EQ(quick.size(), (6u * 3 + 5) * 2);
  for (const Point& p : quick) EXPECT_EQ(p.threads, 2);
  // paper: patterns (6 x 10 depths at width 32 + 6 x 3 more widths + 4 x 4 + 6 x 3 staged) x 2 backends,
  // plus 25 zoo models x 3 backends, all on "cores" threads.
  std::vector<Point> paper = expand(preset("paper"), fake_info);
  const size_t pattern_configs = 6 * 10 + 6 * 3 + 4 * 4 + 6 * 3;
  EXPECT_EQ(paper.size(), pattern_configs * 2 + 25 * 3);
  // The cache simulation only where the spec asks: depths 1, 4, 16 and the width sweep.
  for (const Point& p : paper) {
    if (p.measure.cache_sim.value_or(false)) {
      EXPECT_EQ(p.model.rfind("pattern:", 0), 0u) << p.model;
    }
  }
  std::set<std::string> backends;
  for (const Point& p : paper) backends.insert(p.backend);
  EXPECT_EQ(backends, (std::set<std::string>{"torch", "torchscript", "onednn"}));
  // paper_full: the grid paper was cut from, (6 x 16 depths x 3 widths + 4 x 5 x 2 + 6 x 4 staged + 25 zoo models)
  // x {1, "cores"} threads x 3 backends = 2,262 points; "cores" as a cluster task's 16 cores.
  Spec full = preset("paper_full");
  EXPECT_TRUE(full.uses_cores());
  full.cores = 16;
  std::vector<Point> all = expand(full, fake_info);
  EXPECT_EQ(all.size(), 2262u);
  for (const Point& p : all) {
    EXPECT_TRUE(p.threads == 1 || p.threads == 16) << p.label();
    if (p.measure.cache_sim.value_or(false)) {
      EXPECT_EQ(p.threads, 1) << p.label();
    }
  }
}

TEST(StudyPresets, NameOnlyRegisteredModelsWithValidParameters) {
  // Builds every preset model (without weights): names, widths, resolutions and staged settings must be valid.
  const auto& zoo = zoo_models();
  if (patterns().empty() || std::none_of(zoo.begin(), zoo.end(), [](const ModelEntry& e) { return e.name == "darts"; }))
    GTEST_SKIP() << "this build lacks the pattern networks or the NAS networks the presets name";
  for (const char* name : {"quick", "paper", "paper_full"}) {
    std::vector<Point> pts;
    EXPECT_NO_THROW(pts = expand(preset(name), registry_resolver())) << name;
    EXPECT_FALSE(pts.empty()) << name;
  }
}

}  // namespace
}  // namespace fb::study
