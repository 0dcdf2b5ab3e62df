// The alarm API with the real alarm store on a real redis-server and a fake building directory:
// validation, scope, and who may read, acknowledge and clear.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/monitoring/alarm_api.h"
#include "services/monitoring/alarm_test_support.h"
#include "services/monitoring/shipped_rules.h"
#include "tests/support/shared_redis.h"

namespace firegrid::monitoring {
namespace {

using auth::Principal;
using auth::Role;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kTier[] = "500109001002";
const absl::Time kT0 = absl::FromUnixSeconds(1'780'000'000);

Principal Make(Role role, std::string tier, std::string subject = "u-1", std::string dept = "",
               std::string org = "") {
  Principal p;
  p.role = role;
  p.tier_path = std::move(tier);
  p.subject = std::move(subject);
  p.department = std::move(dept);
  p.org_unit = std::move(org);
  return p;
}

class AlarmApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    pool_ = firegrid::testing::NewSharedRedisPool();
    const std::string prefix = absl::StrCat("t:alarm-api:", n++);
    store_ = std::make_unique<AlarmStore>(pool_.get(), prefix, prefix + ":outbox", &ShippedRules());
    v1::BuildingView b;
    b.set_building_id("bld_1");
    b.set_name("Tower");
    b.set_tier_path(kTier);
    b.add_subjects("mgr-1");
    buildings_.Put(b);
    api_ = std::make_unique<AlarmApi>(store_.get(), &buildings_, &clock_);
  }

