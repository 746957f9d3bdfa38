#include "ir/passes/pipeline.h"

#include "ir/passes/eliminate_identity.h"
#include "ir/passes/fold_batch_norm.h"

namespace fb::passes {

PassReport run_inference_pipeline(Graph& g, const PipelineOptions& opt) {
  PassReport r;
  if (opt.eliminate_identity) r.append(eliminate_identity(g));
  if (opt.fold_batch_norm) r.append(fold_batch_norm(g));
  return r;
}

}  // namespace fb::passes
