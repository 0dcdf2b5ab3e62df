#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "firegrid/credit/v1/history.pb.h"

namespace firegrid::credit {

// The state the engine reads and changes while applying facts: subjects, hazards and the due
// times of blacklist entries (end of an objection period, end of a term). The engine sees only
// this interface; the replay keeps everything in a MemoryState, the live applier a MemoryState
// that loads what a batch of facts touches from Redis and writes back what changed
// (services/credit/store.h).
class StateView {
 public:
  virtual ~StateView() = default;
  // Pointers stay valid until the next Clear() (the engine holds several at once). Changes are
  // made only through the Mutable* pointers (which mark the object changed); the Find* ones are
  // for reading.
  // The subject, or nullptr when it does not exist (yet).
  virtual v1::SubjectState* FindSubject(const std::string& subject_id) = 0;
  // The subject, created empty (only subject.subject_id set) when it does not exist.
  virtual v1::SubjectState* MutableSubject(const std::string& subject_id) = 0;
  virtual v1::HazardState* FindHazard(const std::string& hazard_id) = 0;
  virtual v1::HazardState* MutableHazard(const std::string& hazard_id) = 0;
  virtual v1::BuildingState* FindBuilding(const std::string& building_id) = 0;
  virtual v1::BuildingState* MutableBuilding(const std::string& building_id) = 0;
  // Blacklist entries with a due time <= `until`, earliest first (ties by entry id).
  virtual std::vector<std::string> DueEntries(absl::Time until) = 0;
  // Sets (or with InfinitePast, clears) the due time of an entry.
  virtual void SetDue(const std::string& entry_id, absl::Time due) = 0;
};

// Everything in memory. Tracks what changed since the last TakeDirty().
class MemoryState : public StateView {
 public:
  // Called for subjects and hazards not in memory (the live applier loads them from Redis);
  // each returns false when there is none. May be empty (the replay starts from nothing).
  struct Loader {
    std::function<bool(const std::string& id, v1::SubjectState* out)> subject;
    std::function<bool(const std::string& id, v1::HazardState* out)> hazard;
    std::function<bool(const std::string& id, v1::BuildingState* out)> building;
    // The due entries with due time <= until (what P:g:V:due holds).
    std::function<std::vector<std::pair<std::string, absl::Time>>(absl::Time until)> due;
  };
  MemoryState() = default;
  explicit MemoryState(Loader loader) : loader_(std::move(loader)) {}

  v1::SubjectState* FindSubject(const std::string& subject_id) override;
  v1::SubjectState* MutableSubject(const std::string& subject_id) override;
  v1::HazardState* FindHazard(const std::string& hazard_id) override;
  v1::HazardState* MutableHazard(const std::string& hazard_id) override;
  v1::BuildingState* FindBuilding(const std::string& building_id) override;
  v1::BuildingState* MutableBuilding(const std::string& building_id) override;
  std::vector<std::string> DueEntries(absl::Time until) override;
  void SetDue(const std::string& entry_id, absl::Time due) override;

  struct Dirty {
    std::vector<std::string> subjects;  // ids of subjects changed (or created)
    std::vector<std::string> hazards;
    std::vector<std::string> buildings;
    std::vector<std::pair<std::string, absl::Time>> due;  // InfinitePast = cleared
  };
  // What changed since the last call (sorted ids), and forgets it.
  Dirty TakeDirty();

  // Unordered: sort before writing anything derived from them.
  const absl::node_hash_map<std::string, v1::SubjectState>& subjects() const { return subjects_; }
  const absl::node_hash_map<std::string, v1::HazardState>& hazards() const { return hazards_; }
  const absl::node_hash_map<std::string, v1::BuildingState>& buildings() const {
    return buildings_;
  }
  // Drops everything not dirty (the live applier keeps no cache across batches: TakeDirty()
  // then Clear() leaves nothing).
  void Clear();

 private:
  Loader loader_;
  // node maps: pointers stay valid as they grow.
  absl::node_hash_map<std::string, v1::SubjectState> subjects_;
  absl::flat_hash_set<std::string> missing_subjects_;
  absl::node_hash_map<std::string, v1::HazardState> hazards_;
  absl::flat_hash_set<std::string> missing_hazards_;
  absl::node_hash_map<std::string, v1::BuildingState> buildings_;
  absl::flat_hash_set<std::string> missing_buildings_;
  absl::flat_hash_map<std::string, absl::Time> due_;        // entry id → due, as known in memory
  std::set<std::pair<absl::Time, std::string>> due_order_;  // (due, entry id)
  // The loader has been asked for entries due up to this.
  absl::Time due_loaded_until_ = absl::InfinitePast();
  absl::flat_hash_set<std::string> dirty_subjects_, dirty_hazards_, dirty_buildings_;
  std::map<std::string, absl::Time> dirty_due_;
};

}  // namespace firegrid::credit
