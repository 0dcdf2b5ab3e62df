#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "firegrid/credit/v1/history.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::credit {

// Who may see which subject, how calls name subjects and entries, and what a caller sees of a
// person (services/credit/README.md, "Who may do what").

// Whether `p` may read a subject in `state`: district admins and internal services all; street
// officers, community workers and department officers the subjects with a building in their
// tier (department officers also subjects without buildings); building managers and service
// agencies the subjects they act for (ActsFor).
bool MayRead(const auth::Principal& p, const v1::SubjectState& state);
// Whether `p` acts for the subject (its own account or a manager of its buildings).
bool ActsFor(const auth::Principal& p, const v1::SubjectState& state);
// The subject as every caller sees it: a person's identity number masked (docs/privacy.md; a
// district admin's audited GetProfile reveal is the one unmasked read).
v1::Subject Redacted(const v1::Subject& subject);

// "org:<code>", "person:<24 hex>", or a bare organisation credit code → the subject id;
// INVALID_ARGUMENT naming `subject_id` (and why the code is not one) otherwise.
absl::StatusOr<std::string> CanonicalSubjectId(const std::string& raw);
// "<subject id>#bl<n>" → the subject id; INVALID_ARGUMENT naming `entry_id` otherwise.
absl::StatusOr<std::string> EntrySubjectId(const std::string& entry_id);
// The subject's entry with this id, or nullptr.
const v1::BlacklistEntry* FindEntry(const v1::SubjectState& state, const std::string& entry_id);
// Proposed, objected or active (not ended).
bool OpenState(v1::BlacklistState s);
// A district (6 digits), street (9) or community (12) code.
bool IsTierCode(absl::string_view tier);

}  // namespace firegrid::credit
