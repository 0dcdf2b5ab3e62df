#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::hazards {


// Duplicates (重复上报): a report of a building and category that already has an open hazard is
// linked to it as a duplicate and counted on the open one, not handled twice. Officers can merge
// one open hazard into another of the same building, and undo a merge.

// The open hazard after one more report was linked to it.
v1::Hazard CountDuplicateReport(const v1::Hazard& primary, absl::Time now);

// FAILED_PRECONDITION unless `dup` may be merged into `target`: the same building, and `dup`
// has no duplicates of its own.
absl::Status CheckMergeable(const v1::Hazard& dup, const v1::Hazard& target);

// Both hazards after a merge or an unmerge, audited and with their versions advanced.
struct DuplicatePair {
  v1::Hazard duplicate;
  v1::Hazard target;
};
DuplicatePair MergeInto(const v1::Hazard& dup, const v1::Hazard& target, const auth::Principal& p,
                        absl::Time now, absl::string_view note);
DuplicatePair Unmerge(const v1::Hazard& dup, const v1::Hazard& target, const auth::Principal& p,
                      absl::Time now, absl::string_view note);

}  // namespace firegrid::hazards
