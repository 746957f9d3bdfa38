#include "backends/options.h"

namespace fb {

std::string option_scope(const std::string& key) {
  const size_t colon = key.find(':');
  return colon == std::string::npos ? "" : key.substr(0, colon);
}

std::map<std::string, std::string> options_for(const std::map<std::string, std::string>& options,
                                               const std::string& backend) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : options)
    if (option_scope(key).empty()) out[key] = value;
  for (const auto& [key, value] : options)
    if (option_scope(key) == backend) out[key.substr(backend.size() + 1)] = value;
  return out;
}

}  // namespace fb
