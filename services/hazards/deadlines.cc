#include "services/hazards/deadlines.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "services/hazards/lifecycle.h"
#include "services/hazards/redaction.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {

std::vector<Timer> TimersFor(const Rules& rules, const v1::Hazard& h, absl::Time assigned_at) {
  const absl::Time deadline = FromTs(h.assignment().deadline());
  const int64_t d = absl::ToUnixMillis(deadline);
  const absl::Duration before = std::min(rules.due_soon(), (deadline - assigned_at) / 2);
  return {
      Timer{h.hazard_id(), Timer::Kind::kDueSoon, d, absl::ToUnixMillis(deadline - before)},
      Timer{h.hazard_id(), Timer::Kind::kOverdue, d, d},
      Timer{h.hazard_id(), Timer::Kind::kDistrict, d,
            absl::ToUnixMillis(deadline + rules.district_escalation())},
  };
}

Timer ReporterErasureTimer(const Rules& rules, const v1::Hazard& h, absl::Time ended_at) {
  return Timer{h.hazard_id(), Timer::Kind::kEraseReporter, absl::ToUnixMillis(ended_at),
               absl::ToUnixMillis(ended_at + rules.reporter_retention())};
}

std::optional<TimerEffect> ApplyTimer(const v1::Hazard& before, const Timer& t, absl::Time now,
                                      const auth::Principal& system) {
  if (t.kind == Timer::Kind::kEraseReporter) {
    const v1::Status s = before.status();
    if (s != v1::STATUS_CLOSED && s != v1::STATUS_REJECTED) return std::nullopt;  // reopened
    if (before.reporter().name().empty() && before.reporter().contact().empty()) {
      return std::nullopt;
    }
    TimerEffect out;
    out.after = before;
    out.after.mutable_reporter()->clear_name();
    out.after.mutable_reporter()->clear_contact();
    Record(&out.after, system, "erase_reporter", s, now,
           "reporter name and contact erased after the retention period");
    return out;
  }
  const bool current = before.duplicate_of().empty() && before.assignment().has_deadline() &&
                       absl::ToUnixMillis(FromTs(before.assignment().deadline())) == t.deadline_ms;
  if (!current) return std::nullopt;
  const v1::Status s = before.status();
  TimerEffect out;
  v1::Hazard& h = out.after;
  h = before;
  if (t.kind == Timer::Kind::kDueSoon && (s == v1::STATUS_ASSIGNED || s == v1::STATUS_RECTIFYING) &&
      !before.due_soon_notified()) {
    h.set_due_soon_notified(true);
    Record(&h, system, "due_soon", s, now, "deadline approaching");
    auto e = std::make_unique<v1::HazardDueSoon>();
    *e->mutable_hazard() = ForEvent(h);
    *e->mutable_deadline() = before.assignment().deadline();
    out.events.push_back(std::move(e));
    return out;
  }
  if (t.kind == Timer::Kind::kOverdue && IsActive(s) && !before.overdue()) {
    h.set_overdue(true);
    h.set_escalation(v1::ESCALATION_LEVEL_STREET);
    Record(&h, system, "overdue", s, now, "deadline passed");
    Record(&h, system, "escalate", s, now, absl::StrCat("to street ", h.routing().street()));
    auto o = std::make_unique<v1::HazardOverdue>();
    *o->mutable_hazard() = ForEvent(h);
    *o->mutable_deadline() = before.assignment().deadline();
    out.events.push_back(std::move(o));
    auto e = std::make_unique<v1::HazardEscalated>();
    *e->mutable_hazard() = ForEvent(h);
    e->set_level(v1::ESCALATION_LEVEL_STREET);
    e->set_escalated_to(h.routing().street());
    out.events.push_back(std::move(e));
    return out;
  }
  if (t.kind == Timer::Kind::kDistrict && IsActive(s) &&
      before.escalation() != v1::ESCALATION_LEVEL_DISTRICT) {
    h.set_escalation(v1::ESCALATION_LEVEL_DISTRICT);
    Record(&h, system, "escalate", s, now, absl::StrCat("to district ", h.routing().district()));
    auto e = std::make_unique<v1::HazardEscalated>();
    *e->mutable_hazard() = ForEvent(h);
    e->set_level(v1::ESCALATION_LEVEL_DISTRICT);
    e->set_escalated_to(h.routing().district());
    out.events.push_back(std::move(e));
    return out;
  }
  return std::nullopt;
}

}  // namespace firegrid::hazards
