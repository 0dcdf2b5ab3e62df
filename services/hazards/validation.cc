#include "services/hazards/validation.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/ids.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"

namespace firegrid::hazards {

using auth::Role;

absl::Status ValidateText(const std::string& v, const std::string& field, bool required,
                          size_t max) {
  if (required && absl::StripAsciiWhitespace(v).empty()) return InvalidField(field, "is required");
  if (v.size() > max) return InvalidField(field, absl::StrCat("at most ", max, " bytes"));
  for (unsigned char c : v) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      return InvalidField(field, "must not hold control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEvidence(const google::protobuf::RepeatedPtrField<v1::Evidence>& evidence,
                              const std::string& field) {
  if (evidence.size() > 20) return InvalidField(field, "at most 20 items");
  for (int i = 0; i < evidence.size(); ++i) {
    const std::string f = absl::StrCat(field, "[", i, "]");
    const std::string& uri = evidence[i].uri();
    bool ok = false;
    if (absl::StartsWith(uri, "https://") || absl::StartsWith(uri, "http://")) {
      ok =
          uri.size() > 8 && uri.size() <= 2048 && uri.find_first_of(" \t\r\n") == std::string::npos;
    } else if (absl::StartsWith(uri, "sha256:") && uri.size() == 7 + 64) {
      ok = std::all_of(uri.begin() + 7, uri.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    }
    if (!ok) return InvalidField(f + ".uri", "must be an http(s) URL or sha256:<64 hex digits>");
    FG_RETURN_IF_ERROR(ValidateText(evidence[i].description(), f + ".description", false, 500));
  }
  return absl::OkStatus();
}

bool ValidCategory(int c) { return c != 0 && v1::HazardCategory_IsValid(c); }

namespace {

bool AllOf(absl::string_view s, bool (*ok)(char)) { return std::all_of(s.begin(), s.end(), ok); }

// "alm_" and 1 to 60 of [A-Za-z0-9_].
absl::Status ValidateAlarmId(const std::string& id, const std::string& field) {
  if (!absl::StartsWith(id, "alm_") || id.size() <= 4 || id.size() > 64 ||
      !AllOf(absl::string_view(id).substr(4), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
      })) {
    return InvalidField(field, "must be \"alm_\" and 1 to 60 letters, digits or '_'");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDeviceAlarm(const v1::DeviceAlarmRef& a, const std::string& field) {
  FG_RETURN_IF_ERROR(ValidateAlarmId(a.alarm_id(), field + ".alarm_id"));
  const std::string& device = a.device_id();
  if (device.size() < 3 || device.size() > 64 || !AllOf(device, [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
               c == '-';
      })) {
    return InvalidField(field + ".device_id", "must be 3 to 64 characters of [A-Za-z0-9._-]");
  }
  if (a.alarm_type().size() > 64 || !AllOf(a.alarm_type(), [](char c) {
        return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
               absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_';
      })) {
    return InvalidField(field + ".alarm_type",
                        "must be an alarm type name (at most 64 of [A-Z0-9_])");
  }
  if (a.rule_id().size() > 64 || !AllOf(a.rule_id(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
               c == '-';
      })) {
    return InvalidField(field + ".rule_id", "must be at most 64 characters of [A-Za-z0-9._-]");
  }
  FG_RETURN_IF_ERROR(ValidateText(a.details(), field + ".details", false, 1000));
  if (a.has_cleared_at()) return InvalidField(field + ".cleared_at", "is server-owned");
  return absl::OkStatus();
}

absl::Status ValidateLocation(const v1::Location& l, const std::string& field) {
  if (!std::isfinite(l.latitude()) || l.latitude() < -90 || l.latitude() > 90) {
    return InvalidField(field + ".latitude", "must be in [-90, 90]");
  }
  if (!std::isfinite(l.longitude()) || l.longitude() < -180 || l.longitude() > 180) {
    return InvalidField(field + ".longitude", "must be in [-180, 180]");
  }
  FG_RETURN_IF_ERROR(ValidateText(l.address(), field + ".address", false, 500));
  if (l.latitude() == 0 && l.longitude() == 0 && absl::StripAsciiWhitespace(l.address()).empty()) {
    return InvalidField(field, "needs coordinates or an address");
  }
  return absl::OkStatus();
}

absl::Status ValidateChannelName(const std::string& channel, const std::string& field) {
  if (channel.empty() || channel.size() > 64 || !AllOf(channel, [](char c) {
        return absl::ascii_islower(static_cast<unsigned char>(c)) ||
               absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      })) {
    return InvalidField(field, "must be a channel name (1 to 64 of [a-z0-9_-])");
  }
  return absl::OkStatus();
}

absl::Status ValidateMatch(const v1::MatchPublicReportRequest& req) {
  if (!IsWellFormedId(req.hazard_id(), "hzd")) {
    return InvalidField("hazard_id", "is not a hazard id");
  }
  if (!IsWellFormedId(req.building_id(), "bld")) {
    return InvalidField("building_id", "is not a building id");
  }
  return ValidateText(req.note(), "note", false, 2000);
}

namespace {

// The public channel's part of a report: only tip-offs, always a place, a building or the
// street / district of an unmatched one. For other callers: neither place nor unmatched tier.
absl::Status ValidatePublicPart(const auth::Principal& p, const v1::ReportHazardRequest& req) {
  if (p.role != Role::kPublicChannel) {
    if (req.has_location()) {
      return absl::PermissionDeniedError("only public channels give a report's place (location)");
    }
    if (!req.unmatched_tier_path().empty()) {
      return absl::PermissionDeniedError(
          "only public channels file reports without a building (unmatched_tier_path)");
    }
    if (!IsWellFormedId(req.building_id(), "bld")) {
      return InvalidField("building_id", "is not a building id");
    }
    return absl::OkStatus();
  }
  if (req.source() != v1::SOURCE_PUBLIC_TIP_OFF) {
    return absl::PermissionDeniedError("a public channel files public tip-offs only");
  }
  if (!req.has_location()) return InvalidField("location", "is required for a public report");
  FG_RETURN_IF_ERROR(ValidateLocation(req.location(), "location"));
  if (req.building_id().empty()) {
    const std::string& tier = req.unmatched_tier_path();
    if ((tier.size() != 6 && tier.size() != 9) ||
        !AllOf(tier, [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
      return InvalidField("unmatched_tier_path",
                          "must be the 9-digit street or 6-digit district code of the place "
                          "when no building_id is given");
    }
    return absl::OkStatus();
  }
  if (!IsWellFormedId(req.building_id(), "bld")) {
    return InvalidField("building_id", "is not a building id");
  }
  if (!req.unmatched_tier_path().empty()) {
    return InvalidField("unmatched_tier_path", "only for a report without a building_id");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateReport(const auth::Principal& p, const v1::ReportHazardRequest& req) {
  if (p.role != Role::kPublicChannel && !IsWellFormedId(req.building_id(), "bld")) {
    return InvalidField("building_id", "is not a building id");
  }
  if (!ValidCategory(req.category())) return InvalidField("category", "is required");
  if (req.severity() == v1::SEVERITY_UNSPECIFIED || !v1::Severity_IsValid(req.severity())) {
    return InvalidField("severity", "is required (general or major)");
  }
  if (req.source() == v1::SOURCE_UNSPECIFIED || !v1::Source_IsValid(req.source())) {
    return InvalidField("source", "is required");
  }
  FG_RETURN_IF_ERROR(ValidatePublicPart(p, req));
  FG_RETURN_IF_ERROR(ValidateText(req.description(), "description", true, 4000));
  FG_RETURN_IF_ERROR(ValidateEvidence(req.evidence(), "evidence"));
  FG_RETURN_IF_ERROR(ValidateText(req.reporter().name(), "reporter.name", false, 100));
  FG_RETURN_IF_ERROR(ValidateText(req.reporter().contact(), "reporter.contact", false, 100));
  if (!req.reporter().subject().empty()) return InvalidField("reporter.subject", "is server-owned");
  if (req.reporter().anonymous()) {
    if (req.source() != v1::SOURCE_PUBLIC_TIP_OFF) {
      return InvalidField("reporter.anonymous", "only public tip-offs may be anonymous");
    }
    if (!req.reporter().name().empty() || !req.reporter().contact().empty()) {
      return InvalidField("reporter", "an anonymous tip-off carries no name or contact");
    }
  }
  if ((req.source() == v1::SOURCE_IOT || req.source() == v1::SOURCE_CAMPAIGN) &&
      p.role != Role::kInternalService && p.role != Role::kDistrictAdmin) {
    return absl::PermissionDeniedError(
        "IoT and campaign hazards come from systems or district admins");
  }
  if (req.has_device_alarm()) {
    if (p.role != Role::kInternalService) {
      return absl::PermissionDeniedError("only the monitoring service files device alarms");
    }
    if (req.source() != v1::SOURCE_IOT) {
      return InvalidField("device_alarm", "only a report with source IoT carries a device alarm");
    }
    FG_RETURN_IF_ERROR(ValidateDeviceAlarm(req.device_alarm(), "device_alarm"));
  }
  return ValidateText(req.idempotency_key(), "idempotency_key", false, 128);
}

absl::Status ValidateNoteDeviceAlarmCleared(const v1::NoteDeviceAlarmClearedRequest& req) {
  if (!IsWellFormedId(req.hazard_id(), "hzd")) {
    return InvalidField("hazard_id", "is not a hazard id");
  }
  FG_RETURN_IF_ERROR(ValidateAlarmId(req.alarm_id(), "alarm_id"));
  return ValidateText(req.note(), "note", false, 1000);
}

absl::StatusOr<::firegrid::subjects::v1::Party> NormalizedLiableParty(
    ::firegrid::subjects::v1::Party party) {
  subjects::NormalizeParty(&party);
  FG_RETURN_IF_ERROR(subjects::ValidateParty(party, "liable_party"));
  return party;
}

absl::Status ValidateStatisticsScope(const std::string& scope) {
  const bool digits = std::all_of(scope.begin(), scope.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if ((scope.size() != 6 && scope.size() != 9 && scope.size() != 12) || !digits) {
    return InvalidField("tier_path", "must be a 6, 9 or 12-digit division code");
  }
  return absl::OkStatus();
}

}  // namespace firegrid::hazards
