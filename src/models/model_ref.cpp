#include "models/model_ref.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/error.h"

namespace fb {
namespace {

std::vector<ModelEntry>& zoo_list() {
  static std::vector<ModelEntry> l;
  return l;
}
std::vector<ModelEntry>& pattern_list() {
  static std::vector<ModelEntry> l;
  return l;
}
std::vector<ModelEntry>& kernel_list() {
  static std::vector<ModelEntry> l;
  return l;
}
std::vector<ModelEntry>& list_of(const std::string& scheme) {
  return scheme == "pattern" ? pattern_list() : scheme == "kernel" ? kernel_list() : zoo_list();
}
std::vector<ModelLoader>& loader_list() {
  static std::vector<ModelLoader> l;
  return l;
}

std::string names_of(const std::vector<ModelEntry>& l) {
  std::vector<std::string> n;
  for (const auto& e : l) n.push_back(e.name);
  std::sort(n.begin(), n.end());
  return fmt::format("{}", fmt::join(n, ", "));
}

void insert_sorted(std::vector<ModelEntry>& l, ModelEntry e) {
  auto it = std::find_if(l.begin(), l.end(), [&](const ModelEntry& x) { return x.name == e.name; });
  FB_ASSERT(it == l.end());  // two registrations of one name is a programming error
  auto pos = std::lower_bound(l.begin(), l.end(), e, [](const ModelEntry& a, const ModelEntry& b) { return a.name < b.name; });
  l.insert(pos, std::move(e));
}

}  // namespace

int64_t ModelParams::get_int(const std::string& key, int64_t fallback) {
  used_.insert(key);
  auto it = kv_.find(key);
  if (it == kv_.end()) return fallback;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0)
    fail("{}: {}={} must be a positive integer", owner_, key, s);
  return v;
}

int64_t ModelParams::get_int(const std::string& key, int64_t fallback, int64_t max) {
  const int64_t v = get_int(key, fallback);
  if (v > max) fail("{}: {}={} is too large (valid: 1..{})", owner_, key, v, max);
  return v;
}

double ModelParams::get_double(const std::string& key, double fallback) {
  used_.insert(key);
  auto it = kv_.find(key);
  if (it == kv_.end()) return fallback;
  try {
    size_t pos = 0;
    double v = std::stod(it->second, &pos);
    if (pos != it->second.size() || !(v > 0)) throw std::invalid_argument("");
    return v;
  } catch (const std::exception&) {
    fail("{}: {}={} must be a positive number", owner_, key, it->second);
  }
}

std::string ModelParams::get_string(const std::string& key, const std::string& fallback) {
  used_.insert(key);
  auto it = kv_.find(key);
  return it == kv_.end() ? fallback : it->second;
}

void ModelParams::check_all_used() const {
  for (const auto& [k, v] : kv_)
    if (!used_.count(k))
      fail("{}: unknown parameter '{}' (valid: {})", owner_, k, fmt::join(used_, ", "));
}

ModelRef parse_model_ref(const std::string& text) {
  ModelRef r;
  r.text = text;
  if (text.empty()) fail("empty model reference");
  for (const ModelLoader& l : loader_list())
    if (l.matches(text)) {
      r.scheme = l.scheme;
      r.name = text;
      return r;
    }
  std::string body = text;
  r.scheme = "zoo";
  for (const char* scheme : {"pattern", "kernel"})
    if (body.rfind(std::string(scheme) + ":", 0) == 0) {
      r.scheme = scheme;
      body = body.substr(body.find(':') + 1);
      break;
    }
  const size_t q = body.find('?');
  r.name = body.substr(0, q);
  if (r.name.empty()) fail("model reference '{}' has no name", text);
  if (q != std::string::npos) {
    std::string query = body.substr(q + 1);
    size_t start = 0;
    while (start <= query.size()) {
      size_t amp = query.find('&', start);
      std::string item = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      if (!item.empty()) {
        size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
          fail("model reference '{}': '{}' is not of the form key=value", text, item);
        std::string key = item.substr(0, eq);
        if (r.params.count(key)) fail("model reference '{}': '{}' given twice", text, key);
        r.params[key] = item.substr(eq + 1);
      }
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  return r;
}

void register_zoo_model(ModelEntry e) { insert_sorted(zoo_list(), std::move(e)); }
void register_pattern(ModelEntry e) { insert_sorted(pattern_list(), std::move(e)); }
void register_kernel_model(ModelEntry e) { insert_sorted(kernel_list(), std::move(e)); }
const std::vector<ModelEntry>& zoo_models() { return zoo_list(); }
const std::vector<ModelEntry>& patterns() { return pattern_list(); }
const std::vector<ModelEntry>& kernel_models() { return kernel_list(); }
void register_model_loader(ModelLoader l) { loader_list().push_back(std::move(l)); }

const ModelEntry* find_model_entry(const std::string& text) {
  ModelRef r;
  try {
    r = parse_model_ref(text);
  } catch (const Error&) {
    return nullptr;
  }
  if (r.scheme != "zoo" && r.scheme != "pattern" && r.scheme != "kernel") return nullptr;
  const auto& list = list_of(r.scheme);
  auto it = std::find_if(list.begin(), list.end(), [&](const ModelEntry& e) { return e.name == r.name; });
  return it == list.end() ? nullptr : &*it;
}

Graph load_model(const std::string& text, bool with_weights, uint64_t seed) {
  ModelRef r = parse_model_ref(text);
  for (const ModelLoader& l : loader_list())
    if (l.scheme == r.scheme) return l.load(r);
  const auto& list = list_of(r.scheme);
  auto it = std::find_if(list.begin(), list.end(), [&](const ModelEntry& e) { return e.name == r.name; });
  if (it == list.end()) {
    if (r.scheme != "zoo") fail("unknown {} '{}'; valid: {}", r.scheme, r.name, names_of(list));
    fail("unknown model '{}'; valid models: {} (or pattern:NAME?depth=..., or a .onnx file)", r.name,
         names_of(list));
  }
  ModelParams params(r.scheme == "zoo" ? r.name : r.scheme + ":" + r.name, r.params);
  Graph g = it->build(params);
  params.check_all_used();
  g.name = text;  // the full reference is the model's identity in every result
  if (with_weights) materialize_weights(g, seed);
  return g;
}

}  // namespace fb
