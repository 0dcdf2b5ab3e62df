#include "tests/support/redis_server.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"

namespace firegrid::testing {
namespace {

// Runs redis-cli against `port` and returns its trimmed stdout.
std::string Cli(int port, std::vector<std::string> args) {
  TempDir dir("cli");
  std::vector<std::string> argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess p;
  SubprocessOptions o;
  o.argv = argv;
  o.log_dir = dir.path();
  o.name = "cli";
  if (!p.Start(o).ok()) return "<start failed>";
  if (!p.Wait(absl::Seconds(10)).ok()) return "<timeout>";
  std::ifstream in(p.stdout_path());
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

TEST(RedisServer, StartsOnAFreeLoopbackPortAndAnswersPing) {
  RedisServer server;
  ASSERT_TRUE(server.Start().ok());
  EXPECT_TRUE(server.running());
  EXPECT_GT(server.port(), 0);
  EXPECT_EQ(server.address(), absl::StrCat("127.0.0.1:", server.port()));
  EXPECT_EQ(Cli(server.port(), {"PING"}), "PONG");
  EXPECT_EQ(Cli(server.port(), {"CONFIG", "GET", "appendonly"}), "appendonly\nyes");
  EXPECT_EQ(Cli(server.port(), {"CONFIG", "GET", "dir"}), "dir\n" + server.dir());
  ASSERT_TRUE(server.Stop().ok());
  EXPECT_FALSE(server.running());
  EXPECT_NE(Cli(server.port(), {"PING"}), "PONG");
}

TEST(RedisServer, TwoServersRunSideBySide) {
  RedisServer a;
  RedisServer b;
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  EXPECT_NE(a.port(), b.port());
  EXPECT_NE(a.dir(), b.dir());
  EXPECT_EQ(Cli(a.port(), {"SET", "k", "a"}), "OK");
  EXPECT_EQ(Cli(b.port(), {"GET", "k"}), "");
}

TEST(RedisServer, DataSurvivesKillAndRestartOnTheSamePort) {
  RedisServer server;
  ASSERT_TRUE(server.Start().ok());
  const int port = server.port();
  const pid_t first_pid = server.pid();
  EXPECT_EQ(Cli(port, {"SET", "durable", "yes"}), "OK");
  ASSERT_TRUE(server.Kill().ok());
  EXPECT_FALSE(server.running());
  absl::Status restarted = server.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(server.port(), port);
  EXPECT_NE(server.pid(), first_pid);
  EXPECT_EQ(Cli(port, {"GET", "durable"}), "yes");
}

TEST(RedisServer, PasswordIsRequiredWhenConfigured) {
  RedisServerOptions o;
  o.password = "s3cret";
  RedisServer server(o);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_NE(Cli(server.port(), {"SET", "k", "v"}), "OK");
  EXPECT_EQ(Cli(server.port(), {"--no-auth-warning", "-a", "s3cret", "SET", "k", "v"}), "OK");
}

TEST(RedisServer, StartRetriesOnAnotherPortWhenTheFirstIsTaken) {
  RedisServer squatter;
  ASSERT_TRUE(squatter.Start().ok());
  int calls = 0;
  RedisServerOptions o;
  o.pick_port = [&] { return ++calls == 1 ? squatter.port() : FreeTcpPort(); };
  RedisServer server(o);
  absl::Status s = server.Start();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 2);
  EXPECT_NE(server.port(), squatter.port());
  // Each answers as itself.
  EXPECT_EQ(Cli(server.port(), {"CONFIG", "GET", "dir"}), "dir\n" + server.dir());
  EXPECT_EQ(Cli(squatter.port(), {"CONFIG", "GET", "dir"}), "dir\n" + squatter.dir());
}

}  // namespace
}  // namespace firegrid::testing
