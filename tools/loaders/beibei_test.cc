#include "tools/loaders/beibei.h"

#include <cmath>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/subjects/party.h"

namespace firegrid::loaders {
namespace {

using ::testing::Contains;

// GB 50016 classes with the defaults of config/buildings_rules.textproto (docs/domain.md).
bv1::BuildingClass ClassOf(const bv1::Building& b) {
  const bool residential = b.use() == bv1::BUILDING_USE_RESIDENTIAL;
  const double h = b.height_m();
  if (h > 100) return bv1::BUILDING_CLASS_SUPER_HIGH_RISE;
  if (h <= (residential ? 27 : 24)) return bv1::BUILDING_CLASS_NOT_HIGH_RISE;
  if (h > (residential ? 54 : 50)) return bv1::BUILDING_CLASS_I;
  return bv1::BUILDING_CLASS_II;
}

bool LaneCompliant(const bv1::FireLane& l) {
  return l.clear_width_m() >= 4 && l.clear_height_m() >= 4 && l.slope_percent() <= 8 &&
         l.marking().lines_painted() && l.marking().name_marked() && l.marking().sign_installed() &&
         !l.occupied();
}

class BeibeiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_ = new DemoDataset(GenerateBeibei()); }
  static void TearDownTestSuite() { delete data_; }
  static DemoDataset* data_;
};
DemoDataset* BeibeiTest::data_ = nullptr;

TEST_F(BeibeiTest, SameSeedGivesTheSameDataAndAnotherSeedDoesNot) {
  DemoDataset again = GenerateBeibei();
  ASSERT_EQ(again.buildings.size(), data_->buildings.size());
  for (size_t i = 0; i < again.buildings.size(); ++i) {
    ASSERT_EQ(again.buildings[i].building.SerializeAsString(),
              data_->buildings[i].building.SerializeAsString());
    ASSERT_EQ(again.buildings[i].chain_steps.size(), data_->buildings[i].chain_steps.size());
  }
  ASSERT_EQ(again.hydrants.size(), data_->hydrants.size());
  DemoDataset other = GenerateBeibei(kDefaultSeed + 1);
  int differing = 0;
  for (size_t i = 0; i < other.buildings.size(); ++i) {
    differing += other.buildings[i].building.SerializeAsString() !=
                 data_->buildings[i].building.SerializeAsString();
  }
  EXPECT_GT(differing, 250);
}

TEST_F(BeibeiTest, OrgUnitsFormAValidTreeWithParentsFirst) {
  ASSERT_FALSE(data_->org_units.empty());
  EXPECT_EQ(data_->org_units[0].code(), "500109");
  EXPECT_EQ(data_->org_units[0].kind(), bv1::ORG_UNIT_KIND_DISTRICT);
  std::set<std::string> seen;
  std::map<std::string, int> children;
  int streets = 0;
  for (const bv1::OrgUnit& u : data_->org_units) {
    EXPECT_TRUE(seen.insert(u.code()).second) << "duplicate " << u.code();
    EXPECT_FALSE(u.name().empty());
    if (u.kind() != bv1::ORG_UNIT_KIND_DISTRICT) {
      EXPECT_TRUE(seen.count(u.parent_code())) << u.code() << " before its parent";
    }
    switch (u.kind()) {
      case bv1::ORG_UNIT_KIND_STREET:
      case bv1::ORG_UNIT_KIND_TOWN:
        ++streets;
        EXPECT_EQ(u.code().size(), 9u);
        EXPECT_EQ(u.parent_code(), "500109");
        break;
      case bv1::ORG_UNIT_KIND_COMMUNITY:
      case bv1::ORG_UNIT_KIND_VILLAGE:
        EXPECT_EQ(u.code().size(), 12u);
        EXPECT_EQ(u.code().substr(0, 9), u.parent_code());
        ++children[u.parent_code()];
        break;
      case bv1::ORG_UNIT_KIND_DEPARTMENT:
      case bv1::ORG_UNIT_KIND_ENTERPRISE:
        EXPECT_TRUE(absl::StartsWith(u.code(), "500109.")) << u.code();
        EXPECT_EQ(u.parent_code(), "500109");
        break;
      default:
        break;
    }
  }
  EXPECT_GE(streets, 10);
  for (const auto& [street, n] : children) {
    EXPECT_GE(n, 3) << street;
    EXPECT_LE(n, 6) << street;
  }
  EXPECT_EQ(children.size(), static_cast<size_t>(streets));
  for (const char* dept :
       {"500109.fire_rescue", "500109.urban_management", "500109.housing", "500109.planning",
        "500109.economy_it", "500109.market_supervision", "500109.police", "500109.education",
        "500109.civil_affairs", "500109.commerce", "500109.culture_tourism", "500109.health"}) {
    EXPECT_TRUE(seen.count(dept)) << dept;
  }
  EXPECT_TRUE(seen.count("500109001"));  // 天生街道
}

