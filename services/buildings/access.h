#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::buildings {


// Who may do what in the buildings registry (the role table of README.md), in one place.
// Each check returns PERMISSION_DENIED naming the role and the action.

// PERMISSION_DENIED "role <role> may not <what>".
absl::Status Denied(const auth::Principal& p, absl::string_view what);

// The building's responsibility chain names this principal by subject (building managers see
// and maintain the buildings that name them).
bool NamesPrincipal(const firegrid::buildings::v1::Building& b, const auth::Principal& p);

// Read a building: building managers named by it; administrative and department roles and
// internal services under their tier path.
absl::Status CanRead(const auth::Principal& p, const firegrid::buildings::v1::Building& b);

// Create or change buildings (and their fire access) at `tier_path`: district admins, street
// officers and community workers under their tier path.
absl::Status CanEdit(const auth::Principal& p, absl::string_view tier_path);

// Record facility status: building managers named by it; administrative roles and department
// officers under their tier path.
absl::Status CanSetFacility(const auth::Principal& p, const firegrid::buildings::v1::Building& b);

// Whether the caller sees natural persons' identity numbers unmasked: district admins, and
// internal services (the credit service keys persons by them).
bool SeesPersonIds(const auth::Principal& p);

// The one redaction of what a building shows its caller: the identity numbers of its parties
// masked ("500109********123X", subjects::MaskParty) unless SeesPersonIds. Every building the
// registry returns (RPC responses, the CSV export) passes through it; events do not (the topic
// is internal and the credit service needs the numbers).
void RedactForCaller(const auth::Principal& p, firegrid::buildings::v1::Building* b);

// Area management (filings, hydrants, micro stations): district admins and street officers under
// their tier path.
absl::Status CanManageArea(const auth::Principal& p, absl::string_view tier_path,
                           absl::string_view what);

// Search nearby (FindNearby) for `kind`: hydrants and micro stations every role but
// service_agency and public_channel; buildings those who may read buildings (each result
// then passes ShowsInNearby) and public_channel.
absl::Status CanFindNearby(const auth::Principal& p, firegrid::buildings::v1::NearbyKind kind);

// A building found nearby is shown to this caller: a public channel's when it lies in the
// channel's district (its tier path), anyone else's when CanRead.
bool ShowsInNearby(const auth::Principal& p, const firegrid::buildings::v1::Building& b);

}  // namespace firegrid::buildings
