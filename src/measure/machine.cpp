#include "measure/machine.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/library_versions.h"
#include "formbench/version.h"

#if __has_include(<torch/version.h>)
#include <torch/version.h>
#endif

namespace fb::measure {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

// "32K" / "1024K" / "32M" -> bytes
int64_t parse_sysfs_size(const std::string& s) {
  if (s.empty()) return 0;
  int64_t v = 0;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) v = v * 10 + (s[i++] - '0');
  if (i < s.size()) {
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
    if (u == 'K') v <<= 10;
    else if (u == 'M') v <<= 20;
    else if (u == 'G') v <<= 30;
  }
  return v;
}

int count_cpu_list(const std::string& list) {  // "0-3,8" -> 5
  int n = 0;
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    auto dash = part.find('-');
    try {
      if (dash == std::string::npos) n += part.empty() ? 0 : 1;
      else n += std::stoi(part.substr(dash + 1)) - std::stoi(part.substr(0, dash)) + 1;
    } catch (...) {
    }
  }
  return n;
}

std::string cpuinfo_field(const std::string& key) {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        return v;
      }
    }
  }
  return {};
}

const std::set<std::string>& cpu_flags() {
  static const std::set<std::string> flags = [] {
    std::set<std::string> s;
    std::stringstream ss(cpuinfo_field("flags"));
    std::string f;
    while (ss >> f) s.insert(f);
    return s;
  }();
  return flags;
}

// Loaded shared objects whose file name starts with `prefix` (real path, so the version suffix shows).
struct LoadedLib {
  std::string path;
};
std::vector<LoadedLib> loaded_libraries() {
  std::vector<LoadedLib> out;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        if (info->dlpi_name && *info->dlpi_name) {
          std::error_code ec;
          auto real = std::filesystem::canonical(info->dlpi_name, ec);
          static_cast<std::vector<LoadedLib>*>(data)->push_back({ec ? info->dlpi_name : real.string()});
        }
        return 0;
      },
      &out);
  return out;
}

std::string file_version(const std::string& path, const std::string& stem) {  // ".../libdnnl.so.2.6" -> "2.6"
  const std::string name = std::filesystem::path(path).filename().string();
  const auto pos = name.find(".so.");
  return pos == std::string::npos ? name : name.substr(pos + 4);
}

void* loaded_symbol(const char* soname_prefix, const char* symbol, const std::vector<LoadedLib>& libs) {
  for (const LoadedLib& l : libs) {
    if (std::filesystem::path(l.path).filename().string().rfind(soname_prefix, 0) != 0) continue;
    void* h = dlopen(l.path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (!h) continue;
    void* s = dlsym(h, symbol);
    dlclose(h);
    if (s) return s;
  }
  return nullptr;
}

nlohmann::json library_versions() {
  nlohmann::json j = nlohmann::json::object();
  const auto libs = loaded_libraries();
  auto find = [&](const char* prefix) -> const LoadedLib* {
    for (const LoadedLib& l : libs)
      if (std::filesystem::path(l.path).filename().string().rfind(prefix, 0) == 0) return &l;
    return nullptr;
  };
  if (const LoadedLib* l = find("libtorch_cpu")) {
#ifdef TORCH_VERSION
    (void)l;  // the compiled-in version wins; the library's file name is the fallback
    j["libtorch"] = TORCH_VERSION;
#else
    j["libtorch"] = file_version(l->path, "libtorch_cpu");
#endif
  }
  if (find("libdnnl")) {
    struct DnnlVersion {
      int major, minor, patch;
      const char* hash;
      unsigned cpu_runtime, gpu_runtime;
    };
    using Fn = const DnnlVersion* (*)();
    if (auto fn = reinterpret_cast<Fn>(loaded_symbol("libdnnl", "dnnl_version", libs))) {
      const DnnlVersion* v = fn();
      j["onednn"] = fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
    }
  }
  // The release a layer registered beats the file name's soname (libonnx.so.1 says nothing).
  const auto registered = registered_library_versions();
  auto release_or_soname = [&](const char* name, const char* prefix) {
    if (const LoadedLib* l = find(prefix)) {
      const auto r = registered.find(name);
      j[name] = r != registered.end() ? r->second : file_version(l->path, prefix);
    }
  };
  release_or_soname("onnx", "libonnx");
  release_or_soname("protobuf", "libprotobuf");
  if (find("libcudart")) {
    using Fn = int (*)(int*);
    int v = 0;
    if (auto fn = reinterpret_cast<Fn>(loaded_symbol("libcudart", "cudaRuntimeGetVersion", libs)); fn && fn(&v) == 0)
      j["cuda_runtime"] = fmt::format("{}.{}", v / 1000, (v % 1000) / 10);
  }
  if (find("libcudnn")) {
    using Fn = size_t (*)();
    if (auto fn = reinterpret_cast<Fn>(loaded_symbol("libcudnn", "cudnnGetVersion", libs))) {
      const size_t v = fn();
      j["cudnn"] = v >= 10000 ? fmt::format("{}.{}.{}", v / 10000, (v % 10000) / 100, v % 100)
                              : fmt::format("{}.{}.{}", v / 1000, (v % 1000) / 100, v % 100);
    }
  }
  if (find("libopenblas")) {
    using Fn = char* (*)();
    if (auto fn = reinterpret_cast<Fn>(loaded_symbol("libopenblas", "openblas_get_config", libs))) j["openblas"] = fn();
  }
  if (const LoadedLib* l = find("libgomp")) j["libgomp"] = file_version(l->path, "libgomp");
  if (const LoadedLib* l = find("libstdc++")) j["libstdc++"] = file_version(l->path, "libstdc++");
  return j;
}

std::string os_name() {
  std::ifstream f("/etc/os-release");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
      return v;
    }
  return "unknown";
}

}  // namespace

