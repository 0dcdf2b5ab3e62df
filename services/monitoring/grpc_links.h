#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/channel.h"
#include "libs/auth/service_token.h"
#include "services/monitoring/links.h"

namespace firegrid::monitoring {

// The hazard report of a lasting alarm: source IoT, the rule's category and severity, the
// rule's description with the alarm's details and where the device is (at most 4000 bytes),
// the alarm as device_alarm, idempotency key = the alarm id (a retry, from any replica, returns
// the first report's hazard), reporter "firegrid monitoring".
::firegrid::hazards::v1::ReportHazardRequest HazardReportFor(const v1::Alarm& alarm,
                                                             const config::v1::HazardFiling& filing,
                                                             const v1::BuildingView& building);

// The note that the alarm's hazard is told when the alarm clears (note: at most 1000 bytes).
::firegrid::hazards::v1::NoteDeviceAlarmClearedRequest ClearedNoteFor(const v1::Alarm& alarm,
                                                                      const std::string& note);

// HazardsLink over gRPC (HazardService.ReportHazard / NoteDeviceAlarmCleared), as the service
// principal (the token's bearer), each call with `deadline`.
class GrpcHazardsLink final : public HazardsLink {
 public:
  GrpcHazardsLink(std::shared_ptr<grpc::Channel> channel, auth::ServiceToken* token,
                  absl::Duration deadline = absl::Seconds(5));
  absl::StatusOr<std::string> FileHazard(const v1::Alarm& alarm,
                                         const config::v1::HazardFiling& filing,
                                         const v1::BuildingView& building) override;
  absl::Status NoteCleared(const v1::Alarm& alarm, const std::string& note) override;

 private:
  std::unique_ptr<::firegrid::hazards::v1::HazardService::Stub> stub_;
  auth::ServiceToken* token_;
  absl::Duration deadline_;
};

// NotifyLink over gRPC (NotifyService.PushEvent), as the service principal, with `deadline`.
class GrpcNotifyLink final : public NotifyLink {
 public:
  GrpcNotifyLink(std::shared_ptr<grpc::Channel> channel, auth::ServiceToken* token,
                 absl::Duration deadline = absl::Seconds(2));
  absl::Status Push(const ::firegrid::events::v1::Envelope& envelope) override;

 private:
  std::unique_ptr<::firegrid::notify::v1::NotifyService::Stub> stub_;
  auth::ServiceToken* token_;
  absl::Duration deadline_;
};

}  // namespace firegrid::monitoring
