#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace firegrid::testing {

// A blocking MQTT publisher for tests (libmosquitto): connects as a user and publishes with
// QoS 1, returning once the broker acknowledged the message (PUBACK).
class MqttPublisher {
 public:
  static absl::StatusOr<std::unique_ptr<MqttPublisher>> Connect(int port, const std::string& user,
                                                                const std::string& password,
                                                                const std::string& client_id);
  ~MqttPublisher();
  absl::Status Publish(const std::string& topic, const std::string& payload,
                       absl::Duration timeout = absl::Seconds(10));

 private:
  MqttPublisher() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firegrid::testing
