#pragma once
// The generic inference pipeline every compiling backend may run first.
#include "ir/passes/pass.h"

namespace fb::passes {

struct PipelineOptions {
  bool fold_batch_norm = true;
  bool eliminate_identity = true;
};

PassReport run_inference_pipeline(Graph& g, const PipelineOptions& opt = {});

}  // namespace fb::passes
