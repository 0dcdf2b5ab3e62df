#include "services/notify/recipients.h"

#include <functional>

#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/credit/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/hazards/routing.h"

namespace firegrid::notify {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;
namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;
namespace cv1 = ::firegrid::credit::v1;
namespace mv1 = ::firegrid::monitoring::v1;

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

// ---- public reports (Open311 through a public channel)

// An unmatched public report as the hazards service files it: no building, kept at `tier`
// (a street or the district code), reported by channel:wechat.
hv1::Hazard UnmatchedReport(const std::string& tier) {
  hv1::Hazard h;
  h.set_hazard_id("hzd_pub");
  h.set_tier_path(tier);
  h.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  h.set_status(hv1::STATUS_REPORTED);
  h.set_source(hv1::SOURCE_PUBLIC_TIP_OFF);
  h.set_description("小区消防通道被车辆堵塞");
  h.set_channel("wechat");
  h.set_unmatched(true);
  h.mutable_location()->set_latitude(29.562812);
  h.mutable_location()->set_longitude(106.551556);
  h.mutable_location()->set_address("渝北区龙溪街道金龙路 18 号");
  h.mutable_reporter()->set_subject("channel:wechat");
  *h.mutable_routing() = hazards::RouteUnmatched(tier);
  return h;
}

// The same report matched by the street officer to a community building (MatchPublicReport).
hv1::Hazard MatchedReport() {
  hv1::Hazard h = UnmatchedReport("500109001");
  hazards::BuildingView b;
  b.building_id = "bld_1";
  b.name = "金龙小区 3 栋";
  b.tier_path = "500109001002";
  b.use = bv1::BUILDING_USE_RESIDENTIAL;
  b.subjects = {"mgr-1"};
  hazards::AttachBuilding(HazardRules(), b, h.category(), &h);
  h.set_unmatched(false);
  return h;
}

struct PublicReportCase {
  const char* name;
  std::function<events::Envelope()> event;
  // One row per plan: its recipients, kind and whether it needs acknowledgement.
  struct Plan {
    std::vector<std::string> recipients;
    v1::Kind kind;
    bool requires_ack;
  };
  std::vector<Plan> plans;
};

void PrintTo(const PublicReportCase& c, std::ostream* os) { *os << c.name; }

class PublicReportTest : public ::testing::TestWithParam<PublicReportCase> {};

TEST_P(PublicReportTest, ReachesWhoMustActAndNeverTheChannel) {
  const auto plans = PlanNotifications(GetParam().event());
  ASSERT_EQ(plans.size(), GetParam().plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_THAT(plans[i].recipients, UnorderedElementsAreArray(GetParam().plans[i].recipients));
    EXPECT_EQ(plans[i].notification.kind(), GetParam().plans[i].kind);
    EXPECT_EQ(plans[i].notification.requires_ack(), GetParam().plans[i].requires_ack);
    for (const std::string& r : plans[i].recipients) EXPECT_THAT(r, Not(HasSubstr("channel:")));
  }
}

events::Envelope StatusChange(hv1::Hazard h, hv1::Status from, hv1::Status to) {
  h.set_status(to);
  if (to == hv1::STATUS_REJECTED) h.set_rejection_reason("地点不属实");
  hv1::HazardStatusChanged e;
  *e.mutable_hazard() = h;
  e.set_from(from);
  e.set_to(to);
  return Wrap(e, h.tier_path());
}

std::vector<std::string> WithCommunity(std::vector<std::string> departments) {
  for (auto& d : departments) d = "org:500109." + d;
  departments.push_back("org:500109001002");
  return departments;
}

const PublicReportCase kPublicReports[] = {
    {"UnmatchedReportIsATaskForItsStreet",
     [] {
       hv1::HazardRouted e;
       *e.mutable_hazard() = UnmatchedReport("500109001");
       return Wrap(e, "500109001");
     },
     {{{"org:500109001"}, v1::KIND_HAZARD_TASK, true}}},
    {"UnmatchedReportKeptAtTheDistrictIsATaskForTheDistrict",
     [] {
       hv1::HazardRouted e;
       *e.mutable_hazard() = UnmatchedReport("500109");
       return Wrap(e, "500109");
     },
     {{{"org:500109"}, v1::KIND_HAZARD_TASK, true}}},
    {"UnmatchedReportsHazardReportedAddsNothing",
     [] {
       hv1::HazardReported e;
       *e.mutable_hazard() = UnmatchedReport("500109001");
       return Wrap(e, "500109001");
     },
     {}},
    {"RejectedUnmatchedReportNotifiesNoChannel",
     [] {
       return StatusChange(UnmatchedReport("500109001"), hv1::STATUS_REPORTED,
                           hv1::STATUS_REJECTED);
     },
     {}},
    {"RejectedMatchedReportTellsTheCommunityOnly",
     [] { return StatusChange(MatchedReport(), hv1::STATUS_REPORTED, hv1::STATUS_REJECTED); },
     {{{"org:500109001002"}, v1::KIND_HAZARD_UPDATE, false}}},
    {"MatchedReportIsRoutedToItsDepartmentsLikeANewReport",
     [] {
       hv1::HazardRouted e;
       *e.mutable_hazard() = MatchedReport();
       *e.mutable_previous_routing() = hazards::RouteUnmatched("500109001");
       return Wrap(e);
     },
     {{WithCommunity({"urban_management"}), v1::KIND_HAZARD_TASK, true},
      {{"org:500109001", "org:500109.police", "org:500109.planning", "org:500109.housing",
        "org:500109.fire_rescue", "person:mgr-1"},
       v1::KIND_INFORMATION,
       false}}},
    {"ReportMatchedAsADuplicateNotifiesNoChannel",
     [] {
       hv1::HazardReported e;
       *e.mutable_hazard() = MatchedReport();
       e.mutable_hazard()->set_duplicate_of("hzd_0");
       return Wrap(e);
     },
     {}},
    {"ClosedPublicReportTellsDepartmentsAndCommunityNotTheChannel",
     [] {
       hv1::HazardClosed e;
       *e.mutable_hazard() = MatchedReport();
       return Wrap(e);
     },
     {{WithCommunity({"urban_management"}), v1::KIND_HAZARD_UPDATE, false}}},
};

INSTANTIATE_TEST_SUITE_P(PublicReports, PublicReportTest, ::testing::ValuesIn(kPublicReports),
                         [](const ::testing::TestParamInfo<PublicReportCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(PlanNotifications, UnmatchedReportsTaskSaysWhereAndToMatchOrReject) {
  hv1::HazardRouted e;
  *e.mutable_hazard() = UnmatchedReport("500109001");
  const auto plans = PlanNotifications(Wrap(e, "500109001"));
  ASSERT_EQ(plans.size(), 1u);
  const v1::Notification& n = plans[0].notification;
  EXPECT_THAT(n.title(), HasSubstr("public report to match"));
  EXPECT_THAT(n.title(), HasSubstr("渝北区龙溪街道金龙路 18 号"));
  EXPECT_THAT(n.body(), HasSubstr("小区消防通道被车辆堵塞"));
  EXPECT_THAT(n.body(), HasSubstr("wechat"));
  EXPECT_THAT(n.body(), HasSubstr("MatchPublicReport"));
  EXPECT_THAT(n.body(), HasSubstr("RejectHazard"));
  EXPECT_EQ(n.hazard_id(), "hzd_pub");
  EXPECT_EQ(n.tier_path(), "500109001");
  EXPECT_EQ(n.building_id(), "");
  // Unacknowledged, the street's task goes up to the district.
  EXPECT_EQ(NextTierUp(plans[0].recipients[0], n.tier_path()), "org:500109");

  // Without an address, the place is its coordinates.
  e.mutable_hazard()->mutable_location()->clear_address();
  const auto by_coordinates = PlanNotifications(Wrap(e, "500109001"));
  ASSERT_EQ(by_coordinates.size(), 1u);
  EXPECT_THAT(by_coordinates[0].notification.title(), HasSubstr("29.562812,106.551556"));
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

// ---- credit

cv1::SubjectRef CreditSubject() {
  cv1::SubjectRef s;
  s.set_subject_id("org:91500109MA5U5T9X8G");
  s.set_name("缙云物业");
  s.set_type(subjects::v1::SUBJECT_TYPE_MANAGER);
  s.set_credit_code("91500109MA5U5T9X8G");
  s.add_notify_subjects("mgr-1");
  s.add_notify_subjects("agency-7");
  s.add_notify_subjects("mgr-1");  // the same manager of two buildings
  s.set_supervising_org_unit("500109.fire_rescue");
  s.add_tier_paths("500109001002");
  s.add_tier_paths("500109002001");
  return s;
}

cv1::LedgerRecord OverdueRecord() {
  cv1::LedgerRecord r;
  r.set_record_id("org:91500109MA5U5T9X8G#4");
  r.set_subject_id("org:91500109MA5U5T9X8G");
  r.set_seq(4);
  r.set_kind(cv1::RECORD_KIND_SCORE);
  r.set_rule_id("hazard.overdue");
  r.set_rules_version("2026.1");
  r.mutable_cause()->set_fact_id("evt_9");
  r.mutable_cause()->set_kind("hazard.overdue");
  r.mutable_cause()->set_hazard_id("hzd_1");
  r.mutable_cause()->set_building_id("bld_1");
  r.mutable_cause()->set_description("隐患逾期未整改");
  r.mutable_cause()->set_legal_basis("《重庆市消防条例》第二十条");
  r.set_delta(-8);
  r.set_score_after(87);
  r.set_level_after(cv1::LEVEL_B);
  return r;
}

events::Envelope WrapCredit(const google::protobuf::Message& payload) {
  SequentialIdGenerator ids;
  return events::NewEnvelope(payload, "credit", "", "", absl::FromUnixSeconds(1000), ids);
}

const std::vector<std::string> kCreditRecipients = {"person:mgr-1", "person:agency-7",
                                                    "org:500109.fire_rescue"};

TEST(PlanCreditNotifications, LevelChangeTellsTheSubjectsManagersAndSupervisingDepartment) {
  cv1::LevelChanged e;
  *e.mutable_subject() = CreditSubject();
  *e.mutable_record() = OverdueRecord();
  e.set_from(cv1::LEVEL_A);
  e.set_to(cv1::LEVEL_B);
  auto plans = PlanNotifications(WrapCredit(e));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray(kCreditRecipients));
  const v1::Notification& n = plans[0].notification;
  EXPECT_EQ(n.kind(), v1::KIND_CREDIT);
  EXPECT_FALSE(n.requires_ack());
  EXPECT_EQ(n.credit_subject_id(), "org:91500109MA5U5T9X8G");
  EXPECT_EQ(n.tier_path(), "500109001002");
  EXPECT_EQ(n.hazard_id(), "hzd_1");
  EXPECT_EQ(n.building_id(), "bld_1");
  EXPECT_EQ(n.event_type(), "firegrid.credit.v1.LevelChanged");
  EXPECT_THAT(n.title(), HasSubstr("缙云物业"));
  EXPECT_THAT(n.title(), HasSubstr("A（守信） → B（基本守信）"));
  EXPECT_THAT(n.body(), HasSubstr("信用分 95 → 87（-8）"));
  EXPECT_THAT(n.body(), HasSubstr("规则 hazard.overdue（2026.1）"));
  EXPECT_THAT(n.body(), HasSubstr("原因：隐患逾期未整改"));
  EXPECT_THAT(n.body(), HasSubstr("隐患 hzd_1"));
  EXPECT_THAT(n.body(), HasSubstr("依据：《重庆市消防条例》第二十条"));
}

TEST(PlanCreditNotifications, ScoreChangeStatesOldAndNewScoreAndTheLevelAfter) {
  cv1::ScoreChanged e;
  *e.mutable_subject() = CreditSubject();
  *e.mutable_record() = OverdueRecord();
  e.set_score_before(95);
  auto plans = PlanNotifications(WrapCredit(e));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray(kCreditRecipients));
  const v1::Notification& n = plans[0].notification;
  EXPECT_EQ(n.kind(), v1::KIND_CREDIT);
  EXPECT_THAT(n.title(), HasSubstr("95 → 87"));
  EXPECT_THAT(n.body(),
              HasSubstr("缙云物业（91500109MA5U5T9X8G） 信用分 95 → 87（-8），信用等级 B"));
  EXPECT_THAT(n.body(), HasSubstr("原因：隐患逾期未整改"));
}

// A record that moves the level arrives as ScoreChanged and LevelChanged (two events, two event
// ids): both plan under the record's once key, so the inbox delivers the first and drops the
// second. Another record, or the same record id under another rules version (a replayed
// generation), is another change.
TEST(PlanCreditNotifications, ScoreAndLevelEventsOfOneRecordAreOneNotification) {
  cv1::ScoreChanged score;
  *score.mutable_subject() = CreditSubject();
  *score.mutable_record() = OverdueRecord();
  score.set_score_before(95);
  cv1::LevelChanged level;
  *level.mutable_subject() = CreditSubject();
  *level.mutable_record() = OverdueRecord();
  level.set_from(cv1::LEVEL_A);
  level.set_to(cv1::LEVEL_B);
  SequentialIdGenerator ids;
  const events::Envelope score_env =
      events::NewEnvelope(score, "credit", "", "", absl::FromUnixSeconds(1000), ids);
  const events::Envelope level_env =
      events::NewEnvelope(level, "credit", "", "", absl::FromUnixSeconds(1000), ids);
  ASSERT_NE(score_env.event_id(), level_env.event_id());
  auto score_plans = PlanNotifications(score_env);
  auto level_plans = PlanNotifications(level_env);
  ASSERT_EQ(score_plans.size(), 1u);
  ASSERT_EQ(level_plans.size(), 1u);
  EXPECT_EQ(OnceKeyOf(score_env, score_plans[0], 0), OnceKeyOf(level_env, level_plans[0], 0));
  EXPECT_EQ(OnceKeyOf(level_env, level_plans[0], 0),
            "credit-record:2026.1:org:91500109MA5U5T9X8G#4");

  cv1::ScoreChanged next = score;
  next.mutable_record()->set_record_id("org:91500109MA5U5T9X8G#5");
  const events::Envelope next_env = WrapCredit(next);
  EXPECT_NE(OnceKeyOf(next_env, PlanNotifications(next_env)[0], 0),
            OnceKeyOf(score_env, score_plans[0], 0));
  cv1::ScoreChanged replayed = score;
  replayed.mutable_record()->set_rules_version("2027.1");
  const events::Envelope replayed_env = WrapCredit(replayed);
  EXPECT_NE(OnceKeyOf(replayed_env, PlanNotifications(replayed_env)[0], 0),
            OnceKeyOf(score_env, score_plans[0], 0));
}

TEST(PlanCreditNotifications, OtherEventsKeepTheirEventIdOnceKeys) {
  hv1::HazardRouted e;
  *e.mutable_hazard() =
      RoutedHazard(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, bv1::BUILDING_USE_SCHOOL);
  const events::Envelope env = Wrap(e);
  auto plans = PlanNotifications(env);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(OnceKeyOf(env, plans[0], 0), env.event_id() + ":0");
  EXPECT_EQ(OnceKeyOf(env, plans[1], 1), env.event_id() + ":1");
  cv1::BlacklistProposed proposed;
  *proposed.mutable_subject() = CreditSubject();
  proposed.mutable_entry()->set_entry_id("org:91500109MA5U5T9X8G#bl1");
  const events::Envelope penv = WrapCredit(proposed);
  EXPECT_EQ(OnceKeyOf(penv, PlanNotifications(penv)[0], 0), penv.event_id() + ":0");
}

TEST(PlanCreditNotifications, BlacklistNoticeSaysTheObjectionDeadlineAndHowToObject) {
  cv1::BlacklistProposed e;
  *e.mutable_subject() = CreditSubject();
  cv1::BlacklistEntry* entry = e.mutable_entry();
  entry->set_entry_id("org:91500109MA5U5T9X8G#bl1");
  entry->set_state(cv1::BLACKLIST_STATE_PROPOSED);
  entry->set_reason("出具虚假检测报告");
  entry->set_legal_basis("《消防法》第六十九条");
  // 2026-12-20 10:00 UTC = 18:00 China Standard Time.
  entry->mutable_objection_deadline()->set_seconds(1797760800);
  auto plans = PlanNotifications(WrapCredit(e));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray(kCreditRecipients));
  const v1::Notification& n = plans[0].notification;
  EXPECT_EQ(n.kind(), v1::KIND_CREDIT);
  EXPECT_FALSE(n.requires_ack());
  EXPECT_THAT(n.title(), HasSubstr("拟列入黑名单"));
  EXPECT_THAT(n.body(), HasSubstr("异议期至 2026-12-20 18:00 +08:00"));
  EXPECT_THAT(n.body(),
              HasSubstr("firegridctl credit blacklist object org:91500109MA5U5T9X8G#bl1"));
  EXPECT_THAT(n.body(), HasSubstr("理由：出具虚假检测报告"));
  EXPECT_THAT(n.body(), HasSubstr("依据：《消防法》第六十九条"));
}

TEST(PlanCreditNotifications, BlacklistEntryAndEachWayOutAreNotified) {
  cv1::BlacklistEntry entry;
  entry.set_entry_id("org:91500109MA5U5T9X8G#bl1");
  entry.set_reason("信用等级降至 D");
  entry.set_automatic(true);
  entry.mutable_effective_at()->set_seconds(1797760800);
  entry.mutable_expires_at()->set_seconds(1797760800 + 365 * 86400);
  cv1::Blacklisted on;
  *on.mutable_subject() = CreditSubject();
  *on.mutable_entry() = entry;
  on.mutable_entry()->set_state(cv1::BLACKLIST_STATE_ACTIVE);
  auto plans = PlanNotifications(WrapCredit(on));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray(kCreditRecipients));
  EXPECT_THAT(plans[0].notification.title(), HasSubstr("列入黑名单 blacklisted"));
  EXPECT_THAT(plans[0].notification.body(),
              HasSubstr("自 2026-12-20 18:00 +08:00 起列入消防安全信用黑名单，至 2027-12-20"));
  EXPECT_THAT(plans[0].notification.body(), HasSubstr("自动提出"));
  EXPECT_THAT(plans[0].notification.body(), HasSubstr("信用修复"));

