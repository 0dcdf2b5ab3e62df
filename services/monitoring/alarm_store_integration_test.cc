// The alarm store against a real redis-server (tests/support): each test keeps to its own key
// prefix on the binary's shared server.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/shipped_rules.h"
#include "tests/support/shared_redis.h"

namespace firegrid::monitoring {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using TimeUtil = google::protobuf::util::TimeUtil;

constexpr char kTier[] = "500109001002";
const absl::Time kT0 = absl::FromUnixSeconds(1'780'000'000);

class AlarmStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    pool_ = testing::NewSharedRedisPool();
    prefix_ = absl::StrCat(
        "t:alarms:", ::testing::UnitTest::GetInstance()->current_test_info()->name(), ":", n++);
    store_ =
        std::make_unique<AlarmStore>(pool_.get(), prefix_, prefix_ + ":outbox", &ShippedRules());
  }

  static v1::Device Device(const std::string& id,
                           v1::DeviceType type = v1::DEVICE_TYPE_HYDRANT_PRESSURE,
                           const std::string& building = "bld_1") {
    v1::Device d;
    d.set_device_id(id);
    d.set_type(type);
    d.set_building_id(building);
    d.set_floor("12");
    d.set_point("东侧消火栓箱");
    d.set_status(v1::DEVICE_STATUS_IN_SERVICE);
    return d;
  }

  static v1::BuildingView Building(const std::string& id = "bld_1",
                                   const std::string& tier = kTier) {
    v1::BuildingView b;
    b.set_building_id(id);
    b.set_name("Tower " + id);
    b.set_tier_path(tier);
    return b;
  }

  static AlarmAction Action(AlarmAction::Kind kind, const std::string& alarm_id,
                            const std::string& rule = "hydrant-pressure-low",
                            v1::AlarmType type = v1::ALARM_TYPE_LOW_PRESSURE) {
    AlarmAction a;
    a.kind = kind;
    a.rule_id = rule;
    a.type = type;
    a.severity = v1::ALARM_SEVERITY_MAJOR;
    a.alarm_id = alarm_id;
    a.at = kT0 - absl::Minutes(10);
    a.value = 0.06;
    a.limit = 0.10;
    a.details = "压力 0.06 MPa < 0.10 MPa 持续 10 分钟";
    return a;
  }

  // A commit of `device` from `version` (its next state carries `seq`) with `actions`.
  static DeviceCommit Commit(const v1::Device& device, int64_t version,
                             std::vector<AlarmAction> actions, absl::Time now = kT0,
                             uint64_t seq = 0) {
    DeviceCommit c;
    c.device = device;
    c.building = Building(device.building_id());
    c.expected_version = version;
    c.state.set_boot_epoch(1);
    c.state.set_sequence(seq == 0 ? version + 1 : seq);
    c.actions = std::move(actions);
    c.actor = "device:" + device.device_id();
    c.now = now;
    return c;
  }

  absl::StatusOr<CommitResult> Raise(const std::string& device_id, const std::string& alarm_id,
                                     int64_t version = 0,
                                     const std::string& rule = "hydrant-pressure-low",
                                     v1::AlarmType type = v1::ALARM_TYPE_LOW_PRESSURE,
                                     absl::Time now = kT0) {
    return store_->Commit(Commit(Device(device_id), version,
                                 {Action(AlarmAction::Kind::kRaise, alarm_id, rule, type)}, now));
  }

