// Isolated child processes and the classification of how they ended.
#include <gtest/gtest.h>

#include <csignal>

#include "study/child.h"
#include "study/outcome.h"

namespace fb::study {
namespace {

ChildResult sh(const std::string& script, double timeout_s = 30) { return run_child("/bin/sh", {"-c", script}, timeout_s); }

TEST(StudyChild, CapturesOutputAndExitCode) {
  ChildResult r = sh("echo out; echo err 1>&2; exit 3");
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.signaled);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(StudyChild, LargeOutputDoesNotDeadlock) {
  ChildResult r = sh("head -c 3000000 /dev/zero | tr '\\0' x; head -c 200000 /dev/zero | tr '\\0' y 1>&2");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.size(), 3000000u);
  EXPECT_EQ(r.err.size(), 64u << 10);  // stderr keeps its tail only
}

TEST(StudyChild, TimeoutKillsTheWholeProcessGroup) {
  // The grandchild would hold stdout open for 60 s if it survived.
  ChildResult r = sh("sleep 60 & sleep 60", 0.5);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.seconds, 20);
  Outcome o = classify(r, 0.5);
  ASSERT_TRUE(o.failure);
  EXPECT_EQ(o.failure->kind, "timeout");
  EXPECT_EQ(o.failure->reason, "no result within the per-point limit of 0.5 s (killed)");
}

TEST(StudyChild, ClassifiesSignalsOomAndErrors) {
  Outcome crash = classify(sh("echo 'about to fail' 1>&2; kill -SEGV $$"), 30);
  ASSERT_TRUE(crash.failure);
  EXPECT_EQ(crash.failure->kind, "crash");
  EXPECT_EQ(crash.failure->reason, "killed by signal SIGSEGV (Segmentation fault): about to fail");

  Outcome killed = classify(sh("kill -KILL $$"), 30);
  EXPECT_EQ(killed.failure->kind, "oom");

  Outcome bad_alloc = classify(sh("echo \"terminate called after throwing an instance of 'std::bad_alloc'\" 1>&2; kill -ABRT $$"), 30);
  EXPECT_EQ(bad_alloc.failure->kind, "oom");

  Outcome exit137 = classify(sh("exit 137"), 30);
  EXPECT_EQ(exit137.failure->kind, "oom");

  Outcome err = classify(sh("echo 'formbench: error: unknown backend x; available: reference' 1>&2; exit 1"), 30);
  EXPECT_EQ(err.failure->kind, "error");
  EXPECT_EQ(err.failure->reason, "exit code 1: unknown backend x; available: reference");

  Outcome garbage = classify(sh("echo not json"), 30);
  EXPECT_EQ(garbage.failure->kind, "error");
  EXPECT_NE(garbage.failure->reason.find("no result JSON"), std::string::npos);

  Outcome missing = classify(run_child("/nonexistent/formbench", {}, 30), 30);
  EXPECT_EQ(missing.failure->kind, "error");
  EXPECT_NE(missing.failure->reason.find("cannot execute /nonexistent/formbench"), std::string::npos);
}

TEST(StudyChild, ResultsAndDisagreements) {
  Outcome ok = classify(sh("echo '{\"schema\": \"formbench.compare/2\", \"backends\": [{\"backend\": \"a\"}]}'"), 30);
  ASSERT_TRUE(ok.result);
  EXPECT_FALSE(ok.failure);
  EXPECT_EQ((*ok.result)["backends"][0]["backend"], "a");
  // compare exits 1 after printing a result with a disagreeing backend: the result stands.
  Outcome dis = classify(sh("echo '{\"schema\": \"formbench.compare/2\", \"backends\": []}'; exit 1"), 30);
  ASSERT_TRUE(dis.result);
  EXPECT_FALSE(dis.failure);
  Outcome other = classify(sh("echo '{\"schema\": \"formbench.compare/9\", \"backends\": []}'"), 30);
  EXPECT_FALSE(other.result);
  EXPECT_NE(other.failure->reason.find("unsupported compare schema"), std::string::npos);
  Outcome exit2 = classify(sh("echo '{\"schema\": \"formbench.compare/2\", \"backends\": []}'; exit 2"), 30);
  EXPECT_FALSE(exit2.result);
}

}  // namespace
}  // namespace fb::study
