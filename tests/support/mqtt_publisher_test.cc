#include "tests/support/mqtt_publisher.h"

#include <mosquitto.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/subprocess.h"
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

// The service's read user with a persistent session (clean_session false): what it receives.
class SessionSubscriber {
 public:
  SessionSubscriber(int port, const std::string& password, const std::string& topic) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new("session-keeper", false, this);
    mosquitto_username_pw_set(mosq_, "monitoring", password.c_str());
    mosquitto_subscribe_callback_set(mosq_, [](struct mosquitto*, void* obj, int, int, const int*) {
      static_cast<SessionSubscriber*>(obj)->subscribed_ = true;
    });
    mosquitto_message_callback_set(
        mosq_, [](struct mosquitto*, void* obj, const struct mosquitto_message* m) {
          auto* self = static_cast<SessionSubscriber*>(obj);
          std::lock_guard<std::mutex> l(self->mu_);
          self->received_.emplace_back(static_cast<const char*>(m->payload), m->payloadlen);
        });
    ok_ = mosquitto_connect(mosq_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS &&
          mosquitto_subscribe(mosq_, nullptr, topic.c_str(), 1) == MOSQ_ERR_SUCCESS &&
          mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS &&
          WaitUntil([&] { return subscribed_.load(); }, absl::Seconds(10));
  }
  ~SessionSubscriber() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  bool ok() const { return ok_; }
  bool Received(const std::string& payload) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& r : received_) {
      if (r == payload) return true;
    }
    return false;
  }

 private:
  struct mosquitto* mosq_;
  bool ok_ = false;
  std::atomic<bool> subscribed_{false};
  std::mutex mu_;
  std::vector<std::string> received_;
};

TEST(MosquittoBroker, RestartsOnItsPortKeepingThePasswordsAndTheSavedSessions) {
  TempDir dir("firegrid-mqtt-restart");
  MosquittoBroker broker;
  ASSERT_TRUE(broker.Start(dir.path(), {"device:dev-1"}).ok());
  const int port = broker.port();
  auto monitoring = broker.Password("monitoring");
  auto device = broker.Password("dev-1");
  ASSERT_TRUE(monitoring.ok() && device.ok());
  const std::string topic = "fg/v1/d/dev-1/signal";
  {
    SessionSubscriber first(port, *monitoring, topic);
    ASSERT_TRUE(first.ok());
  }
  {
    // While the subscriber is away: queued for its session.
    auto pub = MqttPublisher::Connect(port, "dev-1", *device, "test-dev-1");
    ASSERT_TRUE(pub.ok()) << pub.status();
    ASSERT_TRUE((*pub)->Publish(topic, "while-away").ok());
  }
  absl::Status restarted = broker.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(broker.port(), port);
  SessionSubscriber again(port, *monitoring, topic);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(WaitUntil([&] { return again.Received("while-away"); }, absl::Seconds(10)));
  auto pub = MqttPublisher::Connect(port, "dev-1", *device, "test-dev-1");
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_TRUE((*pub)->Publish(topic, "after").ok());
  EXPECT_TRUE(WaitUntil([&] { return again.Received("after"); }, absl::Seconds(10)));
}

}  // namespace
}  // namespace firegrid::testing