  std::vector<std::string> Ids(const AlarmStore::Query& q) {
    absl::StatusOr<AlarmStore::Page> page = store_->List(q);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const v1::Alarm& a : page->alarms) out.push_back(a.alarm_id());
    }
    return out;
  }

  static AlarmStore::Query ByTier(const std::string& tier, bool open_only = true) {
    AlarmStore::Query q;
    q.tier_prefix = tier;
    q.open_only = open_only;
    return q;
  }
  static AlarmStore::Query ByBuilding(const std::string& building, bool open_only = true) {
    AlarmStore::Query q;
    q.building_id = building;
    q.open_only = open_only;
    return q;
  }

  int64_t CountOf(const v1::AlarmCounts& counts, v1::AlarmType type, v1::AlarmState state) {
    for (const v1::AlarmCount& c : counts.counts()) {
      if (c.type() == type && c.state() == state) return c.count();
    }
    return 0;
  }

  // The event types on the outbox, oldest first.
  std::vector<std::string> OutboxTypes() {
    absl::StatusOr<redis::Reply> r = pool_->Command({"XRANGE", prefix_ + ":outbox", "-", "+"});
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;
    for (const redis::Reply& entry : r->elements) {
      const std::vector<redis::Reply>& f = entry.elements[1].elements;
      std::string topic, key, value;
      for (size_t i = 0; i + 1 < f.size(); i += 2) {
        if (f[i].str == "topic") topic = f[i + 1].str;
        if (f[i].str == "key") key = f[i + 1].str;
        if (f[i].str == "value") value = f[i + 1].str;
      }
      EXPECT_EQ(topic, events::kMonitoringTopic);
      absl::StatusOr<events::Envelope> env = events::ParseEnvelope(value);
      EXPECT_TRUE(env.ok()) << env.status();
      if (!env.ok()) continue;
      EXPECT_EQ(env->building_id(), key);
      std::string type = env->type();
      out.push_back(type.substr(type.rfind('.') + 1));
    }
    return out;
  }

  int64_t Len(const std::string& cmd, const std::string& suffix) {
    absl::StatusOr<redis::Reply> r = pool_->Command({cmd, prefix_ + ":" + suffix});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->integer : -1;
  }

  std::unique_ptr<redis::Pool> pool_;
  std::string prefix_;
  std::unique_ptr<AlarmStore> store_;
};

TEST_F(AlarmStoreTest, LoadStatesGivesVersionZeroForUnwrittenDevicesAndTheCommittedState) {
  ASSERT_TRUE(store_->Commit(Commit(Device("dev-a"), 0, {}, kT0, 7)).ok());
  absl::StatusOr<std::vector<StoredState>> states = store_->LoadStates({"dev-b", "dev-a"});
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), 2u);
  EXPECT_EQ((*states)[0].version, 0);
  EXPECT_EQ((*states)[0].state.sequence(), 0u);
  EXPECT_EQ((*states)[1].version, 1);
  EXPECT_EQ((*states)[1].state.sequence(), 7u);
}

TEST_F(AlarmStoreTest, ADeviceStateThatDoesNotDecodeStartsAfreshAtItsVersion) {
  ASSERT_TRUE(
      pool_->Command({"HSET", prefix_ + ":dev:dev-a", "st", "\xff\xff not a state", "sver", "3"})
          .ok());
  absl::StatusOr<std::vector<StoredState>> states = store_->LoadStates({"dev-a"});
  ASSERT_TRUE(states.ok()) << states.status();
  EXPECT_EQ((*states)[0].version, 3);
  EXPECT_EQ((*states)[0].state.sequence(), 0u);
  EXPECT_TRUE(store_->Commit(Commit(Device("dev-a"), 3, {})).ok());
  EXPECT_EQ(store_->LoadStates({"dev-a"})->at(0).state.sequence(), 4u);
}

