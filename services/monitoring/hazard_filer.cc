#include "services/monitoring/hazard_filer.h"

#include <string>
#include <vector>

#include "libs/common/logging.h"

namespace firegrid::monitoring {
namespace {

bool IsActive(v1::AlarmState s) {
  return s == v1::ALARM_STATE_ACTIVE_UNACK || s == v1::ALARM_STATE_ACTIVE_ACK;
}

// The note of the alarm's clear (a person's reason, or what the device reported).
std::string ClearNote(const v1::Alarm& a) {
  for (auto it = a.history().rbegin(); it != a.history().rend(); ++it) {
    if (it->action() == "clear") return it->note();
  }
  return "";
}

}  // namespace

HazardFiler::HazardFiler(AlarmStore* alarms, const Rules* rules, HazardsLink* hazards,
                         DeviceDirectory* buildings, Clock* clock, int batch,
                         absl::Duration retry_after)
    : alarms_(alarms),
      rules_(rules),
      hazards_(hazards),
      buildings_(buildings),
      clock_(clock),
      batch_(batch < 1 ? 1 : batch),
      retry_after_(retry_after) {}

HazardFiler::~HazardFiler() { Stop(); }

void HazardFiler::Fail(const std::string& what, const std::string& alarm_id,
                       const absl::Status& s) {
  failures_.fetch_add(1);
  log::Warn("hazard filer: " + what + " failed; tried again later",
            {{"alarm_id", alarm_id}, {"error", s.ToString()}});
}

bool HazardFiler::FileOne(const std::string& alarm_id, absl::Time now) {
  const auto postpone = [&](const std::string& what, const absl::Status& s) {
    Fail(what, alarm_id, s);
    absl::Status p = alarms_->PostponeHazardDue(alarm_id, now + retry_after_);
    if (!p.ok()) Fail("postponing the entry", alarm_id, p);
    return false;
  };
  absl::StatusOr<v1::Alarm> alarm = alarms_->Get(alarm_id);
  if (alarm.status().code() == absl::StatusCode::kNotFound) {
    return alarms_->DropHazardDue(alarm_id).ok();
  }
  if (!alarm.ok()) return postpone("reading the alarm", alarm.status());
  const config::v1::HazardFiling* filing = rules_->HazardFilingOf(alarm->rule_id());
  if (!IsActive(alarm->state()) || filing == nullptr) {
    // Cleared before its hazard was due (or its rule files none any more): no hazard.
    absl::Status s = alarms_->DropHazardDue(alarm_id);
    if (!s.ok()) Fail("dropping the entry", alarm_id, s);
    return s.ok();
  }
  absl::StatusOr<v1::BuildingView> building = buildings_->GetBuilding(alarm->building_id());
  if (!building.ok()) return postpone("reading the building", building.status());
  absl::StatusOr<std::string> hazard_id = hazards_->FileHazard(*alarm, *filing, *building);
  if (!hazard_id.ok()) return postpone("filing the hazard", hazard_id.status());
  absl::StatusOr<v1::Alarm> marked = alarms_->MarkHazardFiled(alarm_id, *hazard_id, now);
  if (marked.status().code() == absl::StatusCode::kFailedPrecondition) {
    // The alarm records another hazard: nothing this filer can settle; it leaves the queue.
    Fail("recording the hazard", alarm_id, marked.status());
    return alarms_->DropHazardDue(alarm_id).ok();
  }
  if (!marked.ok()) return postpone("recording the hazard", marked.status());
  filed_.fetch_add(1);
  log::Info("hazard filed for alarm", {{"alarm_id", alarm_id},
                                       {"hazard_id", *hazard_id},
                                       {"building_id", alarm->building_id()},
                                       {"rule_id", alarm->rule_id()}});
  return true;
}

bool HazardFiler::NoteOne(const std::string& alarm_id, absl::Time now) {
  const auto postpone = [&](const std::string& what, const absl::Status& s) {
    Fail(what, alarm_id, s);
    absl::Status p = alarms_->PostponeClearNote(alarm_id, now + retry_after_);
    if (!p.ok()) Fail("postponing the entry", alarm_id, p);
    return false;
  };
  absl::StatusOr<v1::Alarm> alarm = alarms_->Get(alarm_id);
  if (!alarm.ok() && alarm.status().code() != absl::StatusCode::kNotFound) {
    return postpone("reading the alarm", alarm.status());
  }
  if (alarm.ok() && !alarm->hazard_id().empty()) {
    absl::Status s = hazards_->NoteCleared(*alarm, ClearNote(*alarm));
    if (!s.ok()) return postpone("telling the hazard of the clear", s);
    noted_.fetch_add(1);
  }
  absl::Status s = alarms_->MarkClearNoted(alarm_id);
  if (!s.ok()) return postpone("taking the clear off the queue", s);
  return true;
}

absl::StatusOr<int> HazardFiler::RunOnce() {
  const absl::Time now = clock_->Now();
  int done = 0;
  absl::StatusOr<std::vector<std::string>> due = alarms_->HazardsDue(now, batch_);
  if (!due.ok()) return due.status();
  for (const std::string& id : *due) done += FileOne(id, now) ? 1 : 0;
  absl::StatusOr<std::vector<std::string>> notes = alarms_->ClearNotesDue(now, batch_);
  if (!notes.ok()) return notes.status();
  for (const std::string& id : *notes) done += NoteOne(id, now) ? 1 : 0;
  return done;
}

void HazardFiler::Start(absl::Duration interval) {
  if (thread_.joinable()) return;
  stop_.Reset();
  thread_ = std::thread([this, interval] {
    while (!stop_.stopped()) {
      absl::StatusOr<int> n = RunOnce();
      if (!n.ok()) log::Warn("hazard filer round failed", {{"error", n.status().ToString()}});
      // A full batch may have more behind it.
      if (n.ok() && *n >= batch_) continue;
      if (stop_.WaitFor(interval)) break;
    }
  });
}

void HazardFiler::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace firegrid::monitoring
