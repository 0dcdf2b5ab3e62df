#pragma once

#include <string>

#include "firegrid/credit/v1/credit.pb.h"
#include "firegrid/credit/v1/history.pb.h"

namespace firegrid::credit {

// The one home of what the district public credit platform gets of a subject (docs/credit-
// export.md, docs/privacy.md): the fields it is entitled to, copied one by one, never the
// subject or an entry whole, so that a field added to them later does not leave unnoticed.
// Entity: subject id, the organisation's credit code, its name, type; a natural person only by
// subject id (a keyed hash, never the identity number) and a masked name ("张*"); level, score;
// each blacklist entry's id, state, reason, legal basis, whether automatic, duration and dates.
// Never: identity numbers, phones, the principals who proposed, objected to, reviewed or asked
// to repair an entry, objection and repair texts, account subjects, buildings.
v1::ExportRecord ExportRecordOf(const v1::SubjectState& s, const v1::Fact& fact,
                                const std::string& rules_version);

}  // namespace firegrid::credit
