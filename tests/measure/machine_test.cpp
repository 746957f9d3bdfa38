// Machine facts, sysfs cache geometry (from a fake sysfs tree) and CPU pinning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "core/error.h"
#include "formbench/version.h"
#include "measure/affinity.h"
#include "measure/cachesim.h"
#include "measure/ceilings.h"
#include "measure/machine.h"

using namespace fb::measure;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s << "\n";
}

fs::path fake_sysfs() {
  fs::path root = fs::temp_directory_path() / ("fb_sysfs_" + std::to_string(::getpid()));
  fs::remove_all(root);
  auto idx = [&](int i, int level, const char* type, const char* size, int ways, const char* shared) {
    fs::path d = root / ("index" + std::to_string(i));
    write(d / "level", std::to_string(level));
    write(d / "type", type);
    write(d / "size", size);
    write(d / "ways_of_associativity", std::to_string(ways));
    write(d / "coherency_line_size", "64");
    write(d / "shared_cpu_list", shared);
  };
  idx(0, 1, "Data", "48K", 12, "0");
  idx(1, 1, "Instruction", "32K", 8, "0");
  idx(2, 2, "Unified", "2048K", 16, "0-1");
  idx(3, 3, "Unified", "36M", 12, "0-7,16-23");
  return root;
}

}  // namespace

TEST(MeasureMachine, CacheLevelsAndSimulatedGeometryFromSysfs) {
  fs::path root = fake_sysfs();
  auto levels = read_cache_levels(root.string());
  ASSERT_EQ(levels.size(), 4u);
  EXPECT_EQ(levels[0].size_bytes, 48 * 1024);
  EXPECT_EQ(levels[3].size_bytes, 36 * 1024 * 1024);
  EXPECT_EQ(levels[3].ways, 12);
  EXPECT_EQ(levels[3].shared_by_cpus, 16);
  EXPECT_EQ(levels[2].shared_by_cpus, 2);
  HostCacheGeometry g = host_cache_geometry(root.string());
  ASSERT_TRUE(g.ll && g.d1 && g.i1);
  EXPECT_EQ(g.ll->str(), "37748736,12,64");  // the highest level, not L2
  EXPECT_EQ(g.d1->str(), "49152,12,64");
  EXPECT_EQ(g.i1->str(), "32768,8,64");
  fs::remove_all(root);
  EXPECT_TRUE(read_cache_levels("/nonexistent/sysfs").empty());
}

TEST(MeasureMachine, FactsCarryVersionRevisionAndRfc3339Timestamp) {
  MachineFacts m = collect_machine_facts();
  EXPECT_FALSE(m.cpu_model.empty());
  EXPECT_GE(m.logical_cpus, 1);
  EXPECT_GE(m.physical_cores, 1);
  EXPECT_LE(m.physical_cores, m.logical_cpus);
  EXPECT_GT(m.memory_bytes, 0);
  EXPECT_EQ(m.git_revision, FORMBENCH_GIT_REV);
  EXPECT_EQ(m.formbench_version, FORMBENCH_VERSION);
  EXPECT_TRUE(std::regex_match(m.timestamp, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << m.timestamp;
  nlohmann::json j = m.to_json();
  for (const char* k : {"cpu_model", "isa", "caches", "memory_bytes", "os", "kernel", "compiler", "libraries",
                        "git_revision", "timestamp"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_TRUE(j["libraries"].is_object());
}

TEST(MeasureMachine, CpuListsAndPinning) {
  EXPECT_EQ(parse_cpu_list("0,1"), (std::vector<int>{0, 1}));
  EXPECT_EQ(parse_cpu_list("0-3,6"), (std::vector<int>{0, 1, 2, 3, 6}));
  EXPECT_THROW(parse_cpu_list("a,b"), fb::Error);
  EXPECT_THROW(parse_cpu_list("3-1"), fb::Error);
  EXPECT_THROW(parse_cpu_list(""), fb::Error);
  const std::vector<int> before = current_affinity();
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(pin_to_cpus({before.front()}), std::vector<int>{before.front()});
  EXPECT_EQ(pin_to_cpus(before), before);  // restore
}

namespace {
// The upstream version the package manager gives the package owning `soname` ("1.12.0-2+b4" -> "1.12.0"),
// or "" where there is no dpkg or no such package.
std::string dpkg_upstream_version(const std::string& soname) {
  auto run = [](const std::string& cmd) {
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[256];
      while (fgets(buf, sizeof buf, p)) out += buf;
      pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  };
  std::string pkg = run("dpkg-query -S '*/" + soname + "' 2>/dev/null | head -1 | cut -d: -f1");
  if (pkg.empty()) return "";
  std::string v = run("dpkg-query -W -f='${Version}' " + pkg + " 2>/dev/null");
  if (const auto colon = v.find(':'); colon != std::string::npos) v = v.substr(colon + 1);  // epoch
  return v.substr(0, v.find_first_of("-+~"));
}
}  // namespace

// The machine record names ONNX's and protobuf's releases, not their sonames ("1", "32.0.12"): checked
// against the package manager, an independent source.
TEST(MeasureMachine, OnnxAndProtobufVersionsAreReleasesAsThePackagesSay) {
  const nlohmann::json libs = collect_machine_facts().libraries;
  for (const auto& [name, soname] : {std::pair{"onnx", "libonnx.so.1"}, std::pair{"protobuf", "libprotobuf.so.32"}}) {
    if (!libs.contains(name)) continue;  // not linked into this build
    const std::string expected = dpkg_upstream_version(soname);
    if (expected.empty()) GTEST_SKIP() << "no dpkg package owns " << soname;
    EXPECT_EQ(libs[name].get<std::string>(), expected) << name;
  }
}

// The FMA peak is fp32's rate on the cpu: a percentage of it only for fp32 cpu runs (hand-computed), never for
// bf16, int8, a GPU run or a run with Winograd convolutions, and a reason where there is none.
TEST(MeasureMachine, PercentOfPeakOnlyWhereTheFp32PeakBoundsTheRun) {
  using fb::measure::fma_peak_mismatch;
  using fb::measure::pct_of_fma_peak;
  EXPECT_DOUBLE_EQ(pct_of_fma_peak(150, 200.0, "fp32", "cpu").get<double>(), 75.0);
  EXPECT_TRUE(pct_of_fma_peak(150, nlohmann::json(), "fp32", "cpu").is_null());
  EXPECT_TRUE(pct_of_fma_peak(150, 0.0, "fp32", "cpu").is_null());
  EXPECT_TRUE(pct_of_fma_peak(520, 200.0, "int8", "cpu").is_null());
  EXPECT_TRUE(pct_of_fma_peak(150, 200.0, "bf16", "cpu").is_null());
  EXPECT_TRUE(pct_of_fma_peak(150, 200.0, "fp32", "cuda").is_null());
  EXPECT_EQ(fma_peak_mismatch("fp32", "cpu"), "");
  EXPECT_NE(fma_peak_mismatch("int8", "cpu").find("int8"), std::string::npos);
  EXPECT_NE(fma_peak_mismatch("fp32", "cuda").find("cuda"), std::string::npos);
  // Winograd convolutions do fewer multiplications than the FLOP count: no share of the peak, and why.
  EXPECT_TRUE(pct_of_fma_peak(150, 200.0, "fp32", "cpu", 12).is_null());
  EXPECT_DOUBLE_EQ(pct_of_fma_peak(150, 200.0, "fp32", "cpu", 0).get<double>(), 75.0);
  EXPECT_NE(fma_peak_mismatch("fp32", "cpu", 12).find("12 Winograd convolution(s)"), std::string::npos);
}
