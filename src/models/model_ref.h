#pragma once
// Model references, usable everywhere a model name is:
//   resnet18                       a zoo model at its defaults
//   resnet18?res=160&batch=4       with parameters
//   pattern:residual?depth=8&width=64&res=224&batch=1
//   kernel:conv?cin=32&cout=64&k=3&res=56     one layer (and its BN/activation): a latency sample
//   path/to/model.onnx             a file (handled by a registered loader)
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace fb {

// Upper bounds of the size parameters every model takes: far beyond any real use, low enough that a
// model's shapes, their products and the halvings of a resolution cannot overflow int64.
inline constexpr int64_t k_max_res = 16384;
inline constexpr int64_t k_max_batch = 65536;
inline constexpr int64_t k_max_classes = 1'000'000;

// The key=value parameters of a reference; builders read them with typed getters and finally call
// check_all_used(), so a misspelt key is an error that lists the valid ones.
class ModelParams {
 public:
  ModelParams() = default;
  ModelParams(std::string owner, std::map<std::string, std::string> kv) : owner_(std::move(owner)), kv_(std::move(kv)) {}
  int64_t get_int(const std::string& key, int64_t fallback);  // positive integers only
  // 1..max: sizes whose products and halvings must not overflow (e.g. res=9223372036854775807).
  int64_t get_int(const std::string& key, int64_t fallback, int64_t max);
  double get_double(const std::string& key, double fallback);
  std::string get_string(const std::string& key, const std::string& fallback);
  bool has(const std::string& key) const { return kv_.count(key) > 0; }
  void check_all_used() const;
  const std::map<std::string, std::string>& all() const { return kv_; }

 private:
  std::string owner_;
  std::map<std::string, std::string> kv_;
  mutable std::set<std::string> used_;
};

struct ModelRef {
  std::string text;  // as given
  std::string scheme;  // "zoo", "pattern", "kernel" or a loader's name ("onnx")
  std::string name;    // zoo model / pattern name / file path
  std::map<std::string, std::string> params;
};

ModelRef parse_model_ref(const std::string& text);

// Zoo models and patterns register themselves (static registrars in their .cpp files).
struct ModelEntry {
  std::string name;
  std::string description;  // one line
  std::string source;       // where the definition comes from, one line
  std::string family;       // zoo: "hand-crafted" or "nas"; patterns: "pattern"
  std::function<Graph(ModelParams&)> build;  // reads batch/res/... from the params; no weights
};
void register_zoo_model(ModelEntry e);
void register_pattern(ModelEntry e);
void register_kernel_model(ModelEntry e);
const std::vector<ModelEntry>& zoo_models();
const std::vector<ModelEntry>& patterns();
const std::vector<ModelEntry>& kernel_models();

// The registry entry (zoo model or pattern) a reference names, or nullptr (files, unknown names).
const ModelEntry* find_model_entry(const std::string& ref);

struct ModelLoader {
  std::string scheme;                                  // e.g. "onnx"
  std::function<bool(const std::string&)> matches;     // e.g. ends with ".onnx"
  std::function<Graph(const ModelRef&)> load;          // with its weights
};
void register_model_loader(ModelLoader l);

// Builds (or loads) the model a reference names. With `with_weights`, weights are filled from `seed`
// (files keep their own). Throws fb::Error listing what is valid when the name is unknown.
Graph load_model(const std::string& ref, bool with_weights = true, uint64_t seed = 0);

}  // namespace fb
