#pragma once
// The compiled network on one CUDA device: planned arena, per-step executors, optional CUDA Graph.
#include <memory>
#include <vector>

#include "backends/backend.h"
#include "backends/cudnn/plan.h"

namespace fb::cudnn {

std::unique_ptr<Executable> compile_on_device(const Graph& g, const CompileOptions& opt);

}  // namespace fb::cudnn
