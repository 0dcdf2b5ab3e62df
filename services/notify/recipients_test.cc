#include "services/notify/recipients.h"

#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/hazards/routing.h"

namespace firegrid::notify {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;
namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;

const hazards::Rules& HazardRules() {
  static const hazards::Rules* rules = [] {
    auto r = hazards::Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
    EXPECT_TRUE(r.ok()) << r.status();
    return new hazards::Rules(*r);
  }();
  return *rules;
}

events::Envelope Wrap(const google::protobuf::Message& payload,
                      const std::string& tier = "500109001002") {
  SequentialIdGenerator ids;
  return events::NewEnvelope(payload, "hazards", "bld_1", tier, absl::FromUnixSeconds(1000), ids);
}

hv1::Hazard RoutedHazard(hv1::HazardCategory c, int use) {
  hazards::BuildingView b;
  b.building_id = "bld_1";
  b.tier_path = "500109001002";
  b.use = use;
  hv1::Hazard h;
  h.set_hazard_id("hzd_1");
  h.set_building_id("bld_1");
  h.set_tier_path(b.tier_path);
  h.set_category(c);
  *h.mutable_routing() = hazards::Route(HazardRules(), c, b);
  h.add_building_subjects("mgr-1");
  h.mutable_reporter()->set_subject("grid-1");
  return h;
}

// Recipients per routing row, from the same rules the hazards service routes with: the lead
// departments and the community get a task to acknowledge; the assisting departments, the
// street and the building's manager are informed.
TEST(PlanNotifications, EveryRoutingRowReachesItsDepartmentsStreetCommunityAndManager) {
  for (const auto& rule : HazardRules().proto().routing()) {
    SCOPED_TRACE(hv1::HazardCategory_Name(rule.category()));
    hv1::HazardRouted e;
    *e.mutable_hazard() = RoutedHazard(rule.category(), bv1::BUILDING_USE_SCHOOL);
    auto plans = PlanNotifications(Wrap(e));
    ASSERT_EQ(plans.size(), 2u);
    std::vector<std::string> task = {"org:500109001002"};
    for (const auto& d : rule.lead_departments()) task.push_back("org:500109." + d);
    EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray(task));
    EXPECT_TRUE(plans[0].notification.requires_ack());
    EXPECT_EQ(plans[0].notification.kind(), v1::KIND_HAZARD_TASK);
    EXPECT_EQ(plans[0].notification.hazard_id(), "hzd_1");
    std::vector<std::string> info = {"org:500109001", "org:500109.education", "person:mgr-1"};
    for (const auto& d : rule.assisting_departments()) info.push_back("org:500109." + d);
    EXPECT_THAT(plans[1].recipients, UnorderedElementsAreArray(info));
    EXPECT_FALSE(plans[1].notification.requires_ack());
    EXPECT_EQ(plans[1].notification.kind(), v1::KIND_INFORMATION);
  }
}

TEST(PlanNotifications, AssignmentTasksTheResponsibleSubject) {
  hv1::HazardStatusChanged e;
  *e.mutable_hazard() =
      RoutedHazard(hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, bv1::BUILDING_USE_RESIDENTIAL);
  e.mutable_hazard()->mutable_assignment()->set_responsible_subject("mgr-1");
  e.mutable_hazard()->mutable_assignment()->set_supervising_department("fire_rescue");
  e.set_from(hv1::STATUS_VERIFIED);
  e.set_to(hv1::STATUS_ASSIGNED);
  auto plans = PlanNotifications(Wrap(e));
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray({"person:mgr-1"}));
  EXPECT_TRUE(plans[0].notification.requires_ack());
  EXPECT_THAT(plans[1].recipients,
              UnorderedElementsAreArray({"org:500109.fire_rescue", "org:500109001002"}));
}

TEST(PlanNotifications, RemindersEscalationsAndClosure) {
  hv1::Hazard h =
      RoutedHazard(hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, bv1::BUILDING_USE_RESIDENTIAL);
  h.mutable_assignment()->set_responsible_subject("mgr-1");
  h.mutable_assignment()->set_supervising_department("fire_rescue");
  hv1::HazardOverdue overdue;
  *overdue.mutable_hazard() = h;
  auto plans = PlanNotifications(Wrap(overdue));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].notification.kind(), v1::KIND_REMINDER);
  EXPECT_THAT(plans[0].recipients,
              UnorderedElementsAreArray(
                  {"person:mgr-1", "org:500109001002", "org:500109.fire_rescue", "org:500109001"}));
  hv1::HazardEscalated esc;
  *esc.mutable_hazard() = h;
  esc.set_escalated_to("500109");
  plans = PlanNotifications(Wrap(esc));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray({"org:500109"}));
  hv1::HazardClosed closed;
  *closed.mutable_hazard() = h;
  plans = PlanNotifications(Wrap(closed));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, Contains("person:grid-1"));
  EXPECT_THAT(plans[0].recipients, Contains("org:500109.fire_rescue"));
}

