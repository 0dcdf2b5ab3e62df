#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

// Personal data (docs/privacy.md): what a caller sees of a building's persons.
//
// The one redaction of what a building shows its caller: the identity numbers of its parties
// masked ("500109********123X", subjects::MaskParty) and the phones of its responsibility chain
// masked ("138****5678", subjects::MaskPhone), for every caller but internal services (the
// credit service keys persons by the numbers; no person reads through them). Every building the
// registry returns (RPC responses, the CSV export) and every chain of the responsibility history
// passes through it; events do not (the topic is internal).
void RedactForCaller(const auth::Principal& p, firegrid::buildings::v1::Building* b);
void RedactChain(const auth::Principal& p, firegrid::buildings::v1::ResponsibilityChain* c);

// What a revealing read (GetBuilding with reveal_personal_data) may show this caller unmasked.
struct Reveal {
  bool phones = false;      // the chain's phones
  bool person_ids = false;  // the parties' identity numbers
};
// Phones: district admins, street officers and community workers under their tier path (the
// tiers responsible for the building) and the building managers it names; identity numbers:
// district admins. PERMISSION_DENIED for every other caller (internal services see everything
// without a reveal).
absl::StatusOr<Reveal> CanReveal(const auth::Principal& p,
                                 const firegrid::buildings::v1::Building& b);
// Applies a reveal: `stored` is the building as stored, `shown` as RedactForCaller left it; the
// fields `r` allows are copied back unmasked. Returns the names of the fields revealed that
// hold a value ("responsibility.chain.manager.phone", "parties.person_id"), as the audit record
// names them.
std::vector<std::string> ApplyReveal(const Reveal& r,
                                     const firegrid::buildings::v1::Building& stored,
                                     firegrid::buildings::v1::Building* shown);

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
