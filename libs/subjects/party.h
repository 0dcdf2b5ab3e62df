#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "firegrid/subjects/v1/subjects.pb.h"

namespace firegrid::subjects {

// The one home of the identifiers of credit subjects (信用主体): validation of an organisation's
// unified social credit code (GB 32100) and of a person's resident identity number (GB 11643),
// masking of the latter, and the rules of a well-formed Party. Used by buildings (a building's
// parties), hazards (the liable party) and credit.

// OK for an 18-character unified social credit code 统一社会信用代码: upper-case characters of
// GB 32100's set (digits and letters without I, O, S, V, Z), digits in the administrative-division
// code (positions 3–8), and the check character (position 18) computed from the other 17 with
// weights 3^i mod 31. Otherwise INVALID_ARGUMENT "<field>: ..." saying which of length, charset
// (and the position) or check character is wrong (and what the check character should be).
absl::Status ValidateCreditCode(absl::string_view code, absl::string_view field);

// The check character GB 32100 gives for the first 17 characters of `code` (which must be of
// the code's character set); '\0' if they are not.
char CreditCodeCheckCharacter(absl::string_view first17);

// OK for an 18-character resident identity number 居民身份证号码 (GB 11643): 17 digits, a valid
// birth date (positions 7–14), and the check character (0–9 or upper-case X, ISO 7064 MOD 11-2).
// Otherwise INVALID_ARGUMENT naming the field and what is wrong.
absl::Status ValidatePersonId(absl::string_view id, absl::string_view field);

// The check character GB 11643 gives for 17 digits; '\0' if they are not 17 digits.
char PersonIdCheckCharacter(absl::string_view first17);

// "500109********123X": the first 6 and the last 4 characters kept, the rest '*'. Ids shorter
// than 10 characters are masked whole.
std::string MaskPersonId(absl::string_view id);

// A party's subject type: owner → OWNER, occupant → USER, management unit and property company →
// MANAGER, maintenance agency → SERVICE_AGENCY, builder → BUILDER; UNSPECIFIED otherwise.
v1::SubjectType SubjectTypeOf(v1::PartyRole role);

// The wire names of subject types as config files and CLI flags spell them: "owner", "user",
// "manager", "service_agency", "builder" ("" for UNSPECIFIED); and back (UNSPECIFIED for others).
absl::string_view SubjectTypeName(v1::SubjectType type);
v1::SubjectType ParseSubjectType(absl::string_view name);

// A well-formed party: a role, a name (1–200 characters), exactly one of credit_code and
// person_id, the one given valid; an account subject of at most 128 characters. Errors name the
// field as `<prefix>.role`, `<prefix>.credit_code`, etc. Credit codes are accepted in lower
// case and upper-cased by NormalizeParty first.
absl::Status ValidateParty(const v1::Party& party, absl::string_view prefix);

// Trims the name and ids and upper-cases the codes (a trailing 'x' of an identity number too).
void NormalizeParty(v1::Party* party);

// Masks the person id of a party (no change to organisations).
void MaskParty(v1::Party* party);

}  // namespace firegrid::subjects
