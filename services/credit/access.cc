#include "services/credit/access.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"
#include "services/credit/subject_ids.h"

namespace firegrid::credit {
namespace {

using auth::Role;

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

// "org:<code>", "person:<24 hex>", or a bare organisation credit code → the subject id.
absl::StatusOr<std::string> CanonicalSubjectId(const std::string& raw) {
  const std::string id(absl::StripAsciiWhitespace(raw));
  if (id.empty()) return InvalidField("subject_id", "required");
  if (absl::StartsWith(id, "org:")) {
    const std::string code = absl::AsciiStrToUpper(id.substr(4));
    FG_RETURN_IF_ERROR(subjects::ValidateCreditCode(code, "subject_id"));
    return SubjectIds::OrgId(code);
  }
  if (absl::StartsWith(id, "person:")) {
    if (!SubjectIds::IsSubjectId(id)) {
      return InvalidField("subject_id", "a person's id is \"person:\" and 24 lower-case hex");
    }
    return id;
  }
  const std::string code = absl::AsciiStrToUpper(id);
  FG_RETURN_IF_ERROR(subjects::ValidateCreditCode(code, "subject_id"));
  return SubjectIds::OrgId(code);
}

// "<subject id>#bl<n>" → the subject id.
absl::StatusOr<std::string> EntrySubjectId(const std::string& entry_id) {
  const size_t at = entry_id.rfind("#bl");
  int n = 0;
  if (at == std::string::npos || at == 0 || !absl::SimpleAtoi(entry_id.substr(at + 3), &n) ||
      n <= 0) {
    return InvalidField("entry_id", "a blacklist entry id is \"<subject id>#bl<n>\"");
  }
  return CanonicalSubjectId(entry_id.substr(0, at));
}

bool OpenState(v1::BlacklistState s) {
  return s == v1::BLACKLIST_STATE_PROPOSED || s == v1::BLACKLIST_STATE_OBJECTED ||
         s == v1::BLACKLIST_STATE_ACTIVE;
}

const v1::BlacklistEntry* FindEntry(const v1::SubjectState& state, const std::string& entry_id) {
  for (const v1::BlacklistEntry& e : state.blacklist()) {
    if (e.entry_id() == entry_id) return &e;
  }
  return nullptr;
}

bool IsTierCode(absl::string_view t) {
  return (t.size() == 6 || t.size() == 9 || t.size() == 12) &&
         std::all_of(t.begin(), t.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

bool ActsFor(const auth::Principal& p, const v1::SubjectState& state) {
  if (p.subject.empty()) return false;
  return Contains(state.notify_subjects(), p.subject) ||
         Contains(state.subject().account_subjects(), p.subject);
}

bool MayRead(const auth::Principal& p, const v1::SubjectState& state) {
  switch (p.role) {
    case Role::kDistrictAdmin:
    case Role::kInternalService:
      return true;
    case Role::kBuildingManager:
    case Role::kServiceAgency:
      return ActsFor(p, state);
    case Role::kStreetOfficer:
    case Role::kCommunityWorker:
    case Role::kDepartmentOfficer:
      if (state.subject().buildings().empty()) return p.role == Role::kDepartmentOfficer;
      for (const v1::BuildingLink& link : state.subject().buildings()) {
        if (auth::CoversTierPath(p, link.tier_path())) return true;
      }
      return false;
    default:
      return false;
  }
}

v1::Subject Redacted(const v1::Subject& subject) {
  v1::Subject out = subject;
  if (!out.person_id().empty()) {
    out.set_person_id(subjects::MaskPersonId(out.person_id()));
  }
  return out;
}

}  // namespace firegrid::credit
