#include "services/monitoring/device_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status.h"
#include "libs/events/outbox.h"
#include "libs/events/topics.h"
#include "libs/redis/atomic_write.h"

namespace firegrid::monitoring {
namespace {

using Pre = redis::AtomicWrite::Precondition;
namespace bv1 = ::firegrid::buildings::v1;

// How often PutBuilding re-reads and retries when another writer changed the view meanwhile.
constexpr int kPutBuildingAttempts = 5;

absl::Status Internal(absl::string_view what, absl::string_view key) {
  return absl::InternalError(absl::StrCat(what, " at ", key));
}

// The district (6), street (9) and community (12) codes a tier path lies under.
std::vector<std::string> TierPrefixes(const std::string& tier_path) {
  std::vector<std::string> out;
  for (size_t n : {size_t{6}, size_t{9}, size_t{12}}) {
    if (tier_path.size() >= n) out.push_back(tier_path.substr(0, n));
  }
  return out;
}

}  // namespace

DeviceStore::DeviceStore(redis::Pool* pool, std::string prefix, std::string outbox_key)
    : pool_(pool), prefix_(std::move(prefix)), outbox_key_(std::move(outbox_key)) {}

std::string DeviceStore::DeviceKey(const std::string& device_id) const {
  return absl::StrCat(prefix_, ":dev:", device_id);
}

std::string DeviceStore::BuildingDevicesKey(const std::string& building_id) const {
  return absl::StrCat(prefix_, ":devs:b:", building_id);
}

std::string DeviceStore::TierDevicesKey(const std::string& tier) const {
  return absl::StrCat(prefix_, ":devs:t:", tier);
}

std::string DeviceStore::BuildingKey(const std::string& building_id) const {
  return absl::StrCat(prefix_, ":bld:", building_id);
}

std::string DeviceStore::StationsKey() const { return absl::StrCat(prefix_, ":stations"); }

std::string DeviceStore::StationKey(const std::string& station_id) const {
  return absl::StrCat(prefix_, ":station:", station_id);
}

absl::StatusOr<v1::Device> DeviceStore::Get(const std::string& device_id) {
  FG_ASSIGN_OR_RETURN(auto many, GetMany({device_id}));
  if (!many[0].has_value()) {
    return absl::NotFoundError(absl::StrCat("device ", device_id, " is not registered"));
  }
  return std::move(*many[0]);
}

absl::StatusOr<std::vector<std::optional<v1::Device>>> DeviceStore::GetMany(
    const std::vector<std::string>& device_ids) {
  std::vector<std::optional<v1::Device>> out(device_ids.size());
  if (device_ids.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(device_ids.size());
  for (const std::string& id : device_ids) {
    commands.push_back({"HMGET", DeviceKey(id), "data", "ver"});
  }
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(commands));
  for (size_t i = 0; i < replies.size(); ++i) {
    const redis::Reply& r = replies[i];
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
    if (r.type != redis::Reply::Type::kArray || r.elements.size() != 2) {
      return Internal("unexpected reply to HMGET", DeviceKey(device_ids[i]));
    }
    if (r.elements[0].IsNil()) continue;  // not registered
    v1::Device d;
    if (!d.ParseFromString(r.elements[0].str)) {
      return Internal("undecodable device", DeviceKey(device_ids[i]));
    }
    int64_t ver = 0;
    if (!r.elements[1].IsNil() && absl::SimpleAtoi(r.elements[1].str, &ver)) d.set_version(ver);
    out[i] = std::move(d);
  }
  return out;
}

absl::Status DeviceStore::Create(const v1::Device& device, const std::string& event) {
  const std::string key = DeviceKey(device.device_id());
  v1::Device stored = device;
  stored.set_version(1);
  stored.clear_live();
  redis::AtomicWrite w;
  w.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "data", "",
                                absl::StatusCode::kAlreadyExists,
                                absl::StrCat("device ", device.device_id(), " already exists")});
  w.commands.push_back({"HSET", key, "data", stored.SerializeAsString(), "ver", "1"});
  w.commands.push_back({"SADD", BuildingDevicesKey(device.building_id()), device.device_id()});
  for (const std::string& tier : TierPrefixes(device.tier_path())) {
    w.commands.push_back({"ZADD", TierDevicesKey(tier), "0", device.device_id()});
  }
  w.appends.push_back(events::OutboxAppend(
      outbox_key_,
      events::Message{std::string(events::kMonitoringTopic), device.building_id(), event}));
  return redis::Execute(*pool_, w);
}

