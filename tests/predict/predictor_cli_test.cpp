// The predictor's commands end to end on a real (small) sample: sample -> fit -> predict -> check, and the
// one-line errors of bad input. Accuracy is a benchmark's business (docs/predict.md), not a unit test's.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "predict/sample.h"
#include "report/results_db.h"
#include "../study/study_test_util.h"

namespace fb::predict {
namespace {

using study::testing::formbench;
using study::testing::read_text;
using study::testing::ScratchDir;

TEST(PredictorCli, SampleFitPredictCheck) {
  ScratchDir dir;
  const std::string db = dir.file("sample.sqlite"), pred = dir.file("p.json"), out = dir.file("out"), err = dir.file("err");
  ASSERT_EQ(formbench(fmt::format("predictor sample --db {} --budget 0.2 --backend torch,onednn --lock ignore", db), out, err), 0)
      << read_text(err);
  EXPECT_NE(read_text(err).find("sampling "), std::string::npos) << read_text(err);
  const report::ResultsDb data = report::load_results(db);
  int measured = 0;
  for (const report::Record& r : data.records) {
    EXPECT_EQ(r.family, "kernel");
    if (r.status != report::Status::Measured) continue;
    ++measured;
    EXPECT_FALSE(r.layers.empty()) << r.model << " " << r.backend << ": no per-layer profile";
  }
  ASSERT_GE(measured, 2);

  // Running it again with the same seed resumes: nothing is measured twice.
  ASSERT_EQ(formbench(fmt::format("predictor sample --db {} --budget 0.2 --lock ignore", db), out, err), 0) << read_text(err);
  EXPECT_EQ(read_text(out).rfind("0 points measured", 0), 0u) << read_text(out);

  // Two samples a class, so this tiny sample fits some (a real fit asks for two per coefficient).
  ASSERT_EQ(formbench(fmt::format("predictor fit {} -o {} --min-samples 2", db, pred), out, err), 0) << read_text(err);
  EXPECT_NE(read_text(out).find("2 threads, fp32, batch 1"), std::string::npos) << read_text(out);
  const nlohmann::json j = nlohmann::json::parse(read_text(pred));
  EXPECT_TRUE(j["backends"].contains("torch"));
  EXPECT_TRUE(j["backends"].contains("onednn"));

  // check lists every measured point, each predicted or refused: a class it never saw, or a total a few
  // networks' outside-kernels term cannot carry.
  ASSERT_EQ(formbench(fmt::format("predictor check {} {} --json", pred, db), out, err), 0) << read_text(err);
  const nlohmann::json c = nlohmann::json::parse(read_text(out));
  EXPECT_EQ(static_cast<int>(c["rows"].size()), measured);
  for (const auto& row : c["rows"])
    if (row.contains("error"))
      EXPECT_TRUE(row["error"].get<std::string>().find("never seen") != std::string::npos ||
                  row["error"].get<std::string>().find("add up to") != std::string::npos)
          << row;
    else EXPECT_GT(row["predicted_ms"].get<double>(), 0) << row;

  // The report shows the same check beside the study's own tables.
  ASSERT_EQ(formbench(fmt::format("report {} -o {} --predictor {}", db, dir.file("report"), pred), out, err), 0)
      << read_text(err);
  const std::string csv = read_text(dir.file("report/predictor_networks.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), measured + 1) << csv;
  EXPECT_NE(read_text(dir.file("report/report.md")).find("p.json on onednn: "), std::string::npos);  // the path is escaped

  // A predictor from another machine warns before predicting.
  nlohmann::json other = j;
  other["fitted_for"]["cpu_model"] = "Some Other CPU";
  std::ofstream(dir.file("other.json")) << other.dump();
  const std::string ref = draw_kernels(1, 1)[0].ref();
  const int rc = formbench(fmt::format("predict '{}' --predictor {}", ref, dir.file("other.json")), out, err);
  EXPECT_NE(read_text(err).find("warning: predictor " + dir.file("other.json") + ": fitted on 'Some Other CPU'"),
            std::string::npos)
      << read_text(err);
  if (rc == 0) EXPECT_NE(read_text(out).find("predicted"), std::string::npos) << read_text(out);
  else EXPECT_TRUE(read_text(err).find("never seen") != std::string::npos || read_text(err).find("add up to") != std::string::npos)
      << read_text(err);
}

TEST(PredictorCli, BadInputIsOneLineNamingTheCulprit) {
  ScratchDir dir;
  const std::string out = dir.file("out"), err = dir.file("err");
  EXPECT_EQ(formbench("predictor fit " + dir.file("missing.sqlite") + " -o " + dir.file("p.json"), out, err), 1);
  EXPECT_NE(read_text(err).find("missing.sqlite"), std::string::npos) << read_text(err);
  dir.write("bad.json", "{\"format\": 1}");
  EXPECT_EQ(formbench("predict resnet18 --predictor " + dir.file("bad.json"), out, err), 1);
  EXPECT_NE(read_text(err).find("bad.json: not a formbench predictor"), std::string::npos) << read_text(err);
  EXPECT_EQ(formbench("predictor sample --db " + dir.file("s.sqlite") + " --budget 0", out, err), 1);
  EXPECT_NE(read_text(err).find("--budget must be > 0"), std::string::npos) << read_text(err);
}

}  // namespace
}  // namespace fb::predict
