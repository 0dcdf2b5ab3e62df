// The hazard filer with the real alarm store on a real redis-server and a fake hazards service
// that, like the real one, returns the same hazard for the same idempotency key.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/monitoring/alarm_test_support.h"
#include "services/monitoring/hazard_filer.h"
#include "services/monitoring/shipped_rules.h"
#include "tests/support/shared_redis.h"

namespace firegrid::monitoring {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kTier[] = "500109001002";
const absl::Time kT0 = absl::FromUnixSeconds(1'780'000'000);

// Files through the fake, then loses the reply the first `lose` times (the hazard exists, the
// filer does not learn its id).
class LosingReplies final : public HazardsLink {
 public:
  LosingReplies(HazardsLink* inner, int lose) : inner_(inner), lose_(lose) {}
  absl::StatusOr<std::string> FileHazard(const v1::Alarm& alarm,
                                         const config::v1::HazardFiling& filing,
                                         const v1::BuildingView& building) override {
    absl::StatusOr<std::string> r = inner_->FileHazard(alarm, filing, building);
    if (lose_ > 0) {
      --lose_;
      return absl::UnavailableError("reply lost");
    }
    return r;
  }
  absl::Status NoteCleared(const v1::Alarm& alarm, const std::string& note) override {
    return inner_->NoteCleared(alarm, note);
  }

 private:
  HazardsLink* inner_;
  int lose_;
};

class HazardFilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    pool_ = firegrid::testing::NewSharedRedisPool();
    prefix_ = absl::StrCat("t:filer:", n++);
    store_ =
        std::make_unique<AlarmStore>(pool_.get(), prefix_, prefix_ + ":outbox", &ShippedRules());
    v1::BuildingView b;
    b.set_building_id("bld_1");
    b.set_name("Tower");
    b.set_tier_path(kTier);
    buildings_.Put(b);
    filer_ = std::make_unique<HazardFiler>(store_.get(), &ShippedRules(), &hazards_, &buildings_,
                                           &clock_);
  }

  // Raises `rule`'s alarm on a device of bld_1 at the clock's time; its version is then 1.
  std::string Raise(const std::string& device_id, const std::string& alarm_id,
                    const std::string& rule = "hydrant-pressure-low",
                    v1::AlarmType type = v1::ALARM_TYPE_LOW_PRESSURE) {
    DeviceCommit c = Base(device_id, 0);
    AlarmAction a;
    a.kind = AlarmAction::Kind::kRaise;
    a.rule_id = rule;
    a.type = type;
    a.severity = v1::ALARM_SEVERITY_MAJOR;
    a.alarm_id = alarm_id;
    c.actions = {a};
    absl::StatusOr<CommitResult> r = store_->Commit(c);
    EXPECT_TRUE(r.ok()) << r.status();
    return alarm_id;
  }

  // The device reports the condition gone.
  void ClearByDevice(const std::string& device_id, const std::string& alarm_id,
                     const std::string& details = "") {
    DeviceCommit c = Base(device_id, 1);
    AlarmAction a;
    a.kind = AlarmAction::Kind::kClear;
    a.alarm_id = alarm_id;
    a.details = details;
    c.actions = {a};
    absl::StatusOr<CommitResult> r = store_->Commit(c);
    EXPECT_TRUE(r.ok()) << r.status();
  }

