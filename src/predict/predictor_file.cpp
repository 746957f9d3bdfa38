// The predictor file: JSON, written whole through a temporary file; reading it ends in a Predictor or an
// fb::Error naming the file, whatever its bytes (fuzz/predictor_file_fuzzer.cpp). And what it holds for,
// against the machine it is used on.
#include <cstdio>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "core/error.h"
#include "predict/predictor.h"

namespace fb::predict {
namespace {

constexpr const char* k_format = "formbench.predictor/1";

}  // namespace

nlohmann::json Predictor::to_json() const {
  nlohmann::json b = nlohmann::json::object();
  for (const auto& [name, m] : backends)
    b[name] = {{"overhead_ms", m.overhead_ms},
               {"overhead_ms_per_kernel", m.overhead_ms_per_kernel},
               {"overhead_share", m.overhead_share},
               {"networks", m.networks},
               {"kernel_samples", m.kernel_samples},
               {"kernels", m.kernels.to_json()}};
  return {{"format", k_format},
          {"fitted_for",
           {{"cpu_model", fitted_for.cpu_model},
            {"logical_cpus", fitted_for.logical_cpus},
            {"libraries", fitted_for.libraries},
            {"threads", fitted_for.threads},
            {"batch", fitted_for.batch},
            {"precision", fitted_for.precision}}},
          {"sources", sources},
          {"backends", b}};
}

Predictor Predictor::from_json(const nlohmann::json& j) {
  Predictor p;
  try {
    if (!j.is_object() || !j.contains("format") || j["format"] != k_format)
      fail("not a formbench predictor (its \"format\" is not \"{}\")", k_format);
    const auto& f = j.at("fitted_for");
    p.fitted_for.cpu_model = f.at("cpu_model").get<std::string>();
    p.fitted_for.logical_cpus = count_field(f, "logical_cpus");
    p.fitted_for.libraries = f.at("libraries");
    p.fitted_for.threads = count_field(f, "threads");
    p.fitted_for.batch = count_field(f, "batch");
    p.fitted_for.precision = f.at("precision").get<std::string>();
    p.sources = j.at("sources").get<std::vector<std::string>>();
    for (const auto& [name, b] : j.at("backends").items()) {
      BackendModel m;
      m.overhead_ms = b.at("overhead_ms").get<double>();
      m.overhead_ms_per_kernel = b.at("overhead_ms_per_kernel").get<double>();
      m.overhead_share = b.at("overhead_share").get<double>();
      m.networks = count_field(b, "networks");
      m.kernel_samples = count_field(b, "kernel_samples");
      try {
        m.kernels = KernelModel::from_json(b.at("kernels"));
      } catch (const Error& e) {
        fail("backend '{}': {}", name, e.what());
      }
      p.backends[name] = std::move(m);
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}", e.what());
  }
  if (p.backends.empty()) fail("it has no backend");
  return p;
}

void Predictor::save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << to_json().dump(1) << "\n";
    if (!out) fail("cannot write the predictor to {}", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot write the predictor to {}", path);
}

Predictor Predictor::parse(const std::string& text, const std::string& origin) {
  try {
    return from_json(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number beyond a double (fuzzing found it)
    fail("predictor {}: not JSON ({})", origin, e.what());
  } catch (const Error& e) {
    fail("predictor {}: {}", origin, e.what());
  }
}

Predictor Predictor::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("predictor {}: cannot open it", path);
  return parse(std::string(std::istreambuf_iterator<char>(in), {}), path);
}

std::vector<std::string> mismatches(const FittedFor& fitted, const nlohmann::json& machine_facts, int threads) {
  std::vector<std::string> out;
  const std::string cpu = machine_facts.value("cpu_model", "unknown");
  if (cpu != fitted.cpu_model) out.push_back(fmt::format("fitted on '{}', this machine is '{}'", fitted.cpu_model, cpu));
  const int cpus = machine_facts.value("logical_cpus", 0);
  if (cpus != fitted.logical_cpus)
    out.push_back(fmt::format("fitted on {} logical CPUs, this machine has {}", fitted.logical_cpus, cpus));
  const nlohmann::json libs = machine_facts.value("libraries", nlohmann::json::object());
  for (const auto& [name, version] : fitted.libraries.items())
    if (libs.contains(name) && libs[name] != version)
      out.push_back(fmt::format("fitted with {} {}, this binary has {}", name, version.dump(), libs[name].dump()));
  if (threads != fitted.threads)
    out.push_back(fmt::format("fitted at {} threads, asked for {}", fitted.threads, threads));
  return out;
}

}  // namespace fb::predict
