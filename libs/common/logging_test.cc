#include "libs/common/logging.h"

#include <string>
#include <vector>

#include "grpc/support/log.h"
#include "gtest/gtest.h"

namespace firegrid::log {
namespace {

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Init("testsvc", Level::kInfo);
    SetSink([this](std::string_view l) { lines_.emplace_back(l); });
  }
  void TearDown() override { SetSink(nullptr); }
  std::vector<std::string> lines_;
};

TEST_F(LoggingTest, WritesOneJsonObjectPerLine) {
  Info("building registered", {{"building_id", "bld_1"}, {"floors", 33}});
  ASSERT_EQ(lines_.size(), 1u);
  auto j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["service"], "testsvc");
  EXPECT_EQ(j["msg"], "building registered");
  EXPECT_EQ(j["building_id"], "bld_1");
  EXPECT_EQ(j["floors"], 33);
  EXPECT_TRUE(j.contains("ts"));
}

TEST_F(LoggingTest, GrpcsOwnLogOutputBecomesAJsonLine) {
  // What grpc_init does with GRPC_VERBOSITY unset (before it, gRPC prints nothing at all).
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
  gpr_log(GPR_ERROR, "transport failure %d", 7);
  ASSERT_EQ(lines_.size(), 1u);
  auto j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "transport failure 7");
  EXPECT_EQ(j["source"], "grpc");
  EXPECT_EQ(j["service"], "testsvc");
}

TEST_F(LoggingTest, DropsBelowMinimumLevel) {
  Debug("noise");
  Warn("careful");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines_[0])["level"], "warning");
}

TEST_F(LoggingTest, EnabledFollowsTheMinimumLevel) {
  EXPECT_FALSE(Enabled(Level::kDebug));
  EXPECT_TRUE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  Init("testsvc", Level::kDebug);
  EXPECT_TRUE(Enabled(Level::kDebug));
  Init("testsvc", Level::kError);
  EXPECT_FALSE(Enabled(Level::kWarning));
  EXPECT_TRUE(Enabled(Level::kError));
}

TEST_F(LoggingTest, EscapesAndSurvivesInvalidUtf8) {
  Error("bad \"quote\"\n", {{"raw", std::string("\xff\xfe")}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(lines_[0])["msg"], "bad \"quote\"\n");
}

TEST_F(LoggingTest, ReservedKeysAreNotOverwritten) {
  Info("real", {{"msg", "fake"}, {"level", "error"}});
  auto j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["msg"], "real");
  EXPECT_EQ(j["level"], "info");
}

}  // namespace
}  // namespace firegrid::log