TEST_F(AlarmStoreTest, CommittedRaiseIsReadListedAndCountedForTheBuildingAndEveryTier) {
  absl::StatusOr<CommitResult> r = Raise("dev-a", "alm_1");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->alarms.size(), 1u);
  EXPECT_THAT(r->dispatch_events, IsEmpty());

  absl::StatusOr<v1::Alarm> a = store_->Get("alm_1");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->state(), v1::ALARM_STATE_ACTIVE_UNACK);
  EXPECT_EQ(a->device_id(), "dev-a");
  EXPECT_EQ(a->building_id(), "bld_1");
  EXPECT_EQ(a->building_name(), "Tower bld_1");
  EXPECT_EQ(a->tier_path(), kTier);
  EXPECT_EQ(a->floor(), "12");
  EXPECT_EQ(a->rule_id(), "hydrant-pressure-low");
  EXPECT_EQ(a->count(), 1);
  EXPECT_EQ(a->version(), 1);
  EXPECT_DOUBLE_EQ(a->value(), 0.06);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(a->raised_at()), absl::ToUnixSeconds(kT0));
  ASSERT_EQ(a->history_size(), 1);
  EXPECT_EQ(a->history(0).action(), "raise");
  EXPECT_EQ(a->history(0).actor(), "device:dev-a");

  EXPECT_THAT(Ids(ByBuilding("bld_1")), ElementsAre("alm_1"));
  for (const std::string tier : {"500109", "500109001", "500109001002"}) {
    EXPECT_THAT(Ids(ByTier(tier)), ElementsAre("alm_1")) << tier;
    absl::StatusOr<v1::AlarmCounts> c = store_->Count("", tier);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->scope(), tier);
    EXPECT_EQ(c->active(), 1) << tier;
    EXPECT_EQ(c->active_unacknowledged(), 1) << tier;
    EXPECT_EQ(CountOf(*c, v1::ALARM_TYPE_LOW_PRESSURE, v1::ALARM_STATE_ACTIVE_UNACK), 1);
  }
  EXPECT_EQ(store_->Count("bld_1", "")->active(), 1);
  EXPECT_EQ(store_->CountAll()->active(), 1);
  EXPECT_THAT(Ids(ByTier("500110")), IsEmpty());
  EXPECT_EQ(store_->Count("", "500110")->active(), 0);
  EXPECT_EQ(store_->Get("alm_2").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AlarmStoreTest, SecondRaiseOfOneDeviceAndTypeFailsAndLeavesOneAlarm) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  // Another replica evaluated from the same state version.
  absl::Status stale = Raise("dev-a", "alm_2", 0).status();
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted) << stale;
  // A state at the current version that still would raise: the active slot is taken.
  absl::Status dup = Raise("dev-a", "alm_3", 1).status();
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  EXPECT_EQ(store_->Get("alm_2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("alm_3").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Ids(ByBuilding("bld_1")), ElementsAre("alm_1"));
  EXPECT_EQ(store_->Count("bld_1", "")->active(), 1);
  EXPECT_EQ(store_->LoadStates({"dev-a"})->at(0).version, 1);
  // Another alarm type of the same device is its own slot.
  EXPECT_TRUE(Raise("dev-a", "alm_4", 1, "fault", v1::ALARM_TYPE_FAULT).ok());
}

TEST_F(AlarmStoreTest, StaleExpectedVersionIsAbortedAndWritesNothing) {
  ASSERT_TRUE(store_->Commit(Commit(Device("dev-a"), 0, {})).ok());
  ASSERT_TRUE(store_->Commit(Commit(Device("dev-a"), 1, {})).ok());
  const std::vector<std::string> outbox_before = OutboxTypes();
  absl::Status s = Raise("dev-a", "alm_1", 1).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_EQ(store_->Get("alm_1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Ids(ByBuilding("bld_1", false)), IsEmpty());
  EXPECT_EQ(store_->Count("bld_1", "")->active(), 0);
  EXPECT_EQ(OutboxTypes(), outbox_before);
  EXPECT_EQ(Len("ZCARD", "hazard-due"), 0);
  EXPECT_EQ(Len("XLEN", "audit"), 0);
  EXPECT_EQ(store_->LoadStates({"dev-a"})->at(0).version, 2);
}

TEST_F(AlarmStoreTest, RepeatRaisesTheCountAndMakesNoNewAlarm) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  absl::StatusOr<CommitResult> r = store_->Commit(Commit(
      Device("dev-a"), 1, {Action(AlarmAction::Kind::kRepeat, "alm_1")}, kT0 + absl::Minutes(5)));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->alarms.size(), 1u);
  v1::Alarm a = *store_->Get("alm_1");
  EXPECT_EQ(a.count(), 2);
  EXPECT_EQ(a.state(), v1::ALARM_STATE_ACTIVE_UNACK);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(a.last_at()), absl::ToUnixSeconds(kT0) + 300);
  EXPECT_EQ(a.history_size(), 2);
  EXPECT_EQ(a.history(1).action(), "repeat");
  EXPECT_THAT(Ids(ByBuilding("bld_1", false)), ElementsAre("alm_1"));
  EXPECT_EQ(store_->Count("bld_1", "")->active(), 1);
}

