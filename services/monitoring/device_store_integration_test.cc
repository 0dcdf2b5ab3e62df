// The device registry and the buildings projection against a real redis-server
// (tests/support): each test keeps to its own key prefix on the binary's shared server.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "services/monitoring/device_store.h"
#include "services/monitoring/projection.h"
#include "tests/support/shared_redis.h"

namespace firegrid::monitoring {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
using ::testing::ElementsAre;
using ::testing::SizeIs;

// Beibei, Chongqing.
constexpr double kLat = 29.8257;
constexpr double kLon = 106.4317;

class DeviceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    pool_ = ::firegrid::testing::NewSharedRedisPool();
    prefix_ = absl::StrCat(
        "t:dev:", ::testing::UnitTest::GetInstance()->current_test_info()->name(), ":", n++);
    store_ = std::make_unique<DeviceStore>(pool_.get(), prefix_, prefix_ + ":outbox");
  }

  static v1::Device Dev(const std::string& id, const std::string& building = "bld_1",
                        const std::string& tier = "500109001002") {
    v1::Device d;
    d.set_device_id(id);
    d.set_type(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
    d.set_building_id(building);
    d.set_tier_path(tier);
    d.set_model("PT-100");
    d.set_status(v1::DEVICE_STATUS_INSTALLED);
    d.mutable_heartbeat_period()->set_seconds(300);
    return d;
  }

  int64_t OutboxLength() {
    auto r = pool_->Command({"XLEN", prefix_ + ":outbox"});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->integer : -1;
  }

  std::vector<std::string> Ids(const absl::StatusOr<std::vector<v1::Device>>& list) {
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> out;
    if (list.ok()) {
      for (const auto& d : *list) out.push_back(d.device_id());
    }
    return out;
  }

  static bv1::MicroStation Station(const std::string& id, double lat, double lon) {
    bv1::MicroStation s;
    s.set_station_id(id);
    s.set_name(absl::StrCat("站 ", id));
    s.set_phone("023-6800000");
    s.mutable_location()->set_latitude(lat);
    s.mutable_location()->set_longitude(lon);
    return s;
  }

  events::Envelope Event(const google::protobuf::Message& m) {
    return events::NewEnvelope(m, "buildings", "bld_1", "500109001002", absl::Now(), ids_);
  }

  std::unique_ptr<redis::Pool> pool_;
  std::string prefix_;
  std::unique_ptr<DeviceStore> store_;
  SequentialIdGenerator ids_;
};

