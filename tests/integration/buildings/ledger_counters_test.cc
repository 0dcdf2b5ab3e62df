// The buildings' ledger counters on a real redis-server: after a random sequence of creates,
// filings, fire-access and facility changes, moves and time passing filing deadlines, the
// counters equal a recount and GetLedger from them equals the ledger counted by a scan.
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/buildings/filing.h"
#include "services/buildings/ledger.h"
#include "services/buildings/redis_store.h"
#include "services/buildings/registry.h"
#include "services/buildings/rules.h"
#include "tests/support/shared_redis.h"

namespace firegrid::buildings {
namespace {

using auth::Principal;
using auth::Role;
using google::protobuf::util::TimeUtil;

const std::vector<std::string> kCommunities = {"500109001001", "500109001002", "500109002001"};

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

class LedgerCountersOnRedis : public ::testing::Test {
 protected:
  LedgerCountersOnRedis()
      : clock_(absl::FromCivil(absl::CivilHour(2026, 11, 23, 10), absl::FixedTimeZone(8 * 3600))) {}

  void SetUp() override {
    static int n = 0;
    prefix_ = "ledgercounters" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool(4);
    store_ = std::make_unique<RedisStore>(pool_.get(), prefix_, DefaultRules());
    auto built = store_->ledger_counters().Build(*store_);  // an empty store: built at once
    ASSERT_TRUE(built.ok()) << built.status();
    ASSERT_EQ(*built, 0);
    registry_ = std::make_unique<Registry>(store_.get(), DefaultRules(), &clock_, &ids_);
    admin_.role = Role::kDistrictAdmin;
    admin_.tier_path = "500109";
    admin_.subject = "admin";
    for (auto [code, kind, parent] :
         {std::tuple{"500109", v1::ORG_UNIT_KIND_DISTRICT, ""},
          std::tuple{"500109001", v1::ORG_UNIT_KIND_STREET, "500109"},
          std::tuple{"500109002", v1::ORG_UNIT_KIND_STREET, "500109"},
          std::tuple{"500109001001", v1::ORG_UNIT_KIND_COMMUNITY, "500109001"},
          std::tuple{"500109001002", v1::ORG_UNIT_KIND_COMMUNITY, "500109001"},
          std::tuple{"500109002001", v1::ORG_UNIT_KIND_COMMUNITY, "500109002"}}) {
      v1::UpsertOrgUnitRequest u;
      u.mutable_org_unit()->set_code(code);
      u.mutable_org_unit()->set_kind(kind);
      u.mutable_org_unit()->set_parent_code(parent);
      u.mutable_org_unit()->set_name(std::string("单位 ") + code);
      ASSERT_TRUE(registry_->UpsertOrgUnit(admin_, u).ok());
    }
  }

  std::vector<v1::Building> AllBuildings() {
    std::vector<v1::Building> out;
    std::string cursor;
    do {
      auto page = store_->ScanBuildings("", cursor, 50);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (auto& b : page->buildings) out.push_back(std::move(b));
      cursor = page->next_cursor;
    } while (!cursor.empty());
    return out;
  }

  // The ledger as a scan counts it: every building under the scope with its filing state now.
  v1::Ledger ScannedLedger(const std::string& scope, const v1::Ledger& counted) {
    const Rules rules = DefaultRules();
    const WorkCalendar calendar = *CalendarFromRules(rules);
    std::vector<v1::Building> under;
    for (v1::Building& b : AllBuildings()) {
      if (b.tier_path().rfind(scope, 0) != 0) continue;
      ComputeFilingState(b.mutable_responsibility(), clock_.Now(), calendar,
                         rules.filing().filing_period_working_days());
      under.push_back(std::move(b));
    }
    std::map<std::string, std::string> names = {{counted.tier_path(), counted.name()}};
    for (const auto& row : counted.rows()) names[row.tier_path()] = row.name();
    return ComputeLedger(scope, under, names, clock_.Now());
  }

