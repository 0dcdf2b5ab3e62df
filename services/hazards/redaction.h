#pragma once

#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::hazards {

namespace v1 = ::firegrid::hazards::v1;

// What a caller may see of a hazard: the reporter's contact only for district admins; the liable
// party's person id unmasked only for district admins and internal services.
v1::Hazard Redact(v1::Hazard h, const auth::Principal& p);
// The hazard as events carry it (an internal topic): no audit trail, no reporter contact; the
// liable party whole, person id unmasked (the credit service rates it).
v1::Hazard ForEvent(v1::Hazard h);

}  // namespace firegrid::hazards
