#include "tests/support/mqtt_publisher.h"

#include "gtest/gtest.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/temp_dir.h"

namespace firegrid::testing {
namespace {

TEST(MqttPublisher, PublishesToItsOwnTopicAndWaitsForTheAcknowledgement) {
  TempDir dir("firegrid-mqtt-publisher");
  MosquittoBroker broker;
  absl::Status started = broker.Start(dir.path(), {"device:dev-1"});
  ASSERT_TRUE(started.ok()) << started;
  auto password = broker.Password("dev-1");
  ASSERT_TRUE(password.ok());
  auto pub = MqttPublisher::Connect(broker.port(), "dev-1", *password, "test-dev-1");
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_TRUE((*pub)->Publish("fg/v1/d/dev-1/signal", "{}").ok());
}

TEST(MqttPublisher, AWrongPasswordIsRefused) {
  TempDir dir("firegrid-mqtt-publisher");
  MosquittoBroker broker;
  ASSERT_TRUE(broker.Start(dir.path(), {"device:dev-1"}).ok());
  auto pub = MqttPublisher::Connect(broker.port(), "dev-1", "wrong", "test-dev-1");
  ASSERT_FALSE(pub.ok());
  EXPECT_EQ(pub.status().code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::testing
