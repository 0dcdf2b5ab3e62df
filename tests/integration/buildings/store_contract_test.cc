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

// Buildings are in the nearby index with every create and update, where they are now.
TEST_P(StoreContract, BuildingsAreFoundNearbyWhereTheirLastWritePutThem) {
  constexpr double kLat = 29.8123457, kLon = 106.4312345;
  auto at = [&](const std::string& id, double metres, int64_t version = 1) {
    v1::Building b = B(id, "500109001001", version);
    const LatLon p = DestinationPoint(kLat, kLon, 90, metres);
    b.mutable_location()->set_latitude(p.latitude);
    b.mutable_location()->set_longitude(p.longitude);
    return b;
  };
  const v1::Building a = at("bld_a", 30), b = at("bld_b", 12);
  ASSERT_TRUE(store_->CreateBuildings({a, b}, {}, {}).ok());
  auto near = store_->FindNearby(v1::NEARBY_KIND_BUILDING, kLat, kLon, 100, 10);
  ASSERT_TRUE(near.ok()) << near.status();
  ASSERT_EQ(near->size(), 2u);
  EXPECT_EQ((*near)[0].id, "bld_b");
  EXPECT_NEAR((*near)[0].distance_m, 12, 1.0);
  EXPECT_EQ((*near)[1].id, "bld_a");
  // Hydrants and stations are other sets.
  EXPECT_TRUE(store_->FindNearby(v1::NEARBY_KIND_HYDRANT, kLat, kLon, 100, 10)->empty());
  // bld_a moves 2 km away: gone from here, found there.
  ASSERT_TRUE(store_->UpdateBuilding(a, at("bld_a", 2000, 2), nullptr, {}).ok());
  near = store_->FindNearby(v1::NEARBY_KIND_BUILDING, kLat, kLon, 100, 10);
  ASSERT_EQ(near->size(), 1u);
  EXPECT_EQ((*near)[0].id, "bld_b");
  const LatLon there = DestinationPoint(kLat, kLon, 90, 2000);
  near = store_->FindNearby(v1::NEARBY_KIND_BUILDING, there.latitude, there.longitude, 10, 10);
  ASSERT_EQ(near->size(), 1u);
  EXPECT_EQ((*near)[0].id, "bld_a");
  // A failed (stale) update moves nothing.
  EXPECT_EQ(store_->UpdateBuilding(a, at("bld_a", 5, 2), nullptr, {}).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store_->FindNearby(v1::NEARBY_KIND_BUILDING, kLat, kLon, 100, 10)->size(), 1u);
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

// Buildings stored before the nearby index existed (no <p>:geo:b) are indexed once at start-up.
TEST(RedisStoreBuildingIndex, BuildingsStoredBeforeTheIndexAreIndexedOnceIdempotently) {
  RedisStore store(SharedPool(), "geobackfill");
  std::vector<v1::Building> buildings;
  for (int i = 0; i < 450; ++i) {  // more than one scan page
    v1::Building b;
    b.set_building_id(absl::StrCat("bld_", 1000 + i));
    b.set_tier_path(i % 2 == 0 ? "500109001001" : "500109002001");
    b.set_version(1);
    const LatLon p = DestinationPoint(29.81, 106.43, 0, 10 + i);
    b.mutable_location()->set_latitude(p.latitude);
    b.mutable_location()->set_longitude(p.longitude);
    buildings.push_back(b);
  }
  ASSERT_TRUE(store.CreateBuildings(buildings, {}, {}).ok());
  // As a store from before the index left them: no GEO set, no marker.
  ASSERT_TRUE(SharedPool()->Command({"DEL", "geobackfill:geo:b", "geobackfill:geo:b:built"}).ok());
  auto none = store.FindNearby(v1::NEARBY_KIND_BUILDING, 29.81, 106.43, 1000, 500);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());

  auto indexed = store.IndexBuildingLocations();
  ASSERT_TRUE(indexed.ok()) << indexed.status();
  EXPECT_EQ(*indexed, 450);
  auto near = store.FindNearby(v1::NEARBY_KIND_BUILDING, 29.81, 106.43, 1000, 500);
  ASSERT_TRUE(near.ok()) << near.status();
  ASSERT_EQ(near->size(), 450u);
  EXPECT_EQ((*near)[0].id, "bld_1000");
  EXPECT_NEAR((*near)[0].distance_m, 10, 1.0);
  EXPECT_EQ((*near)[449].id, "bld_1449");

  // Built: the next start does nothing.
  indexed = store.IndexBuildingLocations();
  ASSERT_TRUE(indexed.ok());
  EXPECT_EQ(*indexed, 0);
  // Without the marker (a run cut short, or deleted to rebuild) it runs again, to the same set.
  ASSERT_TRUE(SharedPool()->Command({"DEL", "geobackfill:geo:b:built"}).ok());
  indexed = store.IndexBuildingLocations();
  ASSERT_TRUE(indexed.ok());
  EXPECT_EQ(*indexed, 450);
  EXPECT_EQ(SharedPool()->Command({"ZCARD", "geobackfill:geo:b"})->integer, 450);
  EXPECT_EQ(SharedPool()->Command({"EXISTS", "geobackfill:geo:b:built"})->integer, 1);
}

// A store with nothing in it is built at once (and a later building is indexed by its write).
TEST(RedisStoreBuildingIndex, AnEmptyStoreIsBuiltAtOnce) {
  RedisStore store(SharedPool(), "geobackfillempty");
  auto indexed = store.IndexBuildingLocations();
  ASSERT_TRUE(indexed.ok()) << indexed.status();
  EXPECT_EQ(*indexed, 0);
  EXPECT_EQ(SharedPool()->Command({"EXISTS", "geobackfillempty:geo:b:built"})->integer, 1);
}

}  // namespace
}  // namespace firegrid::buildings
