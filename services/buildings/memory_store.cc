#include "services/buildings/memory_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/buildings/geo.h"

namespace firegrid::buildings {

absl::Status MemoryStore::PutOrgUnit(const v1::OrgUnit& unit) {
  absl::MutexLock lock(&mu_);
  for (auto it = units_.begin(); it != units_.end(); ++it) {
    if (it->second.code() == unit.code()) {
      units_.erase(it);
      break;
    }
  }
  units_[unit.tier_path() + "|" + unit.code()] = unit;
  return absl::OkStatus();
}

absl::StatusOr<v1::OrgUnit> MemoryStore::GetOrgUnit(const std::string& code) {
  absl::MutexLock lock(&mu_);
  for (const auto& [k, u] : units_) {
    if (u.code() == code) return u;
  }
  return absl::NotFoundError(absl::StrCat("no org unit ", code));
}

absl::StatusOr<std::vector<v1::OrgUnit>> MemoryStore::ListOrgUnits(const std::string& prefix,
                                                                   const std::string& cursor,
                                                                   int limit,
                                                                   std::string* next_cursor) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::OrgUnit> out;
  next_cursor->clear();
  auto it = cursor.empty() ? units_.lower_bound(prefix) : units_.upper_bound(cursor);
  for (; it != units_.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (static_cast<int>(out.size()) == limit) {
      *next_cursor = std::prev(it)->first;
      break;
    }
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<v1::Building> MemoryStore::GetBuilding(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = buildings_.find(id);
  if (it == buildings_.end()) return absl::NotFoundError(absl::StrCat("no building ", id));
  return it->second;
}

absl::StatusOr<std::string> MemoryStore::BuildingForRequest(const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return absl::NotFoundError("unknown request id");
  return it->second;
}

absl::Status MemoryStore::CreateBuildings(const std::vector<v1::Building>& buildings,
                                          const std::vector<std::string>& request_ids,
                                          const Outbox& outbox) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < request_ids.size(); ++i) {
    if (!request_ids[i].empty() && requests_.count(request_ids[i]) > 0) {
      return absl::AlreadyExistsError(absl::StrCat("request ", request_ids[i], " already used"));
    }
  }
  for (const auto& b : buildings) {
    if (buildings_.count(b.building_id()) > 0) {
      return absl::AlreadyExistsError(absl::StrCat("building ", b.building_id(), " exists"));
    }
  }
  for (size_t i = 0; i < buildings.size(); ++i) {
    const auto& b = buildings[i];
    buildings_[b.building_id()] = b;
    index_[BuildingCursor(b)] = b.building_id();
    if (i < request_ids.size() && !request_ids[i].empty())
      requests_[request_ids[i]] = b.building_id();
  }
  outbox_.insert(outbox_.end(), outbox.begin(), outbox.end());
  return absl::OkStatus();
}

absl::Status MemoryStore::UpdateBuilding(const v1::Building& previous, const v1::Building& next,
                                         const v1::ResponsibilityRecord* record,
                                         const Outbox& outbox) {
  absl::MutexLock lock(&mu_);
  auto it = buildings_.find(previous.building_id());
  if (it == buildings_.end()) {
    return absl::NotFoundError(absl::StrCat("no building ", previous.building_id()));
  }
  if (it->second.version() != previous.version()) {
    return absl::AbortedError(absl::StrCat("building ", previous.building_id(), " is at version ",
                                           it->second.version(), ", not ", previous.version()));
  }
  index_.erase(BuildingCursor(it->second));
  it->second = next;
  index_[BuildingCursor(next)] = next.building_id();
  if (record != nullptr) history_[next.building_id()].push_back(*record);
  outbox_.insert(outbox_.end(), outbox.begin(), outbox.end());
  return absl::OkStatus();
}

absl::StatusOr<BuildingPage> MemoryStore::ScanBuildings(const std::string& prefix,
                                                        const std::string& cursor, int limit) {
  absl::MutexLock lock(&mu_);
  BuildingPage page;
  auto it = cursor.empty() ? index_.lower_bound(prefix) : index_.upper_bound(cursor);
  for (; it != index_.end() && absl::StartsWith(it->first, prefix); ++it) {
    if (static_cast<int>(page.buildings.size()) == limit) {
      page.next_cursor = std::prev(it)->first;
      break;
    }
    page.buildings.push_back(buildings_.at(it->second));
  }
  return page;
}

absl::StatusOr<std::vector<v1::ResponsibilityRecord>> MemoryStore::GetHistory(
    const std::string& building_id) {
  absl::MutexLock lock(&mu_);
  auto it = history_.find(building_id);
  if (it == history_.end()) return std::vector<v1::ResponsibilityRecord>{};
  return it->second;
}

absl::Status MemoryStore::PutHydrant(const v1::Hydrant& hydrant) {
  absl::MutexLock lock(&mu_);
  hydrants_[hydrant.hydrant_id()] = hydrant;
  return absl::OkStatus();
}

absl::StatusOr<v1::Hydrant> MemoryStore::GetHydrant(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = hydrants_.find(id);
  if (it == hydrants_.end()) return absl::NotFoundError(absl::StrCat("no hydrant ", id));
  return it->second;
}

absl::Status MemoryStore::PutStation(const v1::MicroStation& station, const Outbox& outbox) {
  absl::MutexLock lock(&mu_);
  stations_[station.station_id()] = station;
  outbox_.insert(outbox_.end(), outbox.begin(), outbox.end());
  return absl::OkStatus();
}

absl::StatusOr<v1::MicroStation> MemoryStore::GetStation(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = stations_.find(id);
  if (it == stations_.end()) return absl::NotFoundError(absl::StrCat("no micro station ", id));
  return it->second;
}

absl::StatusOr<std::vector<Store::Near>> MemoryStore::FindNearby(v1::NearbyKind kind,
                                                                 double latitude, double longitude,
                                                                 double radius_m, int limit) {
  absl::MutexLock lock(&mu_);
  std::vector<Near> out;
  auto consider = [&](const std::string& id, const v1::GeoPoint& p) {
    const double d = DistanceMetres(latitude, longitude, p.latitude(), p.longitude());
    if (d <= radius_m) out.push_back({id, d});
  };
  if (kind == v1::NEARBY_KIND_HYDRANT) {
    for (const auto& [id, h] : hydrants_) consider(id, h.location());
  } else if (kind == v1::NEARBY_KIND_BUILDING) {
    for (const auto& [id, b] : buildings_) {
      if (b.has_location()) consider(id, b.location());
    }
  } else {
    for (const auto& [id, s] : stations_) consider(id, s.location());
  }
  std::sort(out.begin(), out.end(),
            [](const Near& a, const Near& b) { return a.distance_m < b.distance_m; });
  if (static_cast<int>(out.size()) > limit) out.resize(limit);
  return out;
}

Outbox MemoryStore::outbox() const {
  absl::MutexLock lock(&mu_);
  return outbox_;
}

void MemoryStore::ClearOutbox() {
  absl::MutexLock lock(&mu_);
  outbox_.clear();
}

}  // namespace firegrid::buildings
