#include "firegrid/buildings/v1/events.pb.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "services/buildings/access.h"
#include "services/buildings/fire_access.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using internal::Ts;

absl::StatusOr<v1::SetFireAccessResponse> Registry::SetFireAccess(
    const P& p, const v1::SetFireAccessRequest& req) {
  if (req.expected_version() <= 0) {
    return InvalidField("expected_version", "is required (the version you read)");
  }
  FG_RETURN_IF_ERROR(ValidateFireAccess(req));
  v1::FireAccessAssessment assessment;
  FG_ASSIGN_OR_RETURN(
      v1::Building b,
      ReadModifyWrite(
          req.building_id(), req.expected_version(),
          [&](const v1::Building& before, v1::Building* after, Outbox* outbox) -> absl::Status {
            FG_RETURN_IF_ERROR(CanRead(p, before));
            FG_RETURN_IF_ERROR(CanEdit(p, before.tier_path()));
            const absl::Time now = clock_->Now();
            *after->mutable_fire_lanes() = req.fire_lanes();
            *after->mutable_rescue_sites() = req.rescue_sites();
            Derive(after, now);
            assessment = firegrid::buildings::AssessFireAccess(*after, rules_, now);
            if (!assessment.compliant()) {
              v1::FireAccessNonCompliant payload;
              payload.set_building_id(after->building_id());
              payload.set_building_name(after->name());
              payload.set_use(after->use());
              *payload.mutable_assessment() = assessment;
              outbox->push_back(Event(payload, *after, now));
            }
            return absl::OkStatus();
          }));
  v1::SetFireAccessResponse resp;
  RedactForCaller(p, &b);
  *resp.mutable_building() = std::move(b);
  *resp.mutable_assessment() = std::move(assessment);
  return resp;
}

absl::StatusOr<v1::FireAccessAssessment> Registry::AssessFireAccess(
    const P& p, const v1::AssessFireAccessRequest& req) {
  FG_ASSIGN_OR_RETURN(v1::Building b, Load(req.building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, b));
  return firegrid::buildings::AssessFireAccess(b, rules_, clock_->Now());
}

}  // namespace firegrid::buildings
