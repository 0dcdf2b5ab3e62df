#include "services/hazards/redaction.h"

#include "libs/subjects/party.h"

namespace firegrid::hazards {

v1::Hazard Redact(v1::Hazard h, const auth::Principal& p) {
  if (p.role != auth::Role::kDistrictAdmin) h.mutable_reporter()->clear_contact();
  if (h.has_liable_party() && p.role != auth::Role::kDistrictAdmin &&
      p.role != auth::Role::kInternalService) {
    subjects::MaskParty(h.mutable_liable_party());
  }
  return h;
}

v1::Hazard ForEvent(v1::Hazard h) {
  h.clear_audit();
  h.mutable_reporter()->clear_contact();
  return h;
}

}  // namespace firegrid::hazards
