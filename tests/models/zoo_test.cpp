// Zoo models: parameter counts equal torchvision's published numbers exactly (written here, not recomputed),
// MACs match the published totals, every model builds at its default resolution and runs on the reference
// backend at a small one.
#include <gtest/gtest.h>

#include <cmath>

#include "ir/cost.h"
#include "models/model_ref.h"
#include "models_test_util.h"

namespace fb {
namespace {

struct Published {
  const char* name;
  int64_t params;
};

// torchvision's model documentation (the "Params" column), 1000 classes.
const Published k_published[] = {
    {"resnet18", 11689512},          {"resnet34", 21797672},         {"resnet50", 25557032},
    {"resnet101", 44549160},         {"resnext50_32x4d", 25028904},  {"vgg11", 132863336},
    {"vgg16", 138357544},            {"vgg19", 143667240},           {"mobilenet_v2", 3504872},
    {"mobilenet_v3_large", 5483032}, {"mobilenet_v3_small", 2542856}, {"densenet121", 7978856},
    {"squeezenet1_0", 1248424},      {"squeezenet1_1", 1235496},     {"shufflenet_v2_x1_0", 2278604},
    {"googlenet", 6624904},          {"inception_v3", 23834568},     {"efficientnet_b0", 5288548},
    {"regnet_y_400mf", 4344144},     {"mnasnet1_0", 4383312},
};

TEST(ModelsZoo, ParamsMatchTorchvisionExactly) {
  for (const Published& p : k_published) {
    SCOPED_TRACE(p.name);
    EXPECT_EQ(graph_cost(load_model(p.name, false)).total.params, p.params);
  }
}

double macs(const std::string& r) { return static_cast<double>(graph_cost(load_model(r, false)).total.macs); }

TEST(ModelsZoo, MacsMatchPublishedWithinOnePercent) {
  // torchvision's documented GFLOPS (multiply-adds) at 224x224.
  EXPECT_NEAR(macs("resnet50"), 4.09e9, 0.01 * 4.09e9);
  EXPECT_NEAR(macs("mobilenet_v2"), 0.30e9, 0.01 * 0.30e9);
  EXPECT_NEAR(macs("vgg16"), 15.47e9, 0.01 * 15.47e9);
  // More from the same table, for blocks the three above do not exercise. The table gives two decimals, so
  // the check is the table's rounding (+-0.005 G), not a relative tolerance.
  const double half_unit = 0.005e9;
  EXPECT_NEAR(macs("inception_v3"), 5.71e9, half_unit);  // at 299x299, its default
  EXPECT_NEAR(macs("densenet121"), 2.83e9, half_unit);
  EXPECT_NEAR(macs("googlenet"), 1.50e9, half_unit);
  EXPECT_NEAR(macs("efficientnet_b0"), 0.39e9, half_unit);
  EXPECT_NEAR(macs("mobilenet_v3_large"), 0.22e9, half_unit);
  EXPECT_NEAR(macs("mobilenet_v3_small"), 0.06e9, half_unit);
  EXPECT_NEAR(macs("shufflenet_v2_x1_0"), 0.14e9, half_unit);
  EXPECT_NEAR(macs("squeezenet1_0"), 0.82e9, half_unit);
  EXPECT_NEAR(macs("squeezenet1_1"), 0.35e9, half_unit);
  EXPECT_NEAR(macs("regnet_y_400mf"), 0.40e9, half_unit);
  EXPECT_NEAR(macs("mnasnet1_0"), 0.31e9, half_unit);
}

TEST(ModelsZoo, DenseNetConcatenatesTheFeatureListAsTorchvisionDoes) {
  // torchvision's _DenseBlock: layer l concatenates the l features so far (the block input and l-1 new
  // ones), then the block concatenates all L+1; so the torch backend makes the same cat calls as PyTorch.
  std::vector<size_t> want;
  for (int layers : {6, 12, 24, 16}) {
    for (int l = 1; l <= layers + 1; ++l) want.push_back(static_cast<size_t>(l));
  }
  std::vector<size_t> got;
  for (const Node& n : load_model("densenet121", false).nodes)
    if (n.op == Op::Concat) got.push_back(n.inputs.size());
  EXPECT_EQ(got, want);
}

TEST(ModelsZoo, MobileNetV1MatchesItsPaper) {
  // Howard et al. 2017, Table 8: 1.0 MobileNet-224, 569M mult-adds, 4.2M parameters.
  EXPECT_NEAR(macs("mobilenet_v1"), 569e6, 0.005 * 569e6);
  EXPECT_NEAR(static_cast<double>(graph_cost(load_model("mobilenet_v1", false)).total.params), 4.2e6, 0.05e6);
}

TEST(ModelsZoo, EveryModelHasSourceFamilyAndBuildsAtItsDefault) {
  ASSERT_GE(zoo_models().size(), std::size(k_published) + 1);
  for (const ModelEntry& e : zoo_models()) {
    SCOPED_TRACE(e.name);
    EXPECT_FALSE(e.source.empty());
    EXPECT_FALSE(e.description.empty());
    EXPECT_TRUE(e.family == "hand-crafted" || e.family == "nas") << e.family;
    Graph g = load_model(e.name, false);
    const int64_t res = e.name == "inception_v3" ? 299 : 224;
    EXPECT_EQ(g.value(g.inputs[0]).shape, (Shape{1, 3, res, res}));
    EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{1, 1000}));
  }
  for (const char* n : {"efficientnet_b0", "mnasnet1_0"}) {
    auto it = std::find_if(zoo_models().begin(), zoo_models().end(), [&](const auto& e) { return e.name == n; });
    ASSERT_NE(it, zoo_models().end());
    EXPECT_EQ(it->family, "nas") << n;
  }
}