TEST_F(BeibeiTest, BuildingsLieInKnownCommunitiesNearBeibei) {
  std::set<std::string> communities;
  for (const auto& u : data_->org_units) {
    if (u.kind() == bv1::ORG_UNIT_KIND_COMMUNITY || u.kind() == bv1::ORG_UNIT_KIND_VILLAGE) {
      communities.insert(u.code());
    }
  }
  std::set<std::string> request_ids;
  std::set<std::string> used_communities;
  ASSERT_EQ(data_->buildings.size(), 300u);
  for (const PlannedBuilding& p : data_->buildings) {
    const bv1::Building& b = p.building;
    EXPECT_TRUE(request_ids.insert(p.request_id).second);
    EXPECT_TRUE(communities.count(b.tier_path())) << b.tier_path();
    used_communities.insert(b.tier_path());
    EXPECT_NEAR(b.location().latitude(), 29.82, 0.15);
    EXPECT_NEAR(b.location().longitude(), 106.43, 0.15);
    EXPECT_GE(b.height_m(), 10);
    EXPECT_LE(b.height_m(), 160);
    EXPECT_GE(b.floors_above_ground(), 1);
    EXPECT_FALSE(b.name().empty());
    EXPECT_TRUE(b.building_id().empty());
    EXPECT_EQ(b.building_class(), bv1::BUILDING_CLASS_UNSPECIFIED);  // server-owned
  }
  EXPECT_EQ(used_communities, communities);  // every community has buildings
}

TEST_F(BeibeiTest, EveryClassOccursForResidentialAndPublicBuildings) {
  std::set<std::pair<bool, bv1::BuildingClass>> seen;
  std::set<bv1::BuildingUse> uses;
  for (const PlannedBuilding& p : data_->buildings) {
    seen.insert({p.building.use() == bv1::BUILDING_USE_RESIDENTIAL, ClassOf(p.building)});
    uses.insert(p.building.use());
  }
  for (bool residential : {true, false}) {
    for (auto c : {bv1::BUILDING_CLASS_NOT_HIGH_RISE, bv1::BUILDING_CLASS_II, bv1::BUILDING_CLASS_I,
                   bv1::BUILDING_CLASS_SUPER_HIGH_RISE}) {
      EXPECT_TRUE(seen.count({residential, c})) << residential << " " << c;
    }
  }
  EXPECT_EQ(uses.size(), 11u);
}

TEST_F(BeibeiTest, AboutSeventyPercentFiledSomeChangedSomeMissing) {
  int filed = 0, changed = 0, unfiled = 0, missing = 0;
  for (const PlannedBuilding& p : data_->buildings) {
    const auto& steps = p.chain_steps;
    if (steps.empty()) {
      ++missing;
    } else if (steps.size() == 2) {
      ++changed;
      EXPECT_TRUE(steps[0].filing_sequence.has_value());
      EXPECT_FALSE(steps[1].filing_sequence.has_value());
      EXPECT_NE(steps[0].chain.manager().name(), steps[1].chain.manager().name());
    } else if (steps[0].filing_sequence.has_value()) {
      ++filed;
    } else {
      ++unfiled;
    }
    for (const ChainStep& s : steps) {
      EXPECT_FALSE(s.chain.management_unit().empty());
      for (const bv1::Person* person :
           {&s.chain.responsible_person(), &s.chain.manager(), &s.chain.building_head()}) {
        EXPECT_FALSE(person->name().empty());
        EXPECT_EQ(person->phone().size(), 11u) << person->phone();
      }
      EXPECT_EQ(s.chain.property_company().empty(), p.building.three_nos());
    }
  }
  const double n = static_cast<double>(data_->buildings.size());
  EXPECT_NEAR(filed / n, 0.70, 0.08);
  EXPECT_GT(changed, 10);
  EXPECT_GT(unfiled, 5);
  EXPECT_GT(missing, 10);
}

