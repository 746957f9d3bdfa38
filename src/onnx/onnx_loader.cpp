// Makes "path/to/model.onnx" (optionally "model.onnx?batch=4&max_bytes=...") a model reference everywhere.
#include <charconv>

#include "core/error.h"
#include "models/model_ref.h"
#include "onnx/onnx_io.h"

namespace fb {
namespace {

bool is_onnx_ref(const std::string& text) {
  const size_t q = text.find('?');
  const std::string path = text.substr(0, q);
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

int64_t positive(const std::string& ref, const std::string& key, const std::string& v) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out <= 0) fail("{}: {}={} must be a positive integer", ref, key, v);
  return out;
}

Graph load(const ModelRef& r) {
  const size_t q = r.text.find('?');
  const std::string path = r.text.substr(0, q);
  OnnxImportOptions opt;
  if (q != std::string::npos) {
    std::string query = r.text.substr(q + 1);
    size_t start = 0;
    while (start <= query.size()) {
      const size_t amp = query.find('&', start);
      const std::string item = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      const size_t eq = item.find('=');
      if (!item.empty()) {
        if (eq == std::string::npos) fail("{}: '{}' is not of the form key=value", r.text, item);
        const std::string key = item.substr(0, eq), v = item.substr(eq + 1);
        if (key == "batch") opt.batch = positive(r.text, key, v);
        else if (key == "max_bytes") opt.max_bytes = positive(r.text, key, v);
        else if (key == "max_elements") opt.max_tensor_elements = positive(r.text, key, v);
        else if (key == "max_elements_total") opt.max_total_elements = positive(r.text, key, v);
        else if (key == "max_nodes") opt.max_nodes = positive(r.text, key, v);
        else fail("{}: unknown parameter '{}' (valid: batch, max_bytes, max_elements, max_elements_total, max_nodes)", r.text, key);
      }
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  Graph g = import_onnx_file(path, opt);
  g.name = r.text;
  // A fixed batch in the file is changed too (the shapes are static after import).
  if (q != std::string::npos && r.text.find("batch=") != std::string::npos && g.batch() != opt.batch) set_batch(g, opt.batch);
  return g;
}

struct Registrar {
  Registrar() { register_model_loader({"onnx", is_onnx_ref, load}); }
} registrar;

}  // namespace
}  // namespace fb