absl::Status DeviceStore::Update(const v1::Device& device, int64_t expected_version,
                                 const std::string& event) {
  const std::string key = DeviceKey(device.device_id());
  FG_ASSIGN_OR_RETURN(v1::Device current, Get(device.device_id()));
  if (current.building_id() != device.building_id()) {
    return InvalidField("device.building_id",
                        "a device stays on the building it was registered on (register a new "
                        "device id instead)");
  }
  if (current.version() != expected_version) {
    return absl::AbortedError(absl::StrCat("device ", device.device_id(), " is at version ",
                                           current.version(), ", not ", expected_version));
  }
  v1::Device stored = device;
  stored.set_version(expected_version + 1);
  stored.clear_live();
  redis::AtomicWrite w;
  w.preconditions.push_back(Pre{
      Pre::Kind::kEquals, key, "ver", absl::StrCat(expected_version), absl::StatusCode::kAborted,
      absl::StrCat("device ", device.device_id(), " changed since version ", expected_version,
                   "; read it again")});
  w.commands.push_back(
      {"HSET", key, "data", stored.SerializeAsString(), "ver", absl::StrCat(expected_version + 1)});
  if (current.tier_path() != device.tier_path()) {
    // The building moved to another community: the device's tier indexes move with it.
    const std::vector<std::string> to = TierPrefixes(device.tier_path());
    for (const std::string& tier : TierPrefixes(current.tier_path())) {
      if (std::find(to.begin(), to.end(), tier) == to.end()) {
        w.commands.push_back({"ZREM", TierDevicesKey(tier), device.device_id()});
      }
    }
    for (const std::string& tier : to) {
      w.commands.push_back({"ZADD", TierDevicesKey(tier), "0", device.device_id()});
    }
  }
  w.appends.push_back(events::OutboxAppend(
      outbox_key_,
      events::Message{std::string(events::kMonitoringTopic), device.building_id(), event}));
  return redis::Execute(*pool_, w);
}

absl::StatusOr<std::vector<v1::Device>> DeviceStore::Fetch(const std::vector<std::string>& ids) {
  FG_ASSIGN_OR_RETURN(auto many, GetMany(ids));
  std::vector<v1::Device> out;
  out.reserve(many.size());
  for (auto& d : many) {
    if (d.has_value()) out.push_back(std::move(*d));
  }
  return out;
}

absl::StatusOr<std::vector<v1::Device>> DeviceStore::ListByBuilding(const std::string& building_id,
                                                                    const std::string& after,
                                                                    int limit) {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"SMEMBERS", BuildingDevicesKey(building_id)}));
  std::vector<std::string> ids;
  for (const redis::Reply& e : r.elements) {
    if (e.str > after) ids.push_back(e.str);
  }
  std::sort(ids.begin(), ids.end());
  if (limit >= 0 && ids.size() > static_cast<size_t>(limit)) ids.resize(limit);
  return Fetch(ids);
}

absl::StatusOr<std::vector<v1::Device>> DeviceStore::ListByTier(const std::string& tier_prefix,
                                                                const std::string& after,
                                                                int limit) {
  if (tier_prefix.size() != 6 && tier_prefix.size() != 9 && tier_prefix.size() != 12) {
    return InvalidField("tier_path_prefix",
                        "must be a district (6), street (9) or community (12) code");
  }
  const std::string min = after.empty() ? "-" : absl::StrCat("(", after);
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"ZRANGEBYLEX", TierDevicesKey(tier_prefix), min, "+", "LIMIT",
                                      "0", absl::StrCat(std::max(limit, 0))}));
  std::vector<std::string> ids;
  for (const redis::Reply& e : r.elements) ids.push_back(e.str);
  return Fetch(ids);
}

absl::StatusOr<v1::BuildingView> DeviceStore::GetBuilding(const std::string& building_id) {
  const std::string key = BuildingKey(building_id);
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"GET", key}));
  if (r.IsNil()) {
    return absl::NotFoundError(absl::StrCat("building ", building_id, " is not known"));
  }
  v1::BuildingView v;
  if (!v.ParseFromString(r.str)) return Internal("undecodable building view", key);
  return v;
}