TEST_F(BeibeiTest, FacilitiesIncludeDryIndoorHydrantsAndValidStatuses) {
  int dry = 0, faults = 0;
  for (const PlannedBuilding& p : data_->buildings) {
    std::set<bv1::FacilityKind> kinds;
    for (const bv1::Facility& f : p.facilities) {
      EXPECT_TRUE(kinds.insert(f.kind()).second) << "kind twice in " << p.request_id;
      if (f.status() == bv1::FACILITY_STATUS_NO_WATER) {
        EXPECT_EQ(f.kind(), bv1::FACILITY_KIND_INDOOR_HYDRANT);
        ++dry;
      }
      if (f.status() != bv1::FACILITY_STATUS_NORMAL) {
        EXPECT_FALSE(f.note().empty());
        ++faults;
      }
    }
    EXPECT_TRUE(kinds.count(bv1::FACILITY_KIND_INDOOR_HYDRANT));
  }
  EXPECT_GT(dry, 20);
  EXPECT_GT(faults, dry);
}

TEST_F(BeibeiTest, SomeFireAccessIsNonCompliantInEachWay) {
  int non_compliant = 0, narrow = 0, steep = 0, unmarked = 0, occupied = 0;
  for (const PlannedBuilding& p : data_->buildings) {
    ASSERT_FALSE(p.fire_lanes.empty());
    bool ok = true;
    std::set<std::string> ids;
    for (const bv1::FireLane& l : p.fire_lanes) {
      EXPECT_TRUE(ids.insert(l.lane_id()).second);
      ok = ok && LaneCompliant(l);
      narrow += l.clear_width_m() < 4;
      steep += l.slope_percent() > 8;
      unmarked += !l.marking().sign_installed() || !l.marking().lines_painted();
      occupied += l.occupied();
    }
    for (const bv1::RescueSite& s : p.rescue_sites) {
      ok = ok && !s.occupied();
      occupied += s.occupied();
    }
    non_compliant += !ok;
  }
  const double share = non_compliant / static_cast<double>(data_->buildings.size());
  EXPECT_GT(share, 0.15);
  EXPECT_LT(share, 0.45);
  EXPECT_GT(narrow, 0);
  EXPECT_GT(steep, 0);
  EXPECT_GT(unmarked, 0);
  EXPECT_GT(occupied, 0);
}

TEST_F(BeibeiTest, HydrantsAndStationsSitInCommunities) {
  std::set<std::string> communities;
  for (const auto& u : data_->org_units) {
    if (u.kind() == bv1::ORG_UNIT_KIND_COMMUNITY || u.kind() == bv1::ORG_UNIT_KIND_VILLAGE) {
      communities.insert(u.code());
    }
  }
  EXPECT_GE(data_->hydrants.size(), 2 * communities.size());
  std::set<bv1::HydrantStatus> statuses;
  for (const bv1::Hydrant& h : data_->hydrants) {
    EXPECT_TRUE(communities.count(h.tier_path()));
    EXPECT_TRUE(h.hydrant_id().empty());
    statuses.insert(h.status());
  }
  EXPECT_THAT(statuses, Contains(bv1::HYDRANT_STATUS_IN_SERVICE));
  EXPECT_GT(statuses.size(), 2u);
  EXPECT_GT(data_->stations.size(), communities.size());
  for (const bv1::MicroStation& s : data_->stations) {
    EXPECT_TRUE(communities.count(s.tier_path()));
    EXPECT_TRUE(absl::EndsWith(s.name(), "微型消防站"));
  }
}

