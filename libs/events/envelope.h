#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/events/v1/envelope.pb.h"
#include "google/protobuf/message.h"
#include "libs/common/ids.h"

namespace firegrid::events {

using Envelope = ::firegrid::events::v1::Envelope;
using DeadLetter = ::firegrid::events::v1::DeadLetter;

inline constexpr absl::string_view kEventIdPrefix = "evt";

// Wraps `payload` in an Envelope: a new event id ("evt_..."), type = the payload's full message
// name, time = `now`, the producer, the building id (also the Kafka key), the tier path and the
// W3C trace context of the request that caused the event: `traceparent` when given, else the
// context current on this thread (trace::Current(), with its tracestate), else none.
Envelope NewEnvelope(const google::protobuf::Message& payload, absl::string_view producer,
                     absl::string_view building_id, absl::string_view tier_path, absl::Time now,
                     IdGenerator& ids, absl::string_view traceparent = "");

// The payload as T. INVALID_ARGUMENT when the envelope carries another type or the payload bytes
// do not decode.
template <class T>
absl::StatusOr<T> Unpack(const Envelope& envelope) {
  T out;
  if (!envelope.payload().Is<T>()) {
    return absl::InvalidArgumentError(absl::StrCat("event ", envelope.event_id(), " carries ",
                                                   envelope.payload().type_url(), ", not ",
                                                   T::descriptor()->full_name()));
  }
  if (!envelope.payload().UnpackTo(&out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", envelope.event_id(), ": payload of type ",
                     T::descriptor()->full_name(), " does not decode"));
  }
  return out;
}

// Decodes a Kafka message value. INVALID_ARGUMENT when the bytes are not an Envelope or the
// envelope lacks event_id or type (nothing a consumer could process or dedupe), or its type
// disagrees with the payload's type URL.
absl::StatusOr<Envelope> ParseEnvelope(const std::string& bytes);

// The wire form of an envelope (the Kafka message value).
std::string SerializeEnvelope(const Envelope& envelope);

}  // namespace firegrid::events
