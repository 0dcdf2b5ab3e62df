// Buildings and hazards end to end, as real binaries with redis-server and the dev broker:
// register a building → report a hazard → it is routed to the right departments → its events
// are on Kafka → rectify → close → the statistics reflect it. Also: a non-compliant fire-access
// assessment in buildings raises a campaign hazard in hazards; the party liable for a hazard
// comes from the building's parties and the lead department may name another; a fresh stack has
// one point of statistics trend; a public channel's unmatched report is matched and routed.
#include <fstream>
#include <iterator>

#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/subjects/v1/subjects.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/events/envelope.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;

class HazardsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::vector<std::string> common = {
        "--redis-addr=" + redis_.address(), "--kafka-bootstrap=" + broker_.bootstrap(),
        "--jwt-hs256-key-file=" + key_file, "--jwt-allow-hs256", "--drain-timeout=2s"};
    auto with = [&](std::vector<std::string> extra) {
      extra.insert(extra.begin(), common.begin(), common.end());
      return extra;
    };
    const std::string cfg = FIREGRID_CONFIG_DIR;
    buildings_ = std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
        .binary = FIREGRID_BUILDINGS_BIN,
        .name = "buildings",
        .flags = with({"--rules-file=" + cfg + "/buildings_rules.textproto"}),
        .log_dir = dir_.path()});
    hazards_ = std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
        .binary = FIREGRID_HAZARDS_BIN,
        .name = "hazards",
        .flags = with({"--rules-file=" + cfg + "/hazards_rules.textproto",
                       "--guidance-file=" + cfg + "/hazards_guidance.textproto",
                       "--timer-interval=100ms"}),
        .log_dir = dir_.path()});
    ASSERT_TRUE(buildings_->Start().ok());
    ASSERT_TRUE(hazards_->Start().ok());
    bstub_ = bv1::BuildingService::NewStub(
        grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
    hstub_ = hv1::HazardService::NewStub(
        grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials()));
    admin_ = Token(auth::Role::kDistrictAdmin, "500109", "admin");
  }

  void TearDown() override {
    for (auto* s : {hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) {
        auto code = s->Stop();
        EXPECT_TRUE(code.ok() && *code == 0)
            << "service did not drain cleanly: " << testing::WhyNotClean(code, *s);
      }
    }
  }

  std::string Token(auth::Role role, const std::string& tier, const std::string& subject,
                    const std::string& department = "") {
    return tokens_.Make(role, tier, subject, department);
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }

  void Unit(const std::string& code, bv1::OrgUnitKind kind, const std::string& parent) {
    bv1::UpsertOrgUnitRequest req;
    req.mutable_org_unit()->set_code(code);
    req.mutable_org_unit()->set_kind(kind);
    req.mutable_org_unit()->set_parent_code(parent);
    req.mutable_org_unit()->set_name("unit " + code);
    bv1::OrgUnit out;
    ASSERT_TRUE(bstub_->UpsertOrgUnit(Ctx(admin_).get(), req, &out).ok());
  }

  bv1::Building Register(double height, const std::vector<subjects::v1::Party>& parties = {}) {
    Unit("500109", bv1::ORG_UNIT_KIND_DISTRICT, "");
    Unit("500109001", bv1::ORG_UNIT_KIND_STREET, "500109");
    Unit("500109001002", bv1::ORG_UNIT_KIND_COMMUNITY, "500109001");
    bv1::CreateBuildingRequest req;
    auto* b = req.mutable_building();
    b->set_name("缙云小学教学楼");
    b->set_tier_path("500109001002");
    b->mutable_location()->set_latitude(29.82);
    b->mutable_location()->set_longitude(106.43);
    b->set_use(bv1::BUILDING_USE_SCHOOL);
    b->set_height_m(height);
    b->set_floors_above_ground(8);
    for (const auto& p : parties) *b->add_parties() = p;
    bv1::Building out;
    grpc::Status s = bstub_->CreateBuilding(Ctx(admin_).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // Reports until the hazards service has projected the building (its consumer may still be
  // joining the group), then returns the response.
  hv1::ReportHazardResponse ReportWhenKnown(const std::string& token,
                                            const hv1::ReportHazardRequest& req) {
    hv1::ReportHazardResponse resp;
    grpc::Status last;
    testing::WaitUntil(
        [&] {
          last = hstub_->ReportHazard(Ctx(token).get(), req, &resp);
          return last.error_code() != grpc::StatusCode::NOT_FOUND;
        },
        absl::Seconds(60));
    EXPECT_TRUE(last.ok()) << last.error_message();
    return resp;
  }

  std::vector<events::Envelope> HazardEvents(const std::string& hazard_id, size_t want) {
    std::vector<events::Envelope> out;
    absl::Status read;
    testing::WaitUntil(
        [&] {
          out.clear();
          auto messages = testing::ReadTopicToEnd(broker_.bootstrap(),
                                                  "firegrid.hazards.events.v1", absl::Seconds(10));
          read = messages.status();
          if (!messages.ok()) return false;
          for (const auto& m : *messages) {
            auto env = events::ParseEnvelope(m.value);
            if (!env.ok()) continue;
            auto rep = events::Unpack<hv1::HazardReported>(*env);
            auto routed = events::Unpack<hv1::HazardRouted>(*env);
            auto changed = events::Unpack<hv1::HazardStatusChanged>(*env);
            auto closed = events::Unpack<hv1::HazardClosed>(*env);
            const std::string id = rep.ok()       ? rep->hazard().hazard_id()
                                   : routed.ok()  ? routed->hazard().hazard_id()
                                   : changed.ok() ? changed->hazard().hazard_id()
                                   : closed.ok()  ? closed->hazard().hazard_id()
                                                  : "";
            if (id == hazard_id) out.push_back(*env);
          }
          return out.size() >= want;
        },
        absl::Seconds(30));
    EXPECT_GE(out.size(), want) << "events of " << hazard_id << " on the topic; last read: " << read;
    return out;
  }

  testing::TempDir dir_{"hazards-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_;
  std::unique_ptr<bv1::BuildingService::Stub> bstub_;
  std::unique_ptr<hv1::HazardService::Stub> hstub_;
  testing::DevTokens tokens_;
  std::string admin_;
};

TEST_F(HazardsE2E, ReportRouteRectifyCloseAndCount) {
  bv1::Building b = Register(30);
  const std::string worker = Token(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  const std::string street = Token(auth::Role::kStreetOfficer, "500109001", "street-1");
  const std::string fire = Token(auth::Role::kDepartmentOfficer, "500109", "fire-1", "fire_rescue");

  hv1::ReportHazardRequest req;
  req.set_building_id(b.building_id());
  req.set_category(hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  req.set_severity(hv1::SEVERITY_GENERAL);
  req.set_source(hv1::SOURCE_GRID_INSPECTION);
  req.set_description("三楼喷淋系统报故障");
  hv1::ReportHazardResponse reported = ReportWhenKnown(worker, req);
  hv1::Hazard h = reported.hazard();
  ASSERT_FALSE(h.hazard_id().empty());
  // Routed: fire rescue leads; a school adds education; the street and community receive it.
  EXPECT_THAT(h.routing().lead_departments(), ::testing::ElementsAre("fire_rescue"));
  EXPECT_THAT(h.routing().assisting_departments(), ::testing::Contains("education"));
  EXPECT_EQ(h.routing().street(), "500109001");
  EXPECT_EQ(h.routing().community(), "500109001002");

  auto evs = HazardEvents(h.hazard_id(), 2);
  ASSERT_GE(evs.size(), 2u);
  EXPECT_EQ(evs[0].type(), "firegrid.hazards.v1.HazardReported");
  EXPECT_EQ(evs[1].type(), "firegrid.hazards.v1.HazardRouted");
  EXPECT_EQ(evs[0].building_id(), b.building_id());

  auto call = [&](auto method, const std::string& token, auto request) {
    hv1::Hazard out;
    grpc::Status s = ((*hstub_).*method)(Ctx(token).get(), request, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (s.ok()) h = out;
    return s;
  };
  hv1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  call(&hv1::HazardService::Stub::VerifyHazard, fire, v);
  hv1::AssignHazardRequest a;
  a.set_hazard_id(h.hazard_id());
  a.set_expected_version(h.version());
  a.set_responsible_party("学校后勤处");
  call(&hv1::HazardService::Stub::AssignHazard, street, a);
  hv1::StartRectificationRequest st;
  st.set_hazard_id(h.hazard_id());
  st.set_expected_version(h.version());
  call(&hv1::HazardService::Stub::StartRectification, worker, st);
  hv1::SubmitRectificationRequest sub;
  sub.set_hazard_id(h.hazard_id());
  sub.set_expected_version(h.version());
  sub.add_evidence()->set_uri("https://evidence.example/sprinkler-fixed.jpg");
  call(&hv1::HazardService::Stub::SubmitRectification, worker, sub);
  hv1::ReviewRectificationRequest rev;
  rev.set_hazard_id(h.hazard_id());
  rev.set_expected_version(h.version());
  rev.set_passed(true);
  // A community worker may not review; the supervising department may.
  hv1::Hazard out;
  EXPECT_EQ(hstub_->ReviewRectification(Ctx(worker).get(), rev, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  call(&hv1::HazardService::Stub::ReviewRectification, fire, rev);
  EXPECT_EQ(h.status(), hv1::STATUS_CLOSED);
  EXPECT_TRUE(h.closed_on_time());

  auto all = HazardEvents(h.hazard_id(), 8);
  ASSERT_GE(all.size(), 8u);
  EXPECT_EQ(all.back().type(), "firegrid.hazards.v1.HazardClosed");

  hv1::GetStatisticsRequest sreq;
  hv1::Statistics stats;
  ASSERT_TRUE(hstub_->GetStatistics(Ctx(street).get(), sreq, &stats).ok());
  EXPECT_EQ(stats.totals().closed(), 1);
  EXPECT_EQ(stats.totals().closed_on_time(), 1);
  EXPECT_DOUBLE_EQ(stats.totals().rectification_rate(), 100.0);
  bool fire_row = false;
  for (const auto& r : stats.by_department())
    fire_row |= r.key() == "fire_rescue" && r.closed() == 1;
  EXPECT_TRUE(fire_row);

  hv1::GetGuidanceRequest g;
  g.set_category(hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  hv1::Guidance guidance;
  ASSERT_TRUE(hstub_->GetGuidance(Ctx(worker).get(), g, &guidance).ok());
  EXPECT_FALSE(guidance.steps().empty());
  EXPECT_THAT(guidance.lead_departments(), ::testing::ElementsAre("fire_rescue"));
}

TEST_F(HazardsE2E, NonCompliantFireAccessRaisesACampaignHazard) {
  bv1::Building b = Register(40);
  bv1::SetFireAccessRequest fa;
  fa.set_building_id(b.building_id());
  fa.set_expected_version(b.version());
  auto* lane = fa.add_fire_lanes();
  lane->set_lane_id("north");
  lane->set_clear_width_m(4.5);
  lane->set_clear_height_m(5);
  lane->set_slope_percent(3);
  lane->set_turning_radius_m(12);
  lane->set_load_capacity_t(40);
  lane->mutable_marking()->set_lines_painted(true);
  lane->mutable_marking()->set_name_marked(true);
  lane->mutable_marking()->set_sign_installed(true);
  lane->set_occupied(true);
  auto* site = fa.add_rescue_sites();
  site->set_site_id("east");
  site->set_length_m(20);
  site->set_width_m(10);
  site->set_slope_percent(1);
  site->set_load_capacity_t(40);
  site->mutable_marking()->set_lines_painted(true);
  site->mutable_marking()->set_name_marked(true);
  site->mutable_marking()->set_sign_installed(true);
  bv1::SetFireAccessResponse resp;
  ASSERT_TRUE(bstub_->SetFireAccess(Ctx(admin_).get(), fa, &resp).ok());
  ASSERT_FALSE(resp.assessment().compliant());

  hv1::ListHazardsRequest list;
  list.set_building_id(b.building_id());
  hv1::ListHazardsResponse found;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return hstub_->ListHazards(Ctx(admin_).get(), list, &found).ok() &&
               found.hazards_size() == 1;
      },
      absl::Seconds(60)));
  EXPECT_EQ(found.hazards(0).category(), hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  EXPECT_EQ(found.hazards(0).source(), hv1::SOURCE_CAMPAIGN);
  EXPECT_THAT(found.hazards(0).routing().lead_departments(),
              ::testing::ElementsAre("urban_management"));
}

subjects::v1::Party Party(subjects::v1::PartyRole role, const std::string& name,
                          const std::string& credit_code, const std::string& person_id = "") {
  subjects::v1::Party p;
  p.set_role(role);
  p.set_name(name);
  p.set_credit_code(credit_code);
  p.set_person_id(person_id);
  return p;
}

// The liable party: the building's management unit by default; the lead department names an
// occupant when it verifies; a street officer may not name one; the events on Kafka carry the
// party whole while reads mask the person's id.
TEST_F(HazardsE2E, TheLiablePartyComesFromTheBuildingAndTheLeadDepartmentMayNameAnother) {
  bv1::Building b = Register(
      30,
      {Party(subjects::v1::PARTY_ROLE_OWNER, "缙云教育投资公司", "91110000600037341L"),
       Party(subjects::v1::PARTY_ROLE_MANAGEMENT_UNIT, "缙云小学后勤处", "91350100M000100Y43")});
  const std::string worker = Token(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  const std::string street = Token(auth::Role::kStreetOfficer, "500109001", "street-1");
  const std::string fire = Token(auth::Role::kDepartmentOfficer, "500109", "fire-1", "fire_rescue");
  hv1::ReportHazardRequest req;
  req.set_building_id(b.building_id());
  req.set_category(hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  req.set_severity(hv1::SEVERITY_GENERAL);
  req.set_source(hv1::SOURCE_GRID_INSPECTION);
  req.set_description("三楼喷淋系统报故障");
  hv1::Hazard h = ReportWhenKnown(worker, req).hazard();
  ASSERT_FALSE(h.hazard_id().empty());
  EXPECT_EQ(h.liable_party().name(), "缙云小学后勤处");
  EXPECT_EQ(h.liable_party().credit_code(), "91350100M000100Y43");

  hv1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  *v.mutable_liable_party() =
      Party(subjects::v1::PARTY_ROLE_OCCUPANT, "张三", "", "11010519491231002X");
  hv1::Hazard out;
  grpc::Status s = hstub_->VerifyHazard(Ctx(street).get(), v, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  s = hstub_->VerifyHazard(Ctx(fire).get(), v, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.status(), hv1::STATUS_VERIFIED);
  EXPECT_EQ(out.liable_party().person_id(), "110105********002X");

  hv1::GetHazardRequest g;
  g.set_hazard_id(h.hazard_id());
  ASSERT_TRUE(hstub_->GetHazard(Ctx(admin_).get(), g, &out).ok());
  EXPECT_EQ(out.liable_party().person_id(), "110105********002X");  // masked for admins too
  g.set_reveal_personal_data(true);  // the explicit, audited reveal (docs/privacy.md)
  ASSERT_TRUE(hstub_->GetHazard(Ctx(admin_).get(), g, &out).ok());
  EXPECT_EQ(out.liable_party().person_id(), "11010519491231002X");

  auto evs = HazardEvents(h.hazard_id(), 3);
  ASSERT_GE(evs.size(), 3u);
  auto reported = events::Unpack<hv1::HazardReported>(evs[0]);
  ASSERT_TRUE(reported.ok()) << evs[0].type();
  EXPECT_EQ(reported->hazard().liable_party().credit_code(), "91350100M000100Y43");
  auto changed = events::Unpack<hv1::HazardStatusChanged>(evs[2]);
  ASSERT_TRUE(changed.ok()) << evs[2].type();
  EXPECT_EQ(changed->to(), hv1::STATUS_VERIFIED);
  EXPECT_EQ(changed->hazard().liable_party().person_id(), "11010519491231002X");
  EXPECT_EQ(changed->hazard().liable_party().role(), subjects::v1::PARTY_ROLE_OCCUPANT);
}

// The real binary refuses to start when a routing target does not resolve to a department's
// org unit (config/departments.textproto), and says which one. Nothing is started but hazards
// itself: it stops while loading its rules, before it connects anywhere.
//
// A fresh stack shows today's point of trend (today so far, kept at start-up); a public channel's
// report whose place matched no building waits unmatched in its street, the street officer
// matches it to the registered building, and it is routed to the departments like a new report.
// In the first 6 hours of a day (Asia/Shanghai) the stack also keeps how the previous day ended
// (the end-of-day snapshot's window), so its trend then has that day's point before today's.
TEST_F(HazardsE2E, AFreshStackKeepsTodaysTrendPointAndAnUnmatchedPublicReportIsMatchedAndRouted) {
  const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
  const absl::Time started = absl::Now();
  const absl::CivilDay day = absl::ToCivilDay(started, shanghai);
  // Within the end-of-day window (started before 06:00, with a minute's margin either side),
  // the day before may be kept too.
  const absl::Duration into_day = started - absl::FromCivil(day, shanghai);
  const bool may_keep_yesterday = into_day < absl::Hours(6) + absl::Minutes(1);
  const bool must_keep_yesterday =
      into_day > absl::Minutes(1) && into_day < absl::Hours(6) - absl::Minutes(1);
  hv1::StatisticsTrend trend;
  testing::WaitUntil(
      [&] {
        trend.Clear();
        return hstub_
                   ->GetStatisticsTrend(Ctx(admin_).get(), hv1::GetStatisticsTrendRequest(), &trend)
                   .ok() &&
               trend.days_size() == (must_keep_yesterday ? 2 : 1);
      },
      absl::Seconds(30));
  ASSERT_GE(trend.days_size(), 1);
  ASSERT_LE(trend.days_size(), may_keep_yesterday ? 2 : 1);
  if (must_keep_yesterday) {
    ASSERT_EQ(trend.days_size(), 2);
    EXPECT_EQ(trend.days(0).date(), absl::FormatCivilTime(day - 1));
  }
  const std::string today = absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), shanghai));
  const std::string earlier = absl::FormatCivilTime(day);
  EXPECT_THAT(trend.days(trend.days_size() - 1).date(),
              ::testing::AnyOf(today, earlier));  // across midnight
  EXPECT_EQ(trend.tier_path(), "500109");

  const bv1::Building b = Register(20);
  const std::string wechat = Token(auth::Role::kPublicChannel, "500109", "channel:wechat");
  hv1::ReportHazardRequest tip;
  tip.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  tip.set_severity(hv1::SEVERITY_GENERAL);
  tip.set_source(hv1::SOURCE_PUBLIC_TIP_OFF);
  tip.set_description("学校门口消防车道被占用");
  tip.set_unmatched_tier_path("500109001");
  tip.mutable_location()->set_latitude(29.8201);
  tip.mutable_location()->set_longitude(106.4302);
  tip.mutable_reporter()->set_name("市民");
  tip.mutable_reporter()->set_contact("13900000000");
  hv1::ReportHazardResponse reported;
  grpc::Status s = hstub_->ReportHazard(Ctx(wechat).get(), tip, &reported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string id = reported.hazard().hazard_id();
  EXPECT_TRUE(reported.hazard().unmatched());
  EXPECT_EQ(reported.hazard().reporter().contact(), "");

  const std::string street = Token(auth::Role::kStreetOfficer, "500109001", "street-officer");
  hv1::ListHazardsRequest queue;
  queue.set_unmatched_only(true);
  hv1::ListHazardsResponse listed;
  ASSERT_TRUE(hstub_->ListHazards(Ctx(street).get(), queue, &listed).ok());
  ASSERT_EQ(listed.hazards_size(), 1);
  EXPECT_EQ(listed.hazards(0).hazard_id(), id);

  hv1::MatchPublicReportRequest match;
  match.set_hazard_id(id);
  match.set_expected_version(listed.hazards(0).version());
  match.set_building_id(b.building_id());
  hv1::Hazard matched;
  grpc::Status last;
  testing::WaitUntil(  // until the hazards service has projected the building
      [&] {
        last = hstub_->MatchPublicReport(Ctx(street).get(), match, &matched);
        return last.error_code() != grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(60));
  ASSERT_TRUE(last.ok()) << last.error_message();
  EXPECT_FALSE(matched.unmatched());
  EXPECT_EQ(matched.tier_path(), "500109001002");
  EXPECT_THAT(matched.routing().lead_departments(), ::testing::ElementsAre("urban_management"));

  // On Kafka: reported and routed to the street (keyed by the hazard), then routed to the
  // departments (keyed by the building: another partition, so in no fixed order here).
  const auto events = HazardEvents(id, 3);
  ASSERT_EQ(events.size(), 3u);
  int to_street = 0, to_departments = 0;
  for (const auto& e : events) {
    auto routed = events::Unpack<hv1::HazardRouted>(e);
    if (!routed.ok()) continue;
    if (routed->hazard().routing().lead_departments().empty()) {
      EXPECT_EQ(routed->hazard().routing().street(), "500109001");
      ++to_street;
    } else {
      EXPECT_THAT(routed->hazard().routing().lead_departments(),
                  ::testing::ElementsAre("urban_management"));
      EXPECT_EQ(routed->previous_routing().street(), "500109001");
      ++to_departments;
    }
  }
  EXPECT_EQ(to_street, 1);
  EXPECT_EQ(to_departments, 1);

  // The channel reads its report (public view); it may not match.
  hv1::GetHazardRequest get;
  get.set_hazard_id(id);
  hv1::Hazard seen;
  ASSERT_TRUE(hstub_->GetHazard(Ctx(wechat).get(), get, &seen).ok());
  EXPECT_EQ(seen.channel(), "wechat");
  EXPECT_EQ(seen.reporter().name(), "");
  EXPECT_EQ(hstub_->MatchPublicReport(Ctx(wechat).get(), match, &matched).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST(HazardsStartupE2E, RefusesToStartNamingARoutingTargetMissingFromTheDepartmentsFile) {
  testing::TempDir dir("hazards-startup");
  const std::string departments = dir.Join("departments.textproto");
  {
    std::ifstream in(std::string(FIREGRID_CONFIG_DIR) + "/departments.textproto");
    std::ofstream out(departments);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("\"gas_company\"") == std::string::npos) out << line << "\n";
    }
  }
  const std::string cfg = FIREGRID_CONFIG_DIR;
  testing::Subprocess hazards;
  ASSERT_TRUE(
      hazards
          .Start({.argv = {FIREGRID_HAZARDS_BIN, "--rules-file=" + cfg + "/hazards_rules.textproto",
                           "--guidance-file=" + cfg + "/hazards_guidance.textproto",
                           "--departments-file=" + departments},
                  .log_dir = dir.path(),
                  .name = "hazards"})
          .ok());
  auto code = hazards.Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 2);
  std::string logs;
  for (const std::string& path : {hazards.stdout_path(), hazards.stderr_path()}) {
    std::ifstream in(path);
    logs.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_THAT(logs, ::testing::HasSubstr("'gas_company' does not resolve to an org unit"));
  EXPECT_THAT(logs, ::testing::HasSubstr("HAZARD_CATEGORY_GAS_ELECTRICAL"));
}

}  // namespace
}  // namespace firegrid