// ----- parties

namespace sv1 = ::firegrid::subjects::v1;

TEST_F(BeibeiTest, EveryBuildingNamesValidPartiesWithItsChainsManagementUnit) {
  for (const PlannedBuilding& p : data_->buildings) {
    const bv1::Building& b = p.building;
    SCOPED_TRACE(p.request_id);
    std::map<sv1::PartyRole, std::vector<const sv1::Party*>> by_role;
    std::set<std::string> keys;
    for (int i = 0; i < b.parties_size(); ++i) {
      const sv1::Party& party = b.parties(i);
      EXPECT_TRUE(subjects::ValidateParty(party, "party").ok())
          << subjects::ValidateParty(party, "party");
      sv1::Party normalized = party;
      subjects::NormalizeParty(&normalized);
      EXPECT_EQ(normalized.SerializeAsString(), party.SerializeAsString());  // already normal
      EXPECT_TRUE(
          keys.insert(absl::StrCat(party.role(), party.credit_code(), party.person_id())).second)
          << "twice in one role: " << party.name();
      by_role[party.role()].push_back(&party);
    }
    EXPECT_LE(b.parties_size(), 50);
    ASSERT_EQ(by_role[sv1::PARTY_ROLE_OWNER].size(), 1u);
    ASSERT_EQ(by_role[sv1::PARTY_ROLE_MANAGEMENT_UNIT].size(), 1u);
    EXPECT_EQ(by_role[sv1::PARTY_ROLE_PROPERTY_COMPANY].size(), b.three_nos() ? 0u : 1u);
    if (!p.chain_steps.empty()) {
      EXPECT_EQ(by_role[sv1::PARTY_ROLE_MANAGEMENT_UNIT][0]->name(),
                p.chain_steps.front().chain.management_unit());
    }
  }
}

TEST_F(BeibeiTest, AHandfulOfAgenciesMaintainManyBuildingsAndOneNameHasOneCode) {
  std::map<std::string, std::set<std::string>> codes_of_name;
  std::map<std::string, int> buildings_of_agency;
  int with_agency = 0;
  for (const PlannedBuilding& p : data_->buildings) {
    bool agency = false;
    for (const sv1::Party& party : p.building.parties()) {
      if (!party.credit_code().empty()) codes_of_name[party.name()].insert(party.credit_code());
      if (party.role() == sv1::PARTY_ROLE_MAINTENANCE_AGENCY) {
        ++buildings_of_agency[party.credit_code()];
        agency = true;
      }
    }
    with_agency += agency;
  }
  for (const auto& [name, codes] : codes_of_name) EXPECT_EQ(codes.size(), 1u) << name;
  EXPECT_GE(buildings_of_agency.size(), 3u);
  EXPECT_LE(buildings_of_agency.size(), 5u);
  for (const auto& [code, n] : buildings_of_agency) EXPECT_GE(n, 10) << code;
  const double share = static_cast<double>(with_agency) / data_->buildings.size();
  EXPECT_GT(share, 0.45);
  EXPECT_LT(share, 0.75);
}

TEST_F(BeibeiTest, SomeOccupantsArePersonsWithValidIdentityNumbers) {
  int persons = 0, organisations = 0;
  std::set<std::string> ids;
  for (const PlannedBuilding& p : data_->buildings) {
    for (const sv1::Party& party : p.building.parties()) {
      if (party.role() != sv1::PARTY_ROLE_OCCUPANT) continue;
      if (party.person_id().empty()) {
        ++organisations;
        continue;
      }
      ++persons;
      EXPECT_TRUE(subjects::ValidatePersonId(party.person_id(), "id").ok()) << party.person_id();
      EXPECT_EQ(party.person_id().substr(0, 6), kBeibeiCode);
      ids.insert(party.person_id());
    }
  }
  EXPECT_GT(persons, 20);
  EXPECT_GT(organisations, 20);
  EXPECT_EQ(ids.size(), static_cast<size_t>(persons));  // no two residents share a number
}

}  // namespace
}  // namespace firegrid::loaders
