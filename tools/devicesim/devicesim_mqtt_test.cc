// firegrid-devicesim against a real mosquitto configured as the run command does it
// (tests/support/mosquitto_broker.h: deploy/mqtt-credentials.sh for the fleet's clients,
// deploy/lib/mosquitto.sh): a subscriber
// with the monitoring service's user and shared subscriptions receives the simulator's
// payloads, which decode (binary and JSON) as Signal / SignalBatch with increasing sequences.
#include <mosquitto.h>

#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "firegrid/monitoring/v1/signal.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::devicesim {
namespace {

namespace sv1 = ::firegrid::monitoring::v1;
using ::firegrid::testing::MosquittoBroker;
using ::firegrid::testing::Subprocess;
using ::firegrid::testing::SubprocessOptions;
using ::firegrid::testing::TempDir;
using ::firegrid::testing::WaitUntil;

struct Message {
  std::string topic;
  std::string payload;
};

// A subscriber as the monitoring service's MQTT user, on both shared subscriptions.
class Subscriber {
 public:
  ~Subscriber() {
    if (mosq_ == nullptr) return;
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  bool Start(int port, const std::string& password) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new("test-monitoring", true, this);
    mosquitto_username_pw_set(mosq_, "monitoring", password.c_str());
    mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void* self, int rc) {
      if (rc != 0) return;
      mosquitto_subscribe(m, nullptr, "$share/monitoring/fg/v1/d/+/signal", 1);
      mosquitto_subscribe(m, nullptr, "$share/monitoring/fg/v1/g/+/signals", 1);
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
      auto* s = static_cast<Subscriber*>(self);
      std::lock_guard<std::mutex> lock(s->mu_);
      ++s->subacks_;
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* s = static_cast<Subscriber*>(self);
      std::lock_guard<std::mutex> lock(s->mu_);
      s->messages_.push_back(
          {m->topic, std::string(static_cast<const char*>(m->payload), m->payloadlen)});
    });
    // The broker may not listen yet.
    if (!WaitUntil(
            [&] { return mosquitto_connect(mosq_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS; },
            absl::Seconds(10))) {
      return false;
    }
    if (mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) return false;
    return WaitUntil([&] { return subacks() == 2; }, absl::Seconds(10));
  }
  int subacks() {
    std::lock_guard<std::mutex> lock(mu_);
    return subacks_;
  }
  std::vector<Message> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  mosquitto* mosq_ = nullptr;
  std::mutex mu_;
  int subacks_ = 0;
  std::vector<Message> messages_;
};

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Decodes a payload as the monitoring service does: JSON when the first non-space byte is '{'.
template <typename M>
bool Decode(const std::string& payload, M* out) {
  absl::string_view p = absl::StripLeadingAsciiWhitespace(payload);
  if (!p.empty() && p[0] == '{') {
    return google::protobuf::util::JsonStringToMessage(std::string(p), out).ok();
  }
  return out->ParseFromString(payload);
}

class DevicesimMqttTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.Join("fleet.csv")) << "device_id,type,gateway_id,heartbeat_seconds\n"
                                             "t1-fap,fire_alarm_panel,gw-t1,1\n"
                                             "t1-hyd,hydrant_pressure,gw-t1,1\n"
                                             "t1-smoke,smoke_detector,,1\n";
    ASSERT_EQ(Run({FIREGRID_DEVICESIM, "--fleet-file=" + dir_.Join("fleet.csv"), "--print-clients"},
                  "clients"),
              0);
    ASSERT_EQ(Read(dir_.Join("clients.stdout")), "gateway gw-t1\ndevice t1-smoke\n");
    absl::Status started = broker_.Start(dir_.path(), {"gateway:gw-t1", "device:t1-smoke"});
    ASSERT_TRUE(started.ok()) << started;
    port_ = broker_.port();
    absl::StatusOr<std::string> password = broker_.Password("monitoring");
    ASSERT_TRUE(password.ok()) << password.status();
    ASSERT_TRUE(subscriber_.Start(port_, *password)) << Read(broker_.log_path());
  }

  // Runs a command to its end; returns its exit status (-1 when it did not end in time).
  int Run(std::vector<std::string> argv, const std::string& name) {
    Subprocess p;
    SubprocessOptions o;
    o.argv = std::move(argv);
    o.log_dir = dir_.path();
    o.name = name;
    if (!p.Start(o).ok()) return -1;
    absl::StatusOr<int> status = p.Wait(absl::Seconds(60));
    return status.ok() ? *status : -1;
  }

  int Simulate(std::vector<std::string> extra, const std::string& name) {
    std::vector<std::string> argv = {FIREGRID_DEVICESIM,
                                     "--fleet-file=" + dir_.Join("fleet.csv"),
                                     "--credentials-dir=" + broker_.credentials_dir(),
                                     absl::StrCat("--mqtt-port=", port_),
                                     "--fault-every=0",
                                     "--fire-alarm-every=0",
                                     "--reboot-every=0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return Run(argv, name);
  }

  // The signals received so far, by device, in arrival order.
  std::map<std::string, std::vector<sv1::Signal>> Signals() {
    std::map<std::string, std::vector<sv1::Signal>> by_device;
    for (const Message& m : subscriber_.messages()) {
      if (m.topic == "fg/v1/g/gw-t1/signals") {
        sv1::SignalBatch batch;
        EXPECT_TRUE(Decode(m.payload, &batch)) << m.payload;
        for (const sv1::Signal& s : batch.signals()) by_device[s.device_id()].push_back(s);
      } else {
        EXPECT_EQ(m.topic, "fg/v1/d/t1-smoke/signal");
        sv1::Signal s;
        EXPECT_TRUE(Decode(m.payload, &s)) << m.payload;
        EXPECT_EQ(s.device_id(), "t1-smoke");
        by_device[s.device_id()].push_back(s);
      }
    }
    return by_device;
  }

  TempDir dir_{"devicesim"};
  MosquittoBroker broker_;
  Subscriber subscriber_;
  int port_ = 0;
};

