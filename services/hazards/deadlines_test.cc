#include "services/hazards/deadlines.h"

#include "firegrid/hazards/v1/events.pb.h"
#include "gtest/gtest.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {
namespace {

const absl::Time kAssigned = absl::FromUnixSeconds(1'800'000'000);

const Rules& ShippedRules() {
  static const Rules* rules = [] {
    auto r = Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
    EXPECT_TRUE(r.ok()) << r.status();
    return new Rules(*r);
  }();
  return *rules;
}

auth::Principal System() {
  auth::Principal p;
  p.role = auth::Role::kInternalService;
  p.subject = "firegrid-hazards";
  return p;
}

v1::Hazard Assigned(absl::Duration given, v1::Status status = v1::STATUS_ASSIGNED) {
  v1::Hazard h;
  h.set_hazard_id("hzd_1");
  h.set_status(status);
  h.mutable_routing()->set_street("500109001");
  h.mutable_routing()->set_district("500109");
  *h.mutable_assignment()->mutable_deadline() = Ts(kAssigned + given);
  return h;
}

Timer TimerOf(const v1::Hazard& h, Timer::Kind kind) {
  for (const Timer& t : TimersFor(ShippedRules(), h, kAssigned)) {
    if (t.kind == kind) return t;
  }
  return Timer{};
}

TEST(ReporterErasure, FiresTheRetentionPeriodAfterTheHazardEnded) {
  const Timer t = ReporterErasureTimer(ShippedRules(), Assigned(absl::Hours(1)), kAssigned);
  EXPECT_EQ(t.kind, Timer::Kind::kEraseReporter);
  EXPECT_EQ(t.fire_at_ms, absl::ToUnixMillis(kAssigned + absl::Hours(24 * 180)));
  auto parsed = Timer::Parse(t.Member(), t.fire_at_ms);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->kind, Timer::Kind::kEraseReporter);
}

TEST(ReporterErasure, ClearsNameAndContactOfAClosedHazardButKeepsItsReward) {
  v1::Hazard h = Assigned(absl::Hours(1), v1::STATUS_CLOSED);
  h.mutable_reporter()->set_name("陈先生");
  h.mutable_reporter()->set_contact("13900000000");
  h.mutable_reward()->set_amount_yuan(200);
  const Timer t = ReporterErasureTimer(ShippedRules(), h, kAssigned);
  auto effect = ApplyTimer(h, t, kAssigned + absl::Hours(24 * 180), System());
  ASSERT_TRUE(effect.has_value());
  EXPECT_EQ(effect->after.reporter().name(), "");
  EXPECT_EQ(effect->after.reporter().contact(), "");
  EXPECT_DOUBLE_EQ(effect->after.reward().amount_yuan(), 200);
  EXPECT_EQ(effect->after.audit(effect->after.audit_size() - 1).action(), "erase_reporter");
  EXPECT_TRUE(effect->events.empty());
  EXPECT_FALSE(ApplyTimer(effect->after, t, kAssigned, System()).has_value());  // once
}

TEST(ReporterErasure, LeavesAHazardThatIsActiveAgainAlone) {
  v1::Hazard h = Assigned(absl::Hours(1), v1::STATUS_RECTIFYING);
  h.mutable_reporter()->set_contact("13900000000");
  EXPECT_FALSE(ApplyTimer(h, ReporterErasureTimer(ShippedRules(), h, kAssigned), kAssigned,
                          System())
                   .has_value());
}

TEST(TimersFor, RemindsThreeDaysAheadEscalatesAtTheDeadlineAndToTheDistrictAWeekLater) {
  const v1::Hazard h = Assigned(absl::Hours(24 * 10));
  const int64_t deadline = absl::ToUnixMillis(kAssigned + absl::Hours(24 * 10));
  EXPECT_EQ(TimerOf(h, Timer::Kind::kDueSoon).fire_at_ms,
            deadline - absl::ToInt64Milliseconds(absl::Hours(72)));
  EXPECT_EQ(TimerOf(h, Timer::Kind::kOverdue).fire_at_ms, deadline);
  EXPECT_EQ(TimerOf(h, Timer::Kind::kDistrict).fire_at_ms,
            deadline + absl::ToInt64Milliseconds(absl::Hours(168)));
}

TEST(TimersFor, AShortDeadlineIsRemindedHalfwayNotBeforeItWasGiven) {
  const v1::Hazard h = Assigned(absl::Hours(24));
  EXPECT_EQ(TimerOf(h, Timer::Kind::kDueSoon).fire_at_ms,
            absl::ToUnixMillis(kAssigned + absl::Hours(12)));
}

TEST(ApplyTimer, DueSoonRemindsOnceWhileAssigned) {
  v1::Hazard h = Assigned(absl::Hours(240));
  auto effect = ApplyTimer(h, TimerOf(h, Timer::Kind::kDueSoon), kAssigned, System());
  ASSERT_TRUE(effect.has_value());
  EXPECT_TRUE(effect->after.due_soon_notified());
  ASSERT_EQ(effect->events.size(), 1u);
  EXPECT_EQ(effect->events[0]->GetTypeName(), "firegrid.hazards.v1.HazardDueSoon");
  EXPECT_FALSE(ApplyTimer(effect->after, TimerOf(h, Timer::Kind::kDueSoon), kAssigned, System())
                   .has_value());
}

TEST(ApplyTimer, OverdueMarksAndEscalatesToTheStreet) {
  v1::Hazard h = Assigned(absl::Hours(240), v1::STATUS_RECTIFYING);
  auto effect = ApplyTimer(h, TimerOf(h, Timer::Kind::kOverdue), kAssigned, System());
  ASSERT_TRUE(effect.has_value());
  EXPECT_TRUE(effect->after.overdue());
  EXPECT_EQ(effect->after.escalation(), v1::ESCALATION_LEVEL_STREET);
  ASSERT_EQ(effect->events.size(), 2u);
  const auto& escalated = static_cast<const v1::HazardEscalated&>(*effect->events[1]);
  EXPECT_EQ(escalated.escalated_to(), "500109001");
}

TEST(ApplyTimer, DistrictEscalationGoesToTheDistrictOnce) {
  v1::Hazard h = Assigned(absl::Hours(240), v1::STATUS_SUBMITTED);
  auto effect = ApplyTimer(h, TimerOf(h, Timer::Kind::kDistrict), kAssigned, System());
  ASSERT_TRUE(effect.has_value());
  EXPECT_EQ(effect->after.escalation(), v1::ESCALATION_LEVEL_DISTRICT);
  EXPECT_FALSE(ApplyTimer(effect->after, TimerOf(h, Timer::Kind::kDistrict), kAssigned, System())
                   .has_value());
}

TEST(ApplyTimer, ClosedHazardsDuplicatesAndOldDeadlinesAreLeftAlone) {
  v1::Hazard h = Assigned(absl::Hours(240));
  const Timer overdue = TimerOf(h, Timer::Kind::kOverdue);
  v1::Hazard closed = h;
  closed.set_status(v1::STATUS_CLOSED);
  EXPECT_FALSE(ApplyTimer(closed, overdue, kAssigned, System()).has_value());
  v1::Hazard duplicate = h;
  duplicate.set_duplicate_of("hzd_2");
  EXPECT_FALSE(ApplyTimer(duplicate, overdue, kAssigned, System()).has_value());
  v1::Hazard reassigned = Assigned(absl::Hours(480));
  EXPECT_FALSE(ApplyTimer(reassigned, overdue, kAssigned, System()).has_value());
}

}  // namespace
}  // namespace firegrid::hazards
