// The bf16 tests skip on exactly one error, the onednn backend's refusal of bf16 below AVX-512: the predicate
// accepts that refusal as the backend words it and nothing else (header-only; runs in every build).
#include <gtest/gtest.h>

#include "backends/onednn/refusals.h"

namespace fb::onednn {
namespace {

TEST(OnednnRefusals, Bf16RefusalIsRecognisedForIsasBelowAvx512) {
  for (const char* isa : {"avx2", "avx2_vnni", "avx", "sse41", "other"}) {
    EXPECT_TRUE(is_bf16_refusal(bf16_refusal(isa))) << bf16_refusal(isa);
  }
  EXPECT_EQ(bf16_refusal("avx2"), "backend 'onednn': bf16 needs AVX-512 (oneDNN reports ISA 'avx2' here)");
}

TEST(OnednnRefusals, AnythingElseIsNotASkip) {
  for (const std::string& what : {
           // AVX-512 machines emulate or run bf16: a refusal naming one is a backend bug.
           bf16_refusal("avx512_core"), bf16_refusal("avx512_core_vnni"), bf16_refusal("avx512_core_bf16"),
           bf16_refusal(""), bf16_refusal("avx2' here) and more ('x"),
           // Compile errors a regression could raise.
           std::string("backend 'onednn': threads must be >= 1, got 0"),
           std::string("model 'bf16_ops' has no weights yet (materialize_weights first)"),
           std::string("backend 'onednn' computes in fp32, bf16 or int8, not fp16"),
           std::string("oneDNN: could not create a primitive descriptor for a convolution (bf16)"),
           // The refusal with something before or after it.
           "error: " + bf16_refusal("avx2"), bf16_refusal("avx2") + "\n", std::string()}) {
    EXPECT_FALSE(is_bf16_refusal(what)) << what;
  }
}

}  // namespace
}  // namespace fb::onednn
