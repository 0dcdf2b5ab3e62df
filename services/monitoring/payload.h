#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "firegrid/monitoring/v1/signal.pb.h"
#include "services/monitoring/ingestor.h"

namespace firegrid::monitoring {

// The MQTT wire format (services/monitoring/README.md, "Signals over MQTT"):
//   fg/v1/d/<device_id>/signal    one Signal, published by the device itself
//   fg/v1/g/<gateway_id>/signals  one SignalBatch, published by a gateway for its devices
// The payload is a binary protobuf, or the protobuf JSON mapping of the same message when its
// first non-space byte is '{'. A signal on a device topic without a device_id is about the
// topic's device.
inline constexpr size_t kMaxPayloadBytes = 256 * 1024;
inline constexpr int kMaxSignalsPerMessage = 1000;

// The topic prefix the service subscribes to, and the two filters (without the $share part).
inline constexpr absl::string_view kDeviceTopicFilter = "fg/v1/d/+/signal";
inline constexpr absl::string_view kGatewayTopicFilter = "fg/v1/g/+/signals";

// The topic a device / gateway publishes on.
std::string DeviceTopic(absl::string_view device_id);
std::string GatewayTopic(absl::string_view gateway_id);

// A device or gateway id as it may appear in a topic: 3–64 characters of [A-Za-z0-9._-].
bool IsValidEndpointId(absl::string_view id);

struct DecodedMessage {
  // "" when decoded, else why not: "malformed_topic", "malformed_payload" or "too_large".
  std::string error;
  // The source named by the topic (set whenever the topic parsed, also when the payload did
  // not, so that the drop is logged with the device or gateway id).
  SignalSource source;
  std::vector<v1::Signal> signals;
};

// Decodes one MQTT message. Never fails otherwise and never crashes on any input.
DecodedMessage DecodeMqttMessage(absl::string_view topic, absl::string_view payload);

}  // namespace firegrid::monitoring
