// Progress output: a redrawn bar with ETA on a terminal, plain log lines otherwise.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "study/progress.h"
#include "study/progress_file.h"
#include "study_test_util.h"

namespace fb::study {
namespace {

std::string captured(bool terminal) {
  std::FILE* f = std::tmpfile();
  Progress p(2, 10.0, terminal, f);
  p.start("resnet18?res=32 torch t=2 b=1");
  p.finish("resnet18?res=32 torch t=2 b=1", true, "median 3.000 ms", 5.0, 1.0);
  p.start("resnet18?res=32 onednn t=2 b=1");
  p.finish("resnet18?res=32 onednn t=2 b=1", false, "crash: killed by signal SIGSEGV", 5.0, 1.0);
  p.close();
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

TEST(StudyProgress, PlainLinesWhenNotATerminal) {
  const std::string s = captured(false);
  EXPECT_EQ(s.find('\r'), std::string::npos);
  EXPECT_NE(s.find("[1/2] ok resnet18?res=32 torch t=2 b=1: median 3.000 ms (1.0 s, ETA "), std::string::npos) << s;
  EXPECT_NE(s.find("[2/2] FAILED resnet18?res=32 onednn t=2 b=1: crash: killed by signal SIGSEGV (1.0 s, ETA 0s)"),
            std::string::npos)
      << s;
}

TEST(StudyProgress, RedrawnBarWithEtaOnATerminal) {
  const std::string s = captured(true);
  EXPECT_NE(s.find("\r\033[K[............................] 0/2   0% ETA 10s  resnet18?res=32 torch"), std::string::npos) << s;
  EXPECT_NE(s.find("[##############..............] 1/2  50% ETA "), std::string::npos) << s;
  // A failure is printed on its own line, above the bar, so it stays visible.
  EXPECT_NE(s.find("\r\033[Kresnet18?res=32 onednn t=2 b=1: crash: killed by signal SIGSEGV\n"), std::string::npos) << s;
  EXPECT_NE(s.find("2/2 100% (1 failed) ETA 0s"), std::string::npos) << s;
}

// The progress file a cluster task keeps: what finished and the plan's estimate of it, replaced after every
// finish; the speed factor is seconds taken per second of the estimate.
TEST(StudyProgress, ProgressFileFollowsEachFinish) {
  testing::ScratchDir dir;
  const std::string path = dir.file("shard-1-of-2.progress.json");
  std::FILE* sink = std::tmpfile();
  Progress p(3, 30.0, false, sink);
  p.write_status_to(path, "a.sqlite");
  std::optional<ProgressFile> f = read_progress_file(path);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->done, 0);
  EXPECT_EQ(f->todo, 3);
  EXPECT_EQ(f->estimate_total_s, 30.0);
  EXPECT_FALSE(f->speed_factor().has_value());  // nothing finished: no speed yet
  EXPECT_GT(f->updated_unix, 1.7e9);
  p.finish("a", true, "median 1 ms", 10.0, 0.1);
  p.finish("b", false, "crash", 5.0, 0.1);
  f = read_progress_file(path);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->done, 2);
  EXPECT_EQ(f->failed, 1);
  EXPECT_EQ(f->estimate_done_s, 15.0);
  ASSERT_TRUE(f->speed_factor().has_value());
  EXPECT_DOUBLE_EQ(*f->speed_factor(), f->elapsed_s / 15.0);
  // The ETA scales what is left (15 s of estimate) by that speed.
  EXPECT_NEAR(f->eta_s, 15.0 * f->elapsed_s / 15.0, 1e-3);
  // A resumed run carries the earlier run's time and work on: the speed (and so the ETA) is known at once.
  Progress again(2, 20.0, false, sink);
  again.write_status_to(path, "a.sqlite");
  const std::optional<ProgressFile> g = read_progress_file(path);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->done, 0);
  EXPECT_EQ(g->estimate_done_s, 15.0);
  EXPECT_GE(g->elapsed_s, f->elapsed_s);
  ASSERT_TRUE(g->speed_factor().has_value());
  EXPECT_NEAR(g->eta_s, 20.0 * g->elapsed_s / 15.0, 1e-3);
  // A run of another database starts afresh.
  Progress other(2, 20.0, false, sink);
  other.write_status_to(path, "b.sqlite");
  const std::optional<ProgressFile> o = read_progress_file(path);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->db, "b.sqlite");
  EXPECT_EQ(o->estimate_done_s, 0.0);
  EXPECT_FALSE(o->speed_factor().has_value());
  std::fclose(sink);

  ProgressFile w;
  w.updated_unix = 1.8e9;
  w.elapsed_s = 120;
  w.estimate_done_s = 60;
  w.eta_s = 300;
  w.done = 4;
  w.todo = 9;
  ASSERT_TRUE(write_progress_file(dir.file("w.json"), w));
  const std::optional<ProgressFile> r = read_progress_file(dir.file("w.json"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->updated_unix, 1.8e9);
  EXPECT_EQ(r->done, 4);
  EXPECT_EQ(r->todo, 9);
  EXPECT_DOUBLE_EQ(*r->speed_factor(), 2.0);
  EXPECT_FALSE(read_progress_file(dir.file("missing.json")).has_value());
  EXPECT_FALSE(read_progress_file(dir.write("torn.json", "{\"elapsed_s\": 1")).has_value());
  EXPECT_FALSE(write_progress_file(dir.file("no/such/dir/p.json"), w));
}

TEST(StudyProgress, Durations) {
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

}  // namespace
}  // namespace fb::study
