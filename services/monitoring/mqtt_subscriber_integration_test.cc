// The MQTT subscriber against a real mosquitto set up by the deploy scripts (MosquittoBroker:
// generated passwords, the topic ACL).
#include <mosquitto.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/monitoring/mqtt_subscriber.h"
#include "services/monitoring/payload.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::monitoring {
namespace {

using firegrid::testing::MosquittoBroker;
using firegrid::testing::WaitUntil;

constexpr absl::Duration kTimeout = absl::Seconds(20);

// A device or gateway: publishes QoS 1 and waits for the broker's PUBACK.
class Publisher {
 public:
  Publisher(int port, const std::string& user, const std::string& password) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(nullptr, true, this);
    mosquitto_username_pw_set(mosq_, user.c_str(), password.c_str());
    mosquitto_publish_callback_set(mosq_, [](struct mosquitto*, void* obj, int mid) {
      auto* self = static_cast<Publisher*>(obj);
      std::lock_guard<std::mutex> l(self->mu_);
      self->acked_.insert(mid);
    });
    mosquitto_connect_callback_set(mosq_, [](struct mosquitto*, void* obj, int rc) {
      if (rc == 0) static_cast<Publisher*>(obj)->connected_ = true;
    });
    ok_ = mosquitto_connect(mosq_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS &&
          mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS &&
          WaitUntil([&] { return connected_.load(); }, kTimeout);
  }
  ~Publisher() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  bool ok() const { return ok_; }

  // Publishes and returns the message id (not waiting).
  int PublishAsync(const std::string& topic, const std::string& payload) {
    int mid = 0;
    int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                               payload.data(), 1, false);
    return rc == MOSQ_ERR_SUCCESS ? mid : -1;
  }
  bool Acked(int mid) {
    std::lock_guard<std::mutex> l(mu_);
    return acked_.count(mid) > 0;
  }
  // Publishes and waits for the PUBACK.
  bool Publish(const std::string& topic, const std::string& payload) {
    int mid = PublishAsync(topic, payload);
    return mid >= 0 && WaitUntil([&] { return Acked(mid); }, kTimeout);
  }

 private:
  struct mosquitto* mosq_;
  bool ok_ = false;
  std::atomic<bool> connected_{false};
  std::mutex mu_;
  std::set<int> acked_;
};

// What the sink received.
class Received {
 public:
  absl::Status Add(const SignalSource& source, std::vector<v1::Signal> signals) {
    std::lock_guard<std::mutex> l(mu_);
    ++calls_;
    for (auto& s : signals) items_.push_back({source, std::move(s)});
    return absl::OkStatus();
  }
  size_t size() {
    std::lock_guard<std::mutex> l(mu_);
    return items_.size();
  }
  int calls() {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }
  std::vector<std::pair<SignalSource, v1::Signal>> items() {
    std::lock_guard<std::mutex> l(mu_);
    return items_;
  }
  bool Has(const std::string& device, uint64_t seq) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [src, s] : items_) {
      if (s.device_id() == device && s.sequence() == seq) return true;
    }
    return false;
  }

 private:
  std::mutex mu_;
  int calls_ = 0;
  std::vector<std::pair<SignalSource, v1::Signal>> items_;
};

std::string SignalBytes(const std::string& device, uint64_t seq) {
  v1::Signal s;
  s.set_device_id(device);
  s.set_boot_epoch(1);
  s.set_sequence(seq);
  s.mutable_device_time()->set_seconds(1'700'000'000 + seq);
  return s.SerializeAsString();
}

class MqttSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = std::make_unique<MosquittoBroker>();
    absl::Status started = broker_->Start(
        dir_.path(), {"device:dev-001", "device:dev-002", "device:dev-003", "gateway:gw-01"});
    ASSERT_TRUE(started.ok()) << started;
  }

  // The password deploy/mqtt-credentials.sh generated for `user`.
  std::string Pw(const std::string& user) {
    absl::StatusOr<std::string> p = broker_->Password(user);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : "";
  }

  MqttOptions Options(const std::string& client_id) {
    MqttOptions o;
    o.port = broker_->port();
    o.username = "monitoring";
    o.password = Pw("monitoring");
    o.client_id = client_id;
    o.reconnect_max = absl::Milliseconds(500);
    return o;
  }

  std::unique_ptr<MqttSubscriber> StartSubscriber(Received* into, const std::string& client_id,
                                                  MqttOptions* override_options = nullptr) {
    MqttOptions o = override_options ? *override_options : Options(client_id);
    auto sub = std::make_unique<MqttSubscriber>(
        o, [into](const SignalSource& s, std::vector<v1::Signal> v) {
          return into->Add(s, std::move(v));
        });
    EXPECT_TRUE(sub->Start().ok());
    EXPECT_TRUE(WaitUntil([&] { return sub->connected(); }, kTimeout));
    return sub;
  }

  firegrid::testing::TempDir dir_{"mqtt-subscriber-test"};
  std::unique_ptr<MosquittoBroker> broker_;
};

