#include "services/hazards/duplicates.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/hazards/lifecycle.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {

v1::Hazard CountDuplicateReport(const v1::Hazard& primary, absl::Time now) {
  v1::Hazard updated = primary;
  updated.set_duplicate_reports(primary.duplicate_reports() + 1);
  updated.set_version(primary.version() + 1);
  *updated.mutable_updated_at() = Ts(now);
  return updated;
}

absl::Status CheckMergeable(const v1::Hazard& dup, const v1::Hazard& target) {
  if (dup.building_id() != target.building_id()) {
    return absl::FailedPreconditionError("only hazards of the same building can be merged");
  }
  if (dup.duplicate_reports() > 0) {
    return absl::FailedPreconditionError(
        "this hazard has duplicates of its own; unmerge them or merge the other way");
  }
  return absl::OkStatus();
}

DuplicatePair MergeInto(const v1::Hazard& dup, const v1::Hazard& target, const auth::Principal& p,
                        absl::Time now, absl::string_view note) {
  DuplicatePair out{dup, target};
  out.duplicate.set_duplicate_of(target.hazard_id());
  Record(&out.duplicate, p, "merge", dup.status(), now,
         absl::StrCat("duplicate of ", target.hazard_id(), note.empty() ? "" : "; ", note));
  out.duplicate.set_version(dup.version() + 1);
  *out.duplicate.mutable_updated_at() = Ts(now);
  out.target.set_duplicate_reports(target.duplicate_reports() + 1);
  out.target.set_version(target.version() + 1);
  *out.target.mutable_updated_at() = Ts(now);
  return out;
}

DuplicatePair Unmerge(const v1::Hazard& dup, const v1::Hazard& target, const auth::Principal& p,
                      absl::Time now, absl::string_view note) {
  DuplicatePair out{dup, target};
  out.duplicate.clear_duplicate_of();
  Record(&out.duplicate, p, "unmerge", dup.status(), now,
         absl::StrCat("no longer a duplicate of ", target.hazard_id(), note.empty() ? "" : "; ",
                      note));
  out.duplicate.set_version(dup.version() + 1);
  *out.duplicate.mutable_updated_at() = Ts(now);
  out.target.set_duplicate_reports(std::max(0, target.duplicate_reports() - 1));
  out.target.set_version(target.version() + 1);
  *out.target.mutable_updated_at() = Ts(now);
  return out;
}

}  // namespace firegrid::hazards
