#pragma once
// Host emulation of a cudnn plan: every step computed with the reference loops, reading and writing the
// same arena offsets the device uses (views skipped exactly as on the device). It checks the plan's
// fusion semantics and buffer plan on machines without a GPU; it is a test aid, never a backend.
#include <vector>

#include "backends/cudnn/plan.h"
#include "core/tensor.h"

namespace fb::cudnn {

std::vector<Tensor> emulate_plan(const Plan& p, const BufferPlan& b, const std::vector<Tensor>& inputs);

}  // namespace fb::cudnn
