#include "services/hazards/lifecycle.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/scope.h"
#include "libs/common/proto_json.h"
#include "libs/subjects/party.h"
#include "services/hazards/routing.h"

namespace firegrid::hazards {
namespace {

using auth::Role;

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool NamesManager(const auth::Principal& p, const v1::Hazard& h) {
  if (p.subject.empty()) return false;
  return h.assignment().responsible_subject() == p.subject ||
         Contains(h.building_subjects(), p.subject);
}

bool LeadDepartment(const auth::Principal& p, const v1::Hazard& h) {
  return p.role == Role::kDepartmentOfficer && !p.department.empty() &&
         Contains(h.routing().lead_departments(), p.department);
}

absl::Status Denied(const auth::Principal& p, Action a) {
  return absl::PermissionDeniedError(
      absl::StrCat("role ", auth::RoleName(p.role), " may not ", ActionName(a), " this hazard"));
}

}  // namespace

absl::string_view ActionName(Action a) {
  switch (a) {
    case Action::kVerify:
      return "verify";
    case Action::kReject:
      return "reject";
    case Action::kAssign:
      return "assign";
    case Action::kStart:
      return "start";
    case Action::kSubmit:
      return "submit";
    case Action::kReviewPass:
      return "review_pass";
    case Action::kReviewFail:
      return "review_fail";
    case Action::kChangeCategory:
      return "change_category";
    case Action::kMerge:
      return "merge";
    case Action::kUnmerge:
      return "unmerge";
    case Action::kMatch:
      return "match";
  }
  return "act on";
}

bool IsOpen(v1::Status s) { return s != v1::STATUS_CLOSED && s != v1::STATUS_REJECTED; }

bool IsActive(v1::Status s) {
  return s == v1::STATUS_VERIFIED || s == v1::STATUS_ASSIGNED || s == v1::STATUS_RECTIFYING ||
         s == v1::STATUS_SUBMITTED;
}

absl::Status CanReport(const auth::Principal& p, const BuildingView& b) {
  switch (p.role) {
    case Role::kInternalService:
      return absl::OkStatus();
    case Role::kDistrictAdmin:
    case Role::kStreetOfficer:
    case Role::kCommunityWorker:
    case Role::kDepartmentOfficer:
      return auth::RequireTier(p, b.tier_path);
    case Role::kPublicChannel:
      return auth::RequireTier(p, b.tier_path);
    case Role::kBuildingManager:
      if (!p.subject.empty() &&
          std::find(b.subjects.begin(), b.subjects.end(), p.subject) != b.subjects.end()) {
        return absl::OkStatus();
      }
      return absl::PermissionDeniedError("building manager is not named by this building");
    default:
      return absl::PermissionDeniedError(
          absl::StrCat("role ", auth::RoleName(p.role), " may not report hazards"));
  }
}

absl::Status CanReportUnmatched(const auth::Principal& p, const std::string& tier_path) {
  if (p.role != Role::kPublicChannel) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", auth::RoleName(p.role),
                     " reports hazards of registered buildings only; only public channels file "
                     "reports without a building"));
  }
  return auth::RequireTier(p, tier_path);
}

std::string ChannelOf(const auth::Principal& p) {
  constexpr absl::string_view kPrefix = "channel:";
  if (p.role != Role::kPublicChannel || !absl::StartsWith(p.subject, kPrefix)) return "";
  return p.subject.substr(kPrefix.size());
}

absl::Status MayCall(const auth::Principal& p, absl::string_view method) {
  if (p.role != Role::kPublicChannel) return absl::OkStatus();
  if (method == "ReportHazard" || method == "GetHazard" || method == "ListHazards") {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("role public_channel may not call ", method,
                   "; public channels report hazards and read their own reports"));
}

absl::Status MayReadGuidance(const auth::Principal& p) {
  if (p.role == Role::kPublicChannel || p.role == Role::kUnspecified) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", auth::RoleName(p.role), " may not read guidance"));
  }
  return absl::OkStatus();
}

absl::Status CanSee(const auth::Principal& p, const v1::Hazard& h) {
  switch (p.role) {
    case Role::kInternalService:
      return absl::OkStatus();
    case Role::kDistrictAdmin:
    case Role::kStreetOfficer:
    case Role::kCommunityWorker:
      return auth::RequireTier(p, h.tier_path());
    case Role::kDepartmentOfficer: {
      const auto depts = RoutedDepartments(h.routing());
      const bool routed = !p.department.empty() &&
                          (std::find(depts.begin(), depts.end(), p.department) != depts.end() ||
                           h.assignment().supervising_department() == p.department);
      if (!routed) return absl::PermissionDeniedError("hazard not routed to your department");
      return auth::RequireTier(p, h.tier_path());
    }
    case Role::kBuildingManager:
      if (NamesManager(p, h)) return absl::OkStatus();
      return absl::PermissionDeniedError("hazard of a building that does not name you");
    case Role::kPublicChannel: {
      const std::string channel = ChannelOf(p);
      if (channel.empty() || h.channel() != channel) {
        return absl::PermissionDeniedError("hazard not reported through your channel");
      }
      return auth::RequireTier(p, h.tier_path());
    }
    default:
      return absl::PermissionDeniedError(
          absl::StrCat("role ", auth::RoleName(p.role), " may not see hazards"));
  }
}