TEST_F(AlarmStoreTest, AFlappingConditionKeepsTheHistoryBoundedButCountsEveryRepeat) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  ASSERT_TRUE(store_->Acknowledge("alm_1", "u-1", "", kT0, "").ok());
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(
        store_
            ->Commit(Commit(Device("dev-a"), 1 + i, {Action(AlarmAction::Kind::kRepeat, "alm_1")}))
            .ok());
  }
  v1::Alarm a = *store_->Get("alm_1");
  EXPECT_EQ(a.count(), 61);
  EXPECT_EQ(a.history_size(), 50);
  EXPECT_EQ(a.history(0).action(), "raise");
  EXPECT_EQ(a.history(1).action(), "acknowledge");
  EXPECT_EQ(a.history(49).action(), "repeat");
  EXPECT_EQ(Len("XLEN", "audit"), 62);
}

TEST_F(AlarmStoreTest, ClearMovesTheCountersAndAcknowledgeDropsItFromTheOpenIndex) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  ASSERT_TRUE(store_
                  ->Commit(Commit(Device("dev-a"), 1, {Action(AlarmAction::Kind::kClear, "alm_1")},
                                  kT0 + absl::Minutes(1)))
                  .ok());
  v1::Alarm a = *store_->Get("alm_1");
  EXPECT_EQ(a.state(), v1::ALARM_STATE_CLEARED_UNACK);
  EXPECT_EQ(a.cleared_by(), "device:dev-a");
  for (const std::string scope : {"500109", "500109001", kTier}) {
    v1::AlarmCounts c = *store_->Count("", scope);
    EXPECT_EQ(c.active(), 0) << scope;
    EXPECT_EQ(CountOf(c, v1::ALARM_TYPE_LOW_PRESSURE, v1::ALARM_STATE_ACTIVE_UNACK), 0);
    EXPECT_EQ(CountOf(c, v1::ALARM_TYPE_LOW_PRESSURE, v1::ALARM_STATE_CLEARED_UNACK), 1);
  }
  EXPECT_THAT(Ids(ByTier("500109001")), ElementsAre("alm_1"));

  // The slot is free again: a new raise of the type is a new alarm.
  ASSERT_TRUE(Raise("dev-a", "alm_2", 2, "hydrant-pressure-low", v1::ALARM_TYPE_LOW_PRESSURE,
                    kT0 + absl::Minutes(20))
                  .ok());

  absl::StatusOr<v1::Alarm> acked =
      store_->Acknowledge("alm_1", "u-1", "checked the valve", kT0 + absl::Minutes(30), "");
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(acked->state(), v1::ALARM_STATE_CLEARED_ACK);
  EXPECT_EQ(acked->acknowledged_by(), "u-1");
  EXPECT_EQ(acked->history().rbegin()->note(), "checked the valve");
  EXPECT_THAT(Ids(ByTier("500109001")), ElementsAre("alm_2"));
  EXPECT_THAT(Ids(ByBuilding("bld_1")), ElementsAre("alm_2"));
  EXPECT_THAT(Ids(ByBuilding("bld_1", false)), ElementsAre("alm_2", "alm_1"));
  v1::AlarmCounts c = *store_->Count("bld_1", "");
  EXPECT_EQ(CountOf(c, v1::ALARM_TYPE_LOW_PRESSURE, v1::ALARM_STATE_CLEARED_UNACK), 0);
  EXPECT_EQ(CountOf(c, v1::ALARM_TYPE_LOW_PRESSURE, v1::ALARM_STATE_CLEARED_ACK), 0);
  EXPECT_EQ(c.active(), 1);
  EXPECT_EQ(c.counts_size(), 1);
  // The service-wide counters (the metrics') moved the same way.
  v1::AlarmCounts all = *store_->CountAll();
  EXPECT_EQ(all.active(), 1);
  EXPECT_EQ(CountOf(all, v1::ALARM_TYPE_LOW_PRESSURE, v1::ALARM_STATE_CLEARED_UNACK), 0);
  EXPECT_EQ(CountOf(all, v1::ALARM_TYPE_LOW_PRESSURE, v1::ALARM_STATE_ACTIVE_UNACK), 1);
}

