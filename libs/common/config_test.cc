#include "libs/common/config.h"

#include "gtest/gtest.h"

namespace firegrid {
namespace {

struct TestConfig {
  std::string redis;
  int port = 0;
  absl::Duration drain;
  bool verbose = false;
};

ConfigBinder Bind(TestConfig* c) {
  ConfigBinder b("svc");
  b.String("redis-addr", &c->redis, "127.0.0.1:6379", "redis");
  b.Int("grpc-port", &c->port, 50051, "port", 0, 65535);
  b.Duration("drain-timeout", &c->drain, absl::Seconds(10), "drain", absl::ZeroDuration(),
             absl::Minutes(5));
  b.Bool("verbose", &c->verbose, false, "verbose");
  return b;
}

TEST(ConfigBinder, DefaultsWhenNothingGiven) {
  TestConfig c;
  ConfigBinder b = Bind(&c);
  ASSERT_TRUE(b.Parse(std::vector<std::string>{}, {}).ok());
  EXPECT_EQ(c.redis, "127.0.0.1:6379");
  EXPECT_EQ(c.port, 50051);
  EXPECT_EQ(c.drain, absl::Seconds(10));
  EXPECT_FALSE(c.verbose);
}

TEST(ConfigBinder, FlagBeatsEnvironmentBeatsDefault) {
  TestConfig c;
  ConfigBinder b = Bind(&c);
  ASSERT_TRUE(b.Parse(std::vector<std::string>{"--grpc-port=7000", "--verbose"},
                      {{"FIREGRID_GRPC_PORT", "6000"}, {"FIREGRID_REDIS_ADDR", "r:1"}})
                  .ok());
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.redis, "r:1");
  EXPECT_TRUE(c.verbose);
}

TEST(ConfigBinder, SpaceSeparatedValues) {
  TestConfig c;
  ConfigBinder b = Bind(&c);
  ASSERT_TRUE(b.Parse(std::vector<std::string>{"--drain-timeout", "30s"}, {}).ok());
  EXPECT_EQ(c.drain, absl::Seconds(30));
}

TEST(ConfigBinder, InvalidValuesNameTheirSource) {
  TestConfig c;
  ConfigBinder b = Bind(&c);
  absl::Status s = b.Parse(std::vector<std::string>{}, {{"FIREGRID_GRPC_PORT", "70000"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("FIREGRID_GRPC_PORT"), std::string::npos) << s;
  s = b.Parse(std::vector<std::string>{"--drain-timeout=soon"}, {});
  EXPECT_NE(s.message().find("--drain-timeout"), std::string::npos) << s;
  s = b.Parse(std::vector<std::string>{"--drain-timeout=10m"}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(ConfigBinder, UnknownFlagsAreErrors) {
  TestConfig c;
  ConfigBinder b = Bind(&c);
  absl::Status s = b.Parse(std::vector<std::string>{"--grcp-port=1"}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("grcp-port"), std::string::npos);
}

TEST(ConfigBinder, HelpListsEveryFlagWithItsVariable) {
  TestConfig c;
  ConfigBinder b = Bind(&c);
  absl::Status s = b.Parse(std::vector<std::string>{"--help"}, {});
  EXPECT_TRUE(ConfigBinder::IsHelp(s));
  EXPECT_NE(s.message().find("FIREGRID_DRAIN_TIMEOUT"), std::string::npos);
}

TEST(ConfigBinder, CustomCheckRejects) {
  std::string mode;
  ConfigBinder b("svc");
  b.String("mode", &mode, "dev", "mode", [](const std::string& v) {
    return v == "dev" || v == "prod" ? absl::OkStatus() : absl::InvalidArgumentError("dev|prod");
  });
  EXPECT_TRUE(b.Parse(std::vector<std::string>{"--mode=prod"}, {}).ok());
  EXPECT_EQ(mode, "prod");
  EXPECT_FALSE(b.Parse(std::vector<std::string>{"--mode=test"}, {}).ok());
}

}  // namespace
}  // namespace firegrid