TEST(ModelsZoo, ClassesAndBatchParameters) {
  Graph g = load_model("mobilenet_v3_small?classes=10&batch=2&res=64", false);
  EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{2, 10}));
  // 1024 * (1000 - 10) fewer weights and 990 fewer biases in the last linear layer.
  EXPECT_EQ(graph_cost(g).total.params, 2542856 - 1024 * 990 - 990);
}

std::vector<std::string> zoo_names() {
  std::vector<std::string> n;
  for (const ModelEntry& e : zoo_models()) n.push_back(e.name);
  return n;
}

// Every model runs on the reference backend at a small resolution with finite outputs, except VGG: its
// AdaptiveAvgPool2d(7) is exact only at 224+ px and 7.6-19.6 GMACs there is too slow for the reference in CI
// (its layers are covered by the plain pattern and by its exact parameter and MAC counts).
class ModelsZooRun : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelsZooRun, RunsOnReferenceAtSmallResolution) {
  const std::string name = GetParam();
  if (name.rfind("vgg", 0) == 0) GTEST_SKIP() << "needs res >= 224 (AdaptiveAvgPool2d(7)); too slow for the reference";
  const int64_t res = name == "inception_v3" ? 75 : 64;  // 75: the smallest Inception-V3 allows
  Graph g = load_model(name + "?res=" + std::to_string(res), true, 11);
  EXPECT_EQ(test::run_reference_finite(g), "");
}

INSTANTIATE_TEST_SUITE_P(Models, ModelsZooRun, ::testing::ValuesIn(zoo_names()),
                         [](const auto& info) { return info.param; });

