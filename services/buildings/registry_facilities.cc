#include "firegrid/buildings/v1/events.pb.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "services/buildings/access.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using internal::Ts;

absl::StatusOr<v1::Building> Registry::SetFacilityStatus(const P& p,
                                                         const v1::SetFacilityStatusRequest& req) {
  if (req.kind() == v1::FACILITY_KIND_UNSPECIFIED || !v1::FacilityKind_IsValid(req.kind())) {
    return InvalidField("kind", "is required");
  }
  if (req.status() == v1::FACILITY_STATUS_UNSPECIFIED ||
      !v1::FacilityStatus_IsValid(req.status())) {
    return InvalidField("status", "is required");
  }
  if (req.status() == v1::FACILITY_STATUS_NO_WATER &&
      req.kind() != v1::FACILITY_KIND_INDOOR_HYDRANT) {
    return InvalidField("status", "NO_WATER applies to indoor hydrant systems only");
  }
  FG_RETURN_IF_ERROR(ValidateText(req.note(), "note", false, 1000));
  return ForCaller(
      p, ReadModifyWrite(
             req.building_id(), 0,
             [&](const v1::Building& before, v1::Building* after, Outbox* outbox) -> absl::Status {
               FG_RETURN_IF_ERROR(CanRead(p, before));
               FG_RETURN_IF_ERROR(CanSetFacility(p, before));
               const absl::Time now = clock_->Now();
               v1::Facility* f = nullptr;
               for (auto& existing : *after->mutable_facilities()) {
                 if (existing.kind() == req.kind()) f = &existing;
               }
               v1::FacilityStatus previous = v1::FACILITY_STATUS_UNSPECIFIED;
               if (f == nullptr) {
                 f = after->add_facilities();
                 f->set_kind(req.kind());
               } else {
                 previous = f->status();
               }
               f->set_status(req.status());
               f->set_note(req.note());
               *f->mutable_updated_at() = Ts(now);
               f->set_updated_by(p.subject);
               Derive(after, now);
               if (previous != req.status()) {
                 v1::FacilityStatusChanged payload;
                 payload.set_building_id(after->building_id());
                 *payload.mutable_facility() = *f;
                 payload.set_previous_status(previous);
                 outbox->push_back(Event(payload, *after, now));
               }
               return absl::OkStatus();
             }));
}

}  // namespace firegrid::buildings
