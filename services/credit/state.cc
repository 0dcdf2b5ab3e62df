#include "services/credit/state.h"

#include <algorithm>

namespace firegrid::credit {

namespace {

// Find-or-load shared by subjects, hazards and buildings.
template <class T>
T* FindIn(const std::string& id, absl::node_hash_map<std::string, T>& map,
          absl::flat_hash_set<std::string>& missing,
          const std::function<bool(const std::string&, T*)>& load) {
  auto it = map.find(id);
  if (it != map.end()) return &it->second;
  if (missing.contains(id) || !load) return nullptr;
  T loaded;
  if (!load(id, &loaded)) {
    missing.insert(id);
    return nullptr;
  }
  return &map.emplace(id, std::move(loaded)).first->second;
}

template <class T>
std::vector<std::string> Sorted(const absl::flat_hash_set<T>& set) {
  std::vector<std::string> out(set.begin(), set.end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

v1::SubjectState* MemoryState::FindSubject(const std::string& subject_id) {
  return FindIn(subject_id, subjects_, missing_subjects_, loader_.subject);
}

v1::SubjectState* MemoryState::MutableSubject(const std::string& subject_id) {
  v1::SubjectState* s = FindSubject(subject_id);
  if (s == nullptr) {
    missing_subjects_.erase(subject_id);
    s = &subjects_[subject_id];
    s->mutable_subject()->set_subject_id(subject_id);
  }
  dirty_subjects_.insert(subject_id);
  return s;
}

v1::HazardState* MemoryState::FindHazard(const std::string& hazard_id) {
  return FindIn(hazard_id, hazards_, missing_hazards_, loader_.hazard);
}

v1::HazardState* MemoryState::MutableHazard(const std::string& hazard_id) {
  v1::HazardState* h = FindHazard(hazard_id);
  if (h == nullptr) {
    missing_hazards_.erase(hazard_id);
    h = &hazards_[hazard_id];
    h->set_hazard_id(hazard_id);
  }
  dirty_hazards_.insert(hazard_id);
  return h;
}

v1::BuildingState* MemoryState::FindBuilding(const std::string& building_id) {
  return FindIn(building_id, buildings_, missing_buildings_, loader_.building);
}

v1::BuildingState* MemoryState::MutableBuilding(const std::string& building_id) {
  v1::BuildingState* b = FindBuilding(building_id);
  if (b == nullptr) {
    missing_buildings_.erase(building_id);
    b = &buildings_[building_id];
    b->set_building_id(building_id);
  }
  dirty_buildings_.insert(building_id);
  return b;
}

std::vector<std::string> MemoryState::DueEntries(absl::Time until) {
  if (loader_.due && until > due_loaded_until_) {
    // What memory knows wins over the store: entries set or cleared here are not reloaded.
    for (auto& [id, due] : loader_.due(until)) {
      if (due_.contains(id) || dirty_due_.contains(id)) continue;
      due_.emplace(id, due);
      due_order_.emplace(due, id);
    }
    due_loaded_until_ = until;
  }
  std::vector<std::string> out;
  for (auto it = due_order_.begin(); it != due_order_.end() && it->first <= until; ++it) {
    out.push_back(it->second);
  }
  return out;
}

void MemoryState::SetDue(const std::string& entry_id, absl::Time due) {
  auto it = due_.find(entry_id);
  if (it != due_.end()) {
    due_order_.erase({it->second, entry_id});
    due_.erase(it);
  }
  if (due != absl::InfinitePast()) {
    due_.emplace(entry_id, due);
    due_order_.emplace(due, entry_id);
  }
  dirty_due_[entry_id] = due;
}

MemoryState::Dirty MemoryState::TakeDirty() {
  Dirty d;
  d.subjects = Sorted(dirty_subjects_);
  d.hazards = Sorted(dirty_hazards_);
  d.buildings = Sorted(dirty_buildings_);
  d.due.assign(dirty_due_.begin(), dirty_due_.end());
  dirty_subjects_.clear();
  dirty_hazards_.clear();
  dirty_buildings_.clear();
  dirty_due_.clear();
  return d;
}

void MemoryState::Clear() {
  // Keeps what changed and was not taken yet.
  absl::erase_if(subjects_, [&](const auto& kv) { return !dirty_subjects_.contains(kv.first); });
  absl::erase_if(hazards_, [&](const auto& kv) { return !dirty_hazards_.contains(kv.first); });
  absl::erase_if(buildings_, [&](const auto& kv) { return !dirty_buildings_.contains(kv.first); });
  missing_subjects_.clear();
  missing_hazards_.clear();
  missing_buildings_.clear();
  due_.clear();
  due_order_.clear();
  for (const auto& [id, due] : dirty_due_) {
    if (due == absl::InfinitePast()) continue;
    due_.emplace(id, due);
    due_order_.emplace(due, id);
  }
  due_loaded_until_ = absl::InfinitePast();
}

}  // namespace firegrid::credit