TEST_F(DeviceStoreTest, CreatedDeviceReadsBackAtVersionOneWithItsEventOnTheOutbox) {
  ASSERT_TRUE(store_->Create(Dev("hp-1"), "event-bytes").ok());
  absl::StatusOr<v1::Device> got = store_->Get("hp-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->model(), "PT-100");
  EXPECT_EQ(got->version(), 1);
  auto entries = pool_->Command({"XRANGE", prefix_ + ":outbox", "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_THAT(entries->elements, SizeIs(1));
  const auto& fields = entries->elements[0].elements[1].elements;
  std::map<std::string, std::string> m;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) m[fields[i].str] = fields[i + 1].str;
  EXPECT_EQ(m["topic"], events::kMonitoringTopic);
  EXPECT_EQ(m["key"], "bld_1");
  EXPECT_EQ(m["value"], "event-bytes");
}

TEST_F(DeviceStoreTest, CreatingATakenDeviceIdIsAlreadyExistsAndWritesNothing) {
  ASSERT_TRUE(store_->Create(Dev("hp-1"), "e1").ok());
  v1::Device other = Dev("hp-1", "bld_2", "500109002001");
  EXPECT_EQ(store_->Create(other, "e2").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Get("hp-1")->building_id(), "bld_1");
  EXPECT_EQ(OutboxLength(), 1);
  EXPECT_THAT(Ids(store_->ListByBuilding("bld_2", "", 10)), ::testing::IsEmpty());
}

TEST_F(DeviceStoreTest, GetOfAnUnknownDeviceIsNotFound) {
  EXPECT_EQ(store_->Get("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DeviceStoreTest, GetManyReadsInOrderWithMissingOnesEmpty) {
  ASSERT_TRUE(store_->Create(Dev("a-1"), "e").ok());
  ASSERT_TRUE(store_->Create(Dev("c-1"), "e").ok());
  auto many = store_->GetMany({"c-1", "b-1", "a-1"});
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_THAT(*many, SizeIs(3));
  EXPECT_EQ((*many)[0]->device_id(), "c-1");
  EXPECT_FALSE((*many)[1].has_value());
  EXPECT_EQ((*many)[2]->device_id(), "a-1");
}

TEST_F(DeviceStoreTest, UpdateAtTheCurrentVersionBumpsItAndAStaleOneIsAborted) {
  ASSERT_TRUE(store_->Create(Dev("hp-1"), "e").ok());
  v1::Device d = Dev("hp-1");
  d.set_floor("B1");
  ASSERT_TRUE(store_->Update(d, 1, "e2").ok());
  EXPECT_EQ(store_->Get("hp-1")->floor(), "B1");
  EXPECT_EQ(store_->Get("hp-1")->version(), 2);
  d.set_floor("B2");
  EXPECT_EQ(store_->Update(d, 1, "e3").code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Get("hp-1")->floor(), "B1");
  EXPECT_EQ(OutboxLength(), 2);
}

TEST_F(DeviceStoreTest, UpdateCannotMoveADeviceToAnotherBuilding) {
  ASSERT_TRUE(store_->Create(Dev("hp-1"), "e").ok());
  absl::Status s = store_->Update(Dev("hp-1", "bld_2"), 1, "e2");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("device.building_id"));
  EXPECT_EQ(store_->Get("hp-1")->building_id(), "bld_1");
}

TEST_F(DeviceStoreTest, UpdateKeepsTheHandledStateFieldsOfTheHash) {
  ASSERT_TRUE(store_->Create(Dev("hp-1"), "e").ok());
  ASSERT_TRUE(pool_->Command({"HSET", store_->DeviceKey("hp-1"), "st", "state", "sver", "7"}).ok());
  ASSERT_TRUE(store_->Update(Dev("hp-1"), 1, "e2").ok());
  auto st = pool_->Command({"HMGET", store_->DeviceKey("hp-1"), "st", "sver"});
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->elements[0].str, "state");
  EXPECT_EQ(st->elements[1].str, "7");
}

TEST_F(DeviceStoreTest, ListByBuildingPagesInIdOrder) {
  for (const char* id : {"d-3", "d-1", "d-2", "d-4"}) {
    ASSERT_TRUE(store_->Create(Dev(id), "e").ok());
  }
  ASSERT_TRUE(store_->Create(Dev("x-1", "bld_2"), "e").ok());
  EXPECT_THAT(Ids(store_->ListByBuilding("bld_1", "", 3)), ElementsAre("d-1", "d-2", "d-3"));
  EXPECT_THAT(Ids(store_->ListByBuilding("bld_1", "d-3", 3)), ElementsAre("d-4"));
  EXPECT_THAT(Ids(store_->ListByBuilding("bld_2", "", 3)), ElementsAre("x-1"));
}

TEST_F(DeviceStoreTest, ListByTierFindsDevicesUnderDistrictStreetAndCommunity) {
  ASSERT_TRUE(store_->Create(Dev("a", "bld_1", "500109001002"), "e").ok());
  ASSERT_TRUE(store_->Create(Dev("b", "bld_2", "500109001003"), "e").ok());
  ASSERT_TRUE(store_->Create(Dev("c", "bld_3", "500109002001"), "e").ok());
  ASSERT_TRUE(store_->Create(Dev("d", "bld_4", "500110001001"), "e").ok());
  EXPECT_THAT(Ids(store_->ListByTier("500109", "", 10)), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Ids(store_->ListByTier("500109001", "", 10)), ElementsAre("a", "b"));
  EXPECT_THAT(Ids(store_->ListByTier("500109001003", "", 10)), ElementsAre("b"));
  EXPECT_THAT(Ids(store_->ListByTier("500109", "", 2)), ElementsAre("a", "b"));
  EXPECT_THAT(Ids(store_->ListByTier("500109", "b", 2)), ElementsAre("c"));
  EXPECT_EQ(store_->ListByTier("5001", "", 2).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DeviceStoreTest, GetBuildingOfAnUnknownBuildingIsNotFound) {
  EXPECT_EQ(store_->GetBuilding("bld_9").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DeviceStoreTest, PutBuildingKeepsTheHigherVersion) {
  v1::BuildingView v;
  v.set_building_id("bld_1");
  v.set_name("new");
  v.set_version(5);
  ASSERT_TRUE(store_->PutBuilding(v).ok());
  v.set_name("old");
  v.set_version(3);
  ASSERT_TRUE(store_->PutBuilding(v).ok());
  EXPECT_EQ(store_->GetBuilding("bld_1")->name(), "new");
  v.set_name("newer");
  v.set_version(6);
  ASSERT_TRUE(store_->PutBuilding(v).ok());
  EXPECT_EQ(store_->GetBuilding("bld_1")->name(), "newer");
}

TEST_F(DeviceStoreTest, NearestStationsComeNearestFirstWithinTheRadius) {
  // ~300 m north, ~1.2 km north, ~4.8 km east of the building.
  ASSERT_TRUE(store_->PutStation(Station("mfs_far", kLat, kLon + 0.05)).ok());
  ASSERT_TRUE(store_->PutStation(Station("mfs_near", kLat + 0.0027, kLon)).ok());
  ASSERT_TRUE(store_->PutStation(Station("mfs_mid", kLat + 0.011, kLon)).ok());
  bv1::GeoPoint at;
  at.set_latitude(kLat);
  at.set_longitude(kLon);

  auto within3km = store_->NearestStations(at, 3000, 5);
  ASSERT_TRUE(within3km.ok()) << within3km.status();
  ASSERT_THAT(*within3km, SizeIs(2));
  EXPECT_EQ((*within3km)[0].station_id(), "mfs_near");
  EXPECT_NEAR((*within3km)[0].distance_m(), 300, 15);
  EXPECT_EQ((*within3km)[0].name(), "站 mfs_near");
  EXPECT_EQ((*within3km)[0].phone(), "023-6800000");
  EXPECT_EQ((*within3km)[1].station_id(), "mfs_mid");
  EXPECT_NEAR((*within3km)[1].distance_m(), 1223, 25);

  auto all = store_->NearestStations(at, 10000, 5);
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(3));
  EXPECT_EQ((*all)[2].station_id(), "mfs_far");
  EXPECT_NEAR((*all)[2].distance_m(), 4830, 60);

  auto two = store_->NearestStations(at, 10000, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_THAT(*two, SizeIs(2));

  auto none = store_->NearestStations(at, 200, 5);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, ::testing::IsEmpty());
}

TEST_F(DeviceStoreTest, AStationMovedToAnotherPlaceIsFoundThereOnly) {
  ASSERT_TRUE(store_->PutStation(Station("mfs_1", kLat + 0.0027, kLon)).ok());
  ASSERT_TRUE(store_->PutStation(Station("mfs_1", kLat + 0.1, kLon)).ok());
  bv1::GeoPoint at;
  at.set_latitude(kLat);
  at.set_longitude(kLon);
  auto near = store_->NearestStations(at, 3000, 5);
  ASSERT_TRUE(near.ok());
  EXPECT_THAT(*near, ::testing::IsEmpty());
}

// ---- the projection (HandleBuildingsEvent) on the real store ----

bv1::Building Tower(int64_t version, const std::string& manager) {
  bv1::Building b;
  b.set_building_id("bld_1");
  b.set_name(absl::StrCat("北碚大厦 v", version));
  b.set_tier_path("500109001002");
  b.mutable_location()->set_latitude(kLat);
  b.mutable_location()->set_longitude(kLon);
  b.set_version(version);
  b.mutable_responsibility()->mutable_chain()->mutable_manager()->set_subject(manager);
  return b;
}

TEST_F(DeviceStoreTest, ProjectionKeepsTheNewestBuildingWhateverTheOrderOfEvents) {
  bv1::BuildingRegistered reg;
  *reg.mutable_building() = Tower(1, "user:a");
  bv1::BuildingUpdated upd;
  *upd.mutable_building() = Tower(3, "user:b");
  ASSERT_TRUE(HandleBuildingsEvent(Event(reg), store_.get()).ok());
  ASSERT_TRUE(HandleBuildingsEvent(Event(upd), store_.get()).ok());
  ASSERT_TRUE(HandleBuildingsEvent(Event(reg), store_.get()).ok());  // redelivered, late
  auto v = store_->GetBuilding("bld_1");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->version(), 3);
  EXPECT_EQ(v->name(), "北碚大厦 v3");
  EXPECT_THAT(v->subjects(), ElementsAre("user:b"));
}

TEST_F(DeviceStoreTest, ProjectionReplacesSubjectsOnAResponsibilityFiling) {
  bv1::BuildingRegistered reg;
  *reg.mutable_building() = Tower(1, "user:a");
  ASSERT_TRUE(HandleBuildingsEvent(Event(reg), store_.get()).ok());
  bv1::ResponsibilityFiled filed;
  filed.set_building_id("bld_1");
  filed.mutable_chain()->mutable_responsible_person()->set_subject("user:c");
  filed.set_building_version(2);
  ASSERT_TRUE(HandleBuildingsEvent(Event(filed), store_.get()).ok());
  auto v = store_->GetBuilding("bld_1");
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(v->subjects(), ElementsAre("user:c"));
  EXPECT_EQ(v->version(), 2);
  EXPECT_EQ(v->name(), "北碚大厦 v1");
}

TEST_F(DeviceStoreTest, ProjectionIgnoresAFilingForAnUnknownBuilding) {
  bv1::ResponsibilityFiled filed;
  filed.set_building_id("bld_1");
  filed.mutable_chain()->mutable_manager()->set_subject("user:c");
  filed.set_building_version(2);
  ASSERT_TRUE(HandleBuildingsEvent(Event(filed), store_.get()).ok());
  EXPECT_EQ(store_->GetBuilding("bld_1").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DeviceStoreTest, ProjectionKeepsMicroStationsForTheNearestSearch) {
  bv1::MicroStationRegistered e;
  *e.mutable_station() = Station("mfs_1", kLat + 0.0027, kLon);
  ASSERT_TRUE(HandleBuildingsEvent(Event(e), store_.get()).ok());
  bv1::GeoPoint at;
  at.set_latitude(kLat);
  at.set_longitude(kLon);
  auto near = store_->NearestStations(at, 1000, 3);
  ASSERT_TRUE(near.ok());
  ASSERT_THAT(*near, SizeIs(1));
  EXPECT_EQ((*near)[0].station_id(), "mfs_1");
}

TEST_F(DeviceStoreTest, ProjectionIgnoresOtherBuildingsEvents) {
  bv1::FacilityStatusChanged e;
  e.set_building_id("bld_1");
  EXPECT_TRUE(HandleBuildingsEvent(Event(e), store_.get()).ok());
}

TEST_F(DeviceStoreTest, ProjectionRefusesAStationOutsideTheMappedLatitudes) {
  bv1::MicroStationRegistered e;
  *e.mutable_station() = Station("mfs_pole", 89.9, kLon);
  absl::Status s = HandleBuildingsEvent(Event(e), store_.get());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("station.location"));
}

TEST_F(DeviceStoreTest, ProjectionRefusesAStationWithoutId) {
  bv1::MicroStationRegistered e;
  *e.mutable_station() = Station("", kLat, kLon);
  EXPECT_EQ(HandleBuildingsEvent(Event(e), store_.get()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DeviceStoreTest, ABuildingMovedToAnotherCommunityTakesItsDevicesAlong) {
  bv1::BuildingRegistered reg;
  *reg.mutable_building() = Tower(1, "user:a");
  ASSERT_TRUE(HandleBuildingsEvent(Event(reg), store_.get(), &ids_).ok());
  ASSERT_TRUE(store_->Create(Dev("hp-1", "bld_1", "500109001002"), "e").ok());
  ASSERT_TRUE(store_->Create(Dev("hp-2", "bld_1", "500109001002"), "e").ok());
  bv1::BuildingUpdated moved;
  *moved.mutable_building() = Tower(2, "user:a");
  moved.mutable_building()->set_tier_path("500109002001");
  ASSERT_TRUE(HandleBuildingsEvent(Event(moved), store_.get(), &ids_).ok());

  EXPECT_THAT(Ids(store_->ListByTier("500109002001", "", 10)), ElementsAre("hp-1", "hp-2"));
  EXPECT_THAT(Ids(store_->ListByTier("500109002", "", 10)), ElementsAre("hp-1", "hp-2"));
  EXPECT_THAT(Ids(store_->ListByTier("500109001", "", 10)), ::testing::IsEmpty());
  EXPECT_THAT(Ids(store_->ListByTier("500109", "", 10)), ElementsAre("hp-1", "hp-2"));
  auto d = store_->Get("hp-1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->tier_path(), "500109002001");
  EXPECT_EQ(d->building_name(), "北碚大厦 v2");
  EXPECT_EQ(d->version(), 2);
  EXPECT_EQ(OutboxLength(), 4);  // two creates, two DeviceUpdated

  // Redelivered, and a late older event: nothing more is written.
  ASSERT_TRUE(HandleBuildingsEvent(Event(moved), store_.get(), &ids_).ok());
  ASSERT_TRUE(HandleBuildingsEvent(Event(reg), store_.get(), &ids_).ok());
  EXPECT_EQ(OutboxLength(), 4);
  EXPECT_EQ(store_->Get("hp-1")->tier_path(), "500109002001");
}

TEST_F(DeviceStoreTest, TheDeviceUpdatedOfABuildingMoveCarriesTheNewTierPath) {
  ASSERT_TRUE(store_->Create(Dev("hp-1", "bld_1", "500109001002"), "e").ok());
  bv1::BuildingUpdated moved;
  *moved.mutable_building() = Tower(2, "user:a");
  moved.mutable_building()->set_tier_path("500109002001");
  ASSERT_TRUE(HandleBuildingsEvent(Event(moved), store_.get(), &ids_).ok());
  auto entries = pool_->Command({"XRANGE", prefix_ + ":outbox", "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_THAT(entries->elements, SizeIs(2));
  const auto& fields = entries->elements[1].elements[1].elements;
  std::string value;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str == "value") value = fields[i + 1].str;
  }
  auto env = events::ParseEnvelope(value);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->tier_path(), "500109002001");
  auto e = events::Unpack<v1::DeviceUpdated>(*env);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->device().tier_path(), "500109002001");
  EXPECT_EQ(e->device().version(), 2);
}

}  // namespace
}  // namespace firegrid::monitoring
