#pragma once
#include "ir/passes/pass.h"

namespace fb::passes {

// Removes inference no-ops (Identity, Dropout) by pointing their consumers at their input. A no-op whose
// input is a graph input and whose output is a graph output is kept (the graph would lose a value).
PassReport eliminate_identity(Graph& g);

}  // namespace fb::passes
