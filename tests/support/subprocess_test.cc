#include "tests/support/subprocess.h"

#include <signal.h>

#include <fstream>
#include <regex>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace firegrid::testing {
namespace {

SubprocessOptions Argv(std::vector<std::string> argv) {
  SubprocessOptions o;
  o.argv = std::move(argv);
  return o;
}

SubprocessOptions Logged(std::vector<std::string> argv, const std::string& log_dir,
                         const std::string& name) {
  SubprocessOptions o = Argv(std::move(argv));
  o.log_dir = log_dir;
  o.name = name;
  return o;
}

TEST(Subprocess, StopEndsALongSleepWithSigterm) {
  Subprocess p;
  ASSERT_TRUE(p.Start(Argv({"sleep", "30"})).ok());
  EXPECT_GT(p.pid(), 0);
  EXPECT_TRUE(p.running());
  absl::StatusOr<int> status = p.Stop(absl::Seconds(5));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 128 + SIGTERM);
  EXPECT_FALSE(p.running());
  // Stopping again reports the same status.
  EXPECT_EQ(*p.Stop(), 128 + SIGTERM);
}

TEST(Subprocess, WaitReturnsTheExitCode) {
  Subprocess p;
  ASSERT_TRUE(p.Start(Argv({"/bin/sh", "-c", "exit 3"})).ok());
  absl::StatusOr<int> status = p.Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 3);
}

TEST(Subprocess, WaitTimesOutWhileTheChildRuns) {
  Subprocess p;
  ASSERT_TRUE(p.Start(Argv({"sleep", "30"})).ok());
  absl::StatusOr<int> status = p.Wait(absl::Milliseconds(20));
  EXPECT_EQ(status.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(p.running());
}

TEST(Subprocess, SignalDeliversTheSignal) {
  Subprocess p;
  ASSERT_TRUE(p.Start(Argv({"sleep", "30"})).ok());
  ASSERT_TRUE(p.Signal(SIGKILL).ok());
  absl::StatusOr<int> status = p.Wait(absl::Seconds(10));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 128 + SIGKILL);
}

TEST(Subprocess, StopEscalatesToSigkillWhenSigtermIsIgnored) {
  TempDir dir;
  Subprocess p;
  ASSERT_TRUE(p.Start(Logged({"/bin/sh", "-c", "trap '' TERM; echo ready; exec sleep 30"},
                             dir.path(), "stubborn"))
                  .ok());
  ASSERT_TRUE(WaitForLineInFile(p.stdout_path(), "ready", absl::Seconds(10)).ok());
  absl::Time start = absl::Now();
  absl::StatusOr<int> status = p.Stop(absl::Milliseconds(200));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 128 + SIGKILL);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
}

TEST(Subprocess, StartFailsForAMissingProgram) {
  Subprocess p;
  absl::Status s = p.Start(Argv({"firegrid-no-such-program-xyz"}));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(p.running());
}

TEST(Subprocess, StartFailsForABadWorkingDirectory) {
  Subprocess p;
  SubprocessOptions o = Argv({"true"});
  o.working_dir = "/nonexistent/firegrid/dir";
  absl::Status s = p.Start(o);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("chdir"), absl::string_view::npos) << s;
  EXPECT_FALSE(p.running());
}

TEST(Subprocess, ChildSeesEnvOverridesWorkingDirAndWritesLogs) {
  TempDir dir;
  Subprocess p;
  SubprocessOptions o =
      Logged({"/bin/sh", "-c", "echo \"value=$FIREGRID_X cwd=$(pwd)\"; echo oops >&2"}, dir.path(),
             "child");
  o.env = {{"FIREGRID_X", "42"}};
  o.working_dir = dir.path();
  ASSERT_TRUE(p.Start(o).ok());
  EXPECT_EQ(p.stdout_path(), dir.Join("child.stdout"));
  absl::StatusOr<std::string> line =
      WaitForLineInFile(p.stdout_path(), "value=", absl::Seconds(10));
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "value=42 cwd=" + dir.path());
  EXPECT_TRUE(WaitForLineInFile(p.stderr_path(), "oops", absl::Seconds(10)).ok());
  EXPECT_EQ(*p.Wait(absl::Seconds(10)), 0);
}

TEST(Subprocess, DestructorStopsTheChild) {
  pid_t pid;
  {
    Subprocess p;
    ASSERT_TRUE(p.Start(Argv({"sleep", "30"})).ok());
    pid = p.pid();
  }
  // Reaped: the pid no longer names our child.
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(WaitForLineInFile, MatchesOnlyCompleteLines) {
  TempDir dir;
  const std::string path = dir.Join("log");
  std::ofstream out(path);
  out << "first line\nlistening on 127.0.0.1:" << std::flush;
  EXPECT_EQ(WaitForLineInFile(path, "listening on", absl::Milliseconds(30)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  out << "4242\n" << std::flush;
  absl::StatusOr<std::string> line = WaitForLineInFile(path, "listening on", absl::Seconds(5));
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "listening on 127.0.0.1:4242");
}

TEST(WaitForLineInFile, WaitsForAFileThatAppearsLater) {
  TempDir dir;
  const std::string path = dir.Join("late.log");
  Subprocess p;
  ASSERT_TRUE(p.Start(Argv({"/bin/sh", "-c", "sleep 0.1; echo 'port 5555' > " + path})).ok());
  absl::StatusOr<std::string> line =
      WaitForLineInFile(path, std::regex("port ([0-9]+)"), absl::Seconds(10));
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "port 5555");
}

TEST(WaitForLineInFile, RegexSkipsNonMatchingLines) {
  TempDir dir;
  const std::string path = dir.Join("log");
  std::ofstream(path) << "port abc\nport 77\n";
  absl::StatusOr<std::string> line =
      WaitForLineInFile(path, std::regex("^port [0-9]+$"), absl::Seconds(1));
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, "port 77");
}

TEST(WaitUntil, ReturnsTrueOnceTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil([&] { return ++calls == 3; }, absl::Seconds(10)));
  EXPECT_EQ(calls, 3);
}

TEST(WaitUntil, ReturnsFalseAfterTheTimeout) {
  absl::Time start = absl::Now();
  EXPECT_FALSE(WaitUntil([] { return false; }, absl::Milliseconds(30)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
}

}  // namespace
}  // namespace firegrid::testing
