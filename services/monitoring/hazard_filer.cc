#include "services/monitoring/hazard_filer.h"

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"

namespace firegrid::monitoring {
namespace {

bool Active(const v1::Alarm& a) {
  return a.state() == v1::ALARM_STATE_ACTIVE_UNACK || a.state() == v1::ALARM_STATE_ACTIVE_ACK;
}

}  // namespace

std::string ClearNote(const v1::Alarm& alarm) {
  std::string note;
  for (auto it = alarm.history().rbegin(); it != alarm.history().rend(); ++it) {
    if (it->action() == "clear") {
      note = it->note();
      break;
    }
  }
  const std::string& by = alarm.cleared_by();
  if (by.empty() || by.rfind("device:", 0) == 0 || by == "monitoring") {
    return note.empty() ? "the device reports the condition gone"
                        : absl::StrCat("the device reports the condition gone: ", note);
  }
  return note.empty() ? absl::StrCat("cleared by ", by)
                      : absl::StrCat("cleared by ", by, ": ", note);
}

absl::StatusOr<FilerRound> HazardFiler::RunOnce(absl::Time now, int limit) {
  FilerRound round;
  auto due = queue_->HazardsDue(now, limit);
  if (!due.ok()) return due.status();
  for (const std::string& id : *due) {
    auto alarm = queue_->Get(id);
    if (!alarm.ok() && !absl::IsNotFound(alarm.status())) {
      ++round.failed;
      continue;
    }
    const config::v1::HazardFiling* filing =
        alarm.ok() ? rules_->HazardFilingOf(alarm->rule_id()) : nullptr;
    if (!alarm.ok() || !Active(*alarm) || filing == nullptr) {
      if (queue_->DropHazardDue(id).ok()) ++round.dropped;
      continue;
    }
    std::string hazard_id = alarm->hazard_id();
    if (hazard_id.empty()) {
      v1::BuildingView building;
      auto view = buildings_->GetBuilding(alarm->building_id());
      if (view.ok()) {
        building = *view;
      } else {
        building.set_building_id(alarm->building_id());
      }
      auto filed = link_->FileHazard(*alarm, *filing, building);
      if (!filed.ok()) {
        ++round.failed;
        log::Warn("cannot file the hazard of an alarm (tried again)",
                  {{"alarm_id", id}, {"error", filed.status().ToString()}});
        continue;
      }
      hazard_id = *filed;
    }
    if (absl::Status s = queue_->MarkHazardFiled(id, hazard_id, now); !s.ok()) {
      ++round.failed;
      continue;
    }
    log::Info("hazard filed for alarm", {{"alarm_id", id}, {"hazard_id", hazard_id}});
    ++round.filed;
  }

  auto notes = queue_->ClearNotesDue(limit);
  if (!notes.ok()) return notes.status();
  for (const std::string& id : *notes) {
    auto alarm = queue_->Get(id);
    if (!alarm.ok() && !absl::IsNotFound(alarm.status())) {
      ++round.failed;
      continue;
    }
    if (!alarm.ok() || alarm->hazard_id().empty()) {
      if (queue_->MarkClearNoted(id).ok()) ++round.dropped;
      continue;
    }
    absl::Status s = link_->NoteCleared(*alarm, ClearNote(*alarm));
    // FAILED_PRECONDITION: the hazard refuses the note for good (closed, or another alarm's):
    // nothing a retry would change.
    if (!s.ok() && !absl::IsFailedPrecondition(s)) {
      ++round.failed;
      log::Warn("cannot tell a hazard that its alarm cleared (tried again)",
                {{"alarm_id", id}, {"hazard_id", alarm->hazard_id()}, {"error", s.ToString()}});
      continue;
    }
    if (!s.ok()) {
      log::Warn("the hazard refused the cleared note",
                {{"alarm_id", id}, {"hazard_id", alarm->hazard_id()}, {"error", s.ToString()}});
    }
    if (queue_->MarkClearNoted(id).ok()) {
      ++round.noted;
    } else {
      ++round.failed;
    }
  }
  return round;
}

}  // namespace firegrid::monitoring
