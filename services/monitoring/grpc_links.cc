#include "services/monitoring/grpc_links.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"
#include "libs/common/trace.h"

namespace firegrid::monitoring {
namespace {

namespace hv1 = ::firegrid::hazards::v1;

// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence.
std::string Utf8Prefix(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

absl::Status Prepare(grpc::ClientContext* ctx, auth::ServiceToken* token, absl::Duration deadline) {
  auto bearer = token->Current();
  if (!bearer.ok()) return bearer.status();
  auth::AttachToken(ctx, *bearer);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  trace::InjectInto(*ctx);
  return absl::OkStatus();
}

}  // namespace

hv1::ReportHazardRequest HazardReportFor(const v1::Alarm& alarm,
                                         const config::v1::HazardFiling& filing,
                                         const v1::BuildingView& building) {
  hv1::ReportHazardRequest req;
  req.set_building_id(building.building_id().empty() ? alarm.building_id()
                                                     : building.building_id());
  req.set_category(filing.category());
  req.set_severity(filing.severity());
  req.set_source(hv1::SOURCE_IOT);
  std::string where = absl::StrCat("device ", alarm.device_id());
  if (!alarm.floor().empty()) absl::StrAppend(&where, ", floor ", alarm.floor());
  if (!alarm.point().empty()) absl::StrAppend(&where, ", ", alarm.point());
  std::string description = filing.description().empty()
                                ? std::string(v1::AlarmType_Name(alarm.type()))
                                : filing.description();
  if (!alarm.details().empty()) absl::StrAppend(&description, ": ", alarm.details());
  absl::StrAppend(&description, " (", where, "; alarm ", alarm.alarm_id(), ")");
  req.set_description(Utf8Prefix(description, 4000));
  req.mutable_reporter()->set_name("firegrid monitoring");
  req.set_idempotency_key(alarm.alarm_id());
  hv1::DeviceAlarmRef* ref = req.mutable_device_alarm();
  ref->set_alarm_id(alarm.alarm_id());
  ref->set_device_id(alarm.device_id());
  ref->set_alarm_type(v1::AlarmType_Name(alarm.type()));
  ref->set_rule_id(alarm.rule_id());
  *ref->mutable_raised_at() = alarm.raised_at();
  ref->set_details(Utf8Prefix(alarm.details(), 1000));
  return req;
}

hv1::NoteDeviceAlarmClearedRequest ClearedNoteFor(const v1::Alarm& alarm, const std::string& note) {
  hv1::NoteDeviceAlarmClearedRequest req;
  req.set_hazard_id(alarm.hazard_id());
  req.set_alarm_id(alarm.alarm_id());
  *req.mutable_cleared_at() = alarm.cleared_at();
  req.set_note(Utf8Prefix(note, 1000));
  return req;
}

GrpcHazardsLink::GrpcHazardsLink(std::shared_ptr<grpc::Channel> channel, auth::ServiceToken* token,
                                 absl::Duration deadline)
    : stub_(hv1::HazardService::NewStub(std::move(channel))), token_(token), deadline_(deadline) {}

absl::StatusOr<std::string> GrpcHazardsLink::FileHazard(const v1::Alarm& alarm,
                                                        const config::v1::HazardFiling& filing,
                                                        const v1::BuildingView& building) {
  grpc::ClientContext ctx;
  FG_RETURN_IF_ERROR(Prepare(&ctx, token_, deadline_));
  hv1::ReportHazardResponse resp;
  grpc::Status s = stub_->ReportHazard(&ctx, HazardReportFor(alarm, filing, building), &resp);
  if (!s.ok()) return FromGrpcStatus(s);
  if (!resp.duplicate_of().empty()) return resp.duplicate_of();
  if (resp.hazard().hazard_id().empty()) {
    return absl::InternalError("ReportHazard answered without a hazard id");
  }
  return resp.hazard().hazard_id();
}

absl::Status GrpcHazardsLink::NoteCleared(const v1::Alarm& alarm, const std::string& note) {
  if (alarm.hazard_id().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("alarm ", alarm.alarm_id(), " has no hazard to tell"));
  }
  grpc::ClientContext ctx;
  FG_RETURN_IF_ERROR(Prepare(&ctx, token_, deadline_));
  hv1::Hazard resp;
  grpc::Status s = stub_->NoteDeviceAlarmCleared(&ctx, ClearedNoteFor(alarm, note), &resp);
  return FromGrpcStatus(s);
}

GrpcNotifyLink::GrpcNotifyLink(std::shared_ptr<grpc::Channel> channel, auth::ServiceToken* token,
                               absl::Duration deadline)
    : stub_(::firegrid::notify::v1::NotifyService::NewStub(std::move(channel))),
      token_(token),
      deadline_(deadline) {}

absl::Status GrpcNotifyLink::Push(const ::firegrid::events::v1::Envelope& envelope) {
  grpc::ClientContext ctx;
  FG_RETURN_IF_ERROR(Prepare(&ctx, token_, deadline_));
  ::firegrid::notify::v1::PushEventRequest req;
  envelope.SerializeToString(req.mutable_envelope());
  ::firegrid::notify::v1::PushEventResponse resp;
  return FromGrpcStatus(stub_->PushEvent(&ctx, req, &resp));
}

}  // namespace firegrid::monitoring