  const struct {
    cv1::BlacklistState state;
    const char* says;
  } ways_out[] = {{cv1::BLACKLIST_STATE_WITHDRAWN, "异议成立"},
                  {cv1::BLACKLIST_STATE_EXPIRED, "期满移出"},
                  {cv1::BLACKLIST_STATE_REPAIRED, "信用修复通过"}};
  for (const auto& way : ways_out) {
    SCOPED_TRACE(cv1::BlacklistState_Name(way.state));
    cv1::BlacklistRemoved off;
    *off.mutable_subject() = CreditSubject();
    *off.mutable_entry() = entry;
    off.mutable_entry()->set_state(way.state);
    plans = PlanNotifications(WrapCredit(off));
    ASSERT_EQ(plans.size(), 1u);
    EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray(kCreditRecipients));
    EXPECT_EQ(plans[0].notification.kind(), v1::KIND_CREDIT);
    EXPECT_THAT(plans[0].notification.title(), HasSubstr("移出黑名单"));
    EXPECT_THAT(plans[0].notification.body(), HasSubstr(way.says));
  }
}

// A record of delta 0 (a blacklist step without a rule) changes no score: its blacklist event
// tells of it.
TEST(PlanCreditNotifications, ScoreChangedThatLeavesTheScoreAloneYieldsNothing) {
  cv1::ScoreChanged e;
  *e.mutable_subject() = CreditSubject();
  *e.mutable_record() = OverdueRecord();
  e.mutable_record()->set_delta(0);
  e.set_score_before(87);
  EXPECT_TRUE(PlanNotifications(WrapCredit(e)).empty());
}

