// Interleaving backends in one process (compare, study points) is only fair when each executable enters the
// process-wide state it needs at every run, whatever ran before it: the OpenMP thread count above all, which
// LibTorch (at::set_num_threads) and oneDNN (omp_set_num_threads) both set. Runs A, B, A with different
// thread counts and checks the state after each run and that A's outputs do not change.
#include <gtest/gtest.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>

#include "backends/backend.h"
#include "backends/compare.h"
#include "models/model_ref.h"

namespace fb {
namespace {

bool built(const std::string& name) {
  const auto names = backend_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(InterleavedState, EachExecutableEntersItsOwnThreadCountAtEveryRun) {
  if (!built("torch") || !built("onednn")) GTEST_SKIP() << "needs the torch and onednn backends";
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP: no process-wide thread count to check";
#else
  const Graph g = load_model("pattern:depthwise_separable?depth=2&width=16&res=32", /*with_weights=*/true);
  CompileOptions one, two;
  one.threads = 1;
  two.threads = 2;
  auto a = make_backend("torch")->compile(g, one);
  auto b = make_backend("onednn")->compile(g, two);
  const auto inputs = make_inputs(g, 5);
  std::vector<Tensor> a_first, b_out, a_again;
  a->run(inputs, a_first);
  EXPECT_EQ(omp_get_max_threads(), 1) << "torch with 1 thread";
  b->run(inputs, b_out);
  EXPECT_EQ(omp_get_max_threads(), 2) << "onednn with 2 threads";
  a->run(inputs, a_again);
  EXPECT_EQ(omp_get_max_threads(), 1) << "torch again, after onednn";
  ASSERT_EQ(a_first.size(), a_again.size());
  EXPECT_EQ(compare_outputs(a_first[0], a_again[0], 0).max_abs_error, 0.0);  // bit for bit
  EXPECT_TRUE(compare_outputs(a_first[0], b_out[0], 1e-3).passed(1e-3));
#endif
}

}  // namespace
}  // namespace fb
