#pragma once

#include "absl/status/status.h"
#include "firegrid/buildings/v1/buildings.pb.h"

namespace firegrid::buildings {


// The ListBuildings filters (classes, uses, flags, filing states, incomplete_only): the one
// definition of what each filter selects. The ledger counts with the same predicates, so that
// each ledger figure equals a recount with the list filter of the same name.

// INVALID_ARGUMENT naming the field for an unknown enum value in a filter.
absl::Status ValidateBuildingFilter(const v1::ListBuildingsRequest& req);

// Whether `b` (with its read-time filing state computed) passes every filter set in `req`.
// Scope (tier path prefix) and the caller's access are checked by the caller.
bool MatchesBuildingFilter(const v1::ListBuildingsRequest& req, const v1::Building& b);

}  // namespace firegrid::buildings