std::vector<CacheLevel> read_cache_levels(const std::string& root) {
  std::vector<CacheLevel> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return out;
  for (int i = 0; i < 16; ++i) {
    const std::string d = fmt::format("{}/index{}", root, i);
    if (!std::filesystem::is_directory(d, ec)) break;
    CacheLevel c;
    try {
      c.level = std::stoi(read_first_line(d + "/level"));
      c.ways = std::stoi(read_first_line(d + "/ways_of_associativity"));
      c.line_bytes = std::stoi(read_first_line(d + "/coherency_line_size"));
    } catch (...) {
      continue;
    }
    c.type = read_first_line(d + "/type");
    c.size_bytes = parse_sysfs_size(read_first_line(d + "/size"));
    c.shared_by_cpus = count_cpu_list(read_first_line(d + "/shared_cpu_list"));
    out.push_back(c);
  }
  return out;
}

bool cpu_has_flag(const std::string& flag) { return cpu_flags().count(flag) > 0; }

std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

MachineFacts collect_machine_facts() {
  MachineFacts m;
  m.cpu_model = cpuinfo_field("model name");
  if (m.cpu_model.empty()) m.cpu_model = "unknown";
  static const char* k_isa[] = {"sse4_2",      "avx",         "avx2",     "fma",        "f16c",
                                "avx512f",     "avx512dq",    "avx512cd", "avx512bw",   "avx512vl",
                                "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile",
                                "amx_bf16",    "amx_int8",    "asimd",    "sve"};
  for (const char* f : k_isa)
    if (cpu_has_flag(f)) m.isa.push_back(f);
  m.logical_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  // Physical cores: distinct (package, core) pairs.
  std::set<std::pair<std::string, std::string>> cores;
  std::set<std::string> packages;
  for (int c = 0; c < m.logical_cpus; ++c) {
    const std::string base = fmt::format("/sys/devices/system/cpu/cpu{}/topology/", c);
    const std::string pkg = read_first_line(base + "physical_package_id");
    cores.insert({pkg, read_first_line(base + "core_id")});
    packages.insert(pkg);
  }
  m.physical_cores = static_cast<int>(cores.size());
  m.sockets = static_cast<int>(packages.size());
  m.caches = read_cache_levels();
  m.memory_bytes = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE);
  m.os = os_name();
  utsname u{};
  if (uname(&u) == 0) m.kernel = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
#if defined(__clang__)
  m.compiler = fmt::format("clang {}", __clang_version__);
#elif defined(__GNUC__)
  m.compiler = fmt::format("gcc {}", __VERSION__);
#else
  m.compiler = "unknown";
#endif
  m.libraries = library_versions();
  m.formbench_version = FORMBENCH_VERSION;
  m.git_revision = FORMBENCH_GIT_REV;
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0) m.hostname = host;
  m.timestamp = rfc3339_now();
  return m;
}

nlohmann::json MachineFacts::to_json() const {
  nlohmann::json caches_j = nlohmann::json::array();
  for (const CacheLevel& c : caches)
    caches_j.push_back({{"level", c.level},
                        {"type", c.type},
                        {"size_bytes", c.size_bytes},
                        {"ways", c.ways},
                        {"line_bytes", c.line_bytes},
                        {"shared_by_cpus", c.shared_by_cpus}});
  return {{"cpu_model", cpu_model},
          {"isa", isa},
          {"logical_cpus", logical_cpus},
          {"physical_cores", physical_cores},
          {"sockets", sockets},
          {"caches", caches_j},
          {"memory_bytes", memory_bytes},
          {"os", os},
          {"kernel", kernel},
          {"compiler", compiler},
          {"libraries", libraries},
          {"formbench_version", formbench_version},
          {"git_revision", git_revision},
          {"hostname", hostname},
          {"timestamp", timestamp}};
}

std::string MachineFacts::fingerprint_key() const {
  return fmt::format("{} | {} cores | {} cpus", cpu_model, physical_cores, logical_cpus);
}

}  // namespace fb::measure