absl::Status Authorize(const auth::Principal& p, const v1::Hazard& h, Action a) {
  if (p.role == Role::kPublicChannel) return Denied(p, a);
  const bool admin_or_street = p.role == Role::kDistrictAdmin || p.role == Role::kStreetOfficer;
  switch (a) {
    case Action::kVerify:
    case Action::kReject:
    case Action::kChangeCategory:
    case Action::kAssign:
      if (admin_or_street || LeadDepartment(p, h)) return absl::OkStatus();
      return Denied(p, a);
    case Action::kStart:
    case Action::kSubmit:
      if (admin_or_street || p.role == Role::kCommunityWorker ||
          (p.role == Role::kBuildingManager && NamesManager(p, h))) {
        return absl::OkStatus();
      }
      return Denied(p, a);
    case Action::kReviewPass:
    case Action::kReviewFail: {
      const bool supervising = p.role == Role::kDepartmentOfficer && !p.department.empty() &&
                               h.assignment().supervising_department() == p.department;
      if (!admin_or_street && !supervising) return Denied(p, a);
      for (auto it = h.audit().rbegin(); it != h.audit().rend(); ++it) {
        if (it->action() == "submit") {
          if (it->actor() == p.subject) {
            return absl::PermissionDeniedError(
                "the one who submitted a rectification may not review it");
          }
          break;
        }
      }
      return absl::OkStatus();
    }
    case Action::kMerge:
    case Action::kUnmerge:
    case Action::kMatch:
      if (admin_or_street) return absl::OkStatus();
      return Denied(p, a);
  }
  return Denied(p, a);
}

absl::Status MayNameLiableParty(const auth::Principal& p, const v1::Hazard& h) {
  if (p.role == Role::kDistrictAdmin || p.role == Role::kInternalService || LeadDepartment(p, h)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("role ", auth::RoleName(p.role),
                   " may not name the liable party; the lead department or a district admin "
                   "names it"));
}

void NameLiableParty(v1::Hazard* h, const auth::Principal& p,
                     const ::firegrid::subjects::v1::Party& party, absl::Time now) {
  if (h->has_liable_party() &&
      google::protobuf::util::MessageDifferencer::Equals(h->liable_party(), party)) {
    return;
  }
  *h->mutable_liable_party() = party;
  ::firegrid::subjects::v1::Party shown = party;
  subjects::MaskParty(&shown);
  // A role a newer release of buildings added is named by its number (EnumLabel).
  const std::string role =
      EnumLabel(::firegrid::subjects::v1::PartyRole_descriptor(), party.role());
  Record(h, p, "name_liable_party", h->status(), now,
         absl::StrCat("liable party: ", shown.name(), " (", role, ", ",
                      shown.credit_code().empty() ? shown.person_id() : shown.credit_code(), ")"));
}

absl::Status CheckState(const v1::Hazard& h, Action a) {
  if (a == Action::kMatch) {
    if (!h.unmatched()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "hazard ", h.hazard_id(), " is matched to building ", h.building_id(), " already"));
    }
  } else if (h.unmatched() && a != Action::kReject) {
    return absl::FailedPreconditionError(
        absl::StrCat("hazard ", h.hazard_id(),
                     " is an unmatched public report: match it to a "
                     "building first (MatchPublicReport), or reject it"));
  }
  if (!h.duplicate_of().empty() && a != Action::kUnmerge) {
    return absl::FailedPreconditionError(
        absl::StrCat("hazard ", h.hazard_id(), " is a duplicate of ", h.duplicate_of(),
                     "; act on that hazard, or unmerge this one first"));
  }
  auto need = [&](v1::Status want) -> absl::Status {
    if (h.status() == want) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot ", ActionName(a), " a hazard in status ", v1::Status_Name(h.status()),
                     "; it must be ", v1::Status_Name(want)));
  };
  switch (a) {
    case Action::kVerify:
    case Action::kReject:
    case Action::kMatch:
      return need(v1::STATUS_REPORTED);
    case Action::kAssign:
      return need(v1::STATUS_VERIFIED);
    case Action::kStart:
      return need(v1::STATUS_ASSIGNED);
    case Action::kSubmit:
      return need(v1::STATUS_RECTIFYING);
    case Action::kReviewPass:
    case Action::kReviewFail:
      return need(v1::STATUS_SUBMITTED);
    case Action::kChangeCategory:
    case Action::kMerge:
      if (IsOpen(h.status())) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot ", ActionName(a), " a hazard in status ", v1::Status_Name(h.status())));
    case Action::kUnmerge:
      if (!h.duplicate_of().empty()) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat("hazard ", h.hazard_id(), " is not a duplicate"));
  }
  return absl::OkStatus();
}

void Record(v1::Hazard* h, const auth::Principal& p, absl::string_view action, v1::Status to,
            absl::Time now, absl::string_view note) {
  auto* e = h->add_audit();
  *e->mutable_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  e->set_actor(p.subject);
  e->set_role(std::string(auth::RoleName(p.role)));
  e->set_action(std::string(action));
  e->set_from(h->status());
  e->set_to(to);
  e->set_note(std::string(note));
  h->set_status(to);
}

}  // namespace firegrid::hazards