TEST_F(AlarmStoreTest, AcknowledgingTwiceIsFailedPrecondition) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  absl::StatusOr<v1::Alarm> first = store_->Acknowledge("alm_1", "u-1", "", kT0, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), v1::ALARM_STATE_ACTIVE_ACK);
  EXPECT_EQ(store_->Acknowledge("alm_1", "u-2", "", kT0, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("alm_1")->acknowledged_by(), "u-1");
  v1::AlarmCounts c = *store_->Count("bld_1", "");
  EXPECT_EQ(c.active(), 1);
  EXPECT_EQ(c.active_unacknowledged(), 0);
  EXPECT_EQ(store_->Acknowledge("alm_9", "u-1", "", kT0, "").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AlarmStoreTest, DeviceClearOfAnAcknowledgedAlarmIsClearedAckAndLeavesTheOpenIndex) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  ASSERT_TRUE(store_->Acknowledge("alm_1", "u-1", "", kT0, "").ok());
  ASSERT_TRUE(
      store_->Commit(Commit(Device("dev-a"), 1, {Action(AlarmAction::Kind::kClear, "alm_1")}))
          .ok());
  EXPECT_EQ(store_->Get("alm_1")->state(), v1::ALARM_STATE_CLEARED_ACK);
  EXPECT_THAT(Ids(ByBuilding("bld_1")), IsEmpty());
  EXPECT_EQ(store_->Count("", "500109")->counts_size(), 0);
}

TEST_F(AlarmStoreTest, OutboxAndAuditHoldOneEntryPerTransition) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  ASSERT_TRUE(
      store_->Commit(Commit(Device("dev-a"), 1, {Action(AlarmAction::Kind::kRepeat, "alm_1")}))
          .ok());
  ASSERT_TRUE(store_->Acknowledge("alm_1", "u-1", "", kT0, "").ok());
  ASSERT_TRUE(store_->Clear("alm_1", "u-1", "pump repaired", kT0, "").ok());
  EXPECT_THAT(OutboxTypes(),
              ElementsAre("AlarmRaised", "AlarmRepeated", "AlarmAcknowledged", "AlarmCleared"));
  EXPECT_EQ(store_->Get("alm_1")->history_size(), 4);
  absl::StatusOr<redis::Reply> audit = pool_->Command({"XRANGE", prefix_ + ":audit", "-", "+"});
  ASSERT_TRUE(audit.ok()) << audit.status();
  std::vector<std::string> records;
  for (const redis::Reply& entry : audit->elements) {
    std::map<std::string, std::string> f;
    const std::vector<redis::Reply>& kv = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) f[kv[i].str] = kv[i + 1].str;
    EXPECT_EQ(f["alarm"], "alm_1");
    EXPECT_EQ(f["building"], "bld_1");
    records.push_back(absl::StrCat(f["action"], " ", f["actor"], " ", f["to"], " ", f["note"]));
  }
  EXPECT_THAT(records, ElementsAre("raise device:dev-a ALARM_STATE_ACTIVE_UNACK ",
                                   "repeat device:dev-a ALARM_STATE_ACTIVE_UNACK ",
                                   "acknowledge u-1 ALARM_STATE_ACTIVE_ACK ",
                                   "clear u-1 ALARM_STATE_CLEARED_ACK pump repaired"));
}

TEST_F(AlarmStoreTest, RaiseOfADispatchingRuleCarriesItsDispatchOnTheOutboxAndInTheResult) {
  DeviceCommit c =
      Commit(Device("panel-1", v1::DEVICE_TYPE_FIRE_ALARM_PANEL), 0,
             {Action(AlarmAction::Kind::kRaise, "alm_f", "fire-alarm", v1::ALARM_TYPE_FIRE)});
  v1::Dispatch d;
  d.add_recipients("org:mfs_1");
  d.add_recipients("org:500109.fire_rescue");
  c.dispatch["alm_f"] = d;
  c.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  absl::StatusOr<CommitResult> r = store_->Commit(c);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->dispatch_events.size(), 1u);
  absl::StatusOr<v1::AlarmRaised> raised = events::Unpack<v1::AlarmRaised>(r->dispatch_events[0]);
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_THAT(raised->dispatch().recipients(), ElementsAre("org:mfs_1", "org:500109.fire_rescue"));
  EXPECT_EQ(raised->alarm().alarm_id(), "alm_f");
  EXPECT_EQ(r->dispatch_events[0].building_id(), "bld_1");
  EXPECT_EQ(r->dispatch_events[0].trace().traceparent(), c.traceparent);
  EXPECT_THAT(OutboxTypes(), ElementsAre("AlarmRaised"));
}

