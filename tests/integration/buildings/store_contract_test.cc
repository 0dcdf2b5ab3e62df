#include <map>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/events/producer.h"
#include "libs/redis/pool.h"
#include "services/buildings/geo.h"
#include "services/buildings/memory_store.h"
#include "services/buildings/redis_store.h"
#include "tests/support/shared_redis.h"

namespace firegrid::buildings {
namespace {

struct StoreUnderTest {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;
};

void PrintTo(const StoreUnderTest& s, std::ostream* os) { *os << s.name; }

// One redis-server for the whole suite (tests/support); each test gets its own key prefix.
redis::Pool* SharedPool() {
  static redis::Pool* pool = testing::NewSharedRedisPool().release();
  return pool;
}

class StoreContract : public ::testing::TestWithParam<StoreUnderTest> {
 protected:
  void SetUp() override { store_ = GetParam().make(); }

  static v1::Building B(const std::string& id, const std::string& tier, int64_t version = 1) {
    v1::Building b;
    b.set_building_id(id);
    b.set_tier_path(tier);
    b.set_name("楼 " + id);
    b.set_version(version);
    return b;
  }

  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, CreateThenGetRoundTrips) {
  ASSERT_TRUE(store_
                  ->CreateBuildings({B("bld_a", "500109001001")}, {"req-1"},
                                    {{"t", "bld_a", "event-bytes"}})
                  .ok());
  auto got = store_->GetBuilding("bld_a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->name(), "楼 bld_a");
  EXPECT_EQ(*store_->BuildingForRequest("req-1"), "bld_a");
  EXPECT_EQ(store_->GetBuilding("bld_missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->BuildingForRequest("req-2").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreContract, ReusedRequestIdOrExistingIdCreatesNothing) {
  ASSERT_TRUE(store_->CreateBuildings({B("bld_a", "500109001001")}, {"req-1"}, {}).ok());
  EXPECT_EQ(store_->CreateBuildings({B("bld_b", "500109001001")}, {"req-1"}, {}).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetBuilding("bld_b").status().code(), absl::StatusCode::kNotFound);
  // A batch with one existing id writes none of the batch.
  EXPECT_EQ(
      store_->CreateBuildings({B("bld_c", "500109001001"), B("bld_a", "500109001001")}, {}, {})
          .code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetBuilding("bld_c").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreContract, UpdateIsConditionalOnTheVersion) {
  v1::Building v1b = B("bld_a", "500109001001", 1);
  ASSERT_TRUE(store_->CreateBuildings({v1b}, {}, {}).ok());
  v1::Building v2b = B("bld_a", "500109001001", 2);
  v2b.set_name("renamed");
  v1::ResponsibilityRecord rec;
  rec.set_recorded_by("street");
  ASSERT_TRUE(store_->UpdateBuilding(v1b, v2b, &rec, {}).ok());
  // A writer still holding version 1 loses.
  v1::Building other = B("bld_a", "500109001001", 2);
  EXPECT_EQ(store_->UpdateBuilding(v1b, other, nullptr, {}).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->GetBuilding("bld_a")->name(), "renamed");
  auto history = store_->GetHistory("bld_a");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].recorded_by(), "street");
  EXPECT_EQ(store_->UpdateBuilding(B("bld_zz", "5"), B("bld_zz", "5", 2), nullptr, {}).code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreContract, ScanFollowsTierPrefixAndCursorAcrossMoves) {
  ASSERT_TRUE(store_
                  ->CreateBuildings({B("bld_1", "500109001001"), B("bld_2", "500109001002"),
                                     B("bld_3", "500109002001"), B("bld_4", "500109001001")},
                                    {}, {})
                  .ok());
  auto page = store_->ScanBuildings("500109001", "", 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->buildings.size(), 2u);
  EXPECT_EQ(page->buildings[0].building_id(), "bld_1");
  EXPECT_EQ(page->buildings[1].building_id(), "bld_4");
  ASSERT_FALSE(page->next_cursor.empty());
  auto rest = store_->ScanBuildings("500109001", page->next_cursor, 2);
  ASSERT_EQ(rest->buildings.size(), 1u);
  EXPECT_EQ(rest->buildings[0].building_id(), "bld_2");
  EXPECT_TRUE(rest->next_cursor.empty());
  // Moving bld_3 into the street puts it in that scan, once.
  v1::Building moved = B("bld_3", "500109001003", 2);
  ASSERT_TRUE(store_->UpdateBuilding(B("bld_3", "500109002001"), moved, nullptr, {}).ok());
  auto all = store_->ScanBuildings("500109001", "", 10);
  EXPECT_EQ(all->buildings.size(), 4u);
  EXPECT_TRUE(store_->ScanBuildings("500109002", "", 10)->buildings.empty());
}

TEST_P(StoreContract, OrgUnitsListByTierPrefix) {
  auto unit = [](const std::string& code, const std::string& tier) {
    v1::OrgUnit u;
    u.set_code(code);
    u.set_tier_path(tier);
    u.set_name(code);
    return u;
  };
  ASSERT_TRUE(store_->PutOrgUnit(unit("500109", "500109")).ok());
  ASSERT_TRUE(store_->PutOrgUnit(unit("500109001", "500109001")).ok());
  ASSERT_TRUE(store_->PutOrgUnit(unit("500109.police", "500109")).ok());
  ASSERT_TRUE(store_->PutOrgUnit(unit("500109002", "500109002")).ok());
  ASSERT_TRUE(store_->PutOrgUnit(unit("500109001", "500109001")).ok());  // upsert again
  std::string next;
  auto all = store_->ListOrgUnits("500109", "", 10, &next);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
  EXPECT_TRUE(next.empty());
  auto first = store_->ListOrgUnits("500109", "", 3, &next);
  EXPECT_EQ(first->size(), 3u);
  EXPECT_FALSE(next.empty());
  auto street = store_->ListOrgUnits("500109001", "", 10, &next);
  ASSERT_EQ(street->size(), 1u);
  EXPECT_EQ((*street)[0].code(), "500109001");
}

TEST_P(StoreContract, NearbyOrdersByDistanceWithinRadius) {
  auto hydrant = [](const std::string& id, double lat) {
    v1::Hydrant h;
    h.set_hydrant_id(id);
    h.mutable_location()->set_latitude(lat);
    h.mutable_location()->set_longitude(106.43);
    return h;
  };
  ASSERT_TRUE(store_->PutHydrant(hydrant("hyd_far", 29.83)).ok());    // ~1.1 km
  ASSERT_TRUE(store_->PutHydrant(hydrant("hyd_near", 29.821)).ok());  // ~111 m
  ASSERT_TRUE(store_->PutHydrant(hydrant("hyd_out", 29.9)).ok());     // ~8.9 km
  auto near = store_->FindNearby(v1::NEARBY_KIND_HYDRANT, 29.82, 106.43, 2000, 5);
  ASSERT_TRUE(near.ok()) << near.status();
  ASSERT_EQ(near->size(), 2u);
  EXPECT_EQ((*near)[0].id, "hyd_near");
  EXPECT_NEAR((*near)[0].distance_m, 111.2, 1.0);
  EXPECT_EQ((*near)[1].id, "hyd_far");
  EXPECT_TRUE(store_->FindNearby(v1::NEARBY_KIND_MICRO_STATION, 29.82, 106.43, 2000, 5)->empty());
  EXPECT_EQ(store_->GetHydrant("hyd_near")->location().latitude(), 29.821);
}

// Hydrants 10–200 m away in all eight directions at Chongqing's latitude: the index must not
// quantise positions (east–west offsets were once rounded to ~100 m).
TEST_P(StoreContract, NearbyIsAccurateToAMetreAtShortRangeInEveryDirection) {
  constexpr double kLat = 29.8123457, kLon = 106.4312345;
  std::map<std::string, double> want;
  for (int i = 0; i < 8; ++i) {
    for (int ring = 0; ring < 2; ++ring) {
      const double metres = ring == 0 ? 10 + 11 * i : 110 + 11 * i;  // 10…87 m, 110…187 m
      const LatLon p = DestinationPoint(kLat, kLon, 45 * i, metres);
      v1::Hydrant h;
      h.set_hydrant_id(absl::StrCat("hyd_", i, "_", ring));
      h.mutable_location()->set_latitude(p.latitude);
      h.mutable_location()->set_longitude(p.longitude);
      ASSERT_TRUE(store_->PutHydrant(h).ok());
      want[h.hydrant_id()] = metres;
    }
  }
  auto near = store_->FindNearby(v1::NEARBY_KIND_HYDRANT, kLat, kLon, 200, 50);
  ASSERT_TRUE(near.ok()) << near.status();
  ASSERT_EQ(near->size(), want.size());
  double previous = 0;
  for (const auto& n : *near) {
    EXPECT_NEAR(n.distance_m, want.at(n.id), 1.0) << n.id;
    EXPECT_GE(n.distance_m, previous) << n.id << " out of order";
    previous = n.distance_m;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreContract,
    ::testing::Values(StoreUnderTest{"memory", [] { return std::make_unique<MemoryStore>(); }},
                      StoreUnderTest{"redis",
                                     [] {
                                       static int n = 0;
                                       return std::make_unique<RedisStore>(
                                           SharedPool(), "t" + std::to_string(++n));
                                     }}),
    [](const ::testing::TestParamInfo<StoreUnderTest>& info) { return info.param.name; });

TEST(RedisStoreOutbox, EventsLandInTheOutboxStreamWithTheWrite) {
  RedisStore store(SharedPool(), "outboxcheck");
  v1::Building b;
  b.set_building_id("bld_x");
  b.set_tier_path("500109001001");
  b.set_version(1);
  ASSERT_TRUE(
      store.CreateBuildings({b}, {}, {{"firegrid.buildings.events.v1", "bld_x", "v1"}}).ok());
  auto len = SharedPool()->Command({"XLEN", store.outbox_key()});
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->integer, 1);
  // A failed conditional write adds no outbox entry.
  v1::Building stale = b;
  stale.set_version(7);
  EXPECT_FALSE(store.UpdateBuilding(stale, b, nullptr, {{"t", "bld_x", "v2"}}).ok());
  EXPECT_EQ(SharedPool()->Command({"XLEN", store.outbox_key()})->integer, 1);
}

TEST(RedisStoreOutbox, AStationIsWrittenWithItsEvent) {
  RedisStore store(SharedPool(), "stationoutbox");
  v1::MicroStation s;
  s.set_station_id("mfs_a");
  s.set_tier_path("500109001001");
  s.mutable_location()->set_latitude(29.82);
  s.mutable_location()->set_longitude(106.43);
  ASSERT_TRUE(store.PutStation(s, {{"firegrid.buildings.events.v1", "mfs_a", "v1"}}).ok());
  EXPECT_EQ(store.GetStation("mfs_a")->tier_path(), "500109001001");
  auto len = SharedPool()->Command({"XLEN", store.outbox_key()});
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->integer, 1);
}

}  // namespace
}  // namespace firegrid::buildings
