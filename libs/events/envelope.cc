#include "libs/events/envelope.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/trace.h"

namespace firegrid::events {

Envelope NewEnvelope(const google::protobuf::Message& payload, absl::string_view producer,
                     absl::string_view building_id, absl::string_view tier_path, absl::Time now,
                     IdGenerator& ids, absl::string_view traceparent) {
  Envelope e;
  e.set_event_id(ids.NewId(kEventIdPrefix));
  e.set_type(payload.GetDescriptor()->full_name());
  *e.mutable_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  e.set_producer(std::string(producer));
  e.set_building_id(std::string(building_id));
  e.set_tier_path(std::string(tier_path));
  if (!traceparent.empty()) {
    e.mutable_trace()->set_traceparent(std::string(traceparent));
  } else if (const trace::Context* current = trace::Current()) {
    e.mutable_trace()->set_traceparent(trace::FormatTraceparent(*current));
    if (!current->tracestate.empty()) e.mutable_trace()->set_tracestate(current->tracestate);
  }
  e.mutable_payload()->PackFrom(payload);
  return e;
}

absl::StatusOr<Envelope> ParseEnvelope(const std::string& bytes) {
  Envelope e;
  if (!e.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an Envelope: ", bytes.size(), " bytes that do not decode"));
  }
  if (e.event_id().empty()) return absl::InvalidArgumentError("envelope without event_id");
  if (e.type().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("envelope ", e.event_id(), " without type"));
  }
  if (e.has_payload()) {
    absl::string_view url = e.payload().type_url();
    size_t slash = url.rfind('/');
    absl::string_view payload_type = slash == absl::string_view::npos ? url : url.substr(slash + 1);
    if (payload_type != e.type()) {
      return absl::InvalidArgumentError(
          absl::StrCat("envelope ", e.event_id(), " has type ", e.type(), " but carries ", url));
    }
  }
  return e;
}

std::string SerializeEnvelope(const Envelope& envelope) {
  std::string out;
  envelope.SerializeToString(&out);
  return out;
}

}  // namespace firegrid::events