TEST_F(MqttSubscriberTest, DeliversADeviceSignalAtQos1ToTheSinkWithItsSource) {
  Received got;
  auto sub = StartSubscriber(&got, "mon-a");
  EXPECT_TRUE(sub->Health().ok());
  Publisher dev(broker_->port(), "dev-001", Pw("dev-001"));
  ASSERT_TRUE(dev.ok());
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", 1)));
  ASSERT_TRUE(WaitUntil([&] { return got.size() == 1; }, kTimeout));
  auto items = got.items();
  EXPECT_EQ(items[0].first.kind, SignalSource::Kind::kDeviceTopic);
  EXPECT_EQ(items[0].first.id, "dev-001");
  EXPECT_EQ(items[0].second.sequence(), 1u);
}

TEST_F(MqttSubscriberTest, ADeviceCannotPublishOnAnotherDevicesTopic) {
  Received got;
  auto sub = StartSubscriber(&got, "mon-a");
  Publisher dev(broker_->port(), "dev-001", Pw("dev-001"));
  ASSERT_TRUE(dev.ok());
  // The broker acknowledges the refused publish without forwarding it; the permitted one
  // published after it arrives, so the refused one would have arrived by then.
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-002"), SignalBytes("dev-002", 1)));
  ASSERT_TRUE(dev.Publish(GatewayTopic("gw-01"), ""));
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", 2)));
  ASSERT_TRUE(WaitUntil([&] { return got.Has("dev-001", 2); }, kTimeout));
  EXPECT_FALSE(got.Has("dev-002", 1));
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(sub->messages_received(), 1);
}

TEST_F(MqttSubscriberTest, AGatewayBatchArrivesAsOneSourceWithAllItsSignals) {
  Received got;
  auto sub = StartSubscriber(&got, "mon-a");
  Publisher gw(broker_->port(), "gw-01", Pw("gw-01"));
  ASSERT_TRUE(gw.ok());
  v1::SignalBatch batch;
  for (int i = 1; i <= 30; ++i) batch.add_signals()->ParseFromString(SignalBytes("dev-003", i));
  ASSERT_TRUE(gw.Publish(GatewayTopic("gw-01"), batch.SerializeAsString()));
  ASSERT_TRUE(WaitUntil([&] { return got.size() == 30; }, kTimeout));
  for (const auto& [src, s] : got.items()) {
    EXPECT_EQ(src.kind, SignalSource::Kind::kGatewayTopic);
    EXPECT_EQ(src.id, "gw-01");
  }
}

TEST_F(MqttSubscriberTest, MessagesArrivingTogetherReachTheSinkInBatches) {
  MqttOptions o = Options("mon-a");
  o.batch_window = absl::Milliseconds(300);
  Received got;
  auto sub = StartSubscriber(&got, "mon-a", &o);
  Publisher gw(broker_->port(), "gw-01", Pw("gw-01"));
  ASSERT_TRUE(gw.ok());
  std::vector<int> mids;
  for (int i = 1; i <= 40; ++i) {
    v1::SignalBatch batch;
    batch.add_signals()->ParseFromString(SignalBytes("dev-003", i));
    mids.push_back(gw.PublishAsync(GatewayTopic("gw-01"), batch.SerializeAsString()));
  }
  ASSERT_TRUE(WaitUntil([&] { return got.size() == 40; }, kTimeout));
  EXPECT_LT(got.calls(), 40);
  // In order within the source.
  auto items = got.items();
  for (int i = 0; i < 40; ++i) EXPECT_EQ(items[i].second.sequence(), static_cast<uint64_t>(i + 1));
}