TEST_F(AlarmStoreTest, RaiseThenClearInOneCommitAndARaiseAfterAClearInOneCommitBothHold) {
  // Several signals of one device handled together: raised and gone again.
  ASSERT_TRUE(store_
                  ->Commit(Commit(Device("dev-a"), 0,
                                  {Action(AlarmAction::Kind::kRaise, "alm_1"),
                                   Action(AlarmAction::Kind::kClear, "alm_1")}))
                  .ok());
  EXPECT_EQ(store_->Get("alm_1")->state(), v1::ALARM_STATE_CLEARED_UNACK);
  ASSERT_TRUE(Raise("dev-a", "alm_2", 1).ok());
  // The active one clears and the condition rises again: a new alarm in the same write.
  ASSERT_TRUE(store_
                  ->Commit(Commit(Device("dev-a"), 2,
                                  {Action(AlarmAction::Kind::kClear, "alm_2"),
                                   Action(AlarmAction::Kind::kRaise, "alm_3")}))
                  .ok());
  EXPECT_EQ(store_->Get("alm_2")->state(), v1::ALARM_STATE_CLEARED_UNACK);
  EXPECT_EQ(store_->Get("alm_3")->state(), v1::ALARM_STATE_ACTIVE_UNACK);
  v1::AlarmCounts c = *store_->Count("bld_1", "");
  EXPECT_EQ(c.active(), 1);
  EXPECT_EQ(CountOf(c, v1::ALARM_TYPE_LOW_PRESSURE, v1::ALARM_STATE_CLEARED_UNACK), 2);
}

TEST_F(AlarmStoreTest, HazardDueIsQueuedForTheLowPressureRuleButNotForTheSupervisoryOne) {
  ASSERT_TRUE(Raise("dev-a", "alm_p").ok());
  ASSERT_TRUE(Raise("panel-1", "alm_s", 0, "supervisory", v1::ALARM_TYPE_SUPERVISORY).ok());
  ASSERT_TRUE(Raise("panel-2", "alm_f", 0, "fault", v1::ALARM_TYPE_FAULT).ok());
  // Low pressure files at once; a fault after 24 h.
  EXPECT_THAT(*store_->HazardsDue(kT0, 10), ElementsAre("alm_p"));
  EXPECT_THAT(*store_->HazardsDue(kT0 + absl::Hours(24), 10), ElementsAre("alm_p", "alm_f"));
  // A clear takes the alarm off the queue.
  ASSERT_TRUE(store_
                  ->Commit(Commit(
                      Device("panel-2"), 1,
                      {Action(AlarmAction::Kind::kClear, "alm_f", "fault", v1::ALARM_TYPE_FAULT)}))
                  .ok());
  EXPECT_THAT(*store_->HazardsDue(kT0 + absl::Hours(48), 10), ElementsAre("alm_p"));
}

TEST_F(AlarmStoreTest, HazardFiledOnAnAlarmIsRecordedOnceAndItsClearIsQueuedForTheHazard) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  absl::StatusOr<v1::Alarm> a = store_->MarkHazardFiled("alm_1", "hz_1", kT0);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->hazard_id(), "hz_1");
  EXPECT_EQ(a->history().rbegin()->action(), "hazard_filed");
  EXPECT_THAT(*store_->HazardsDue(kT0, 10), IsEmpty());
  // Again (a retry after a lost reply): no second record.
  ASSERT_TRUE(store_->MarkHazardFiled("alm_1", "hz_1", kT0).ok());
  EXPECT_EQ(store_->Get("alm_1")->version(), 2);
  EXPECT_THAT(*store_->ClearNotesDue(kT0, 10), IsEmpty());

  ASSERT_TRUE(
      store_->Commit(Commit(Device("dev-a"), 1, {Action(AlarmAction::Kind::kClear, "alm_1")}))
          .ok());
  EXPECT_THAT(*store_->ClearNotesDue(kT0, 10), ElementsAre("alm_1"));
  ASSERT_TRUE(store_->MarkClearNoted("alm_1").ok());
  EXPECT_THAT(*store_->ClearNotesDue(kT0, 10), IsEmpty());
  EXPECT_THAT(OutboxTypes(), ElementsAre("AlarmRaised", "AlarmHazardFiled", "AlarmCleared"));
}

