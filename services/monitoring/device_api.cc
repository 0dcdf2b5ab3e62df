#include "services/monitoring/device_api.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "libs/events/envelope.h"
#include "services/monitoring/access.h"

namespace firegrid::monitoring {
namespace {

using TimeUtil = ::google::protobuf::util::TimeUtil;

constexpr absl::string_view kProducer = "monitoring";
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
// How many store pages one List call reads at most to fill a filtered page; past it, the page
// comes back short with a token to go on.
constexpr int kMaxScannedPages = 20;
// Attempts at committing a decommission's clears while the ingest moves the device's state.
constexpr int kCommitAttempts = 5;

constexpr absl::string_view kUpdatablePaths[] = {
    "model",  "manufacturer",     "floor",     "point", "facility",
    "status", "heartbeat_period", "gateway_id"};

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMillis(TimeUtil::TimestampToMilliseconds(t));
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(t));
}

bool ValidTierPrefix(absl::string_view t) {
  return (t.size() == 6 || t.size() == 9 || t.size() == 12) &&
         std::all_of(t.begin(), t.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

bool Unchanged(const v1::Device& a, const v1::Device& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

DeviceApi::DeviceApi(DeviceStore* devices, StateRepository* states, const Engine* engine,
                     Clock* clock, IdGenerator* ids, const Rules* rules)
    : devices_(devices),
      states_(states),
      engine_(engine),
      clock_(clock),
      ids_(ids),
      rules_(rules) {}

absl::StatusOr<v1::BuildingView> DeviceApi::BuildingOf(const v1::Device& d) {
  absl::StatusOr<v1::BuildingView> b = devices_->GetBuilding(d.building_id());
  if (!absl::IsNotFound(b.status())) return b;
  v1::BuildingView v;
  v.set_building_id(d.building_id());
  v.set_name(d.building_name());
  v.set_tier_path(d.tier_path());
  return v;
}

absl::StatusOr<v1::Device> DeviceApi::Register(const auth::Principal& p,
                                               const v1::RegisterDeviceRequest& r) {
  if (!r.has_device()) return InvalidField("device", "required");
  const std::vector<std::string> owned = ServerOwnedFieldsSet(r.device());
  if (!owned.empty()) {
    return InvalidField(absl::StrCat("device.", owned[0]), "is server-owned; leave it unset");
  }
  v1::Device d = r.device();
  ApplyDeviceDefaults(&d);
  const std::vector<FieldProblem> problems = CheckDeviceFields(d);
  if (!problems.empty()) {
    return InvalidField(absl::StrCat("device.", problems[0].field), problems[0].problem);
  }
  if (d.status() == v1::DEVICE_STATUS_DECOMMISSIONED) {
    return InvalidField("device.status", "a new device cannot be decommissioned");
  }
  FG_ASSIGN_OR_RETURN(v1::BuildingView building, devices_->GetBuilding(d.building_id()));
  FG_RETURN_IF_ERROR(MayManageDevices(p, building));
  return CreateDevice(std::move(d), building, clock_->Now());
}

absl::StatusOr<v1::Device> DeviceApi::CreateDevice(v1::Device d, const v1::BuildingView& building,
                                                   absl::Time now) {
  d.set_tier_path(building.tier_path());
  d.set_building_name(building.name());
  d.set_version(1);
  *d.mutable_created_at() = ToProto(now);
  *d.mutable_updated_at() = ToProto(now);
  v1::DeviceRegistered payload;
  *payload.mutable_device() = d;
  const events::Envelope env =
      events::NewEnvelope(payload, kProducer, d.building_id(), d.tier_path(), now, *ids_);
  FG_RETURN_IF_ERROR(devices_->Create(d, events::SerializeEnvelope(env)));
  return d;
}

absl::StatusOr<v1::Device> DeviceApi::Update(const auth::Principal& p,
                                             const v1::UpdateDeviceRequest& r) {
  if (r.update_mask().paths().empty()) {
    return InvalidField("update_mask", "name at least one field to change");
  }
  for (const std::string& path : r.update_mask().paths()) {
    if (std::find(std::begin(kUpdatablePaths), std::end(kUpdatablePaths), path) ==
        std::end(kUpdatablePaths)) {
      return InvalidField("update_mask",
                          absl::StrCat("'", path, "' is not a field you may change"));
    }
  }
  if (r.device().device_id().empty()) return InvalidField("device.device_id", "required");
  if (r.expected_version() < 0) return InvalidField("expected_version", "must not be negative");
  FG_ASSIGN_OR_RETURN(v1::Device before, devices_->Get(r.device().device_id()));
  FG_ASSIGN_OR_RETURN(v1::BuildingView building, BuildingOf(before));
  FG_RETURN_IF_ERROR(MayManageDevices(p, building));
  if (r.expected_version() != 0 && r.expected_version() != before.version()) {
    return absl::AbortedError(absl::StrCat("device ", before.device_id(), " is at version ",
                                           before.version(), ", not ", r.expected_version(),
                                           "; read it again"));
  }
  v1::Device after = before;
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(
      r.device(), r.update_mask(), google::protobuf::util::FieldMaskUtil::MergeOptions(), &after);
  for (const std::string& path : r.update_mask().paths()) {
    // A message field is merged, not replaced; an unset period means the default.
    if (path == "heartbeat_period") after.clear_heartbeat_period();
    if (path == "heartbeat_period" && r.device().has_heartbeat_period()) {
      *after.mutable_heartbeat_period() = r.device().heartbeat_period();
    }
    if (path == "status" && r.device().status() == v1::DEVICE_STATUS_UNSPECIFIED) {
      return InvalidField("device.status", "required when the mask names it");
    }
  }
  ApplyDeviceDefaults(&after);
  const std::vector<FieldProblem> problems = CheckDeviceFields(after);
  if (!problems.empty()) {
    return InvalidField(absl::StrCat("device.", problems[0].field), problems[0].problem);
  }
  return WriteUpdate(p, before, std::move(after), building, clock_->Now());
}

absl::StatusOr<v1::Device> DeviceApi::WriteUpdate(const auth::Principal& p,
                                                  const v1::Device& before, v1::Device after,
                                                  const v1::BuildingView& building,
                                                  absl::Time now) {
  if (after.status() == v1::DEVICE_STATUS_DECOMMISSIONED) {
    // Also when it already was: a decommission that failed after its clears is repeated.
    FG_RETURN_IF_ERROR(ClearAlarmsOf(p, after, building, now));
  }
  if (Unchanged(before, after)) return after;
  after.set_version(before.version() + 1);
  *after.mutable_updated_at() = ToProto(now);
  v1::DeviceUpdated payload;
  *payload.mutable_device() = after;
  payload.set_previous_status(before.status());
  const events::Envelope env =
      events::NewEnvelope(payload, kProducer, after.building_id(), after.tier_path(), now, *ids_);
  FG_RETURN_IF_ERROR(devices_->Update(after, before.version(), events::SerializeEnvelope(env)));
  return after;
}

absl::Status DeviceApi::ClearAlarmsOf(const auth::Principal& p, const v1::Device& d,
                                      const v1::BuildingView& building, absl::Time now) {
  if (engine_ == nullptr) {
    return absl::InternalError("decommissioning a device needs the alarm engine");
  }
  for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::vector<StoredState> states, states_->LoadStates({d.device_id()}));
    if (states.size() != 1) return absl::InternalError("LoadStates returned no state");
    Evaluation ev = engine_->OnDecommission(d, states[0].state, now);
    if (ev.actions.empty() && !ev.state_changed) return states_->Unwatch(d.device_id());
    DeviceCommit c;
    c.device = d;
    c.building = building;
    c.expected_version = states[0].version;
    c.state = std::move(ev.state);
    c.actions = std::move(ev.actions);
    c.actor = p.subject;
    c.now = now;
    absl::StatusOr<CommitResult> done = states_->Commit(c);
    if (done.ok()) return states_->Unwatch(d.device_id());
    if (!absl::IsAborted(done.status())) return done.status();
  }
  return absl::AbortedError(absl::StrCat("device ", d.device_id(),
                                         ": its state kept changing while decommissioning; "
                                         "try again"));
}

absl::Status DeviceApi::FillLive(std::vector<v1::Device>* devices, absl::Time now) {
  if (devices->empty()) return absl::OkStatus();
  std::vector<std::string> ids;
  ids.reserve(devices->size());
  for (const v1::Device& d : *devices) ids.push_back(d.device_id());
  FG_ASSIGN_OR_RETURN(std::vector<StoredState> states, states_->LoadStates(ids));
  FG_ASSIGN_OR_RETURN(std::vector<std::optional<absl::Time>> deadlines,
                      devices_->SeenDeadlines(ids));
  if (states.size() != ids.size()) return absl::InternalError("LoadStates lost devices");
  const int missed = rules_ == nullptr ? 0 : rules_->proto().offline().missed_periods();
  for (size_t i = 0; i < devices->size(); ++i) {
    v1::Device& d = (*devices)[i];
    const v1::DeviceState& s = states[i].state;
    v1::DeviceLiveState* live = d.mutable_live();
    live->set_boot_epoch(s.boot_epoch());
    live->set_sequence(s.sequence());
    if (s.has_state()) *live->mutable_state() = s.state();
    *live->mutable_analog() = s.analog();
    if (deadlines[i].has_value()) {
      live->set_online(!s.offline() && *deadlines[i] > now);
      if (missed > 0) {
        *live->mutable_last_seen() = ToProto(*deadlines[i] - missed * HeartbeatOf(d));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Device> DeviceApi::Get(const auth::Principal& p, const v1::GetDeviceRequest& r) {
  if (r.device_id().empty()) return InvalidField("device_id", "required");
  FG_ASSIGN_OR_RETURN(v1::Device d, devices_->Get(r.device_id()));
  FG_ASSIGN_OR_RETURN(v1::BuildingView building, BuildingOf(d));
  FG_RETURN_IF_ERROR(MayRead(p, building));
  std::vector<v1::Device> one = {std::move(d)};
  FG_RETURN_IF_ERROR(FillLive(&one, clock_->Now()));
  return std::move(one[0]);
}

absl::StatusOr<v1::ListDevicesResponse> DeviceApi::List(const auth::Principal& p,
                                                        const v1::ListDevicesRequest& r) {
  if (r.page_size() < 0) return InvalidField("page_size", "must not be negative");
  if (r.page_size() > kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("at most ", kMaxPageSize));
  }
  const int limit = r.page_size() == 0 ? kDefaultPageSize : r.page_size();
  if (!v1::DeviceType_IsValid(r.type())) return InvalidField("type", "unknown device type");
  if (!v1::DeviceStatus_IsValid(r.status())) return InvalidField("status", "unknown status");
  std::string scope;
  std::string tier;
  if (!r.building_id().empty()) {
    FG_ASSIGN_OR_RETURN(v1::BuildingView building, devices_->GetBuilding(r.building_id()));
    FG_RETURN_IF_ERROR(MayRead(p, building));
    scope = absl::StrCat("b:", r.building_id());
  } else {
    tier = r.tier_path_prefix().empty() ? p.tier_path : r.tier_path_prefix();
    if (tier.empty()) {
      // A caller without a tier path (a building manager) lists by building.
      FG_RETURN_IF_ERROR(MayListTier(p, tier));
      return InvalidField("tier_path_prefix", "required (or building_id)");
    }
    if (!ValidTierPrefix(tier)) {
      return InvalidField("tier_path_prefix", "a district (6), street (9) or community (12) code");
    }
    FG_RETURN_IF_ERROR(MayListTier(p, tier));
    scope = absl::StrCat("t:", tier);
  }
  const std::string listing =
      absl::StrCat(scope, "\n", r.type(), "\n", r.status(), "\n", r.offline_only() ? 1 : 0);
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(r.page_token(), listing));
  const absl::Time now = clock_->Now();
  v1::ListDevicesResponse resp;
  std::string next;
  for (int page = 0; page < kMaxScannedPages; ++page) {
    absl::StatusOr<std::vector<v1::Device>> batch =
        tier.empty() ? devices_->ListByBuilding(r.building_id(), cursor, limit)
                     : devices_->ListByTier(tier, cursor, limit);
    if (!batch.ok()) return batch.status();
    FG_RETURN_IF_ERROR(FillLive(&*batch, now));
    bool full = false;
    for (v1::Device& d : *batch) {
      cursor = d.device_id();
      if (r.type() != v1::DEVICE_TYPE_UNSPECIFIED && d.type() != r.type()) continue;
      if (r.status() != v1::DEVICE_STATUS_UNSPECIFIED && d.status() != r.status()) continue;
      if (r.offline_only() && d.live().online()) continue;
      *resp.add_devices() = std::move(d);
      if (resp.devices_size() == limit) {
        full = true;
        break;
      }
    }
    if (full) {
      next = cursor;  // more may follow; an empty next page is possible
      break;
    }
    if (static_cast<int>(batch->size()) < limit) {
      next.clear();
      break;
    }
    next = cursor;  // the scan budget may end here
  }
  resp.set_next_page_token(EncodePageToken(listing, next));
  return resp;
}

}  // namespace firegrid::monitoring
