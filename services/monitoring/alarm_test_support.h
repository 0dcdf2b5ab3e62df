#pragma once

// Fakes for the alarm tests: a building directory and a hazards service that dedups by
// idempotency key like the real one.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/monitoring/links.h"
#include "services/monitoring/repositories.h"

namespace firegrid::monitoring::testing {

class FakeBuildings final : public DeviceDirectory {
 public:
  void Put(v1::BuildingView b) {
    absl::MutexLock l(&mu_);
    buildings_[b.building_id()] = std::move(b);
  }
  absl::StatusOr<std::vector<std::optional<v1::Device>>> GetMany(
      const std::vector<std::string>& ids) override {
    return std::vector<std::optional<v1::Device>>(ids.size());
  }
  absl::StatusOr<v1::BuildingView> GetBuilding(const std::string& id) override {
    absl::MutexLock l(&mu_);
    auto it = buildings_.find(id);
    if (it == buildings_.end()) return absl::NotFoundError(absl::StrCat("building ", id));
    return it->second;
  }
  absl::StatusOr<std::vector<v1::StationRef>> NearestStations(
      const ::firegrid::buildings::v1::GeoPoint&, double, int) override {
    return std::vector<v1::StationRef>{};
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, v1::BuildingView> buildings_;
};

// Files one hazard per idempotency key (the alarm id), as the hazards service does; can be told
// to fail.
class FakeHazards final : public HazardsLink {
 public:
  struct Filed {
    std::string hazard_id;
    v1::Alarm alarm;
    config::v1::HazardFiling filing;
    v1::BuildingView building;
  };

  absl::StatusOr<std::string> FileHazard(const v1::Alarm& alarm,
                                         const config::v1::HazardFiling& filing,
                                         const v1::BuildingView& building) override {
    absl::MutexLock l(&mu_);
    ++file_calls_;
    if (!fail_.ok()) return fail_;
    auto it = by_key_.find(alarm.alarm_id());
    if (it != by_key_.end()) return it->second;
    const std::string id = absl::StrCat("hz_", filed_.size() + 1);
    by_key_[alarm.alarm_id()] = id;
    filed_.push_back({id, alarm, filing, building});
    return id;
  }
  absl::Status NoteCleared(const v1::Alarm& alarm, const std::string& note) override {
    absl::MutexLock l(&mu_);
    ++note_calls_;
    if (!fail_.ok()) return fail_;
    // Once per alarm on the hazards side.
    if (std::find(noted_.begin(), noted_.end(), alarm.alarm_id()) == noted_.end()) {
      noted_.push_back(alarm.alarm_id());
      notes_[alarm.alarm_id()] = note;
    }
    return absl::OkStatus();
  }

  void Fail(absl::Status s) {
    absl::MutexLock l(&mu_);
    fail_ = std::move(s);
  }
  std::vector<Filed> filed() {
    absl::MutexLock l(&mu_);
    return filed_;
  }
  std::vector<std::string> noted() {
    absl::MutexLock l(&mu_);
    return noted_;
  }
  std::string note_of(const std::string& alarm_id) {
    absl::MutexLock l(&mu_);
    auto it = notes_.find(alarm_id);
    return it == notes_.end() ? "" : it->second;
  }
  int file_calls() {
    absl::MutexLock l(&mu_);
    return file_calls_;
  }
  int note_calls() {
    absl::MutexLock l(&mu_);
    return note_calls_;
  }

 private:
  absl::Mutex mu_;
  absl::Status fail_;
  std::map<std::string, std::string> by_key_;
  std::vector<Filed> filed_;
  std::vector<std::string> noted_;
  std::map<std::string, std::string> notes_;
  int file_calls_ = 0;
  int note_calls_ = 0;
};

}  // namespace firegrid::monitoring::testing
