#include "tests/support/mosquitto_server.h"

#include "gtest/gtest.h"

namespace firegrid::testing {
namespace {

MosquittoOptions Users() {
  return MosquittoOptions{.users = {{"dev-1", "pw-dev-1", {"fg/v1/d/dev-1/signal"}, {}}}};
}

TEST(MosquittoServer, AcceptsAUserWithItsPasswordAndAcknowledgesItsOwnTopic) {
  MosquittoServer server(Users());
  absl::Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started;
  auto pub = MqttPublisher::Connect(server.port(), "dev-1", "pw-dev-1", "test-dev-1");
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_TRUE((*pub)->Publish("fg/v1/d/dev-1/signal", "{}").ok());
}

TEST(MosquittoServer, RefusesAWrongPassword) {
  MosquittoServer server(Users());
  absl::Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started;
  auto pub = MqttPublisher::Connect(server.port(), "dev-1", "wrong", "test-dev-1");
  ASSERT_FALSE(pub.ok());
  EXPECT_EQ(pub.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(MosquittoServer, RestartsOnTheSamePort) {
  MosquittoServer server(Users());
  absl::Status started = server.Start();
  ASSERT_TRUE(started.ok()) << started;
  const int port = server.port();
  ASSERT_TRUE(server.Restart().ok());
  EXPECT_EQ(server.port(), port);
  auto pub = MqttPublisher::Connect(server.port(), "dev-1", "pw-dev-1", "test-dev-1");
  EXPECT_TRUE(pub.ok()) << pub.status();
}

}  // namespace
}  // namespace firegrid::testing
