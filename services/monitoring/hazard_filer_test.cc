#include "services/monitoring/hazard_filer.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace firegrid::monitoring {
namespace {

constexpr absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class FakeQueue final : public HazardQueue {
 public:
  absl::StatusOr<v1::Alarm> Get(const std::string& id) override {
    auto it = alarms.find(id);
    if (it == alarms.end()) return absl::NotFoundError(id);
    return it->second;
  }
  absl::StatusOr<std::vector<std::string>> HazardsDue(absl::Time, int) override {
    return std::vector<std::string>(due.begin(), due.end());
  }
  absl::Status MarkHazardFiled(const std::string& id, const std::string& hazard,
                               absl::Time) override {
    alarms[id].set_hazard_id(hazard);
    due.erase(id);
    return absl::OkStatus();
  }
  absl::Status DropHazardDue(const std::string& id) override {
    due.erase(id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> ClearNotesDue(int) override {
    return std::vector<std::string>(clear_notes.begin(), clear_notes.end());
  }
  absl::Status MarkClearNoted(const std::string& id) override {
    clear_notes.erase(id);
    return absl::OkStatus();
  }
  std::map<std::string, v1::Alarm> alarms;
  std::set<std::string> due;
  std::set<std::string> clear_notes;
};

class FakeDirectory final : public DeviceDirectory {
 public:
  absl::StatusOr<std::vector<std::optional<v1::Device>>> GetMany(
      const std::vector<std::string>&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<v1::BuildingView> GetBuilding(const std::string& id) override {
    v1::BuildingView v;
    v.set_building_id(id);
    v.set_name("星光大厦");
    return v;
  }
  absl::StatusOr<std::vector<v1::StationRef>> NearestStations(
      const ::firegrid::buildings::v1::GeoPoint&, double, int) override {
    return absl::UnimplementedError("");
  }
};

// Files one hazard per alarm id as the hazards service does (the idempotency key); can fail.
class FakeHazards final : public HazardsLink {
 public:
  absl::StatusOr<std::string> FileHazard(const v1::Alarm& alarm,
                                         const config::v1::HazardFiling& filing,
                                         const v1::BuildingView& building) override {
    ++file_calls;
    if (!fail.ok()) return fail;
    categories[alarm.alarm_id()] = filing.category();
    building_names[alarm.alarm_id()] = building.name();
    auto [it, inserted] = hazards.emplace(alarm.alarm_id(), "hz_" + alarm.alarm_id());
    return it->second;
  }
  absl::Status NoteCleared(const v1::Alarm& alarm, const std::string& note) override {
    if (!fail.ok()) return fail;
    notes.push_back(alarm.hazard_id() + ": " + note);
    return absl::OkStatus();
  }
  absl::Status fail;
  int file_calls = 0;
  std::map<std::string, std::string> hazards;
  std::map<std::string, ::firegrid::hazards::v1::HazardCategory> categories;
  std::map<std::string, std::string> building_names;
  std::vector<std::string> notes;
};

class HazardFilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rules = Rules::LoadFile(FIREGRID_MONITORING_RULES);
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = std::make_unique<Rules>(std::move(*rules));
    filer_ = std::make_unique<HazardFiler>(&queue_, &directory_, rules_.get(), &hazards_);
  }
  void AddAlarm(const std::string& id, const std::string& rule, v1::AlarmState state) {
    v1::Alarm a;
    a.set_alarm_id(id);
    a.set_rule_id(rule);
    a.set_state(state);
    a.set_building_id("bld_1");
    queue_.alarms[id] = a;
    queue_.due.insert(id);
  }
  FakeQueue queue_;
  FakeDirectory directory_;
  FakeHazards hazards_;
  std::unique_ptr<Rules> rules_;
  std::unique_ptr<HazardFiler> filer_;
};

TEST_F(HazardFilerTest, ADueActiveAlarmBecomesExactlyOneHazardOfItsRulesCategory) {
  AddAlarm("alm_1", "fault", v1::ALARM_STATE_ACTIVE_UNACK);
  auto round = filer_->RunOnce(kNow);
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->filed, 1);
  EXPECT_EQ(queue_.alarms["alm_1"].hazard_id(), "hz_alm_1");
  EXPECT_EQ(hazards_.categories["alm_1"],
            ::firegrid::hazards::v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  EXPECT_EQ(hazards_.building_names["alm_1"], "星光大厦");
  EXPECT_TRUE(queue_.due.empty());
  // Nothing left: a second round files nothing.
  ASSERT_TRUE(filer_->RunOnce(kNow).ok());
  EXPECT_EQ(hazards_.file_calls, 1);
  EXPECT_EQ(hazards_.hazards.size(), 1u);
}

TEST_F(HazardFilerTest, AFailedFilingStaysQueuedAndTheRetryGivesTheSameHazard) {
  AddAlarm("alm_1", "fault", v1::ALARM_STATE_ACTIVE_ACK);
  hazards_.fail = absl::UnavailableError("hazards down");
  auto round = filer_->RunOnce(kNow);
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->failed, 1);
  EXPECT_EQ(queue_.due.count("alm_1"), 1u);
  hazards_.fail = absl::OkStatus();
  ASSERT_EQ(filer_->RunOnce(kNow)->filed, 1);
  EXPECT_EQ(queue_.alarms["alm_1"].hazard_id(), "hz_alm_1");
  EXPECT_EQ(hazards_.hazards.size(), 1u);
}

TEST_F(HazardFilerTest, AnAlarmThatClearedBeforeItsHazardWasDueFilesNone) {
  AddAlarm("alm_1", "fault", v1::ALARM_STATE_CLEARED_UNACK);
  queue_.due.insert("alm_gone");  // an alarm that no longer exists
  auto round = filer_->RunOnce(kNow);
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->dropped, 2);
  EXPECT_EQ(hazards_.file_calls, 0);
  EXPECT_TRUE(queue_.due.empty());
}