TEST_F(MqttSubscriberTest, MalformedMessagesAreCountedAndDroppedAndTheStreamGoesOn) {
  Received got;
  std::vector<std::string> reasons;
  std::mutex mu;
  MqttSubscriber sub(
      Options("mon-a"),
      [&](const SignalSource& s, std::vector<v1::Signal> v) { return got.Add(s, std::move(v)); },
      [&](absl::string_view r) {
        std::lock_guard<std::mutex> l(mu);
        reasons.push_back(std::string(r));
      });
  ASSERT_TRUE(sub.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kTimeout));
  Publisher dev(broker_->port(), "dev-001", Pw("dev-001"));
  ASSERT_TRUE(dev.ok());
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), "{not json"));
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), std::string("\x18\xff\xff", 3)));
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", 5)));
  ASSERT_TRUE(WaitUntil([&] { return got.Has("dev-001", 5); }, kTimeout));
  EXPECT_EQ(sub.messages_dropped(), 2);
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(reasons, (std::vector<std::string>{"malformed_payload", "malformed_payload"}));
}

TEST_F(MqttSubscriberTest, ABatchTheSinkCannotTakeIsRetriedUntilItIs) {
  std::atomic<int> attempts{0};
  Received got;
  MqttOptions o = Options("mon-a");
  o.retry_max = absl::Milliseconds(100);
  MqttSubscriber sub(o, [&](const SignalSource& s, std::vector<v1::Signal> v) {
    if (attempts.fetch_add(1) < 3) return absl::UnavailableError("redis down");
    return got.Add(s, std::move(v));
  });
  ASSERT_TRUE(sub.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kTimeout));
  Publisher dev(broker_->port(), "dev-001", Pw("dev-001"));
  ASSERT_TRUE(dev.ok());
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", 9)));
  ASSERT_TRUE(WaitUntil([&] { return got.size() == 1; }, kTimeout));
  EXPECT_EQ(attempts.load(), 4);
}

TEST_F(MqttSubscriberTest, ABatchThePipelineFailsForGoodIsCountedAndNotRetried) {
  std::atomic<int> attempts{0};
  std::vector<std::string> reasons;
  std::mutex mu;
  Received got;
  MqttSubscriber sub(
      Options("mon-a"),
      [&](const SignalSource& s, std::vector<v1::Signal> v) {
        if (v[0].sequence() == 1) {
          ++attempts;
          return absl::InternalError("a device's change could not be written");
        }
        return got.Add(s, std::move(v));
      },
      [&](absl::string_view r) {
        std::lock_guard<std::mutex> l(mu);
        reasons.push_back(std::string(r));
      });
  ASSERT_TRUE(sub.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kTimeout));
  Publisher dev(broker_->port(), "dev-001", Pw("dev-001"));
  ASSERT_TRUE(dev.ok());
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", 1)));
  ASSERT_TRUE(WaitUntil([&] { return attempts.load() == 1; }, kTimeout));
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", 2)));
  ASSERT_TRUE(WaitUntil([&] { return got.Has("dev-001", 2); }, kTimeout));
  EXPECT_EQ(attempts.load(), 1);
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(reasons, std::vector<std::string>{"ingest_failed"});
}

