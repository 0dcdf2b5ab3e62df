// The device RPCs and the CSV import on the real registry (a redis-server from tests/support,
// each test on its own key prefix), with an in-memory StateRepository that records what
// decommissioning commits, and the real engine and rules.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "services/monitoring/device_api.h"
#include "tests/support/shared_redis.h"

namespace firegrid::monitoring {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using TimeUtil = google::protobuf::util::TimeUtil;
using auth::Role;

// An in-memory StateRepository with the real one's version check: Commit is ABORTED when the
// device's state version moved. `before_commit` lets a test act as another replica between
// LoadStates and Commit.
class FakeStates final : public StateRepository {
 public:
  absl::StatusOr<std::vector<StoredState>> LoadStates(
      const std::vector<std::string>& ids) override {
    std::vector<StoredState> out;
    for (const std::string& id : ids) out.push_back(states[id]);
    return out;
  }
  absl::StatusOr<CommitResult> Commit(const DeviceCommit& c) override {
    if (before_commit) {
      auto f = std::move(before_commit);
      before_commit = nullptr;
      f();
    }
    StoredState& s = states[c.device.device_id()];
    if (s.version != c.expected_version) {
      ++aborted;
      return absl::AbortedError("state moved");
    }
    s.version++;
    s.state = c.state;
    commits.push_back(c);
    return CommitResult{};
  }
  absl::Status RecordSeen(const std::vector<std::pair<std::string, absl::Time>>&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> OfflineDue(absl::Time, int) override {
    return std::vector<std::string>{};
  }
  absl::Status Unwatch(const std::string& id) override {
    unwatched.push_back(id);
    return absl::OkStatus();
  }

  std::map<std::string, StoredState> states;
  std::vector<DeviceCommit> commits;
  std::vector<std::string> unwatched;
  std::function<void()> before_commit;
  int aborted = 0;
};

constexpr char kTier[] = "500109001002";

auth::Principal Admin(const std::string& tier = "500109") {
  return {"user:admin", Role::kDistrictAdmin, "", tier, ""};
}
auth::Principal Manager(const std::string& subject = "user:mgr") {
  return {subject, Role::kBuildingManager, "", "", ""};
}

class DeviceApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    pool_ = ::firegrid::testing::NewSharedRedisPool();
    prefix_ = absl::StrCat(
        "t:api:", ::testing::UnitTest::GetInstance()->current_test_info()->name(), ":", n++);
    store_ = std::make_unique<DeviceStore>(pool_.get(), prefix_, prefix_ + ":outbox");
    auto rules = Rules::LoadFile(FIREGRID_MONITORING_RULES);
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = std::make_unique<Rules>(*std::move(rules));
    engine_ = std::make_unique<Engine>(rules_.get(), &alarm_ids_);
    api_ = std::make_unique<DeviceApi>(store_.get(), &states_, engine_.get(), &clock_, &ids_,
                                       rules_.get());
    PutBuilding("bld_1", kTier, {"user:mgr"});
    PutBuilding("bld_2", "500109002001", {"user:other"});
  }

  void PutBuilding(const std::string& id, const std::string& tier,
                   std::vector<std::string> subjects) {
    v1::BuildingView v;
    v.set_building_id(id);
    v.set_name(absl::StrCat("楼 ", id));
    v.set_tier_path(tier);
    v.set_version(1);
    for (auto& s : subjects) v.add_subjects(s);
    ASSERT_TRUE(store_->PutBuilding(v).ok());
  }

  static v1::RegisterDeviceRequest Req(const std::string& id, const std::string& building = "bld_1",
                                       v1::DeviceType type = v1::DEVICE_TYPE_HYDRANT_PRESSURE) {
    v1::RegisterDeviceRequest r;
    r.mutable_device()->set_device_id(id);
    r.mutable_device()->set_type(type);
    r.mutable_device()->set_building_id(building);
    r.mutable_device()->set_model("PT-100");
    return r;
  }

  v1::Device MustRegister(const std::string& id, const std::string& building = "bld_1",
                          v1::DeviceType type = v1::DEVICE_TYPE_HYDRANT_PRESSURE) {
    auto d = api_->Register(Admin(), Req(id, building, type));
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : v1::Device();
  }