  void ExpectCountersEqualRecount() {
    auto stored = store_->ledger_counters().Read();
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_TRUE(*stored == store_->ledger_counters().Recount(AllBuildings()))
        << "counters differ from a recount";
    for (const std::string scope :
         {"500109", "500109001", "500109002", "500109001001", "500109001002", "500109002001"}) {
      v1::GetLedgerRequest req;
      req.set_tier_path(scope);
      auto counted = registry_->GetLedger(admin_, req);
      ASSERT_TRUE(counted.ok()) << counted.status();
      const v1::Ledger scanned = ScannedLedger(scope, *counted);
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*counted, scanned))
          << scope << "\ncounters: " << counted->ShortDebugString()
          << "\nscan:     " << scanned.ShortDebugString();
    }
  }

  FakeClock clock_;
  SequentialIdGenerator ids_;
  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<RedisStore> store_;
  std::unique_ptr<Registry> registry_;
  Principal admin_;
  Principal internal_{.subject = "service:test", .role = Role::kInternalService};
};

TEST_F(LedgerCountersOnRedis, CountersEqualARecountAfterRandomChangesAndTimePassingDeadlines) {
  std::mt19937 rng(12);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::vector<std::string> ids;
  int changes = 0, refused = 0;
  for (int step = 0; step < 300; ++step) {
    const int op = pick(8);
    if (op <= 1 || ids.empty()) {
      v1::CreateBuildingRequest req;
      v1::Building* b = req.mutable_building();
      b->set_name("楼");
      b->set_address("天生路 1 号");
      b->set_tier_path(kCommunities[pick(3)]);
      b->mutable_location()->set_latitude(29.82);
      b->mutable_location()->set_longitude(106.43);
      b->set_use(static_cast<v1::BuildingUse>(1 + pick(11)));
      b->set_height_m(10 + pick(1200) / 10.0);
      b->set_floors_above_ground(static_cast<int>(b->height_m() / 3));
      b->set_three_nos(pick(4) == 0);
      b->set_old_residential(pick(3) == 0);
      auto created = registry_->CreateBuilding(admin_, req);
      ASSERT_TRUE(created.ok()) << created.status();
      ids.push_back(created->building_id());
      continue;
    }
    if (op == 7) {  // time passes: pending filings fall late
      clock_.Advance(absl::Hours(pick(72)));
      continue;
    }
    v1::GetBuildingRequest get;
    get.set_building_id(ids[pick(static_cast<int>(ids.size()))]);
    // Read as an internal service: the stored chain whole (an admin's read masks its phones, so
    // it would never equal a chain sent again).
    auto b = registry_->GetBuilding(internal_, get);
    ASSERT_TRUE(b.ok()) << b.status();
    absl::StatusOr<v1::Building> r = absl::UnknownError("no call");
    switch (op) {
      case 2: {  // a chain, filed now or not
        v1::FileResponsibilityRequest file;
        file.set_building_id(b->building_id());
        file.set_expected_version(b->version());
        auto* c = file.mutable_chain();
        c->set_management_unit("重庆嘉陵物业管理有限公司");
        c->mutable_responsible_person()->set_name("张三");
        c->mutable_responsible_person()->set_phone("13800000001");
        c->mutable_manager()->set_name(pick(2) == 0 ? "李四" : "赵六");
        c->mutable_manager()->set_phone("13800000002");
        c->mutable_building_head()->set_name("王五");
        c->mutable_building_head()->set_phone("13800000003");
        if (!b->three_nos()) c->set_property_company("重庆嘉陵物业管理有限公司");
        // The same chain again is a filing of it; a new chain may wait for its filing.
        const bool same =
            google::protobuf::util::MessageDifferencer::Equals(b->responsibility().chain(), *c);
        if (same || pick(2) == 0) {
          file.mutable_filing()->set_document_number("doc");
          *file.mutable_filing()->mutable_filed_at() = Ts(clock_.Now());
        }
        r = registry_->FileResponsibility(admin_, file);
        break;
      }
      case 3: {
        v1::SetFireAccessRequest fa;
        fa.set_building_id(b->building_id());
        fa.set_expected_version(b->version());
        auto* lane = fa.add_fire_lanes();
        lane->set_lane_id("l");
        lane->set_clear_width_m(3 + pick(20) / 10.0);
        lane->set_clear_height_m(5);
        lane->set_turning_radius_m(18);
        lane->set_load_capacity_t(60);
        lane->mutable_marking()->set_lines_painted(true);
        lane->mutable_marking()->set_name_marked(pick(3) != 0);
        lane->mutable_marking()->set_sign_installed(true);
        auto set = registry_->SetFireAccess(admin_, fa);
        r = set.ok() ? absl::StatusOr<v1::Building>(set->building())
                     : absl::StatusOr<v1::Building>(set.status());
        break;
      }
      case 4: {
        v1::SetFacilityStatusRequest f;
        f.set_building_id(b->building_id());
        f.set_kind(v1::FACILITY_KIND_INDOOR_HYDRANT);
        f.set_status(pick(2) == 0 ? v1::FACILITY_STATUS_NORMAL : v1::FACILITY_STATUS_NO_WATER);
        r = registry_->SetFacilityStatus(admin_, f);
        break;
      }
      case 5: {  // moves to another community, or grows
        v1::UpdateBuildingRequest u;
        u.set_expected_version(b->version());
        u.mutable_building()->set_building_id(b->building_id());
        if (pick(2) == 0) {
          u.mutable_building()->set_tier_path(kCommunities[pick(3)]);
          u.mutable_update_mask()->add_paths("tier_path");
        } else {
          u.mutable_building()->set_height_m(10 + pick(1200) / 10.0);
          u.mutable_building()->set_floors_above_ground(
              static_cast<int>(u.building().height_m() / 3));
          u.mutable_update_mask()->add_paths("height_m");
          u.mutable_update_mask()->add_paths("floors_above_ground");
        }
        r = registry_->UpdateBuilding(admin_, u);
        break;
      }
      case 6: {  // a write on a version no longer stored: refused, nothing counted
        v1::Building stale = *b;
        stale.set_version(b->version() - 1);
        v1::Building next = *b;
        next.set_version(b->version() + 1);
        next.set_three_nos(!b->three_nos());
        next.set_tier_path(kCommunities[0]);
        const absl::Status s = store_->UpdateBuilding(stale, next, nullptr, {});
        EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
        refused += s.code() == absl::StatusCode::kAborted;
        continue;
      }
    }
    EXPECT_TRUE(r.ok()) << r.status();
    changes += r.ok();
    if (step % 100 == 99) ExpectCountersEqualRecount();
  }
  EXPECT_GT(changes, 50);
  EXPECT_GT(refused, 10);
  ExpectCountersEqualRecount();
  // The sequence reached the time-dependent figures.
  auto ledger = registry_->GetLedger(admin_, v1::GetLedgerRequest());
  ASSERT_TRUE(ledger.ok());
  EXPECT_GT(ledger->totals().filing_late(), 0);
  EXPECT_GT(ledger->totals().responsibility_filed(), 0);
}

