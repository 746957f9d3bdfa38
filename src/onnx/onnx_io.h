#pragma once
// Public entry points of the ONNX module: export an IR graph with its weights, import a file.
// Every file is untrusted: the limits below are checked before anything is allocated.
#include <cstdint>
#include <string>
#include <string_view>

#include "ir/graph.h"

namespace fb {

struct OnnxImportOptions {
  int64_t max_bytes = int64_t{1} << 30;               // the .onnx file (and each external-data file)
  int64_t max_tensor_elements = int64_t{1} << 28;     // any one initializer or constant
  int64_t max_total_elements = int64_t{1} << 29;      // all initializers and constants together
  int64_t max_nodes = 200000;
  int64_t batch = 1;  // the size given to a symbolic (dynamic) batch dimension
  // Folder that external-data locations are resolved in (and may not escape); empty: external data refused.
  std::string base_dir;
};

struct OnnxExportOptions {
  bool dynamic_batch = false;  // the leading dimension of inputs and outputs becomes the symbol "batch"
};

// Exports the graph (weights must be materialised) as an opset-13 model that passes the ONNX checker;
// returns the serialised bytes. Throws fb::Error.
std::string export_onnx(const Graph& g, const OnnxExportOptions& opt = {});
void save_onnx(const Graph& g, const std::string& path, const OnnxExportOptions& opt = {});

// Imports a model; `name` is used in messages and as the graph's name. Throws fb::Error naming the culprit.
Graph import_onnx_bytes(std::string_view bytes, const OnnxImportOptions& opt, const std::string& name);
// Reads the file (refusing it above max_bytes before reading), resolving external data next to it.
Graph import_onnx_file(const std::string& path, OnnxImportOptions opt = {});

}  // namespace fb
