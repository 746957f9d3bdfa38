// Machine facts, sysfs cache geometry (from a fake sysfs tree) and CPU pinning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "core/error.h"
#include "formbench/version.h"
#include "measure/affinity.h"
#include "measure/cachesim.h"
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
