#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "google/protobuf/message.h"
#include "libs/auth/principal.h"
#include "services/hazards/rules.h"
#include "services/hazards/store.h"

namespace firegrid::hazards {

// Deadline timers (期限提醒与升级): what an assignment schedules and what each timer does when it
// fires.

// The timers of the hazard's assignment deadline: the due-soon reminder (the rules' due_soon
// before the deadline, or half the time given when that is shorter), the overdue escalation to
// the street at the deadline, and the escalation to the district the rules' interval after it.
std::vector<Timer> TimersFor(const Rules& rules, const v1::Hazard& h, absl::Time assigned_at);

// The timer that erases the reporter's name and contact of a hazard closed or rejected at
// `ended_at`: it fires the rules' reporter_retention later.
Timer ReporterErasureTimer(const Rules& rules, const v1::Hazard& h, absl::Time ended_at);

// What a fired timer does to the hazard as it is now.
struct TimerEffect {
  v1::Hazard after;  // audit appended; version and updated_at are the writer's
  std::vector<std::unique_ptr<google::protobuf::Message>> events;  // payloads to publish
};

// The effect of timer `t` firing at `now` on `before`, acting as `system`; nothing when the
// timer is stale (another deadline, a duplicate) or its effect is no longer due (due-soon only
// while assigned or rectifying and once; overdue once while active; district escalation once
// while active). The reporter erasure clears the reporter's name and contact (audit entry
// "erase_reporter") of a hazard still closed or rejected, once; its reward stays.
std::optional<TimerEffect> ApplyTimer(const v1::Hazard& before, const Timer& t, absl::Time now,
                                      const auth::Principal& system);

}  // namespace firegrid::hazards