TEST_F(DevicesimMqttTest, OnceInJsonReportsEveryDeviceOnItsOwnTopic) {
  ASSERT_EQ(Simulate({"--once", "--format=json"}, "once"), 0) << Read(dir_.Join("once.stderr"));
  ASSERT_TRUE(WaitUntil([&] { return subscriber_.messages().size() >= 2; }, absl::Seconds(10)));
  for (const Message& m : subscriber_.messages()) EXPECT_EQ(m.payload[0], '{') << m.topic;
  std::map<std::string, std::vector<sv1::Signal>> signals = Signals();
  ASSERT_EQ(signals.size(), 3u);
  for (const auto& [device, list] : signals) {
    ASSERT_EQ(list.size(), 1u) << device;
    EXPECT_EQ(list[0].sequence(), 1u);
    EXPECT_GT(list[0].boot_epoch(), 0u);
  }
  EXPECT_EQ(signals["t1-hyd"][0].analog(0).quantity(), sv1::QUANTITY_PRESSURE_MPA);
}

TEST_F(DevicesimMqttTest, BinaryHeartbeatsHaveIncreasingSequencesAndARestartAHigherEpoch) {
  ASSERT_EQ(Simulate({"--tick=100ms", "--duration=2500ms"}, "run1"), 0)
      << Read(dir_.Join("run1.stderr"));
  ASSERT_EQ(Simulate({"--once", "--fire-alarm=t1-fap"}, "run2"), 0)
      << Read(dir_.Join("run2.stderr"));
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto s = Signals();
        return s["t1-fap"].size() >= 4 && s["t1-fap"].back().state().fire_alarm();
      },
      absl::Seconds(10)));
  for (const Message& m : subscriber_.messages()) EXPECT_NE(m.payload[0], '{') << m.topic;
  for (const auto& [device, list] : Signals()) {
    ASSERT_GE(list.size(), 4u) << device;  // heartbeats at 0, 1, 2 s, then the restart
    for (size_t i = 1; i + 1 < list.size(); ++i) {
      EXPECT_EQ(list[i].boot_epoch(), list[0].boot_epoch()) << device;
      EXPECT_EQ(list[i].sequence(), list[i - 1].sequence() + 1) << device;
    }
    EXPECT_GT(list.back().boot_epoch(), list[0].boot_epoch()) << device;  // restarted
    EXPECT_EQ(list.back().sequence(), 1u) << device;
    EXPECT_EQ(list.back().state().fire_alarm(), device == "t1-fap") << device;
  }
}

TEST_F(DevicesimMqttTest, AWrongPasswordIsAnErrorNotASilentRun) {
  std::ofstream(broker_.credentials_dir() + "/passwords/gw-t1", std::ios::trunc)
      << "not-the-password\n";
  EXPECT_EQ(Simulate({"--once"}, "wrong"), 1);
  EXPECT_THAT(Read(dir_.Join("wrong.stderr")), ::testing::HasSubstr("refused gw-t1"));
}

}  // namespace
}  // namespace firegrid::devicesim
