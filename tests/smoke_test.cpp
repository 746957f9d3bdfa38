#include <gtest/gtest.h>

#include "ir/cost.h"
#include "models/model_ref.h"

TEST(Smoke, Resnet18Params) {
  fb::Graph g = fb::load_model("resnet18", false);
  EXPECT_EQ(fb::graph_cost(g).total.params, 11689512);
}