TEST(PlanCreditNotifications, SystemAndEmptySubjectsAreSkippedAndNoRecipientMeansNothing) {
  cv1::ScoreChanged e;
  *e.mutable_subject() = CreditSubject();
  e.mutable_subject()->clear_notify_subjects();
  e.mutable_subject()->add_notify_subjects("firegrid-credit");
  e.mutable_subject()->add_notify_subjects("");
  *e.mutable_record() = OverdueRecord();
  auto plans = PlanNotifications(WrapCredit(e));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray({"org:500109.fire_rescue"}));
  e.mutable_subject()->clear_supervising_org_unit();
  EXPECT_TRUE(PlanNotifications(WrapCredit(e)).empty());
}

// ---- monitoring

mv1::AlarmRaised Raised(mv1::AlarmType type, bool dispatch) {
  mv1::AlarmRaised e;
  mv1::Alarm* a = e.mutable_alarm();
  a->set_alarm_id("alm_01");
  a->set_device_id("dev_panel_1");
  a->set_type(type);
  a->set_building_id("bld_1");
  a->set_building_name("金科大厦");
  a->set_tier_path("500109001002");
  a->set_floor("12");
  a->set_point("1-012-034");
  *a->mutable_started_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(1'800'000'000);
  if (dispatch) {
    mv1::Dispatch* d = e.mutable_dispatch();
    mv1::StationRef* s = d->add_stations();
    s->set_station_id("mfs_01");
    s->set_name("天生街道微型消防站");
    s->set_phone("023-68000119");
    s->set_distance_m(320.4);
    mv1::StationRef* s2 = d->add_stations();
    s2->set_station_id("mfs_02");
    s2->set_name("缙云社区微型消防站");
    s2->set_distance_m(870);
    for (const char* r : {"org:mfs_01", "org:mfs_02", "person:mgr-1", "org:500109001002",
                          "org:500109.fire_rescue", "org:mfs_01", "person:firegrid-monitoring"}) {
      d->add_recipients(r);
    }
    d->set_building_address("北碚区天生路 1 号");
  }
  return e;
}

TEST(PlanMonitoringNotifications, FireAlarmIsAnUrgentTaskForTheDispatchsRecipients) {
  auto plans = PlanNotifications(Wrap(Raised(mv1::ALARM_TYPE_FIRE, true)));
  ASSERT_EQ(plans.size(), 1u);
  // Unique, and system subjects skipped.
  EXPECT_THAT(plans[0].recipients,
              UnorderedElementsAreArray({"org:mfs_01", "org:mfs_02", "person:mgr-1",
                                         "org:500109001002", "org:500109.fire_rescue"}));
  const v1::Notification& n = plans[0].notification;
  EXPECT_EQ(n.kind(), v1::KIND_FIRE_ALARM);
  EXPECT_EQ(n.priority(), v1::PRIORITY_URGENT);
  EXPECT_TRUE(n.requires_ack());
  EXPECT_EQ(n.title(), "火警：金科大厦 12层 1-012-034");
  EXPECT_THAT(n.body(), HasSubstr("北碚区天生路 1 号"));
  EXPECT_THAT(n.body(), HasSubstr("天生街道微型消防站（320 米，电话 023-68000119）"));
  EXPECT_THAT(n.body(), HasSubstr("缙云社区微型消防站（870 米）"));
  EXPECT_THAT(n.body(), HasSubstr("dev_panel_1"));
  EXPECT_THAT(n.body(), HasSubstr("2027-01-15 16:00 +08:00"));
  EXPECT_EQ(n.alarm_id(), "alm_01");
  EXPECT_EQ(n.device_id(), "dev_panel_1");
  EXPECT_EQ(n.building_id(), "bld_1");
  EXPECT_EQ(n.tier_path(), "500109001002");
  EXPECT_EQ(n.event_type(), "firegrid.monitoring.v1.AlarmRaised");
}

TEST(PlanMonitoringNotifications, OtherDispatchingRulesAreTitledByTheirAlarmType) {
  auto plans = PlanNotifications(Wrap(Raised(mv1::ALARM_TYPE_COMBUSTIBLE_GAS, true)));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].notification.title(), "可燃气体：金科大厦 12层 1-012-034");
  EXPECT_EQ(plans[0].notification.kind(), v1::KIND_FIRE_ALARM);
}

