#pragma once

#include "absl/status/statusor.h"
#include "libs/redis/counters.h"
#include "services/credit/rules.h"
#include "services/credit/store.h"
#include "services/credit/subject_ids.h"

namespace firegrid::credit {

// Credit's read models in the generation in force — each subject's score, level and number of
// ledger records (P:g:V:s:<subject>), and the rankings (P:g:V:rank:<tier>:<type>) — compared
// with a replay of the history up to that generation's cursor, in memory (the engine, as the
// replay of a new rule set does it), writing nothing. The live state is read after the replay
// and the cursor read again: when the applier moved it meanwhile, the replay goes on to the new
// cursor and the live state is read again (ABORTED after `attempts`). FAILED_PRECONDITION when no
// generation is in force, or when `rules` are not the rule set in force. `records`: facts
// replayed.
absl::StatusOr<redis::CounterCheck> CheckServingGeneration(CreditStore& store, const Rules& rules,
                                                           const SubjectIds& ids,
                                                           int attempts = 20);

}  // namespace firegrid::credit