  DeviceCommit Base(const std::string& device_id, int64_t version) {
    DeviceCommit c;
    c.device.set_device_id(device_id);
    c.device.set_type(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
    c.device.set_building_id("bld_1");
    c.building = *buildings_.GetBuilding("bld_1");
    c.expected_version = version;
    c.state.set_sequence(version + 1);
    c.actor = "device:" + device_id;
    c.now = clock_.Now();
    return c;
  }

  int Run() {
    absl::StatusOr<int> n = filer_->RunOnce();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  std::unique_ptr<redis::Pool> pool_;
  std::string prefix_;
  std::unique_ptr<AlarmStore> store_;
  testing::FakeBuildings buildings_;
  testing::FakeHazards hazards_;
  FakeClock clock_{kT0};
  std::unique_ptr<HazardFiler> filer_;
};

TEST_F(HazardFilerTest, FilesExactlyOneHazardPerAlarmWhenRunTwice) {
  Raise("dev-a", "alm_1");
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(Run(), 0);
  ASSERT_EQ(hazards_.filed().size(), 1u);
  EXPECT_EQ(hazards_.file_calls(), 1);
  const testing::FakeHazards::Filed f = hazards_.filed()[0];
  EXPECT_EQ(f.alarm.alarm_id(), "alm_1");
  EXPECT_EQ(f.filing.category(), hazards::v1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER);
  EXPECT_EQ(f.building.building_id(), "bld_1");
  EXPECT_EQ(store_->Get("alm_1")->hazard_id(), f.hazard_id);
  EXPECT_THAT(*store_->HazardsDue(kT0 + absl::Hours(100), 10), IsEmpty());
  EXPECT_EQ(filer_->filed(), 1);
}

TEST_F(HazardFilerTest, OneHazardWhenTheReplyIsLostAfterFilingAndTheRoundRunsAgain) {
  LosingReplies losing(&hazards_, 1);
  HazardFiler filer(store_.get(), &ShippedRules(), &losing, &buildings_, &clock_);
  Raise("dev-a", "alm_1");
  EXPECT_EQ(*filer.RunOnce(), 0);
  EXPECT_EQ(filer.failures(), 1);
  EXPECT_EQ(store_->Get("alm_1")->hazard_id(), "");
  EXPECT_THAT(*store_->HazardsDue(kT0 + absl::Seconds(30), 10), ElementsAre("alm_1"));
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(*filer.RunOnce(), 1);
  EXPECT_EQ(hazards_.file_calls(), 2);
  ASSERT_EQ(hazards_.filed().size(), 1u);
  EXPECT_EQ(store_->Get("alm_1")->hazard_id(), hazards_.filed()[0].hazard_id);
}

TEST_F(HazardFilerTest, OneHazardWhenAReplicaCrashedBetweenFilingAndRecordingIt) {
  Raise("dev-a", "alm_1");
  // The other replica filed it and died before MarkHazardFiled.
  config::v1::HazardFiling filing = *ShippedRules().HazardFilingOf("hydrant-pressure-low");
  ASSERT_TRUE(
      hazards_.FileHazard(*store_->Get("alm_1"), filing, *buildings_.GetBuilding("bld_1")).ok());
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(hazards_.filed().size(), 1u);
  EXPECT_EQ(store_->Get("alm_1")->hazard_id(), hazards_.filed()[0].hazard_id);
}

TEST_F(HazardFilerTest, TwoReplicasFilingAtOnceFileOneHazardPerAlarm) {
  for (int i = 0; i < 20; ++i) Raise(absl::StrCat("dev-", i), absl::StrCat("alm_", i));
  HazardFiler other(store_.get(), &ShippedRules(), &hazards_, &buildings_, &clock_);
  std::thread t([&] { EXPECT_TRUE(other.RunOnce().ok()); });
  Run();
  t.join();
  EXPECT_EQ(hazards_.filed().size(), 20u);
  for (const testing::FakeHazards::Filed& f : hazards_.filed()) {
    EXPECT_EQ(store_->Get(f.alarm.alarm_id())->hazard_id(), f.hazard_id);
  }
  EXPECT_THAT(*store_->HazardsDue(kT0, 100), IsEmpty());
}

TEST_F(HazardFilerTest, NothingIsFiledBeforeTheRulesDelayAndAnAlarmClearedBeforeItFilesNone) {
  Raise("panel-1", "alm_f", "fault", v1::ALARM_TYPE_FAULT);  // files after 24 h
  Raise("panel-2", "alm_g", "fault", v1::ALARM_TYPE_FAULT);
  clock_.Advance(absl::Hours(23));
  EXPECT_EQ(Run(), 0);
  ClearByDevice("panel-2", "alm_g");
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Run(), 1);
  ASSERT_EQ(hazards_.filed().size(), 1u);
  EXPECT_EQ(hazards_.filed()[0].alarm.alarm_id(), "alm_f");
  EXPECT_EQ(store_->Get("alm_g")->hazard_id(), "");
}

TEST_F(HazardFilerTest, AnInactiveAlarmLeftOnTheQueueIsDroppedWithoutAHazard) {
  Raise("dev-a", "alm_1");
  ClearByDevice("dev-a", "alm_1");
  // An entry that outlived its alarm's clear (written before it, by an older replica).
  ASSERT_TRUE(pool_->Command({"ZADD", prefix_ + ":hazard-due", "0", "alm_1"}).ok());
  ASSERT_TRUE(pool_->Command({"ZADD", prefix_ + ":hazard-due", "0", "alm_gone"}).ok());
  EXPECT_EQ(Run(), 2);
  EXPECT_THAT(hazards_.filed(), IsEmpty());
  EXPECT_THAT(*store_->HazardsDue(kT0, 10), IsEmpty());
}

TEST_F(HazardFilerTest, AClearIsNotedOnceWithItsNote) {
  Raise("dev-a", "alm_1");
  ASSERT_EQ(Run(), 1);
  ClearByDevice("dev-a", "alm_1", "压力恢复 0.18 MPa");
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(Run(), 0);
  EXPECT_THAT(hazards_.noted(), ElementsAre("alm_1"));
  EXPECT_EQ(hazards_.note_calls(), 1);
  EXPECT_EQ(hazards_.note_of("alm_1"), "压力恢复 0.18 MPa");
  EXPECT_EQ(filer_->noted(), 1);
}

TEST_F(HazardFilerTest, AManualClearOfAFiledAlarmIsNoted) {
  Raise("dev-a", "alm_1");
  ASSERT_EQ(Run(), 1);
  ASSERT_TRUE(store_->Clear("alm_1", "u-1", "pump repaired", clock_.Now(), "").ok());
  EXPECT_EQ(Run(), 1);
  EXPECT_THAT(hazards_.noted(), ElementsAre("alm_1"));
  EXPECT_EQ(hazards_.note_of("alm_1"), "pump repaired");
}

TEST_F(HazardFilerTest, FailedCallsLeaveTheirEntriesQueuedForALaterRound) {
  Raise("dev-a", "alm_1");
  hazards_.Fail(absl::UnavailableError("hazards down"));
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(filer_->failures(), 1);
  hazards_.Fail(absl::OkStatus());
  // Due again after the retry delay, not before.
  EXPECT_EQ(Run(), 0);
  clock_.Advance(absl::Seconds(30));
  ASSERT_EQ(Run(), 1);
  EXPECT_EQ(hazards_.filed().size(), 1u);

  ClearByDevice("dev-a", "alm_1");
  hazards_.Fail(absl::UnavailableError("hazards down"));
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(filer_->failures(), 2);
  hazards_.Fail(absl::OkStatus());
  EXPECT_THAT(*store_->ClearNotesDue(clock_.Now(), 10), IsEmpty());
  clock_.Advance(absl::Seconds(30));
  EXPECT_THAT(*store_->ClearNotesDue(clock_.Now(), 10), ElementsAre("alm_1"));
  EXPECT_EQ(Run(), 1);
  EXPECT_THAT(*store_->ClearNotesDue(clock_.Now() + absl::Hours(1), 10), IsEmpty());
  EXPECT_THAT(hazards_.noted(), ElementsAre("alm_1"));
}

TEST_F(HazardFilerTest, AFailingEntryDoesNotHoldUpTheOnesBehindIt) {
  HazardFiler one_at_a_time(store_.get(), &ShippedRules(), &hazards_, &buildings_, &clock_, 1);
  DeviceCommit c = Base("dev-x", 0);
  c.device.set_building_id("bld_unknown");
  c.building.set_building_id("bld_unknown");
  AlarmAction a;
  a.kind = AlarmAction::Kind::kRaise;
  a.rule_id = "hydrant-pressure-low";
  a.type = v1::ALARM_TYPE_LOW_PRESSURE;
  a.alarm_id = "alm_0";
  c.actions = {a};
  ASSERT_TRUE(store_->Commit(c).ok());
  clock_.Advance(absl::Seconds(1));
  Raise("dev-a", "alm_1");
  EXPECT_EQ(*one_at_a_time.RunOnce(), 0);
  EXPECT_EQ(*one_at_a_time.RunOnce(), 1);
  ASSERT_EQ(hazards_.filed().size(), 1u);
  EXPECT_EQ(hazards_.filed()[0].alarm.alarm_id(), "alm_1");
}

TEST_F(HazardFilerTest, AnUnknownBuildingLeavesTheEntryForLater) {
  DeviceCommit c = Base("dev-x", 0);
  c.device.set_building_id("bld_new");
  c.building.set_building_id("bld_new");
  AlarmAction a;
  a.kind = AlarmAction::Kind::kRaise;
  a.rule_id = "hydrant-pressure-low";
  a.type = v1::ALARM_TYPE_LOW_PRESSURE;
  a.alarm_id = "alm_x";
  c.actions = {a};
  ASSERT_TRUE(store_->Commit(c).ok());
  EXPECT_EQ(Run(), 0);
  EXPECT_EQ(filer_->failures(), 1);
  EXPECT_THAT(*store_->HazardsDue(kT0 + absl::Seconds(30), 10), ElementsAre("alm_x"));
  v1::BuildingView b = *buildings_.GetBuilding("bld_1");
  b.set_building_id("bld_new");
  buildings_.Put(b);
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(Run(), 1);
  EXPECT_EQ(hazards_.filed().size(), 1u);
}

TEST_F(HazardFilerTest, StartedFilerFilesWithoutBeingAsked) {
  Raise("dev-a", "alm_1");
  filer_->Start(absl::Milliseconds(20));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (hazards_.filed().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  filer_->Stop();
  EXPECT_EQ(hazards_.filed().size(), 1u);
}

}  // namespace
}  // namespace firegrid::monitoring