TEST_F(AlarmStoreTest, HazardFiledForAnAlarmThatClearedMeanwhileQueuesItsClearNote) {
  ASSERT_TRUE(Raise("dev-a", "alm_1").ok());
  ASSERT_TRUE(
      store_->Commit(Commit(Device("dev-a"), 1, {Action(AlarmAction::Kind::kClear, "alm_1")}))
          .ok());
  ASSERT_TRUE(store_->MarkHazardFiled("alm_1", "hz_1", kT0).ok());
  EXPECT_EQ(store_->Get("alm_1")->hazard_id(), "hz_1");
  EXPECT_THAT(*store_->ClearNotesDue(kT0, 10), ElementsAre("alm_1"));
}

TEST_F(AlarmStoreTest, ManualClearRewritesTheDeviceStateAndFreesTheActiveSlot) {
  DeviceCommit c = Commit(Device("dev-a"), 0, {Action(AlarmAction::Kind::kRaise, "alm_1")});
  v1::ConditionState* cond = c.state.add_conditions();
  cond->set_rule_id("hydrant-pressure-low");
  cond->set_met(true);
  cond->set_alarm_id("alm_1");
  ASSERT_TRUE(store_->Commit(c).ok());
  ASSERT_TRUE(store_->MarkHazardFiled("alm_1", "hz_1", kT0).ok());

  absl::StatusOr<v1::Alarm> cleared = store_->Clear("alm_1", "u-1", "valve reopened", kT0, "");
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_EQ(cleared->state(), v1::ALARM_STATE_CLEARED_UNACK);
  EXPECT_EQ(cleared->cleared_by(), "u-1");
  StoredState st = store_->LoadStates({"dev-a"})->at(0);
  EXPECT_EQ(st.version, 2);
  ASSERT_EQ(st.state.conditions_size(), 1);
  EXPECT_EQ(st.state.conditions(0).alarm_id(), "");
  EXPECT_THAT(*store_->ClearNotesDue(kT0, 10), ElementsAre("alm_1"));
  EXPECT_EQ(store_->Clear("alm_1", "u-1", "again", kT0, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The condition rising again is a new alarm.
  EXPECT_TRUE(Raise("dev-a", "alm_2", 2).ok());
}

TEST_F(AlarmStoreTest, ListPagesNewestFirstAcrossAlarmsRaisedInTheSameMillisecond) {
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) {
    const std::string dev = absl::StrCat("dev-", i);
    const std::string id = absl::StrCat("alm_", i);
    // Pairs share a millisecond.
    ASSERT_TRUE(Raise(dev, id, 0, "hydrant-pressure-low", v1::ALARM_TYPE_LOW_PRESSURE,
                      kT0 + absl::Milliseconds(i / 2))
                    .ok());
  }
  // Newest first; ties in descending id order.
  want = {"alm_6", "alm_5", "alm_4", "alm_3", "alm_2", "alm_1", "alm_0"};
  std::vector<std::string> got;
  AlarmStore::Query q = ByTier("500109");
  q.limit = 2;
  int pages = 0;
  do {
    absl::StatusOr<AlarmStore::Page> p = store_->List(q);
    ASSERT_TRUE(p.ok()) << p.status();
    for (const v1::Alarm& a : p->alarms) got.push_back(a.alarm_id());
    q.after = p->next;
    ASSERT_LT(++pages, 10);
  } while (!q.after.empty());
  EXPECT_EQ(got, want);
  EXPECT_EQ(pages, 4);

  AlarmStore::Query filtered = ByBuilding("bld_1");
  filtered.device_id = "dev-3";
  EXPECT_THAT(Ids(filtered), ElementsAre("alm_3"));
  filtered.device_id = "";
  filtered.types = {v1::ALARM_TYPE_FIRE};
  EXPECT_THAT(Ids(filtered), IsEmpty());
  filtered.types = {};
  filtered.states = {v1::ALARM_STATE_ACTIVE_UNACK};
  EXPECT_EQ(Ids(filtered).size(), 7u);
  q.after = "not a cursor";
  EXPECT_EQ(store_->List(q).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AlarmStoreTest, AListingExaminesAtMostItsScanBudgetAndGoesOnFromWhereItStopped) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(Raise(absl::StrCat("dev-", i), absl::StrCat("alm_", i), 0, "hydrant-pressure-low",
                      v1::ALARM_TYPE_LOW_PRESSURE, kT0 + absl::Seconds(i))
                    .ok());
  }
  // The only fault, and the oldest alarm.
  ASSERT_TRUE(
      Raise("panel-1", "alm_f", 0, "fault", v1::ALARM_TYPE_FAULT, kT0 - absl::Hours(1)).ok());
  AlarmStore::Query q = ByBuilding("bld_1");
  q.types = {v1::ALARM_TYPE_FAULT};
  q.scan_budget = 10;
  int calls = 0;
  std::vector<std::string> found;
  do {
    absl::StatusOr<AlarmStore::Page> p = store_->List(q);
    ASSERT_TRUE(p.ok()) << p.status();
    for (const v1::Alarm& a : p->alarms) found.push_back(a.alarm_id());
    q.after = p->next;
    ASSERT_LT(++calls, 10);
  } while (!q.after.empty());
  EXPECT_THAT(found, ElementsAre("alm_f"));
  EXPECT_EQ(calls, 3);  // 10 + 10 + 6 entries
}

