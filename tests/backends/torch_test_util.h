#pragma once
// Shared by the LibTorch backend tests: skip when a backend is not built, compare with the reference.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/compare.h"

namespace fb::torch_test {

inline bool built(const std::string& backend) {
  const auto names = backend_names();
  return std::find(names.begin(), names.end(), backend) != names.end();
}

#define FB_SKIP_UNLESS_BUILT(backend) \
  if (!::fb::torch_test::built(backend)) GTEST_SKIP() << "backend '" << (backend) << "' is not built into this binary"

inline std::vector<Tensor> run(const std::string& backend, const Graph& g, const std::vector<Tensor>& inputs,
                               int threads = 2) {
  CompileOptions opt;
  opt.threads = threads;
  auto exe = make_backend(backend)->compile(g, opt);
  std::vector<Tensor> out;
  exe->run(inputs, out);
  return out;
}

// The gtest-safe form of a registry name ("pattern:dense_block" -> "pattern_dense_block").
inline std::string test_name(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

}  // namespace fb::torch_test