TEST_F(HazardFilerTest, AnAlarmWhoseRuleFilesNoHazardIsTakenOffTheQueue) {
  AddAlarm("alm_1", "supervisory", v1::ALARM_STATE_ACTIVE_UNACK);
  ASSERT_EQ(filer_->RunOnce(kNow)->dropped, 1);
  EXPECT_EQ(hazards_.file_calls, 0);
}

TEST_F(HazardFilerTest, AnAlarmAlreadyCarryingItsHazardIsRecordedWithoutFilingAgain) {
  AddAlarm("alm_1", "fault", v1::ALARM_STATE_ACTIVE_UNACK);
  queue_.alarms["alm_1"].set_hazard_id("hz_earlier");
  ASSERT_EQ(filer_->RunOnce(kNow)->filed, 1);
  EXPECT_EQ(hazards_.file_calls, 0);
  EXPECT_TRUE(queue_.due.empty());
}

TEST_F(HazardFilerTest, AClearedAlarmsHazardIsToldOnceWithWhoClearedIt) {
  v1::Alarm a;
  a.set_alarm_id("alm_1");
  a.set_hazard_id("hz_1");
  a.set_state(v1::ALARM_STATE_CLEARED_UNACK);
  a.set_cleared_by("cw-7");
  auto* t = a.add_history();
  t->set_action("clear");
  t->set_note("valve reopened");
  queue_.alarms["alm_1"] = a;
  queue_.clear_notes.insert("alm_1");
  hazards_.fail = absl::UnavailableError("hazards down");
  ASSERT_EQ(filer_->RunOnce(kNow)->failed, 1);
  EXPECT_EQ(queue_.clear_notes.size(), 1u);
  hazards_.fail = absl::OkStatus();
  ASSERT_EQ(filer_->RunOnce(kNow)->noted, 1);
  ASSERT_TRUE(filer_->RunOnce(kNow).ok());
  EXPECT_EQ(hazards_.notes, (std::vector<std::string>{"hz_1: cleared by cw-7: valve reopened"}));
}

TEST(ClearNoteTest, SaysTheDeviceReportedTheConditionGoneWhenASignalClearedIt) {
  v1::Alarm a;
  a.set_cleared_by("device:dev-p1");
  EXPECT_EQ(ClearNote(a), "the device reports the condition gone");
}

}  // namespace
}  // namespace firegrid::monitoring
