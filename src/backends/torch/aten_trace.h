#pragma once
// A diagnostic for the native-fidelity benchmark: records every ATen operator one inference calls (nesting
// depth, name, input shapes, inclusive time), through the same RecordFunction hooks PyTorch's profiler uses,
// so the op list of the `torch` backend can be compared one to one with a Python module's
// (bench/native_fidelity/aten_ops.py). Off unless FORMBENCH_TRACE_ATEN names a file; costs nothing then.
#include <memory>
#include <string>

namespace fb::torch_be {

class AtenTrace {
 public:
  // Reads FORMBENCH_TRACE_ATEN; returns null when it is unset or empty.
  static std::unique_ptr<AtenTrace> from_env(const std::string& model);
  ~AtenTrace();

  // Brackets one inference on the calling thread; end() appends its events as JSON lines to the file.
  void begin();
  void end();

 private:
  AtenTrace(std::string path, std::string model) : path_(std::move(path)), model_(std::move(model)) {}
  std::string path_, model_;
  int run_ = 0;
};

}  // namespace fb::torch_be