TEST(ModelsZoo, BadReferencesGiveClearErrors) {
  auto message = [](const std::string& r) {
    try {
      load_model(r, false);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string unknown = message("resnet9000");
  EXPECT_NE(unknown.find("unknown model 'resnet9000'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("mobilenet_v2"), std::string::npos) << unknown;
  EXPECT_NE(message("vgg16?res=100").find("AdaptiveAvgPool2d(7)"), std::string::npos);
  EXPECT_NE(message("inception_v3?res=64").find("valid: 75 or more"), std::string::npos);
  EXPECT_NE(message("resnet50?depth=3").find("unknown parameter 'depth'"), std::string::npos);
}

}  // namespace
}  // namespace fb

namespace fb {
namespace {

// NAS cell networks: within 3% of the parameter count and mult-adds their papers publish (ImageNet mobile).
struct PublishedNas {
  const char* name;
  double params, macs;
};

TEST(ModelsNas, ParamsAndMacsWithinThreePercentOfPapers) {
  const PublishedNas k_nas[] = {
      {"nasnet_a_mobile", 5.3e6, 564e6},  // Zoph et al. 2018, Table 2
      {"amoebanet_a", 5.1e6, 555e6},      // Real et al. 2019, Table 3 (N=4, F=50)
      {"pnasnet5", 5.1e6, 588e6},         // Liu et al. 2018, Table 4
  };
  for (const PublishedNas& n : k_nas) {
    SCOPED_TRACE(n.name);
    const NodeCost c = graph_cost(load_model(n.name, false)).total;
    EXPECT_NEAR(static_cast<double>(c.params), n.params, 0.03 * n.params);
    EXPECT_NEAR(static_cast<double>(c.macs), n.macs, 0.03 * n.macs);
  }
}

// DARTS (Liu et al. 2019, Table 3): 4.7M parameters, 574M mult-adds. The parameters match within 3%, but
// counting only conv and linear mult-adds gives about 530M, as independent recounts of the authors' own
// DARTS_V2 model do (523M conv+fc; 545M with BN and pooling): the paper's counter included other ops. The
// bound for MACs is therefore the distance between those conventions (10%), and the lower recount is checked.
TEST(ModelsNas, DartsMatchesPaperParamsAndRecountedMacs) {
  const NodeCost c = graph_cost(load_model("darts", false)).total;
  EXPECT_NEAR(static_cast<double>(c.params), 4.7e6, 0.03 * 4.7e6);
  EXPECT_NEAR(static_cast<double>(c.macs), 574e6, 0.10 * 574e6);
  EXPECT_NEAR(static_cast<double>(c.macs), 523e6, 0.03 * 523e6);
}

// One cell builder serves every genotype: the cell counts and channel widths of the skeletons.
TEST(ModelsNas, SkeletonsHaveTheirCellsAndWidths) {
  auto count_cells = [](const Graph& g, const std::string& suffix) {
    int n = 0;
    for (const Node& node : g.nodes)
      if (node.op == Op::Concat && node.name.size() >= suffix.size() &&
          node.name.compare(node.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          node.name.find("node") == std::string::npos && node.name.find("preprocess") == std::string::npos &&
          node.name.find("op") == std::string::npos)
        ++n;
    return n;
  };
  Graph darts = load_model("darts", false);
  EXPECT_EQ(count_cells(darts, ".cat"), 14);
  // The classifier reads 4 nodes x 4C channels (C = 48, doubled twice).
  EXPECT_EQ(darts.value(darts.node(static_cast<NodeId>(darts.nodes.size()) - 1).inputs[0]).shape[1], 4 * 192);
  Graph nasnet = load_model("nasnet_a_mobile", false);
  EXPECT_EQ(count_cells(nasnet, ".cat"), 2 + 12 + 2);  // stem cells, 3 x N=4 normal, 2 reductions
  EXPECT_EQ(nasnet.value(nasnet.node(static_cast<NodeId>(nasnet.nodes.size()) - 1).inputs[0]).shape[1], 1056);
  Graph pnas = load_model("pnasnet5", false);
  EXPECT_EQ(count_cells(pnas, ".cat"), 2 + 9);  // PNASNet's reductions replace normal cells
  EXPECT_EQ(pnas.value(pnas.node(static_cast<NodeId>(pnas.nodes.size()) - 1).inputs[0]).shape[1], 5 * 216);
}

}  // namespace
}  // namespace fb
