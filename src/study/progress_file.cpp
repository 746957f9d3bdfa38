#include "study/progress_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fb::study {

std::optional<double> ProgressFile::speed_factor() const {
  if (!(estimate_done_s > 0) || !(elapsed_s > 0)) return std::nullopt;
  return elapsed_s / estimate_done_s;
}

bool write_progress_file(const std::string& path, const ProgressFile& f) {
  const nlohmann::json j = {{"db", f.db},                         {"updated_unix", f.updated_unix},
                            {"elapsed_s", f.elapsed_s},
                            {"estimate_done_s", f.estimate_done_s}, {"estimate_total_s", f.estimate_total_s},
                            {"eta_s", f.eta_s},                   {"done", f.done},
                            {"todo", f.todo},                     {"failed", f.failed}};
  // Per process: a cancelled task still exiting and its successor never write one temporary file.
  const std::string tmp = fmt::format("{}.{}.tmp", path, getpid());
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump() << "\n";
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

std::optional<ProgressFile> read_progress_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto num = [&](const char* k) { return j.contains(k) && j[k].is_number() ? j[k].get<double>() : 0.0; };
  ProgressFile f;
  if (j.contains("db") && j["db"].is_string()) f.db = j["db"].get<std::string>();
  f.updated_unix = num("updated_unix");
  f.elapsed_s = num("elapsed_s");
  f.estimate_done_s = num("estimate_done_s");
  f.estimate_total_s = num("estimate_total_s");
  f.eta_s = num("eta_s");
  f.done = static_cast<int>(num("done"));
  f.todo = static_cast<int>(num("todo"));
  f.failed = static_cast<int>(num("failed"));
  return f;
}

}  // namespace fb::study
