#pragma once

// In-memory DeviceDirectory and StateRepository for tests of the ingest pipeline. They keep the
// real stores' contract (alarm_store.h, device_store.h): Commit is all or nothing, ABORTED when
// the device's state version moved or when a raise finds an active alarm of its type; deadlines
// only move forward (ZADD GT). `before_commit` lets a test act as another replica between
// LoadStates and Commit (one-shot), `after_load` hold concurrent replicas after their reads.
// Thread-safe but for setting the hooks.

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "firegrid/events/v1/envelope.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/repositories.h"

namespace firegrid::monitoring::testing {

class FakeDirectory final : public DeviceDirectory {
 public:
  void Put(v1::Device device) { devices_[device.device_id()] = std::move(device); }
  void PutBuilding(v1::BuildingView b) { buildings_[b.building_id()] = std::move(b); }
  void PutStation(v1::StationRef s) { stations_.push_back(std::move(s)); }

  absl::StatusOr<std::vector<std::optional<v1::Device>>> GetMany(
      const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++get_many_calls;
    std::vector<std::optional<v1::Device>> out;
    for (const std::string& id : ids) {
      auto it = devices_.find(id);
      out.push_back(it == devices_.end() ? std::nullopt : std::optional<v1::Device>(it->second));
    }
    return out;
  }
  absl::StatusOr<v1::BuildingView> GetBuilding(const std::string& building_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_building.ok()) return fail_building;
    auto it = buildings_.find(building_id);
    if (it == buildings_.end()) return absl::NotFoundError(absl::StrCat("building ", building_id));
    return it->second;
  }
  // The stations (any distance from `at`: the fake has no geometry) nearest first, within
  // radius, at most count.
  absl::StatusOr<std::vector<v1::StationRef>> NearestStations(
      const ::firegrid::buildings::v1::GeoPoint& at, double radius_m, int count) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++nearest_calls;
    std::vector<v1::StationRef> out;
    for (const v1::StationRef& s : stations_) {
      if (s.distance_m() <= radius_m) out.push_back(s);
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.distance_m() < b.distance_m(); });
    if (static_cast<int>(out.size()) > count) out.resize(count);
    (void)at;
    return out;
  }

  int get_many_calls = 0;
  int nearest_calls = 0;
  absl::Status fail_building;  // what GetBuilding returns when not OK

 private:
  std::mutex mu_;
  std::map<std::string, v1::Device> devices_;
  std::map<std::string, v1::BuildingView> buildings_;
  std::vector<v1::StationRef> stations_;
};

class FakeStates final : public StateRepository {
 public:
  absl::StatusOr<std::vector<StoredState>> LoadStates(
      const std::vector<std::string>& ids) override {
    std::vector<StoredState> out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++load_calls;
      for (const std::string& id : ids) {
        auto it = states_.find(id);
        out.push_back(it == states_.end() ? StoredState{} : it->second);
      }
    }
    if (after_load) after_load();  // e.g. hold replicas until all have read
    return out;
  }

  absl::StatusOr<CommitResult> Commit(const DeviceCommit& c) override {
    if (before_commit) {
      std::function<void()> hook = std::move(before_commit);
      before_commit = nullptr;
      hook();  // e.g. another replica commits first
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++commit_calls;
    const std::string& id = c.device.device_id();
    if (auto f = fail_commit.find(id); f != fail_commit.end()) return f->second;
    StoredState& stored = states_[id];
    if (stored.version != c.expected_version) {
      ++aborted;
      return absl::AbortedError(absl::StrCat("state of ", id, " moved"));
    }
    // Preconditions first: all or nothing.
    for (const AlarmAction& a : c.actions) {
      if (a.kind == AlarmAction::Kind::kRaise && active_.count(ActiveKey(id, a.type)) > 0) {
        ++aborted;
        return absl::AbortedError(absl::StrCat("an active ", a.type, " alarm exists"));
      }
    }
    CommitResult result;
    for (const AlarmAction& a : c.actions) {
      v1::Alarm& alarm = alarms[a.alarm_id];
      switch (a.kind) {
        case AlarmAction::Kind::kRaise: {
          alarm.set_alarm_id(a.alarm_id);
          alarm.set_device_id(id);
          alarm.set_type(a.type);
          alarm.set_rule_id(a.rule_id);
          alarm.set_building_id(c.building.building_id());
          alarm.set_state(v1::ALARM_STATE_ACTIVE_UNACK);
          alarm.set_count(1);
          alarm.set_details(a.details);
          active_[ActiveKey(id, a.type)] = a.alarm_id;
          auto d = c.dispatch.find(a.alarm_id);
          if (d != c.dispatch.end()) {
            v1::AlarmRaised raised;
            *raised.mutable_alarm() = alarm;
            *raised.mutable_dispatch() = d->second;
            ::firegrid::events::v1::Envelope env;
            env.set_event_id(absl::StrCat("evt_", ++events_));
            env.set_type(raised.GetTypeName());
            env.set_building_id(c.building.building_id());
            env.mutable_payload()->PackFrom(raised);
            result.dispatch_events.push_back(std::move(env));
          }
          break;
        }
        case AlarmAction::Kind::kRepeat:
          alarm.set_count(alarm.count() + 1);
          break;
        case AlarmAction::Kind::kClear:
          alarm.set_state(v1::ALARM_STATE_CLEARED_UNACK);
          active_.erase(ActiveKey(id, a.type));
          break;
      }
      result.alarms.push_back(alarm);
    }
    stored.version += 1;
    stored.state = c.state;
    commits.push_back(c);
    return result;
  }

  absl::Status RecordSeen(
      const std::vector<std::pair<std::string, absl::Time>>& deadlines) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, t] : deadlines) {
      auto [it, inserted] = seen.emplace(id, t);
      if (!inserted && t > it->second) it->second = t;  // ZADD GT
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> OfflineDue(absl::Time now, int limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [id, t] : seen) {
      if (t <= now && static_cast<int>(out.size()) < limit) out.push_back(id);
    }
    return out;
  }
  absl::Status Unwatch(const std::string& device_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    seen.erase(device_id);
    return absl::OkStatus();
  }

  // The active alarm of the device and type ("" when none).
  std::string Active(const std::string& device_id, v1::AlarmType type) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(ActiveKey(device_id, type));
    return it == active_.end() ? "" : it->second;
  }
  int ActiveCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(active_.size());
  }

  std::function<void()> before_commit;
  std::function<void()> after_load;                 // called by every LoadStates (any thread)
  std::map<std::string, absl::Status> fail_commit;  // device id → what its commits return
  int load_calls = 0;
  int commit_calls = 0;
  int aborted = 0;
  std::vector<DeviceCommit> commits;  // the successful ones
  std::map<std::string, v1::Alarm> alarms;
  std::map<std::string, absl::Time> seen;

 private:
  static std::string ActiveKey(const std::string& id, v1::AlarmType t) {
    return absl::StrCat(id, ":", static_cast<int>(t));
  }
  std::mutex mu_;
  std::map<std::string, StoredState> states_;
  std::map<std::string, std::string> active_;
  int events_ = 0;
};

}  // namespace firegrid::monitoring::testing
