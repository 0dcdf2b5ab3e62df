#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "firegrid/subjects/v1/subjects.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace firegrid::buildings {

// The text form of a building's parties: the one syntax of the CSV import's `parties` column
// (docs/csv-import.md) and of firegridctl's `--party` flag.
//
//   ROLE:NAME:CODE[:ACCOUNT]          an organisation; CODE = its unified social credit code
//   ROLE:NAME:id:NUMBER[:ACCOUNT]     a natural person; NUMBER = the resident identity number
//
// Several parties are separated by ';' (or line breaks). Spaces around each part are ignored.
// A '\' makes the next character literal (a ':' or ';' in a name: "A\:B"). ROLE is one of
// owner, occupant, management_unit, property_company, maintenance_agency, builder (any case,
// '-' for '_'), or 产权人, 使用人, 管理单位, 物业, 维保单位, 建设单位. ACCOUNT is the firegrid
// subject acting for the party (Party.account_subject).
//
// Parsing checks the syntax only; ValidateParty (libs/subjects) checks the codes.

// One party. INVALID_ARGUMENT saying what is wrong (no field name: the caller knows where the
// text came from).
absl::StatusOr<firegrid::subjects::v1::Party> ParsePartyText(absl::string_view text);

// A list; errors begin "entry N: " (1-based). Empty entries are skipped.
absl::StatusOr<std::vector<firegrid::subjects::v1::Party>> ParsePartiesText(absl::string_view text);

// The text of one party and of a list ("; " between entries); parsing it gives the parties back.
std::string PartyText(const firegrid::subjects::v1::Party& party);
std::string PartiesText(
    const google::protobuf::RepeatedPtrField<firegrid::subjects::v1::Party>& parties);

// "management_unit" for PARTY_ROLE_MANAGEMENT_UNIT; "" for UNSPECIFIED.
std::string PartyRoleLabel(firegrid::subjects::v1::PartyRole role);

}  // namespace firegrid::buildings