  // The envelopes on the outbox, oldest first.
  std::vector<events::Envelope> Outbox() {
    std::vector<events::Envelope> out;
    auto r = pool_->Command({"XRANGE", prefix_ + ":outbox", "-", "+"});
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return out;
    for (const auto& entry : r->elements) {
      const auto& f = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < f.size(); i += 2) {
        if (f[i].str != "value") continue;
        auto env = events::ParseEnvelope(f[i + 1].str);
        EXPECT_TRUE(env.ok()) << env.status();
        if (env.ok()) out.push_back(*env);
      }
    }
    return out;
  }

  void SetSeen(const std::string& id, absl::Time deadline) {
    ASSERT_TRUE(
        pool_->Command({"ZADD", prefix_ + ":seen", absl::StrCat(absl::ToUnixMillis(deadline)), id})
            .ok());
  }

  static v1::UpdateDeviceRequest Upd(const std::string& id, std::vector<std::string> paths) {
    v1::UpdateDeviceRequest r;
    r.mutable_device()->set_device_id(id);
    for (auto& p : paths) r.mutable_update_mask()->add_paths(p);
    return r;
  }

  absl::StatusOr<v1::ImportDevicesCsvResponse> Import(const auth::Principal& p,
                                                      const std::string& csv, bool dry = false) {
    v1::ImportDevicesCsvRequest r;
    r.set_csv(csv);
    r.set_dry_run(dry);
    return api_->ImportCsv(p, r);
  }

  std::unique_ptr<redis::Pool> pool_;
  std::string prefix_;
  std::unique_ptr<DeviceStore> store_;
  std::unique_ptr<Rules> rules_;
  SequentialIdGenerator alarm_ids_;
  SequentialIdGenerator ids_;
  std::unique_ptr<Engine> engine_;
  FakeStates states_;
  FakeClock clock_{absl::FromUnixSeconds(1'780'000'000)};
  std::unique_ptr<DeviceApi> api_;
};

// ---- Register ----

TEST_F(DeviceApiTest, RegisterFillsServerFieldsAndDefaultsAndPublishesDeviceRegistered) {
  auto d = api_->Register(Admin(), Req("hp-1"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->tier_path(), kTier);
  EXPECT_EQ(d->building_name(), "楼 bld_1");
  EXPECT_EQ(d->version(), 1);
  EXPECT_EQ(d->status(), v1::DEVICE_STATUS_INSTALLED);
  EXPECT_EQ(d->heartbeat_period().seconds(), 300);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(d->created_at()), 1'780'000'000);
  auto stored = store_->Get("hp-1");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->tier_path(), kTier);
  std::vector<events::Envelope> out = Outbox();
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].producer(), "monitoring");
  EXPECT_EQ(out[0].building_id(), "bld_1");
  auto e = events::Unpack<v1::DeviceRegistered>(out[0]);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->device().device_id(), "hp-1");
  EXPECT_EQ(e->device().version(), 1);
}