TEST(PlanNotifications, SystemSubjectsAndUnrelatedEventsYieldNothing) {
  hv1::HazardReported dup;
  *dup.mutable_hazard() = RoutedHazard(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, 1);
  dup.mutable_hazard()->set_duplicate_of("hzd_0");
  dup.mutable_hazard()->mutable_reporter()->set_subject("firegrid-hazards");
  EXPECT_TRUE(PlanNotifications(Wrap(dup)).empty());
  dup.mutable_hazard()->mutable_reporter()->set_subject("grid-9");
  auto plans = PlanNotifications(Wrap(dup));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray({"person:grid-9"}));
  bv1::BuildingRegistered reg;
  EXPECT_TRUE(PlanNotifications(Wrap(reg)).empty());
}

TEST(PlanNotifications, FacilityFaultsAreSharedWithCommunityAndFireRescue) {
  bv1::FacilityStatusChanged f;
  f.mutable_facility()->set_kind(bv1::FACILITY_KIND_SPRINKLER);
  f.mutable_facility()->set_status(bv1::FACILITY_STATUS_FAULT);
  auto plans = PlanNotifications(Wrap(f));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients,
              UnorderedElementsAreArray({"org:500109001002", "org:500109.fire_rescue"}));
  f.mutable_facility()->set_status(bv1::FACILITY_STATUS_NORMAL);
  EXPECT_TRUE(PlanNotifications(Wrap(f)).empty());
}

TEST(PlanNotifications, EveryNotificationCarriesTheTraceIdOfTheEventsRequest) {
  hv1::HazardRouted e;
  *e.mutable_hazard() =
      RoutedHazard(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, bv1::BUILDING_USE_SCHOOL);
  SequentialIdGenerator ids;
  const events::Envelope traced =
      events::NewEnvelope(e, "hazards", "bld_1", "500109001002", absl::FromUnixSeconds(1000), ids,
                          "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  auto plans = PlanNotifications(traced);
  ASSERT_FALSE(plans.empty());
  for (const Planned& p : plans) {
    EXPECT_EQ(p.notification.trace_id(), "0af7651916cd43dd8448eb211c80319c");
  }
  for (const Planned& p : PlanNotifications(Wrap(e))) EXPECT_EQ(p.notification.trace_id(), "");
}

struct TraceparentCase {
  const char* name;
  const char* traceparent;
  const char* trace_id;  // "" when refused
};

class TraceIdOfTest : public ::testing::TestWithParam<TraceparentCase> {};

TEST_P(TraceIdOfTest, YieldsTheTraceIdOfAWellFormedHeaderOnly) {
  EXPECT_EQ(TraceIdOf(GetParam().traceparent), GetParam().trace_id) << GetParam().traceparent;
}

const TraceparentCase kTraceparents[] = {
    {"Sampled", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
     "0af7651916cd43dd8448eb211c80319c"},
    {"NotSampled", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
     "4bf92f3577b34da6a3ce929d0e0e4736"},
    {"FutureVersionWithMoreFields",
     "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-brings",
     "0af7651916cd43dd8448eb211c80319c"},
    {"Empty", "", ""},
    {"UpperCaseHex", "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01", ""},
    {"AllZeroTraceId", "00-00000000000000000000000000000000-b7ad6b7169203331-01", ""},
    {"AllZeroSpanId", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", ""},
    {"VersionFf", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ""},
    {"Version00WithExtraField", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x", ""},
    {"ShortTraceId", "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01", ""},
    {"WrongSeparator", "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ""},
    {"NotHex", "00-0af7651916cd43dd8448eb211c80319z-b7ad6b7169203331-01", ""},
};

INSTANTIATE_TEST_SUITE_P(Traceparents, TraceIdOfTest, ::testing::ValuesIn(kTraceparents),
                         [](const ::testing::TestParamInfo<TraceparentCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(NextTierUp, CommunityToStreetToDistrict) {
  EXPECT_EQ(NextTierUp("org:500109001002", ""), "org:500109001");
  EXPECT_EQ(NextTierUp("org:500109001", ""), "org:500109");
  EXPECT_EQ(NextTierUp("org:500109", ""), "");
  EXPECT_EQ(NextTierUp("org:500109.urban_management", ""), "org:500109");
  EXPECT_EQ(NextTierUp("person:mgr-1", "500109001002"), "org:500109001002");
}

}  // namespace
}  // namespace firegrid::notify