TEST_F(MqttSubscriberTest, WhileThePipelineIsStuckTheBrokerKeepsWhatTheQueueCannotHold) {
  MqttOptions o = Options("mon-a");
  o.queue_limit = 3;
  o.workers = 1;
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  Received got;
  MqttSubscriber sub(o, [&](const SignalSource& s, std::vector<v1::Signal> v) {
    std::unique_lock<std::mutex> l(gate_mu);
    gate_cv.wait(l, [&] { return open; });
    return got.Add(s, std::move(v));
  });
  ASSERT_TRUE(sub.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }, kTimeout));
  Publisher dev(broker_->port(), "dev-001", Pw("dev-001"));
  ASSERT_TRUE(dev.ok());
  constexpr int kMessages = 60;
  for (int i = 1; i <= kMessages; ++i) {
    ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", i)));
  }
  // The subscriber took (and acknowledged) only what its queue and the batch in hand hold: its
  // network thread stopped reading, and the rest waits at the broker.
  EXPECT_LT(sub.messages_received(), kMessages);
  EXPECT_EQ(sub.queued(), 3);  // the queue is full
  {
    std::lock_guard<std::mutex> l(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(WaitUntil([&] { return got.size() == kMessages; }, kTimeout));
  for (int i = 1; i <= kMessages; ++i) EXPECT_TRUE(got.Has("dev-001", i)) << i;
}

TEST_F(MqttSubscriberTest, TwoReplicasInOneShareGroupEachGetAPartAndTogetherEveryMessageOnce) {
  Received a, b;
  auto sub_a = StartSubscriber(&a, "mon-a");
  auto sub_b = StartSubscriber(&b, "mon-b");
  std::vector<std::unique_ptr<Publisher>> devices;
  for (const std::string user : {"dev-001", "dev-002", "dev-003"}) {
    devices.push_back(std::make_unique<Publisher>(broker_->port(), user, Pw(user)));
    ASSERT_TRUE(devices.back()->ok());
  }
  constexpr int kPerDevice = 100;
  for (int i = 1; i <= kPerDevice; ++i) {
    for (int d = 0; d < 3; ++d) {
      std::string id = absl::StrCat("dev-00", d + 1);
      ASSERT_GE(devices[d]->PublishAsync(DeviceTopic(id), SignalBytes(id, i)), 0);
    }
  }
  ASSERT_TRUE(WaitUntil([&] { return a.size() + b.size() >= 3 * kPerDevice; }, kTimeout));
  EXPECT_GT(a.size(), 0u);
  EXPECT_GT(b.size(), 0u);
  std::set<std::pair<std::string, uint64_t>> seen;
  for (Received* r : {&a, &b}) {
    for (const auto& [src, s] : r->items()) {
      EXPECT_TRUE(seen.insert({s.device_id(), s.sequence()}).second)
          << s.device_id() << " " << s.sequence() << " twice";
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(3 * kPerDevice));
}

TEST_F(MqttSubscriberTest, ReconnectsAndResubscribesAfterTheBrokerRestarts) {
  Received got;
  auto sub = StartSubscriber(&got, "mon-a");
  ASSERT_TRUE(broker_->Stop().ok());
  ASSERT_TRUE(WaitUntil([&] { return !sub->connected(); }, kTimeout));
  EXPECT_FALSE(sub->Health().ok());
  ASSERT_TRUE(broker_->Restart().ok());
  ASSERT_TRUE(WaitUntil([&] { return sub->connected(); }, kTimeout));
  EXPECT_TRUE(sub->Health().ok());
  EXPECT_GE(sub->connects(), 2);
  Publisher dev(broker_->port(), "dev-001", Pw("dev-001"));
  ASSERT_TRUE(dev.ok());
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", 3)));
  ASSERT_TRUE(WaitUntil([&] { return got.Has("dev-001", 3); }, kTimeout));
}

TEST_F(MqttSubscriberTest, SignalsPublishedWhileTheReplicaIsAwayAreKeptForItsSession) {
  Received first;
  auto sub = StartSubscriber(&first, "mon-a");
  sub->Stop();
  sub.reset();
  Publisher dev(broker_->port(), "dev-001", Pw("dev-001"));
  ASSERT_TRUE(dev.ok());
  ASSERT_TRUE(dev.Publish(DeviceTopic("dev-001"), SignalBytes("dev-001", 11)));
  Received second;
  auto again = StartSubscriber(&second, "mon-a");
  ASSERT_TRUE(WaitUntil([&] { return second.Has("dev-001", 11); }, kTimeout));
}

TEST_F(MqttSubscriberTest, WrongCredentialsKeepTheHealthNotServing) {
  MqttOptions o = Options("mon-x");
  o.password = "wrong";
  Received got;
  MqttSubscriber sub(o, [&](const SignalSource& s, std::vector<v1::Signal> v) {
    return got.Add(s, std::move(v));
  });
  ASSERT_TRUE(sub.Start().ok());
  // It keeps trying; it never counts as connected.
  ASSERT_TRUE(WaitUntil([&] { return sub.refusals() >= 2; }, kTimeout));
  EXPECT_FALSE(sub.connected());
  EXPECT_FALSE(sub.Health().ok());
}

}  // namespace
}  // namespace firegrid::monitoring