  // Raises a low-pressure alarm of a new device of bld_1.
  std::string Raise(absl::Time now = kT0) {
    const std::string id = absl::StrCat("alm_", ++raised_);
    DeviceCommit c;
    c.device.set_device_id(absl::StrCat("dev-", raised_));
    c.device.set_type(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
    c.device.set_building_id("bld_1");
    v1::BuildingView b;
    b.set_building_id("bld_1");
    b.set_name("Tower");
    b.set_tier_path(kTier);
    c.building = b;
    AlarmAction a;
    a.kind = AlarmAction::Kind::kRaise;
    a.rule_id = "hydrant-pressure-low";
    a.type = v1::ALARM_TYPE_LOW_PRESSURE;
    a.severity = v1::ALARM_SEVERITY_MAJOR;
    a.alarm_id = id;
    c.actions = {a};
    c.actor = "device:" + c.device.device_id();
    c.now = now;
    absl::StatusOr<CommitResult> r = store_->Commit(c);
    EXPECT_TRUE(r.ok()) << r.status();
    return id;
  }

  static v1::GetAlarmRequest GetReq(const std::string& id) {
    v1::GetAlarmRequest r;
    r.set_alarm_id(id);
    return r;
  }
  static v1::AcknowledgeAlarmRequest AckReq(const std::string& id, const std::string& note = "") {
    v1::AcknowledgeAlarmRequest r;
    r.set_alarm_id(id);
    r.set_note(note);
    return r;
  }
  static v1::ClearAlarmRequest ClearReq(const std::string& id,
                                        const std::string& note = "reset on site") {
    v1::ClearAlarmRequest r;
    r.set_alarm_id(id);
    r.set_note(note);
    return r;
  }

  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<AlarmStore> store_;
  testing::FakeBuildings buildings_;
  FakeClock clock_{kT0};
  std::unique_ptr<AlarmApi> api_;
  int raised_ = 0;
};

const Principal kAdmin = Make(Role::kDistrictAdmin, "500109");

// ---- who may do what ----

struct RoleCase {
  std::string name;
  Principal principal;
  bool read, clear;
};

std::vector<RoleCase> RoleCases() {
  return {
      {"InternalService", Make(Role::kInternalService, ""), true, true},
      {"DistrictAdmin", Make(Role::kDistrictAdmin, "500109"), true, true},
      {"DistrictAdminOfAnotherDistrict", Make(Role::kDistrictAdmin, "500110"), false, false},
      {"StreetOfficer", Make(Role::kStreetOfficer, "500109001"), true, true},
      {"CommunityWorkerOfAnotherCommunity", Make(Role::kCommunityWorker, "500109001003"), false,
       false},
      {"CommunityWorker", Make(Role::kCommunityWorker, kTier), true, true},
      {"FireRescueOfficer", Make(Role::kDepartmentOfficer, "500109", "u-1", "fire_rescue"), true,
       true},
      {"OtherDepartmentOfficer", Make(Role::kDepartmentOfficer, "500109", "u-1", "gas"), true,
       false},
      {"ManagerNamedByTheBuilding", Make(Role::kBuildingManager, "", "mgr-1"), true, false},
      {"ManagerOfAnotherBuilding", Make(Role::kBuildingManager, "", "mgr-2"), false, false},
      {"MicroStationOfTheCommunity", Make(Role::kMicroStation, kTier, "s", "", "mfs_1"), true,
       false},
      {"ServiceAgency", Make(Role::kServiceAgency, "500109"), false, false},
      {"IotGateway", Make(Role::kIotGateway, "", "gw-1"), false, false},
  };
}

class AlarmApiRoleTest : public AlarmApiTest, public ::testing::WithParamInterface<RoleCase> {};

TEST_P(AlarmApiRoleTest, GetAcknowledgeAndClearFollowTheRoleTable) {
  const RoleCase& c = GetParam();
  const auto want = [](bool allowed) {
    return allowed ? absl::StatusCode::kOk : absl::StatusCode::kPermissionDenied;
  };
  const std::string id = Raise();
  EXPECT_EQ(api_->Get(c.principal, GetReq(id)).status().code(), want(c.read));
  absl::StatusOr<v1::Alarm> acked = api_->Acknowledge(c.principal, AckReq(id, "on my way"));
  EXPECT_EQ(acked.status().code(), want(c.read));
  if (acked.ok()) {
    EXPECT_EQ(acked->acknowledged_by(), c.principal.subject);
    EXPECT_EQ(acked->state(), v1::ALARM_STATE_ACTIVE_ACK);
  }
  absl::StatusOr<v1::Alarm> cleared = api_->Clear(c.principal, ClearReq(id));
  EXPECT_EQ(cleared.status().code(), want(c.clear));
  if (cleared.ok()) {
    EXPECT_EQ(cleared->cleared_by(), c.principal.subject);
    EXPECT_EQ(cleared->history().rbegin()->note(), "reset on site");
  }
  // A refused call changed nothing.
  v1::Alarm now = *store_->Get(id);
  EXPECT_EQ(now.state() == v1::ALARM_STATE_ACTIVE_UNACK, !c.read && !c.clear);
}

INSTANTIATE_TEST_SUITE_P(Roles, AlarmApiRoleTest, ::testing::ValuesIn(RoleCases()),
                         [](const ::testing::TestParamInfo<RoleCase>& i) { return i.param.name; });

// ---- validation ----

TEST_F(AlarmApiTest, MalformedAlarmIdIsInvalidArgumentNamingIt) {
  for (const std::string bad : {"", "hz_1", "alm_", "alm_a b", "alm_1;DEL"}) {
    absl::Status s = api_->Get(kAdmin, GetReq(bad)).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("alarm_id")) << bad;
    EXPECT_EQ(api_->Acknowledge(kAdmin, AckReq(bad)).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(api_->Clear(kAdmin, ClearReq(bad)).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(api_->Get(kAdmin, GetReq("alm_404")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AlarmApiTest, NotesAreBoundedValidUtf8WithoutControlCharactersAndAClearNeedsOne) {
  const std::string id = Raise();
  for (const std::string& bad : {std::string(1001, 'x'), std::string("bad \xff utf8"),
                                 std::string("bell \a"), std::string("nul \0 inside", 12)}) {
    absl::Status ack = api_->Acknowledge(kAdmin, AckReq(id, bad)).status();
    EXPECT_EQ(ack.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(ack.message()), HasSubstr("note"));
    EXPECT_EQ(api_->Clear(kAdmin, ClearReq(id, bad)).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  for (const std::string missing : {"", "  \n\t"}) {
    absl::Status s = api_->Clear(kAdmin, ClearReq(id, missing)).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("note"));
  }
  EXPECT_EQ(store_->Get(id)->state(), v1::ALARM_STATE_ACTIVE_UNACK);
  // 1000 bytes of UTF-8 with newlines and tabs is fine.
  std::string ok = "压力恢复\n\t";
  ok += std::string(1000 - ok.size(), 'x');
  EXPECT_TRUE(api_->Clear(kAdmin, ClearReq(id, ok)).ok());
}

TEST_F(AlarmApiTest, AcknowledgingOrClearingTwiceIsFailedPrecondition) {
  const std::string id = Raise();
  ASSERT_TRUE(api_->Acknowledge(kAdmin, AckReq(id)).ok());
  EXPECT_EQ(api_->Acknowledge(kAdmin, AckReq(id)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(api_->Clear(kAdmin, ClearReq(id)).ok());
  EXPECT_EQ(api_->Clear(kAdmin, ClearReq(id)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AlarmApiTest, ListValidatesPageSizeStatesTypesAndTierPrefix) {
  v1::ListAlarmsRequest r;
  r.set_page_size(501);
  absl::Status s = api_->List(kAdmin, r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("page_size"));
  r.set_page_size(-1);
  EXPECT_EQ(api_->List(kAdmin, r).status().code(), absl::StatusCode::kInvalidArgument);
  r.set_page_size(0);
  for (const std::string bad : {"50010", "5001090", "50010900100", "50010a", "5001090010021"}) {
    r.set_tier_path_prefix(bad);
    s = api_->List(kAdmin, r).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("tier_path_prefix")) << bad;
  }
  r.set_tier_path_prefix("");
  r.set_building_id("building 1");
  s = api_->List(kAdmin, r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("building_id"));
  v1::CountAlarmsRequest cr;
  cr.set_building_id("bld_1:x");
  EXPECT_THAT(std::string(api_->Count(kAdmin, cr).status().message()), HasSubstr("building_id"));
  r.clear_building_id();
  r.add_states(v1::ALARM_STATE_UNSPECIFIED);
  EXPECT_THAT(std::string(api_->List(kAdmin, r).status().message()), HasSubstr("states"));
  r.clear_states();
  r.add_types(static_cast<v1::AlarmType>(99));
  EXPECT_THAT(std::string(api_->List(kAdmin, r).status().message()), HasSubstr("types"));
}

TEST_F(AlarmApiTest, ListDefaultsToTheActiveAlarmsUnderTheCallersTierAndPagesWithTokens) {
  const std::string a = Raise(kT0);
  const std::string b = Raise(kT0 + absl::Seconds(1));
  const std::string c = Raise(kT0 + absl::Seconds(2));
  ASSERT_TRUE(api_->Clear(kAdmin, ClearReq(b)).ok());

  v1::ListAlarmsRequest r;
  r.set_page_size(1);
  std::vector<std::string> got;
  for (int pages = 0; pages < 5; ++pages) {
    absl::StatusOr<v1::ListAlarmsResponse> resp =
        api_->List(Make(Role::kStreetOfficer, "500109001"), r);
    ASSERT_TRUE(resp.ok()) << resp.status();
    for (const v1::Alarm& x : resp->alarms()) got.push_back(x.alarm_id());
    if (resp->next_page_token().empty()) break;
    r.set_page_token(resp->next_page_token());
  }
  EXPECT_THAT(got, ElementsAre(c, a));

  // A token of another listing is refused.
  v1::ListAlarmsRequest other;
  other.set_building_id("bld_1");
  other.set_page_token(r.page_token());
  EXPECT_EQ(api_->List(kAdmin, other).status().code(), absl::StatusCode::kInvalidArgument);

  // Cleared ones on request, and an area outside the caller's is refused.
  v1::ListAlarmsRequest cleared;
  cleared.add_states(v1::ALARM_STATE_CLEARED_UNACK);
  cleared.add_states(v1::ALARM_STATE_CLEARED_ACK);
  absl::StatusOr<v1::ListAlarmsResponse> resp = api_->List(kAdmin, cleared);
  ASSERT_TRUE(resp.ok()) << resp.status();
  ASSERT_EQ(resp->alarms_size(), 1);
  EXPECT_EQ(resp->alarms(0).alarm_id(), b);
  cleared.set_tier_path_prefix("500110");
  EXPECT_EQ(api_->List(kAdmin, cleared).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AlarmApiTest, BuildingManagersListAndCountTheirBuildingByIdOnly) {
  Raise();
  const Principal mgr = Make(Role::kBuildingManager, "", "mgr-1");
  v1::ListAlarmsRequest r;
  absl::Status s = api_->List(mgr, r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("building_id"));
  r.set_building_id("bld_1");
  absl::StatusOr<v1::ListAlarmsResponse> resp = api_->List(mgr, r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->alarms_size(), 1);
  v1::CountAlarmsRequest cr;
  cr.set_building_id("bld_1");
  absl::StatusOr<v1::AlarmCounts> counts = api_->Count(mgr, cr);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->active(), 1);
  EXPECT_EQ(api_->Count(Make(Role::kBuildingManager, "", "mgr-2"), cr).status().code(),
            absl::StatusCode::kPermissionDenied);
  cr.set_building_id("bld_404");
  EXPECT_EQ(api_->Count(mgr, cr).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AlarmApiTest, CountByTierIsScopedToTheCallersJurisdiction) {
  Raise();
  Raise();
  v1::CountAlarmsRequest r;
  absl::StatusOr<v1::AlarmCounts> own = api_->Count(Make(Role::kCommunityWorker, kTier), r);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->scope(), kTier);
  EXPECT_EQ(own->active(), 2);
  r.set_tier_path_prefix("500109");
  EXPECT_EQ(api_->Count(Make(Role::kCommunityWorker, kTier), r).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(api_->Count(kAdmin, r)->active(), 2);
  EXPECT_EQ(api_->Count(Make(Role::kInternalService, ""), v1::CountAlarmsRequest{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AlarmApiTest, AnAlarmOfABuildingTheProjectionLostStaysReadableByItsTiers) {
  const std::string id = Raise();
  testing::FakeBuildings empty;
  AlarmApi api(store_.get(), &empty, &clock_);
  EXPECT_TRUE(api.Get(Make(Role::kCommunityWorker, kTier), GetReq(id)).ok());
  EXPECT_EQ(api.Get(Make(Role::kBuildingManager, "", "mgr-1"), GetReq(id)).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::monitoring
