#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/subjects/v1/subjects.pb.h"

namespace firegrid::buildings {


// Request validation. Errors are INVALID_ARGUMENT naming the field with `prefix`
// (e.g. "building.height_m: must be in (0, 1000]").

// The kind an administrative-division code of this length has: 6 → district, 9 → street/town,
// 12 → community/village. False when not all digits or another length.
bool IsDivisionCode(const std::string& code);
int DivisionLevel(const std::string& code);  // 1 district, 2 street/town, 3 community/village, 0

absl::Status ValidateOrgUnitShape(const v1::OrgUnit& unit);

// The client-settable fields of a building.
absl::Status ValidateBuildingFields(const v1::Building& b, const std::string& prefix,
                                    absl::Time now);
// A building names at most this many parties.
inline constexpr int kMaxParties = 50;

// The parties of a building (client-settable): each normalised (subjects::NormalizeParty:
// trimmed, codes upper-cased) in place and validated (subjects::ValidateParty) as
// `<prefix>parties[i]` ("building.parties[2].credit_code: check character is ..."); at most
// kMaxParties; no two with the same role and the same credit code or person id.
absl::Status NormalizeAndValidateParties(
    google::protobuf::RepeatedPtrField<firegrid::subjects::v1::Party>* parties,
    const std::string& prefix);

// Server-owned fields must be unset in a create request.
absl::Status RejectServerOwnedFields(const v1::Building& b, const std::string& prefix);

absl::Status ValidateChain(const v1::ResponsibilityChain& chain, bool three_nos,
                           const std::string& prefix);
absl::Status ValidateFireAccess(const v1::SetFireAccessRequest& req);
absl::Status ValidateLocation(const v1::GeoPoint& p, const std::string& field);

// A text field: trimmed non-empty when `required`, at most `max_bytes`, valid UTF-8, no control
// characters.
absl::Status ValidateText(const std::string& value, const std::string& field, bool required,
                          size_t max_bytes);

// Whether `s` is well-formed UTF-8.
bool ValidUtf8(absl::string_view s);

// The fields UpdateBuilding may change.
bool IsUpdatablePath(const std::string& path);

}  // namespace firegrid::buildings
