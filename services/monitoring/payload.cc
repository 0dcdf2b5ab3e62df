#include "services/monitoring/payload.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace firegrid::monitoring {
namespace {

constexpr absl::string_view kDevicePrefix = "fg/v1/d/";
constexpr absl::string_view kGatewayPrefix = "fg/v1/g/";

// Parses `payload` as `message`: protobuf JSON when it starts (after spaces) with '{', else
// binary protobuf.
bool ParsePayload(absl::string_view payload, google::protobuf::Message* message) {
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(payload);
  if (!trimmed.empty() && trimmed.front() == '{') {
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;  // newer device firmware may send more
    return google::protobuf::util::JsonStringToMessage(
               google::protobuf::StringPiece(trimmed.data(), trimmed.size()), message, opts)
        .ok();
  }
  return message->ParseFromArray(payload.data(), static_cast<int>(payload.size()));
}

}  // namespace

std::string DeviceTopic(absl::string_view device_id) {
  return absl::StrCat(kDevicePrefix, device_id, "/signal");
}

std::string GatewayTopic(absl::string_view gateway_id) {
  return absl::StrCat(kGatewayPrefix, gateway_id, "/signals");
}

bool IsValidEndpointId(absl::string_view id) {
  if (id.size() < 3 || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

DecodedMessage DecodeMqttMessage(absl::string_view topic, absl::string_view payload) {
  DecodedMessage out;
  std::vector<absl::string_view> parts = absl::StrSplit(topic, '/');
  bool device_topic = parts.size() == 5 && parts[0] == "fg" && parts[1] == "v1" &&
                      parts[2] == "d" && parts[4] == "signal";
  bool gateway_topic = parts.size() == 5 && parts[0] == "fg" && parts[1] == "v1" &&
                       parts[2] == "g" && parts[4] == "signals";
  if ((!device_topic && !gateway_topic) || !IsValidEndpointId(parts[3])) {
    out.error = "malformed_topic";
    return out;
  }
  out.source.kind =
      device_topic ? SignalSource::Kind::kDeviceTopic : SignalSource::Kind::kGatewayTopic;
  out.source.id = std::string(parts[3]);
  if (payload.size() > kMaxPayloadBytes) {
    out.error = "too_large";
    return out;
  }
  if (device_topic) {
    v1::Signal signal;
    if (!ParsePayload(payload, &signal)) {
      out.error = "malformed_payload";
      return out;
    }
    if (signal.device_id().empty()) signal.set_device_id(out.source.id);
    out.signals.push_back(std::move(signal));
    return out;
  }
  v1::SignalBatch batch;
  if (!ParsePayload(payload, &batch)) {
    out.error = "malformed_payload";
    return out;
  }
  if (batch.signals_size() > kMaxSignalsPerMessage) {
    out.error = "too_large";
    return out;
  }
  out.signals.assign(std::make_move_iterator(batch.mutable_signals()->begin()),
                     std::make_move_iterator(batch.mutable_signals()->end()));
  return out;
}

}  // namespace firegrid::monitoring