TEST(PlanMonitoringNotifications, AlarmsWithoutDispatchAndOtherMonitoringEventsYieldNothing) {
  EXPECT_TRUE(PlanNotifications(Wrap(Raised(mv1::ALARM_TYPE_LOW_PRESSURE, false))).empty());
  const mv1::AlarmRaised fire = Raised(mv1::ALARM_TYPE_FIRE, true);
  mv1::AlarmRepeated repeated;
  *repeated.mutable_alarm() = fire.alarm();
  mv1::AlarmAcknowledged acked;
  *acked.mutable_alarm() = fire.alarm();
  mv1::AlarmCleared cleared;
  *cleared.mutable_alarm() = fire.alarm();
  mv1::AlarmHazardFiled filed;
  *filed.mutable_alarm() = fire.alarm();
  mv1::DeviceRegistered registered;
  for (const google::protobuf::Message* m : std::vector<const google::protobuf::Message*>{
           &repeated, &acked, &cleared, &filed, &registered}) {
    EXPECT_TRUE(PlanNotifications(Wrap(*m)).empty()) << m->GetTypeName();
  }
}

TEST(PlanNotifications, DeviceAlarmClearedTellsTheHazardsHandlersItStillNeedsReview) {
  hv1::HazardDeviceAlarmCleared e;
  *e.mutable_hazard() =
      RoutedHazard(hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER, bv1::BUILDING_USE_RESIDENTIAL);
  e.mutable_hazard()->mutable_device_alarm()->set_alarm_id("alm_01");
  e.mutable_hazard()->mutable_device_alarm()->set_device_id("dev_p_1");
  e.set_note("pressure back to 0.14 MPa");
  auto plans = PlanNotifications(Wrap(e));
  ASSERT_EQ(plans.size(), 1u);
  std::vector<std::string> want = {"org:500109001002"};
  for (const auto& d : e.hazard().routing().lead_departments()) want.push_back("org:500109." + d);
  EXPECT_THAT(plans[0].recipients, UnorderedElementsAreArray(want));
  EXPECT_EQ(plans[0].notification.kind(), v1::KIND_HAZARD_UPDATE);
  EXPECT_FALSE(plans[0].notification.requires_ack());
  EXPECT_EQ(plans[0].notification.hazard_id(), "hzd_1");
  EXPECT_THAT(plans[0].notification.body(), HasSubstr("alm_01"));
  EXPECT_THAT(plans[0].notification.body(), HasSubstr("pressure back to 0.14 MPa"));
  EXPECT_THAT(plans[0].notification.body(), HasSubstr("reviewed"));
  // Once assigned, the responsible subject hears of it too.
  e.mutable_hazard()->mutable_assignment()->set_responsible_subject("mgr-7");
  plans = PlanNotifications(Wrap(e));
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_THAT(plans[0].recipients, Contains("person:mgr-7"));
}

TEST(NextTierUp, CommunityToStreetToDistrict) {
  EXPECT_EQ(NextTierUp("org:500109001002", ""), "org:500109001");
  EXPECT_EQ(NextTierUp("org:500109001", ""), "org:500109");
  EXPECT_EQ(NextTierUp("org:500109", ""), "");
  EXPECT_EQ(NextTierUp("org:500109.urban_management", ""), "org:500109");
  EXPECT_EQ(NextTierUp("person:mgr-1", "500109001002"), "org:500109001002");
}

TEST(NextTierUp, MicroStationGoesToTheCommunityOfTheNotification) {
  EXPECT_EQ(NextTierUp("org:mfs_01", "500109001002"), "org:500109001002");
  EXPECT_EQ(NextTierUp("org:mfs_01", "500109001"), "org:500109001");
  EXPECT_EQ(NextTierUp("org:mfs_01", ""), "");
}

}  // namespace
}  // namespace firegrid::notify