TEST_F(DeviceApiTest, RegisterOnAnUnknownBuildingIsNotFound) {
  EXPECT_EQ(api_->Register(Admin(), Req("hp-1", "bld_nope")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(Outbox(), IsEmpty());
}

TEST_F(DeviceApiTest, RegisterRefusesServerOwnedFieldsNamingThem) {
  v1::RegisterDeviceRequest r = Req("hp-1");
  r.mutable_device()->set_version(7);
  absl::Status s = api_->Register(Admin(), r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("device.version"));
}

TEST_F(DeviceApiTest, RegisterNamesTheBadField) {
  v1::RegisterDeviceRequest r = Req("hp-1");
  r.mutable_device()->mutable_heartbeat_period()->set_seconds(5);
  absl::Status s = api_->Register(Admin(), r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("device.heartbeat_period"));
}

TEST_F(DeviceApiTest, RegisterOfADecommissionedDeviceIsRefused) {
  v1::RegisterDeviceRequest r = Req("hp-1");
  r.mutable_device()->set_status(v1::DEVICE_STATUS_DECOMMISSIONED);
  EXPECT_THAT(std::string(api_->Register(Admin(), r).status().message()),
              HasSubstr("device.status"));
}

TEST_F(DeviceApiTest, RegisterOfATakenIdIsAlreadyExists) {
  MustRegister("hp-1");
  EXPECT_EQ(api_->Register(Admin(), Req("hp-1", "bld_2")).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(DeviceApiTest, ABuildingManagerRegistersOnlyOnBuildingsThatNameHim) {
  EXPECT_TRUE(api_->Register(Manager(), Req("hp-1", "bld_1")).ok());
  EXPECT_EQ(api_->Register(Manager(), Req("hp-2", "bld_2")).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(DeviceApiTest, OfficersRegisterOnlyUnderTheirTierAndCommunityWorkersNot) {
  auth::Principal street{"user:s", Role::kStreetOfficer, "", "500109002", ""};
  EXPECT_EQ(api_->Register(street, Req("hp-1", "bld_1")).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(api_->Register(street, Req("hp-2", "bld_2")).ok());
  auth::Principal worker{"user:w", Role::kCommunityWorker, "", kTier, ""};
  EXPECT_EQ(api_->Register(worker, Req("hp-3", "bld_1")).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// ---- Update ----

TEST_F(DeviceApiTest, UpdateChangesOnlyMaskedFieldsAndPublishesDeviceUpdated) {
  MustRegister("hp-1");
  v1::UpdateDeviceRequest r = Upd("hp-1", {"floor", "status"});
  r.mutable_device()->set_floor("B1");
  r.mutable_device()->set_status(v1::DEVICE_STATUS_IN_SERVICE);
  r.mutable_device()->set_model("ignored: not in the mask");
  r.set_expected_version(1);
  clock_.Advance(absl::Minutes(1));
  auto d = api_->Update(Admin(), r);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->floor(), "B1");
  EXPECT_EQ(d->model(), "PT-100");
  EXPECT_EQ(d->status(), v1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_EQ(d->version(), 2);
  EXPECT_EQ(TimeUtil::TimestampToSeconds(d->updated_at()), 1'780'000'060);
  EXPECT_EQ(store_->Get("hp-1")->floor(), "B1");
  std::vector<events::Envelope> out = Outbox();
  ASSERT_THAT(out, SizeIs(2));
  auto e = events::Unpack<v1::DeviceUpdated>(out[1]);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->previous_status(), v1::DEVICE_STATUS_INSTALLED);
  EXPECT_EQ(e->device().version(), 2);
  EXPECT_THAT(states_.commits, IsEmpty());
}

TEST_F(DeviceApiTest, UpdateAtAStaleVersionIsAborted) {
  MustRegister("hp-1");
  v1::UpdateDeviceRequest r = Upd("hp-1", {"floor"});
  r.mutable_device()->set_floor("B1");
  r.set_expected_version(3);
  EXPECT_EQ(api_->Update(Admin(), r).status().code(), absl::StatusCode::kAborted);
}

TEST_F(DeviceApiTest, UpdateRefusesFieldsOutsideTheListedPaths) {
  MustRegister("hp-1");
  for (const char* path : {"building_id", "type", "tier_path", "version"}) {
    absl::Status s = api_->Update(Admin(), Upd("hp-1", {path})).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(std::string(s.message()), HasSubstr("update_mask")) << path;
  }
  EXPECT_EQ(api_->Update(Admin(), Upd("hp-1", {})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DeviceApiTest, UpdateThatChangesNothingWritesNothing) {
  MustRegister("hp-1");
  v1::UpdateDeviceRequest r = Upd("hp-1", {"model"});
  r.mutable_device()->set_model("PT-100");
  auto d = api_->Update(Admin(), r);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->version(), 1);
  EXPECT_THAT(Outbox(), SizeIs(1));
}

TEST_F(DeviceApiTest, UpdateOfAnUnsetHeartbeatPeriodRestoresTheDefault) {
  v1::RegisterDeviceRequest reg = Req("hp-1");
  reg.mutable_device()->mutable_heartbeat_period()->set_seconds(60);
  ASSERT_TRUE(api_->Register(Admin(), reg).ok());
  auto d = api_->Update(Admin(), Upd("hp-1", {"heartbeat_period"}));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->heartbeat_period().seconds(), 300);
}

TEST_F(DeviceApiTest, TheBuildingsOwnManagerMayUpdateAnotherBuildingsManagerNot) {
  MustRegister("hp-1");
  v1::UpdateDeviceRequest r = Upd("hp-1", {"point"});
  r.mutable_device()->set_point("东侧");
  EXPECT_EQ(api_->Update(Manager("user:other"), r).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(api_->Update(Manager(), r).ok());
}

// ---- Decommission ----

v1::DeviceState StateWithActiveLowPressure() {
  v1::DeviceState s;
  s.set_boot_epoch(1);
  s.set_sequence(40);
  v1::ConditionState* c = s.add_conditions();
  c->set_rule_id("hydrant-pressure-low");
  c->set_met(true);
  c->set_alarm_id("alm_active");
  return s;
}

TEST_F(DeviceApiTest, DecommissionClearsTheActiveAlarmsThroughTheStateRepositoryAndUnwatches) {
  MustRegister("hp-1");
  states_.states["hp-1"] = StoredState{3, StateWithActiveLowPressure()};
  v1::UpdateDeviceRequest r = Upd("hp-1", {"status"});
  r.mutable_device()->set_status(v1::DEVICE_STATUS_DECOMMISSIONED);
  auto d = api_->Update(Manager(), r);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->status(), v1::DEVICE_STATUS_DECOMMISSIONED);
  ASSERT_THAT(states_.commits, SizeIs(1));
  const DeviceCommit& c = states_.commits[0];
  EXPECT_EQ(c.expected_version, 3);
  EXPECT_EQ(c.actor, "user:mgr");
  EXPECT_EQ(c.building.building_id(), "bld_1");
  ASSERT_THAT(c.actions, SizeIs(1));
  EXPECT_EQ(c.actions[0].kind, AlarmAction::Kind::kClear);
  EXPECT_EQ(c.actions[0].alarm_id, "alm_active");
  EXPECT_EQ(c.actions[0].type, v1::ALARM_TYPE_LOW_PRESSURE);
  for (const auto& cond : c.state.conditions()) EXPECT_TRUE(cond.alarm_id().empty());
  EXPECT_THAT(states_.unwatched, ElementsAre("hp-1"));
  EXPECT_EQ(store_->Get("hp-1")->status(), v1::DEVICE_STATUS_DECOMMISSIONED);
  auto e = events::Unpack<v1::DeviceUpdated>(Outbox().back());
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->previous_status(), v1::DEVICE_STATUS_INSTALLED);
}

TEST_F(DeviceApiTest, DecommissionReevaluatesWhenAnotherReplicaMovedTheState) {
  MustRegister("hp-1");
  states_.states["hp-1"] = StoredState{3, StateWithActiveLowPressure()};
  states_.before_commit = [this] {
    // Another replica handled a signal meanwhile: a second alarm is active now.
    StoredState& s = states_.states["hp-1"];
    s.version = 4;
    v1::ConditionState* c = s.state.add_conditions();
    c->set_rule_id("tank-level-low");
    c->set_alarm_id("alm_second");
  };
  v1::UpdateDeviceRequest r = Upd("hp-1", {"status"});
  r.mutable_device()->set_status(v1::DEVICE_STATUS_DECOMMISSIONED);
  ASSERT_TRUE(api_->Update(Admin(), r).ok());
  EXPECT_EQ(states_.aborted, 1);
  ASSERT_THAT(states_.commits, SizeIs(1));
  EXPECT_EQ(states_.commits[0].expected_version, 4);
  std::vector<std::string> cleared;
  for (const auto& a : states_.commits[0].actions) cleared.push_back(a.alarm_id);
  EXPECT_THAT(cleared, ::testing::UnorderedElementsAre("alm_active", "alm_second"));
}

TEST_F(DeviceApiTest, DecommissionOfADeviceWithoutAlarmsCommitsNoState) {
  MustRegister("hp-1");
  v1::UpdateDeviceRequest r = Upd("hp-1", {"status"});
  r.mutable_device()->set_status(v1::DEVICE_STATUS_DECOMMISSIONED);
  ASSERT_TRUE(api_->Update(Admin(), r).ok());
  EXPECT_THAT(states_.commits, IsEmpty());
  EXPECT_THAT(states_.unwatched, ElementsAre("hp-1"));
}

TEST_F(DeviceApiTest, RepeatingADecommissionClearsWhatIsLeft) {
  MustRegister("hp-1");
  v1::UpdateDeviceRequest r = Upd("hp-1", {"status"});
  r.mutable_device()->set_status(v1::DEVICE_STATUS_DECOMMISSIONED);
  ASSERT_TRUE(api_->Update(Admin(), r).ok());
  // An alarm left over (e.g. the first attempt's clear failed after the registry write).
  states_.states["hp-1"] = StoredState{5, StateWithActiveLowPressure()};
  auto again = api_->Update(Admin(), r);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_THAT(states_.commits, SizeIs(1));
  EXPECT_EQ(states_.commits[0].actions[0].alarm_id, "alm_active");
  EXPECT_EQ(again->version(), 2);  // the registry did not change again
}

// ---- Get and List ----

TEST_F(DeviceApiTest, GetShowsTheLiveStateAndOnlineFromTheSeenDeadline) {
  MustRegister("hp-1");
  MustRegister("hp-2");
  v1::DeviceState s;
  s.set_boot_epoch(2);
  s.set_sequence(17);
  s.mutable_state()->set_fault(true);
  states_.states["hp-1"] = StoredState{1, s};
  const absl::Time now = clock_.Now();
  SetSeen("hp-1", now + absl::Minutes(10));  // 3 × 5 min after a signal 5 min ago
  SetSeen("hp-2", now - absl::Seconds(1));
  auto d = api_->Get(Admin(), [] {
    v1::GetDeviceRequest r;
    r.set_device_id("hp-1");
    return r;
  }());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->live().online());
  EXPECT_EQ(d->live().boot_epoch(), 2);
  EXPECT_EQ(d->live().sequence(), 17);
  EXPECT_TRUE(d->live().state().fault());
  EXPECT_EQ(TimeUtil::TimestampToSeconds(d->live().last_seen()),
            absl::ToUnixSeconds(now - absl::Minutes(5)));
  v1::GetDeviceRequest r2;
  r2.set_device_id("hp-2");
  auto silent = api_->Get(Admin(), r2);
  ASSERT_TRUE(silent.ok());
  EXPECT_FALSE(silent->live().online());
}

TEST_F(DeviceApiTest, AnOfflineMarkedDeviceIsNotOnlineEvenBeforeItsDeadline) {
  MustRegister("hp-1");
  v1::DeviceState s;
  s.set_offline(true);
  states_.states["hp-1"] = StoredState{1, s};
  SetSeen("hp-1", clock_.Now() + absl::Minutes(10));
  v1::GetDeviceRequest r;
  r.set_device_id("hp-1");
  EXPECT_FALSE(api_->Get(Admin(), r)->live().online());
}

TEST_F(DeviceApiTest, GetIsScopedLikeTheBuilding) {
  MustRegister("hp-1");
  v1::GetDeviceRequest r;
  r.set_device_id("hp-1");
  EXPECT_TRUE(api_->Get(Manager(), r).ok());
  EXPECT_EQ(api_->Get(Manager("user:other"), r).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(api_->Get(Admin("500110"), r).status().code(), absl::StatusCode::kPermissionDenied);
  r.set_device_id("nope");
  EXPECT_EQ(api_->Get(Admin(), r).status().code(), absl::StatusCode::kNotFound);
}

std::vector<std::string> Ids(const v1::ListDevicesResponse& r) {
  std::vector<std::string> out;
  for (const auto& d : r.devices()) out.push_back(d.device_id());
  return out;
}

TEST_F(DeviceApiTest, ListDefaultsToTheCallersTierAndPagesWithTokens) {
  for (const char* id : {"d-1", "d-2", "d-3", "d-4", "d-5"}) MustRegister(id);
  MustRegister("x-1", "bld_2");
  auth::Principal street{"user:s", Role::kStreetOfficer, "", "500109001", ""};
  v1::ListDevicesRequest r;
  r.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto resp = api_->List(street, r);
    ASSERT_TRUE(resp.ok()) << resp.status();
    for (const auto& id : Ids(*resp)) seen.push_back(id);
    if (resp->next_page_token().empty()) break;
    r.set_page_token(resp->next_page_token());
  }
  EXPECT_THAT(seen, ElementsAre("d-1", "d-2", "d-3", "d-4", "d-5"));
  auto district = api_->List(Admin(), v1::ListDevicesRequest());
  ASSERT_TRUE(district.ok());
  EXPECT_THAT(Ids(*district), SizeIs(6));
}

TEST_F(DeviceApiTest, ListRefusesATokenFromAnotherListing) {
  for (const char* id : {"d-1", "d-2", "d-3"}) MustRegister(id);
  v1::ListDevicesRequest r;
  r.set_page_size(1);
  auto first = api_->List(Admin(), r);
  ASSERT_TRUE(first.ok());
  r.set_page_token(first->next_page_token());
  r.set_type(v1::DEVICE_TYPE_GAS_DETECTOR);
  absl::Status s = api_->List(Admin(), r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("page_token"));
}

TEST_F(DeviceApiTest, ListFiltersByTypeStatusAndOffline) {
  MustRegister("a-gas", "bld_1", v1::DEVICE_TYPE_GAS_DETECTOR);
  MustRegister("b-hp");
  MustRegister("c-hp");
  SetSeen("b-hp", clock_.Now() + absl::Minutes(5));
  v1::ListDevicesRequest r;
  r.set_building_id("bld_1");
  r.set_type(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  EXPECT_THAT(Ids(*api_->List(Manager(), r)), ElementsAre("b-hp", "c-hp"));
  r.set_offline_only(true);
  EXPECT_THAT(Ids(*api_->List(Manager(), r)), ElementsAre("c-hp"));
  r.clear_offline_only();
  r.set_status(v1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_THAT(Ids(*api_->List(Manager(), r)), IsEmpty());
}

TEST_F(DeviceApiTest, AFilteredPageFillsAcrossStorePages) {
  for (int i = 0; i < 6; ++i) MustRegister(absl::StrCat("hp-", i));
  MustRegister("z-gas", "bld_1", v1::DEVICE_TYPE_GAS_DETECTOR);
  v1::ListDevicesRequest r;
  r.set_page_size(1);
  r.set_type(v1::DEVICE_TYPE_GAS_DETECTOR);
  auto resp = api_->List(Admin(), r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_THAT(Ids(*resp), ElementsAre("z-gas"));
}

TEST_F(DeviceApiTest, ABuildingManagerListsByBuildingOnly) {
  MustRegister("hp-1");
  EXPECT_EQ(api_->List(Manager(), v1::ListDevicesRequest()).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::ListDevicesRequest r;
  r.set_building_id("bld_2");
  EXPECT_EQ(api_->List(Manager(), r).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(DeviceApiTest, ListOutsideTheCallersTierIsDeniedAndABadPrefixNamed) {
  v1::ListDevicesRequest r;
  r.set_tier_path_prefix("500110");
  EXPECT_EQ(api_->List(Admin(), r).status().code(), absl::StatusCode::kPermissionDenied);
  r.set_tier_path_prefix("5001");
  absl::Status s = api_->List(Admin(), r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("tier_path_prefix"));
  r.clear_tier_path_prefix();
  r.set_page_size(501);
  EXPECT_EQ(api_->List(Admin(), r).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- ImportCsv ----

constexpr char kGoodCsv[] =
    "device_id,type,model,manufacturer,building_id,floor,point,facility,status,"
    "heartbeat_period_s,gateway_id\r\n"
    "hp-1,hydrant_pressure,PT-100,四川仪表,bld_1,B1,\"东侧消火栓箱, 1 号\",indoor_hydrant,"
    "in_service,60,gw-1\r\n"
    "fp-1,fire_alarm_panel,JB-QB,海湾,bld_1,1,消防控制室,fire_alarm,,,\r\n"
    "tk-1,water_tank_level,,,bld_2,屋顶,,,,,\r\n";

TEST_F(DeviceApiTest, ImportOfAGoodFileCreatesEveryDeviceWithItsEvent) {
  auto resp = Import(Admin(), kGoodCsv);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_THAT(resp->errors(), IsEmpty());
  EXPECT_EQ(resp->created(), 3);
  EXPECT_EQ(resp->updated(), 0);
  auto hp = store_->Get("hp-1");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->point(), "东侧消火栓箱, 1 号");
  EXPECT_EQ(hp->status(), v1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_EQ(hp->heartbeat_period().seconds(), 60);
  EXPECT_EQ(hp->tier_path(), kTier);
  auto fp = store_->Get("fp-1");
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(fp->status(), v1::DEVICE_STATUS_INSTALLED);
  EXPECT_EQ(fp->heartbeat_period().seconds(), 300);
  EXPECT_THAT(Outbox(), SizeIs(3));
}

TEST_F(DeviceApiTest, ReimportingTheSameFileChangesNothing) {
  ASSERT_TRUE(Import(Admin(), kGoodCsv).ok());
  auto again = Import(Admin(), kGoodCsv);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->created(), 0);
  EXPECT_EQ(again->updated(), 0);
  EXPECT_EQ(again->unchanged(), 3);
  EXPECT_THAT(Outbox(), SizeIs(3));
  EXPECT_EQ(store_->Get("hp-1")->version(), 1);
}

TEST_F(DeviceApiTest, ImportUpdatesTheChangedRowsOfRegisteredDevices) {
  ASSERT_TRUE(Import(Admin(), kGoodCsv).ok());
  const std::string changed =
      "device_id,type,building_id,model\n"
      "hp-1,hydrant_pressure,bld_1,PT-200\n"
      "fp-1,fire_alarm_panel,bld_1,JB-QB\n";
  auto resp = Import(Admin(), changed);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->updated(), 1);
  EXPECT_EQ(resp->unchanged(), 1);
  auto hp = store_->Get("hp-1");
  EXPECT_EQ(hp->model(), "PT-200");
  EXPECT_EQ(hp->floor(), "B1");  // no floor column: kept
  EXPECT_EQ(hp->version(), 2);
}

TEST_F(DeviceApiTest, ADryRunCountsButWritesNothing) {
  auto resp = Import(Admin(), kGoodCsv, /*dry=*/true);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->created(), 3);
  EXPECT_EQ(store_->Get("hp-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Outbox(), IsEmpty());
}

struct BadImport {
  std::string name;
  std::string row;  // appended after a good row
  std::string field;
  std::string message;
};

class DeviceApiImportBadRowTest : public DeviceApiTest,
                                  public ::testing::WithParamInterface<BadImport> {};

TEST_P(DeviceApiImportBadRowTest, NothingIsWrittenAndTheErrorSaysWhere) {
  MustRegister("old-1");  // on bld_1
  const std::string csv = absl::StrCat("device_id,type,building_id,floor\n",
                                       "ok-1,hydrant_pressure,bld_1,B1\n", GetParam().row, "\n");
  auto resp = Import(auth::Principal{"user:s", Role::kStreetOfficer, "", "500109001", ""}, csv);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->errors_size(), 1) << resp->DebugString();
  EXPECT_EQ(resp->errors(0).line(), 3);
  EXPECT_EQ(resp->errors(0).field(), GetParam().field);
  EXPECT_THAT(resp->errors(0).message(), HasSubstr(GetParam().message));
  EXPECT_EQ(store_->Get("ok-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Outbox(), SizeIs(1));  // old-1's registration only
}

INSTANTIATE_TEST_SUITE_P(
    Rows, DeviceApiImportBadRowTest,
    ::testing::Values(BadImport{"UnknownBuilding", "hp-9,hydrant_pressure,bld_nope,1",
                                "building_id", "unknown building"},
                      BadImport{"BuildingOutsideTheCallersTier", "hp-9,hydrant_pressure,bld_2,1",
                                "building_id", "may not manage"},
                      BadImport{"SameIdTwiceInTheFile", "ok-1,hydrant_pressure,bld_1,2",
                                "device_id", "also on line 2"},
                      BadImport{"RegisteredDeviceWithAnotherType", "old-1,gas_detector,bld_1,1",
                                "type", "registered as"},
                      BadImport{"BadCell", "hp-9,hydrant_pressure,bld_1,12345678901234567", "floor",
                                "bytes"},
                      BadImport{"ShortRow", "hp-9,hydrant_pressure", "", "fields"}),
    [](const ::testing::TestParamInfo<BadImport>& info) { return info.param.name; });

TEST_F(DeviceApiTest, ImportRefusesMovingARegisteredDeviceToAnotherBuilding) {
  MustRegister("old-1");
  auto resp = Import(Admin(), "device_id,type,building_id\nold-1,hydrant_pressure,bld_2\n");
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->errors_size(), 1);
  EXPECT_EQ(resp->errors(0).field(), "building_id");
  EXPECT_THAT(resp->errors(0).message(), HasSubstr("stays on its building"));
}

TEST_F(DeviceApiTest, ImportOfAFileThatIsNotCsvOrNotUtf8IsInvalidArgumentOnCsv) {
  for (const std::string bad : {std::string(""), std::string("device_id,\"type\nhp"),
                                std::string("device_id,type,building_id\n\xff\xfe,x,y\n")}) {
    absl::Status s = Import(Admin(), bad).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("csv"));
  }
}

TEST_F(DeviceApiTest, ImportHeaderErrorsAreReportedOnLineOne) {
  auto resp = Import(Admin(), "device_id,colour\nhp-1,red\n");
  ASSERT_TRUE(resp.ok());
  ASSERT_GE(resp->errors_size(), 1);
  EXPECT_EQ(resp->errors(0).line(), 1);
}

}  // namespace
}  // namespace firegrid::monitoring
