#pragma once
// Shared by the onednn backend tests: compile a graph on onednn and on the reference, compare outputs (and
// has_line, which the torch int8 test takes too).
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "backends/backend.h"
#include "backends/compare.h"
#include "ir/builder.h"

namespace fb::test {

inline bool onednn_built() {
  const auto names = backend_names();
  return std::find(names.begin(), names.end(), "onednn") != names.end();
}

#define FB_REQUIRE_ONEDNN() \
  if (!::fb::test::onednn_built()) GTEST_SKIP() << "onednn backend not built"

struct RunResult {
  Agreement agreement;
  Description description;
};

// Runs g on onednn (with `extra` options) and on the reference with the same inputs; compares output 0.
inline RunResult run_against_reference(const Graph& g, std::map<std::string, std::string> extra = {},
                                       double tol = 1e-4, int threads = 2, Precision precision = Precision::F32) {
  CompileOptions opt;
  opt.threads = threads;
  opt.precision = precision;
  opt.extra = std::move(extra);
  auto exe = make_backend("onednn")->compile(g, opt);
  auto ref = make_backend("reference")->compile(g, CompileOptions{});
  const auto inputs = make_inputs(g, 3);
  std::vector<Tensor> out, want;
  exe->run(inputs, out);
  ref->run(inputs, want);
  RunResult r;
  r.agreement = compare_outputs(want.at(0), out.at(0), tol);
  r.description = exe->describe();
  return r;
}

// The graph a test built, with deterministic weights.
inline Graph finish_graph(GraphBuilder& b, ValueId out, uint64_t seed) {
  b.output(out);
  Graph g = b.finish();
  materialize_weights(g, seed);
  return g;
}

inline bool has_line(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

}  // namespace fb::test
