// Progress output: a redrawn bar with ETA on a terminal, plain log lines otherwise.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "study/progress.h"

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

TEST(StudyProgress, Durations) {
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

}  // namespace
}  // namespace fb::study