absl::Status DeviceStore::PutBuilding(const v1::BuildingView& view) {
  const std::string key = BuildingKey(view.building_id());
  const std::string bytes = view.SerializeAsString();
  for (int attempt = 0; attempt < kPutBuildingAttempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(redis::Reply cur, pool_->Command({"GET", key}));
    redis::AtomicWrite w;
    if (cur.IsNil()) {
      w.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "", "", absl::StatusCode::kAborted,
                                    "building view written meanwhile"});
    } else {
      v1::BuildingView stored;
      if (!stored.ParseFromString(cur.str)) return Internal("undecodable building view", key);
      if (stored.version() > view.version()) return absl::OkStatus();  // an older event
      // Compare-and-set on the bytes read: a concurrent writer makes this attempt retry.
      w.preconditions.push_back(Pre{Pre::Kind::kEquals, key, "", cur.str,
                                    absl::StatusCode::kAborted, "building view changed meanwhile"});
    }
    w.commands.push_back({"SET", key, bytes});
    absl::Status s = redis::Execute(*pool_, w);
    if (s.code() != absl::StatusCode::kAborted) return s;
  }
  return absl::AbortedError(
      absl::StrCat("building ", view.building_id(), ": the view kept changing; try again"));
}

absl::Status DeviceStore::PutStation(const bv1::MicroStation& station) {
  redis::AtomicWrite w;
  w.commands.push_back({"SET", StationKey(station.station_id()), station.SerializeAsString()});
  if (station.has_location()) {
    w.commands.push_back({"GEOADD", StationsKey(), absl::StrCat(station.location().longitude()),
                          absl::StrCat(station.location().latitude()), station.station_id()});
  } else {
    // A station without a place cannot be found near anything.
    w.commands.push_back({"ZREM", StationsKey(), station.station_id()});
  }
  return redis::Execute(*pool_, w);
}

absl::StatusOr<std::vector<v1::StationRef>> DeviceStore::NearestStations(const bv1::GeoPoint& at,
                                                                         double radius_m,
                                                                         int count) {
  std::vector<v1::StationRef> out;
  if (count <= 0 || !(radius_m > 0)) return out;
  FG_ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Command({"GEOSEARCH", StationsKey(), "FROMLONLAT", absl::StrCat(at.longitude()),
                      absl::StrCat(at.latitude()), "BYRADIUS", absl::StrCat(radius_m), "m", "ASC",
                      "COUNT", absl::StrCat(count), "WITHDIST"}));
  std::vector<std::vector<std::string>> gets;
  for (const redis::Reply& e : r.elements) {
    if (e.type != redis::Reply::Type::kArray || e.elements.size() < 2) {
      return Internal("unexpected reply to GEOSEARCH", StationsKey());
    }
    v1::StationRef ref;
    ref.set_station_id(e.elements[0].str);
    double d = 0;
    if (!absl::SimpleAtod(e.elements[1].str, &d)) {
      return Internal("unexpected distance from GEOSEARCH", StationsKey());
    }
    ref.set_distance_m(d);
    gets.push_back({"GET", StationKey(ref.station_id())});
    out.push_back(std::move(ref));
  }
  if (gets.empty()) return out;
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> stations, pool_->Pipeline(gets));
  for (size_t i = 0; i < stations.size(); ++i) {
    if (stations[i].IsError()) return redis::ErrorReplyToStatus(stations[i].str);
    bv1::MicroStation s;
    if (stations[i].IsNil() || !s.ParseFromString(stations[i].str)) continue;
    out[i].set_name(s.name());
    out[i].set_phone(s.phone());
  }
  return out;
}

absl::StatusOr<std::vector<std::optional<absl::Time>>> DeviceStore::SeenDeadlines(
    const std::vector<std::string>& device_ids) {
  std::vector<std::optional<absl::Time>> out(device_ids.size());
  if (device_ids.empty()) return out;
  std::vector<std::string> cmd = {"ZMSCORE", absl::StrCat(prefix_, ":seen")};
  cmd.insert(cmd.end(), device_ids.begin(), device_ids.end());
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command(cmd));
  if (r.elements.size() != device_ids.size()) {
    return Internal("unexpected reply to ZMSCORE", absl::StrCat(prefix_, ":seen"));
  }
  for (size_t i = 0; i < r.elements.size(); ++i) {
    double ms = 0;
    if (r.elements[i].IsNil() || !absl::SimpleAtod(r.elements[i].str, &ms)) continue;
    out[i] = absl::FromUnixMillis(static_cast<int64_t>(ms));
  }
  return out;
}

}  // namespace firegrid::monitoring