TEST_F(AlarmStoreTest, RepeatsRacingAcknowledgementsAndHazardFilingsLoseNoUpdate) {
  constexpr int kDevices = 20;
  constexpr int kRounds = 10;
  for (int d = 0; d < kDevices; ++d) {
    ASSERT_TRUE(Raise(absl::StrCat("dev-", d), absl::StrCat("alm_", d)).ok());
  }
  std::thread signals([&] {
    for (int r = 0; r < kRounds; ++r) {
      for (int d = 0; d < kDevices; ++d) {
        absl::StatusOr<CommitResult> c =
            store_->Commit(Commit(Device(absl::StrCat("dev-", d)), 1 + r,
                                  {Action(AlarmAction::Kind::kRepeat, absl::StrCat("alm_", d))}));
        EXPECT_TRUE(c.ok()) << c.status();
      }
    }
  });
  for (int d = 0; d < kDevices; ++d) {
    const std::string id = absl::StrCat("alm_", d);
    EXPECT_TRUE(store_->Acknowledge(id, "u-1", "", kT0, "").ok());
    EXPECT_TRUE(store_->MarkHazardFiled(id, absl::StrCat("hz_", d), kT0).ok());
  }
  signals.join();
  for (int d = 0; d < kDevices; ++d) {
    v1::Alarm a = *store_->Get(absl::StrCat("alm_", d));
    EXPECT_EQ(a.count(), 1 + kRounds) << a.alarm_id();
    EXPECT_EQ(a.state(), v1::ALARM_STATE_ACTIVE_ACK) << a.alarm_id();
    EXPECT_EQ(a.hazard_id(), absl::StrCat("hz_", d));
    EXPECT_EQ(a.history_size(), 3 + kRounds);
    EXPECT_EQ(a.version(), 3 + kRounds);
  }
  EXPECT_EQ(store_->Count("bld_1", "")->active(), kDevices);
  EXPECT_EQ(store_->Count("bld_1", "")->active_unacknowledged(), 0);
}

TEST_F(AlarmStoreTest, RecordSeenNeverMovesADeadlineBackwards) {
  ASSERT_TRUE(
      store_->RecordSeen({{"dev-a", kT0 + absl::Minutes(15)}, {"dev-b", kT0 + absl::Minutes(5)}})
          .ok());
  // An older deadline (a late flush of another replica) does not move it back.
  ASSERT_TRUE(store_->RecordSeen({{"dev-a", kT0 + absl::Minutes(1)}}).ok());
  EXPECT_THAT(*store_->OfflineDue(kT0 + absl::Minutes(10), 10), ElementsAre("dev-b"));
  ASSERT_TRUE(store_->RecordSeen({{"dev-b", kT0 + absl::Minutes(20)}}).ok());
  EXPECT_THAT(*store_->OfflineDue(kT0 + absl::Minutes(16), 10), ElementsAre("dev-a"));
  ASSERT_TRUE(store_->Unwatch("dev-a").ok());
  EXPECT_THAT(*store_->OfflineDue(kT0 + absl::Hours(1), 10), ElementsAre("dev-b"));
}

}  // namespace
}  // namespace firegrid::monitoring
