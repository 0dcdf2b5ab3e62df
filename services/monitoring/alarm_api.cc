#include "services/monitoring/alarm_api.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/stubs/common.h"
#include "libs/common/ids.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "services/monitoring/access.h"

namespace firegrid::monitoring {
namespace {

constexpr size_t kMaxNoteBytes = 1000;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

absl::Status ValidateAlarmId(const std::string& id) {
  if (id.empty()) return InvalidField("alarm_id", "required");
  if (!IsWellFormedId(id, "alm")) return InvalidField("alarm_id", "must be \"alm_...\"");
  return absl::OkStatus();
}

absl::Status ValidateBuildingId(const std::string& id) {
  if (!IsWellFormedId(id, "bld")) return InvalidField("building_id", "must be \"bld_...\"");
  return absl::OkStatus();
}

// At most 1000 bytes of valid UTF-8 without control characters other than \n and \t.
absl::Status ValidateNote(const std::string& note) {
  if (note.size() > kMaxNoteBytes) {
    return InvalidField("note", absl::StrCat("at most ", kMaxNoteBytes, " bytes"));
  }
  if (!google::protobuf::internal::IsStructurallyValidUTF8(note.data(),
                                                           static_cast<int>(note.size()))) {
    return InvalidField("note", "not valid UTF-8");
  }
  for (char c : note) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) {
      return InvalidField("note", "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

// A district (6), street (9) or community (12) code.
absl::Status ValidateTier(const std::string& tier) {
  const bool digits = std::all_of(tier.begin(), tier.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (!digits || (tier.size() != 6 && tier.size() != 9 && tier.size() != 12)) {
    return InvalidField("tier_path_prefix",
                        "must be a district (6), street (9) or community (12) code");
  }
  return absl::OkStatus();
}

// The area of a listing or count without a building: the given prefix, else the caller's own
// tier path. Building managers have no area: they name a building.
absl::StatusOr<std::string> TierOf(const auth::Principal& p, const std::string& given) {
  if (given.empty() && p.role == auth::Role::kBuildingManager) {
    return InvalidField("building_id", "required for building managers");
  }
  const std::string tier = given.empty() ? p.tier_path : given;
  if (tier.empty()) return InvalidField("tier_path_prefix", "required");
  FG_RETURN_IF_ERROR(ValidateTier(tier));
  FG_RETURN_IF_ERROR(MayListTier(p, tier));
  return tier;
}

}  // namespace

AlarmApi::AlarmApi(AlarmStore* alarms, DeviceDirectory* buildings, Clock* clock)
    : alarms_(alarms), buildings_(buildings), clock_(clock) {}

absl::StatusOr<v1::BuildingView> AlarmApi::BuildingOf(const v1::Alarm& alarm) {
  absl::StatusOr<v1::BuildingView> b = buildings_->GetBuilding(alarm.building_id());
  if (b.ok() || b.status().code() != absl::StatusCode::kNotFound) return b;
  // The projection lost the building (or has not got it again yet): the alarm still says where
  // it is, so the tiers keep their access; nobody is named by it.
  v1::BuildingView view;
  view.set_building_id(alarm.building_id());
  view.set_name(alarm.building_name());
  view.set_tier_path(alarm.tier_path());
  return view;
}

absl::StatusOr<v1::Alarm> AlarmApi::Get(const auth::Principal& p, const v1::GetAlarmRequest& r) {
  FG_RETURN_IF_ERROR(ValidateAlarmId(r.alarm_id()));
  FG_ASSIGN_OR_RETURN(v1::Alarm alarm, alarms_->Get(r.alarm_id()));
  FG_ASSIGN_OR_RETURN(v1::BuildingView b, BuildingOf(alarm));
  FG_RETURN_IF_ERROR(MayRead(p, b));
  return alarm;
}

absl::StatusOr<v1::ListAlarmsResponse> AlarmApi::List(const auth::Principal& p,
                                                      const v1::ListAlarmsRequest& r) {
  if (r.page_size() < 0 || r.page_size() > kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("must be 0..", kMaxPageSize));
  }
  AlarmStore::Query q;
  q.limit = r.page_size() == 0 ? kDefaultPageSize : r.page_size();
  for (int s : r.states()) {
    if (s == v1::ALARM_STATE_UNSPECIFIED || !v1::AlarmState_IsValid(s)) {
      return InvalidField("states", "unknown alarm state");
    }
    q.states.push_back(static_cast<v1::AlarmState>(s));
  }
  if (q.states.empty()) q.states = {v1::ALARM_STATE_ACTIVE_UNACK, v1::ALARM_STATE_ACTIVE_ACK};
  q.open_only =
      std::find(q.states.begin(), q.states.end(), v1::ALARM_STATE_CLEARED_ACK) == q.states.end();
  for (int t : r.types()) {
    if (t == v1::ALARM_TYPE_UNSPECIFIED || !v1::AlarmType_IsValid(t)) {
      return InvalidField("types", "unknown alarm type");
    }
    q.types.push_back(static_cast<v1::AlarmType>(t));
  }
  q.device_id = r.device_id();
  if (q.device_id.size() > 64) return InvalidField("device_id", "at most 64 characters");

  std::string scope;
  if (!r.building_id().empty()) {
    FG_RETURN_IF_ERROR(ValidateBuildingId(r.building_id()));
    FG_ASSIGN_OR_RETURN(v1::BuildingView b, buildings_->GetBuilding(r.building_id()));
    FG_RETURN_IF_ERROR(MayRead(p, b));
    q.building_id = r.building_id();
    scope = absl::StrCat("b:", r.building_id());
  } else {
    FG_ASSIGN_OR_RETURN(q.tier_prefix, TierOf(p, r.tier_path_prefix()));
    scope = absl::StrCat("t:", q.tier_prefix);
  }
  std::vector<std::string> states, types;
  for (v1::AlarmState s : q.states) states.push_back(absl::StrCat(s));
  for (v1::AlarmType t : q.types) types.push_back(absl::StrCat(t));
  const std::string listing = absl::StrCat(scope, "\n", absl::StrJoin(states, ","), "\n",
                                           absl::StrJoin(types, ","), "\n", q.device_id);
  FG_ASSIGN_OR_RETURN(q.after, DecodePageToken(r.page_token(), listing));

  FG_ASSIGN_OR_RETURN(AlarmStore::Page page, alarms_->List(q));
  v1::ListAlarmsResponse out;
  for (v1::Alarm& a : page.alarms) *out.add_alarms() = std::move(a);
  out.set_next_page_token(EncodePageToken(listing, page.next));
  return out;
}

absl::StatusOr<v1::AlarmCounts> AlarmApi::Count(const auth::Principal& p,
                                                const v1::CountAlarmsRequest& r) {
  if (!r.building_id().empty()) {
    FG_RETURN_IF_ERROR(ValidateBuildingId(r.building_id()));
    FG_ASSIGN_OR_RETURN(v1::BuildingView b, buildings_->GetBuilding(r.building_id()));
    FG_RETURN_IF_ERROR(MayRead(p, b));
    return alarms_->Count(r.building_id(), "");
  }
  FG_ASSIGN_OR_RETURN(std::string tier, TierOf(p, r.tier_path_prefix()));
  return alarms_->Count("", tier);
}

absl::StatusOr<v1::Alarm> AlarmApi::Acknowledge(const auth::Principal& p,
                                                const v1::AcknowledgeAlarmRequest& r) {
  FG_RETURN_IF_ERROR(ValidateAlarmId(r.alarm_id()));
  FG_RETURN_IF_ERROR(ValidateNote(r.note()));
  FG_ASSIGN_OR_RETURN(v1::Alarm alarm, alarms_->Get(r.alarm_id()));
  FG_ASSIGN_OR_RETURN(v1::BuildingView b, BuildingOf(alarm));
  FG_RETURN_IF_ERROR(MayAcknowledge(p, b));
  return alarms_->Acknowledge(r.alarm_id(), p.subject, r.note(), clock_->Now(), "");
}

absl::StatusOr<v1::Alarm> AlarmApi::Clear(const auth::Principal& p,
                                          const v1::ClearAlarmRequest& r) {
  FG_RETURN_IF_ERROR(ValidateAlarmId(r.alarm_id()));
  if (absl::StripAsciiWhitespace(r.note()).empty())
    return InvalidField("note", "required: why the alarm is cleared by hand");
  FG_RETURN_IF_ERROR(ValidateNote(r.note()));
  FG_ASSIGN_OR_RETURN(v1::Alarm alarm, alarms_->Get(r.alarm_id()));
  FG_ASSIGN_OR_RETURN(v1::BuildingView b, BuildingOf(alarm));
  FG_RETURN_IF_ERROR(MayClear(p, b));
  return alarms_->Clear(r.alarm_id(), p.subject, r.note(), clock_->Now(), "");
}

}  // namespace firegrid::monitoring
