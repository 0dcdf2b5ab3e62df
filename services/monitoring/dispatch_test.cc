#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/monitoring/links.h"

namespace firegrid::monitoring {
namespace {

using ::testing::ElementsAre;

v1::StationRef Station(const std::string& id, double distance_m) {
  v1::StationRef s;
  s.set_station_id(id);
  s.set_distance_m(distance_m);
  return s;
}

config::v1::DispatchRule Rule(int nearest) {
  config::v1::DispatchRule r;
  r.set_nearest_stations(nearest);
  r.set_radius_m(3000);
  r.set_fire_rescue_department("fire_rescue");
  return r;
}

v1::BuildingView Building() {
  v1::BuildingView b;
  b.set_building_id("bld_1");
  b.set_address("渝北区某路 1 号");
  b.set_tier_path("500109001002");
  b.add_subjects("mgr-1");
  b.add_subjects("head-1");
  return b;
}

TEST(DispatchFor, TellsTheNearestStationsTheManagersTheCommunityAndFireRescue) {
  v1::Dispatch d = DispatchFor(Rule(2), Building(), {Station("mfs_b", 900), Station("mfs_a", 300)});
  EXPECT_THAT(d.recipients(), ElementsAre("org:mfs_a", "org:mfs_b", "person:mgr-1", "person:head-1",
                                          "org:500109001002", "org:500109.fire_rescue"));
  ASSERT_EQ(d.stations_size(), 2);
  EXPECT_EQ(d.stations(0).station_id(), "mfs_a");  // nearest first
  EXPECT_EQ(d.building_address(), "渝北区某路 1 号");
}

TEST(DispatchFor, NamesEachRecipientOnceAndKeepsAtMostTheRulesNumberOfStations) {
  v1::BuildingView b = Building();
  b.add_subjects("mgr-1");          // listed twice in the chain
  b.add_subjects("person:head-1");  // already a recipient
  v1::Dispatch d = DispatchFor(Rule(2), b,
                               {Station("mfs_a", 300), Station("mfs_a", 300), Station("mfs_c", 100),
                                Station("mfs_d", 2000)});
  EXPECT_THAT(d.recipients(), ElementsAre("org:mfs_c", "org:mfs_a", "person:mgr-1", "person:head-1",
                                          "org:500109001002", "org:500109.fire_rescue"));
  EXPECT_EQ(d.stations_size(), 2);
}

TEST(DispatchFor, ABuildingWithoutStationsStillTellsTheOthers) {
  v1::Dispatch d = DispatchFor(Rule(2), Building(), {});
  EXPECT_THAT(d.recipients(), ElementsAre("person:mgr-1", "person:head-1", "org:500109001002",
                                          "org:500109.fire_rescue"));
  EXPECT_EQ(d.stations_size(), 0);
}

}  // namespace
}  // namespace firegrid::monitoring