TEST_F(LedgerCountersOnRedis, BuildCountsBuildingsStoredBeforeTheCountersOnce) {
  for (int i = 0; i < 5; ++i) {
    v1::CreateBuildingRequest req;
    req.mutable_building()->set_name("楼");
    req.mutable_building()->set_address("天生路 1 号");
    req.mutable_building()->set_tier_path(kCommunities[i % 3]);
    req.mutable_building()->set_use(v1::BUILDING_USE_RESIDENTIAL);
    req.mutable_building()->set_height_m(30 + i * 20);
    req.mutable_building()->set_floors_above_ground(10 + i * 7);
    req.mutable_building()->mutable_location()->set_latitude(29.82);
    req.mutable_building()->mutable_location()->set_longitude(106.43);
    auto created = registry_->CreateBuilding(admin_, req);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  // Buildings stored before the counters existed: no counters, no marker.
  auto keys = pool_->Command({"KEYS", prefix_ + ":agg:*"});
  ASSERT_TRUE(keys.ok());
  for (const auto& k : keys->elements) ASSERT_TRUE(pool_->Command({"DEL", k.str}).ok());
  auto scanned = registry_->GetLedger(admin_, v1::GetLedgerRequest());  // by a scan meanwhile
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  EXPECT_EQ(scanned->totals().buildings(), 5);
  auto built = store_->ledger_counters().Build(*store_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(*built, 5);
  auto again = store_->ledger_counters().Build(*store_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, -1);
  ExpectCountersEqualRecount();
}

// CheckReadModels (firegridctl rebuild --check): equal after normal writes; a counter changed
// by hand in Redis is reported with the value stored and the value a recount gives, and left
// as it is (the check writes nothing).
TEST_F(LedgerCountersOnRedis,
       CheckReadModelsFindsNothingAfterWritesAndReportsACounterChangedInRedis) {
  for (int i = 0; i < 4; ++i) {
    v1::CreateBuildingRequest req;
    req.mutable_building()->set_name("楼");
    req.mutable_building()->set_address("天生路 2 号");
    req.mutable_building()->set_tier_path(kCommunities[i % 3]);
    req.mutable_building()->set_use(v1::BUILDING_USE_RESIDENTIAL);
    req.mutable_building()->set_height_m(40 + i * 10);
    req.mutable_building()->set_floors_above_ground(14 + i * 3);
    req.mutable_building()->mutable_location()->set_latitude(29.82);
    req.mutable_building()->mutable_location()->set_longitude(106.43);
    auto created = registry_->CreateBuilding(admin_, req);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  auto clean = registry_->CheckReadModels(admin_, readmodels::v1::CheckReadModelsRequest());
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->read_model(), "ledger counters");
  EXPECT_EQ(clean->records(), 4);
  EXPECT_EQ(clean->difference_count(), 0) << clean->ShortDebugString();

  const std::string district = prefix_ + ":agg:500109";
  auto before = pool_->Command({"HGET", district, "buildings"});
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->str, "4");
  ASSERT_TRUE(pool_->Command({"HSET", district, "buildings", "9"}).ok());
  auto corrupt = registry_->CheckReadModels(admin_, readmodels::v1::CheckReadModelsRequest());
  ASSERT_TRUE(corrupt.ok()) << corrupt.status();
  ASSERT_EQ(corrupt->difference_count(), 1) << corrupt->ShortDebugString();
  EXPECT_EQ(corrupt->differences(0).key(), district);
  EXPECT_EQ(corrupt->differences(0).field(), "buildings");
  EXPECT_EQ(corrupt->differences(0).live(), "9");
  EXPECT_EQ(corrupt->differences(0).rebuilt(), "4");
  EXPECT_EQ(pool_->Command({"HGET", district, "buildings"})->str, "9");

  // Bounded: one difference returned, all of them counted.
  ASSERT_TRUE(pool_->Command({"HSET", prefix_ + ":agg:500109001", "buildings", "7"}).ok());
  readmodels::v1::CheckReadModelsRequest one;
  one.set_max_differences(1);
  auto bounded = registry_->CheckReadModels(admin_, one);
  ASSERT_TRUE(bounded.ok()) << bounded.status();
  EXPECT_EQ(bounded->difference_count(), 2);
  EXPECT_EQ(bounded->differences_size(), 1);
  one.set_max_differences(-1);
  EXPECT_EQ(registry_->CheckReadModels(admin_, one).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace firegrid::buildings
