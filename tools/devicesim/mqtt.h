#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct mosquitto;

namespace firegrid::devicesim {

// One MQTT connection (libmosquitto, MQTT 3.1.1, clean session) that publishes with QoS 1 and
// counts the broker's acknowledgements. The network loop runs on libmosquitto's own thread,
// which also reconnects after a lost connection.
class MqttConnection {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string client_id;
    std::string username;
    std::string password;
    absl::Duration keepalive = absl::Seconds(30);
    absl::Duration connect_timeout = absl::Seconds(10);
  };

  // Connects and waits for the broker's answer: UNAUTHENTICATED for refused credentials,
  // UNAVAILABLE when no broker answers in time.
  static absl::StatusOr<std::unique_ptr<MqttConnection>> Connect(const Options& options);
  ~MqttConnection();
  MqttConnection(const MqttConnection&) = delete;
  MqttConnection& operator=(const MqttConnection&) = delete;

  absl::Status Publish(const std::string& topic, const std::string& payload);
  // Waits until every message published so far is acknowledged (PUBACK); false on timeout.
  bool WaitAcked(absl::Duration timeout);

  int64_t published() const;
  int64_t acknowledged() const;
  const std::string& client_id() const { return options_.client_id; }

 private:
  explicit MqttConnection(Options options) : options_(std::move(options)) {}
  static void OnConnect(struct mosquitto*, void* self, int rc);
  static void OnPublish(struct mosquitto*, void* self, int mid);

  Options options_;
  struct mosquitto* mosq_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int connack_ = -1;  // -1 until the first CONNACK
  int64_t published_ = 0;
  int64_t acknowledged_ = 0;
};

}  // namespace firegrid::devicesim
