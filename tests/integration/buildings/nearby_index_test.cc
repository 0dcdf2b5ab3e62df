// The buildings' nearby index on Redis through the registry: a CSV import indexes the buildings
// it creates, and one that moves a building moves it in the index.
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/buildings/geo.h"
#include "services/buildings/redis_store.h"
#include "services/buildings/registry.h"
#include "services/buildings/rules.h"
#include "tests/support/shared_redis.h"

namespace firegrid::buildings {
namespace {

using auth::Principal;
using auth::Role;

constexpr double kLat = 29.8123457, kLon = 106.4312345;

class NearbyIndexOnRedis : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::NewSharedRedisPool(4);
    store_ = std::make_unique<RedisStore>(pool_.get(), "nearbyindex");
    registry_ = std::make_unique<Registry>(store_.get(), DefaultRules(), &clock_, &ids_);
    admin_.role = Role::kDistrictAdmin;
    admin_.tier_path = "500109";
    admin_.subject = "admin";
    for (auto [code, kind, parent] :
         {std::tuple{"500109", v1::ORG_UNIT_KIND_DISTRICT, ""},
          std::tuple{"500109001", v1::ORG_UNIT_KIND_STREET, "500109"},
          std::tuple{"500109001001", v1::ORG_UNIT_KIND_COMMUNITY, "500109001"}}) {
      v1::UpsertOrgUnitRequest u;
      u.mutable_org_unit()->set_code(code);
      u.mutable_org_unit()->set_kind(kind);
      u.mutable_org_unit()->set_parent_code(parent);
      u.mutable_org_unit()->set_name(code);
      ASSERT_TRUE(registry_->UpsertOrgUnit(admin_, u).ok());
    }
  }

  // A CSV row of a building `metres` east of the origin.
  static std::string Row(const std::string& name, double metres) {
    const LatLon p = DestinationPoint(kLat, kLon, 90, metres);
    return absl::StrCat(name, ",天生路 ", name, ",500109001001,",
                        absl::StrFormat("%.9f", p.latitude), ",",
                        absl::StrFormat("%.9f", p.longitude), ",residential,60,20,no\n");
  }

  absl::StatusOr<v1::ImportBuildingsCsvResponse> Import(const std::string& rows) {
    v1::ImportBuildingsCsvRequest req;
    req.set_content(
        "name,address,tier_path,latitude,longitude,use,height_m,floors_above_ground,three_nos\n" +
        rows);
    return registry_->ImportBuildingsCsv(admin_, req);
  }

  std::vector<std::string> NamesNear(double metres_east, double radius) {
    const LatLon p = DestinationPoint(kLat, kLon, 90, metres_east);
    v1::FindNearbyRequest req;
    req.mutable_location()->set_latitude(p.latitude);
    req.mutable_location()->set_longitude(p.longitude);
    req.set_kind(v1::NEARBY_KIND_BUILDING);
    req.set_radius_m(radius);
    req.set_limit(50);
    Principal channel;
    channel.role = Role::kPublicChannel;
    channel.tier_path = "500109";
    channel.subject = "channel:web";
    auto r = registry_->FindNearby(channel, req);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& x : r->results()) out.push_back(x.building().name());
    }
    return out;
  }

  FakeClock clock_{absl::FromCivil(absl::CivilHour(2026, 11, 23, 10), absl::UTCTimeZone())};
  SequentialIdGenerator ids_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<RedisStore> store_;
  std::unique_ptr<Registry> registry_;
  Principal admin_;
};

TEST_F(NearbyIndexOnRedis, ImportedBuildingsAreFoundAndAReimportThatMovesOneMovesItInTheIndex) {
  auto r = Import(Row("甲栋", 20) + Row("乙栋", 60));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->created(), 2) << r->DebugString();
  EXPECT_THAT(NamesNear(0, 100), ::testing::ElementsAre("甲栋", "乙栋"));
  // The same natural key (tier path, name, address) 1.5 km further east: an update.
  r = Import(Row("甲栋", 1500));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->updated(), 1) << r->DebugString();
  EXPECT_THAT(NamesNear(0, 100), ::testing::ElementsAre("乙栋"));
  EXPECT_THAT(NamesNear(1500, 10), ::testing::ElementsAre("甲栋"));
}

}  // namespace
}  // namespace firegrid::buildings
