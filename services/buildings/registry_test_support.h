#pragma once

// The fixture the registry_*_test.cc files share: a registry over the in-memory store with a
// district, two streets and three communities, and principals of the common roles.

#include <string>
#include <vector>

#include "firegrid/buildings/v1/events.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "services/buildings/memory_store.h"
#include "services/buildings/registry.h"

namespace firegrid::buildings::registry_testing {

using auth::Principal;
using auth::Role;
using ::testing::HasSubstr;

inline constexpr char kDistrict[] = "500109";
inline constexpr char kStreet[] = "500109001";
inline constexpr char kCommunityA[] = "500109001001";
inline constexpr char kCommunityB[] = "500109001002";
inline constexpr char kOtherStreet[] = "500109002";
inline constexpr char kCommunityC[] = "500109002001";

// Unified social credit codes with correct GB 32100 check characters, and resident identity
// numbers with correct GB 11643 ones (11010519491231002X is the standard's own example).
inline constexpr char kOwnerCode[] = "91500109MA5U0001A4";
inline constexpr char kPropertyCode[] = "91500109MA5U0002B8";
inline constexpr char kAgencyCode[] = "91500109MA60003C02";
inline constexpr char kCommitteeCode[] = "52500109MA6000XX1B";
inline constexpr char kPersonId[] = "500109198503121232";
inline constexpr char kPersonIdX[] = "11010519491231002X";

// A party: an organisation when `code` is a credit code, a person when `person_id` is set.
inline subjects::v1::Party MakeParty(subjects::v1::PartyRole role, const std::string& name,
                                     const std::string& code, const std::string& person_id = "") {
  subjects::v1::Party p;
  p.set_role(role);
  p.set_name(name);
  p.set_credit_code(code);
  p.set_person_id(person_id);
  return p;
}

inline google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

inline Principal Make(Role role, const std::string& tier, const std::string& subject = "u") {
  Principal p;
  p.role = role;
  p.tier_path = tier;
  p.subject = subject;
  return p;
}

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest()
      // Monday 2026-11-23 10:00 China Standard Time.
      : clock_(absl::FromCivil(absl::CivilHour(2026, 11, 23, 10), absl::FixedTimeZone(8 * 3600))),
        registry_(&store_, DefaultRules(), &clock_, &ids_) {}

  void SetUp() override {
    admin_ = Make(Role::kDistrictAdmin, kDistrict, "admin");
    street_ = Make(Role::kStreetOfficer, kStreet, "street");
    worker_a_ = Make(Role::kCommunityWorker, kCommunityA, "worker-a");
    worker_b_ = Make(Role::kCommunityWorker, kCommunityB, "worker-b");
    Unit(kDistrict, v1::ORG_UNIT_KIND_DISTRICT, "", "北碚区");
    Unit(kStreet, v1::ORG_UNIT_KIND_STREET, kDistrict, "天生街道");
    Unit(kOtherStreet, v1::ORG_UNIT_KIND_STREET, kDistrict, "朝阳街道");
    Unit(kCommunityA, v1::ORG_UNIT_KIND_COMMUNITY, kStreet, "凤凰社区");
    Unit(kCommunityB, v1::ORG_UNIT_KIND_COMMUNITY, kStreet, "天生社区");
    Unit(kCommunityC, v1::ORG_UNIT_KIND_COMMUNITY, kOtherStreet, "朝阳社区");
  }

  void Unit(const std::string& code, v1::OrgUnitKind kind, const std::string& parent,
            const std::string& name) {
    v1::UpsertOrgUnitRequest req;
    req.mutable_org_unit()->set_code(code);
    req.mutable_org_unit()->set_kind(kind);
    req.mutable_org_unit()->set_parent_code(parent);
    req.mutable_org_unit()->set_name(name);
    auto u = registry_.UpsertOrgUnit(admin_, req);
    ASSERT_TRUE(u.ok()) << u.status();
  }

  static v1::Building Fields(const std::string& tier, double height = 60,
                             v1::BuildingUse use = v1::BUILDING_USE_RESIDENTIAL) {
    v1::Building b;
    b.set_name("嘉陵苑 1 栋");
    b.set_address("北碚区天生路 1 号");
    b.set_tier_path(tier);
    b.mutable_location()->set_latitude(29.82);
    b.mutable_location()->set_longitude(106.43);
    b.set_use(use);
    b.set_height_m(height);
    b.set_floors_above_ground(static_cast<int>(height / 3));
    return b;
  }

  v1::Building Create(const Principal& p, const std::string& tier, double height = 60) {
    v1::CreateBuildingRequest req;
    *req.mutable_building() = Fields(tier, height);
    auto b = registry_.CreateBuilding(p, req);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *b : v1::Building();
  }

  v1::ResponsibilityChain Chain(const std::string& manager_subject = "") {
    v1::ResponsibilityChain c;
    c.set_management_unit("重庆嘉陵物业管理有限公司");
    c.mutable_responsible_person()->set_name("张三");
    c.mutable_responsible_person()->set_phone("13800000001");
    c.mutable_manager()->set_name("李四");
    c.mutable_manager()->set_phone("13800000002");
    c.mutable_manager()->set_subject(manager_subject);
    c.mutable_building_head()->set_name("王五");
    c.mutable_building_head()->set_phone("13800000003");
    c.set_property_company("重庆嘉陵物业管理有限公司");
    return c;
  }

  std::vector<events::Envelope> Events() {
    std::vector<events::Envelope> out;
    for (const auto& m : store_.outbox()) {
      EXPECT_EQ(m.topic, events::kBuildingsTopic);
      auto e = events::ParseEnvelope(m.value);
      EXPECT_TRUE(e.ok()) << e.status();
      // Keyed by the building; a station's event (no building) by the station.
      if (auto station = events::Unpack<v1::MicroStationRegistered>(*e); station.ok()) {
        EXPECT_EQ(m.key, station->station().station_id());
        EXPECT_EQ(e->building_id(), "");
      } else {
        EXPECT_EQ(m.key, e->building_id());
      }
      out.push_back(*e);
    }
    return out;
  }

  FakeClock clock_;
  SequentialIdGenerator ids_;
  MemoryStore store_;
  Registry registry_;
  Principal admin_, street_, worker_a_, worker_b_;
};

}  // namespace firegrid::buildings::registry_testing
