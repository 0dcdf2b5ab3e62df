// The hazards registry against a real redis-server (started by the test): reports and routing,
// idempotency, duplicates, the lifecycle, statistics, the building projection and campaign
// hazards, and deadline timers firing exactly once with two instances on one Redis.
#include <atomic>
#include <set>
#include <thread>

#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "services/hazards/registry.h"
#include "tests/support/shared_redis.h"

namespace firegrid::hazards {
namespace {

using auth::Principal;
using auth::Role;
using ::testing::HasSubstr;
namespace bv1 = ::firegrid::buildings::v1;
using google::protobuf::util::TimeUtil;

Principal Make(Role role, const std::string& tier, const std::string& subject,
               const std::string& department = "") {
  Principal p;
  p.role = role;
  p.tier_path = tier;
  p.subject = subject;
  p.department = department;
  return p;
}

class HazardsTest : public ::testing::Test {
 protected:
  HazardsTest()
      : clock_(absl::FromCivil(absl::CivilHour(2026, 11, 23, 9), absl::FixedTimeZone(8 * 3600))) {}

  void SetUp() override {
    auto rules = Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = std::make_unique<Rules>(*rules);
    static int n = 0;
    prefix_ = "hz" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool();
    store_ = std::make_unique<HazardStore>(pool_.get(), prefix_);
    metrics_ = std::make_unique<HazardMetrics>(&metrics_registry_);
    registry_ = std::make_unique<HazardRegistry>(store_.get(), rules_.get(), &clock_, &ids_,
                                                 metrics_.get());
    Register("bld_A", "500109001002", bv1::BUILDING_USE_RESIDENTIAL, "mgr-a");
    Register("bld_S", "500109001002", bv1::BUILDING_USE_SCHOOL, "");
  }

  void Register(const std::string& id, const std::string& tier, bv1::BuildingUse use,
                const std::string& manager) {
    bv1::BuildingRegistered e;
    auto* b = e.mutable_building();
    b->set_building_id(id);
    b->set_name("楼 " + id);
    b->set_tier_path(tier);
    b->set_use(use);
    b->set_version(1);
    b->mutable_responsibility()->mutable_chain()->mutable_manager()->set_subject(manager);
    ASSERT_TRUE(registry_->HandleBuildingEvent(Envelope(e, id, tier)).ok());
  }

  events::Envelope Envelope(const google::protobuf::Message& payload, const std::string& building,
                            const std::string& tier) {
    return events::NewEnvelope(payload, "buildings", building, tier, clock_.Now(), ids_);
  }

  v1::ReportHazardRequest Req(v1::HazardCategory c = v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED,
                              const std::string& building = "bld_A") {
    v1::ReportHazardRequest r;
    r.set_building_id(building);
    r.set_category(c);
    r.set_severity(v1::SEVERITY_GENERAL);
    r.set_source(v1::SOURCE_GRID_INSPECTION);
    r.set_description("消防车道被私家车占用");
    r.add_evidence()->set_uri("https://evidence.example/photo1.jpg");
    return r;
  }

  v1::Hazard MustReport(const Principal& p, const v1::ReportHazardRequest& r) {
    auto resp = registry_->Report(p, r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->hazard() : v1::Hazard();
  }

  // The hazards events in the outbox, by payload type name.
  std::vector<events::Envelope> Outbox() {
    auto r = pool_->Command({"XRANGE", store_->outbox_key(), "-", "+"});
    EXPECT_TRUE(r.ok());
    std::vector<events::Envelope> out;
    for (const auto& entry : r->elements) {
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "value") {
          auto env = events::ParseEnvelope(fields[i + 1].str);
          EXPECT_TRUE(env.ok());
          out.push_back(*env);
        }
      }
    }
    return out;
  }
  int Count(const std::string& type) {
    int n = 0;
    for (const auto& e : Outbox()) n += e.type() == "firegrid.hazards.v1." + type;
    return n;
  }

  FakeClock clock_;
  RandomIdGenerator ids_;
  std::unique_ptr<Rules> rules_;
  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<HazardStore> store_;
  server::MetricsRegistry metrics_registry_;
  std::unique_ptr<HazardMetrics> metrics_;
  std::unique_ptr<HazardRegistry> registry_;
  Principal admin_ = Make(Role::kDistrictAdmin, "500109", "admin");
  Principal street_ = Make(Role::kStreetOfficer, "500109001", "street");
  Principal worker_ = Make(Role::kCommunityWorker, "500109001002", "grid");
  Principal other_worker_ = Make(Role::kCommunityWorker, "500109001003", "grid2");
  Principal urban_ = Make(Role::kDepartmentOfficer, "500109", "um", "urban_management");
  Principal health_ = Make(Role::kDepartmentOfficer, "500109", "hl", "health");
};

TEST_F(HazardsTest, ReportRoutesToDepartmentsStreetAndCommunityAndPublishes) {
  v1::Hazard h = MustReport(worker_, Req());
  EXPECT_EQ(h.status(), v1::STATUS_REPORTED);
  EXPECT_THAT(h.routing().lead_departments(), ::testing::ElementsAre("urban_management"));
  EXPECT_EQ(h.routing().street(), "500109001");
  EXPECT_EQ(h.routing().community(), "500109001002");
  EXPECT_EQ(h.reporter().subject(), "grid");
  EXPECT_THAT(h.building_subjects(), ::testing::ElementsAre("mgr-a"));
  EXPECT_EQ(Count("HazardReported"), 1);
  EXPECT_EQ(Count("HazardRouted"), 1);
  auto routed = events::Unpack<v1::HazardRouted>(Outbox()[1]);
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->hazard().routing().lead_departments(0), "urban_management");
  EXPECT_TRUE(routed->hazard().audit().empty());
  // A school building adds education as an assisting department.
  v1::Hazard s = MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, "bld_S"));
  EXPECT_THAT(s.routing().assisting_departments(), ::testing::Contains("education"));
}

TEST_F(HazardsTest, UnknownBuildingAndBadInputAreRejectedClearly) {
  auto r = registry_->Report(worker_, Req(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, "bld_nope"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not known to the hazards service"));
  auto bad = Req();
  bad.set_category(static_cast<v1::HazardCategory>(99));
  EXPECT_THAT(std::string(registry_->Report(worker_, bad).status().message()),
              HasSubstr("category"));
  bad = Req();
  bad.set_description(" ");
  EXPECT_THAT(std::string(registry_->Report(worker_, bad).status().message()),
              HasSubstr("description"));
  bad = Req();
  bad.mutable_evidence(0)->set_uri("ftp://x");
  EXPECT_THAT(std::string(registry_->Report(worker_, bad).status().message()),
              HasSubstr("evidence[0].uri"));
  bad = Req();
  bad.mutable_reporter()->set_anonymous(true);
  EXPECT_THAT(std::string(registry_->Report(worker_, bad).status().message()),
              HasSubstr("reporter.anonymous"));
  bad = Req();
  bad.mutable_reporter()->set_subject("someone-else");
  EXPECT_THAT(std::string(registry_->Report(worker_, bad).status().message()),
              HasSubstr("reporter.subject"));
  EXPECT_EQ(registry_->Report(other_worker_, Req()).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(HazardsTest, RetriedReportWithTheSameKeyIsOneHazard) {
  auto r = Req();
  r.set_idempotency_key("device-42-report-7");
  v1::Hazard first = MustReport(worker_, r);
  v1::Hazard second = MustReport(worker_, r);
  EXPECT_EQ(first.hazard_id(), second.hazard_id());
  EXPECT_EQ(Count("HazardReported"), 1);
}

TEST_F(HazardsTest, ReusingAnIdempotencyKeyForADifferentReportFailsNamingTheKey) {
  auto r = Req();
  r.set_idempotency_key("device-42-report-7");
  v1::Hazard first = MustReport(worker_, r);
  auto other = Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  other.set_idempotency_key("device-42-report-7");
  auto reused = registry_->Report(worker_, other);
  EXPECT_EQ(reused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reused.status().message(), HasSubstr("device-42-report-7"));
  EXPECT_EQ(Count("HazardReported"), 1);
  // The same request under the key still answers with the first hazard.
  EXPECT_EQ(MustReport(worker_, r).hazard_id(), first.hazard_id());
}

TEST_F(HazardsTest, DuplicatesAreLinkedNotCountedAndCanBeUnmergedAndMerged) {
  v1::Hazard primary = MustReport(worker_, Req());
  auto dup = registry_->Report(street_, Req());
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->duplicate_of(), primary.hazard_id());
  EXPECT_THAT(dup->message(), HasSubstr("duplicate"));
  v1::GetHazardRequest get;
  get.set_hazard_id(primary.hazard_id());
  EXPECT_EQ(registry_->Get(admin_, get)->duplicate_reports(), 1);
  v1::GetStatisticsRequest sreq;
  auto stats = registry_->GetStatistics(admin_, sreq);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->totals().reported(), 1);  // not doubled
  EXPECT_EQ(Count("HazardRouted"), 1);       // the duplicate is not pushed again
  // A duplicate cannot be acted on; it can be unmerged, then merged back.
  v1::VerifyHazardRequest v;
  v.set_hazard_id(dup->hazard().hazard_id());
  v.set_expected_version(dup->hazard().version());
  EXPECT_EQ(registry_->Verify(street_, v).status().code(), absl::StatusCode::kFailedPrecondition);
  v1::UnmergeHazardRequest um;
  um.set_hazard_id(dup->hazard().hazard_id());
  auto standalone = registry_->Unmerge(street_, um);
  ASSERT_TRUE(standalone.ok()) << standalone.status();
  EXPECT_TRUE(standalone->duplicate_of().empty());
  EXPECT_EQ(registry_->GetStatistics(admin_, sreq)->totals().reported(), 2);
  v1::MergeHazardsRequest m;
  m.set_hazard_id(dup->hazard().hazard_id());
  m.set_target_hazard_id(primary.hazard_id());
  EXPECT_EQ(registry_->Merge(worker_, m).status().code(), absl::StatusCode::kPermissionDenied);
  auto merged = registry_->Merge(street_, m);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->duplicate_of(), primary.hazard_id());
  EXPECT_EQ(registry_->Get(admin_, get)->duplicate_reports(), 1);
}

TEST_F(HazardsTest, FullLifecycleToClosureWithAuditAndStatistics) {
  v1::Hazard h = MustReport(worker_, Req());
  auto step = [&](absl::StatusOr<v1::Hazard> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) h = *r;
  };
  v1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  step(registry_->Verify(urban_, v));
  EXPECT_EQ(h.status(), v1::STATUS_VERIFIED);

  v1::AssignHazardRequest a;
  a.set_hazard_id(h.hazard_id());
  a.set_expected_version(h.version());
  a.set_responsible_party("嘉陵物业");
  a.set_responsible_subject("mgr-a");
  *a.mutable_deadline() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()) - 60);
  EXPECT_THAT(std::string(registry_->Assign(street_, a).status().message()), HasSubstr("deadline"));
  a.clear_deadline();
  step(registry_->Assign(street_, a));
  EXPECT_EQ(h.status(), v1::STATUS_ASSIGNED);
  EXPECT_EQ(h.assignment().supervising_department(), "urban_management");
  // The configured period of an occupied fire lane: 3 days.
  EXPECT_EQ(TimeUtil::TimestampToSeconds(h.assignment().deadline()),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(72)));

  Principal mgr = Make(Role::kBuildingManager, "", "mgr-a");
  v1::StartRectificationRequest st;
  st.set_hazard_id(h.hazard_id());
  st.set_expected_version(h.version());
  step(registry_->Start(mgr, st));
  v1::SubmitRectificationRequest sub;
  sub.set_hazard_id(h.hazard_id());
  sub.set_expected_version(h.version());
  EXPECT_THAT(std::string(registry_->Submit(mgr, sub).status().message()), HasSubstr("evidence"));
  sub.add_evidence()->set_uri("sha256:" + std::string(64, 'a'));
  step(registry_->Submit(mgr, sub));
  EXPECT_EQ(h.status(), v1::STATUS_SUBMITTED);

  v1::ReviewRectificationRequest rev;
  rev.set_hazard_id(h.hazard_id());
  rev.set_expected_version(h.version());
  rev.set_passed(false);
  EXPECT_THAT(std::string(registry_->Review(urban_, rev).status().message()), HasSubstr("note"));
  rev.set_note("车辆仍在");
  step(registry_->Review(urban_, rev));
  EXPECT_EQ(h.status(), v1::STATUS_RECTIFYING);
  sub.set_expected_version(h.version());
  step(registry_->Submit(mgr, sub));
  rev.set_expected_version(h.version());
  rev.set_passed(true);
  // Stale versions are refused; out-of-order transitions are FAILED_PRECONDITION.
  v1::StartRectificationRequest again;
  again.set_hazard_id(h.hazard_id());
  again.set_expected_version(h.version());
  EXPECT_EQ(registry_->Start(mgr, again).status().code(), absl::StatusCode::kFailedPrecondition);
  step(registry_->Review(urban_, rev));
  EXPECT_EQ(h.status(), v1::STATUS_CLOSED);
  EXPECT_TRUE(h.closed_on_time());
  std::vector<std::string> actions;
  for (const auto& e : h.audit()) actions.push_back(e.action());
  EXPECT_THAT(actions, ::testing::ElementsAre("report", "verify", "assign", "start", "submit",
                                              "review_fail", "submit", "review_pass"));
  EXPECT_EQ(Count("HazardClosed"), 1);
  EXPECT_EQ(Count("HazardStatusChanged"), 7);

  v1::GetStatisticsRequest sreq;
  auto stats = registry_->GetStatistics(street_, sreq);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->totals().closed(), 1);
  EXPECT_EQ(stats->totals().closed_on_time(), 1);
  EXPECT_DOUBLE_EQ(stats->totals().rectification_rate(), 100.0);
  ASSERT_EQ(stats->by_tier_size(), 1);
  EXPECT_EQ(stats->by_tier(0).key(), "500109001002");
  // A new report of the same building and category after closure is a new hazard.
  EXPECT_TRUE(MustReport(worker_, Req()).duplicate_of().empty());
}

TEST_F(HazardsTest, MajorHazardNeedsThreeDistinctReviewers) {
  auto r = Req(v1::HAZARD_CATEGORY_EVACUATION_BLOCKED);
  r.set_severity(v1::SEVERITY_MAJOR);
  v1::Hazard h = MustReport(worker_, r);
  Principal fire1 = Make(Role::kDepartmentOfficer, "500109", "f1", "fire_rescue");
  Principal fire2 = Make(Role::kDepartmentOfficer, "500109", "f2", "fire_rescue");
  auto verify = [&](const Principal& p) {
    v1::VerifyHazardRequest v;
    v.set_hazard_id(h.hazard_id());
    v.set_expected_version(h.version());
    auto out = registry_->Verify(p, v);
    if (out.ok()) h = *out;
    return out.status();
  };
  ASSERT_TRUE(verify(fire1).ok());
  EXPECT_EQ(h.status(), v1::STATUS_REPORTED);
  EXPECT_EQ(verify(fire1).code(), absl::StatusCode::kFailedPrecondition);  // same reviewer
  ASSERT_TRUE(verify(fire2).ok());
  EXPECT_EQ(h.status(), v1::STATUS_REPORTED);
  ASSERT_TRUE(verify(street_).ok());
  EXPECT_EQ(h.status(), v1::STATUS_VERIFIED);
  EXPECT_EQ(h.confirmations_size(), 3);
}

TEST_F(HazardsTest, TipOffContactIsForDistrictAdminsAndAConfirmedTipOffEarnsAReward) {
  auto r = Req(v1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE);
  r.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
  r.mutable_reporter()->set_name("陈先生");
  r.mutable_reporter()->set_contact("13900000000");
  v1::Hazard h = MustReport(worker_, r);
  EXPECT_TRUE(h.reporter().contact().empty());
  v1::GetHazardRequest get;
  get.set_hazard_id(h.hazard_id());
  EXPECT_EQ(registry_->Get(admin_, get)->reporter().contact(), "13900000000");
  EXPECT_TRUE(registry_->Get(street_, get)->reporter().contact().empty());
  for (const auto& e : Outbox()) {
    auto rep = events::Unpack<v1::HazardReported>(e);
    if (rep.ok()) EXPECT_TRUE(rep->hazard().reporter().contact().empty());
  }
  v1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  auto verified = registry_->Verify(street_, v);
  ASSERT_TRUE(verified.ok());
  EXPECT_DOUBLE_EQ(verified->reward().amount_yuan(), 200);
  // Anonymous tip-offs are accepted without a name, and earn no reward record.
  auto anon = Req(v1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  anon.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
  anon.mutable_reporter()->set_anonymous(true);
  EXPECT_TRUE(registry_->Report(worker_, anon).ok());
}

TEST_F(HazardsTest, DepartmentsSeeOnlyWhatIsRoutedToThem) {
  v1::Hazard h = MustReport(worker_, Req());
  v1::GetHazardRequest get;
  get.set_hazard_id(h.hazard_id());
  EXPECT_TRUE(registry_->Get(urban_, get).ok());
  EXPECT_EQ(registry_->Get(health_, get).status().code(), absl::StatusCode::kPermissionDenied);
  auto mine = registry_->List(urban_, v1::ListHazardsRequest());
  ASSERT_TRUE(mine.ok()) << mine.status();
  EXPECT_EQ(mine->hazards_size(), 1);
  EXPECT_EQ(registry_->List(health_, v1::ListHazardsRequest())->hazards_size(), 0);
  v1::ListHazardsRequest other;
  other.set_department("urban_management");
  EXPECT_EQ(registry_->List(health_, other).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(HazardsTest, ChangingTheCategoryReroutes) {
  v1::Hazard h = MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED));
  v1::ChangeCategoryRequest c;
  c.set_hazard_id(h.hazard_id());
  c.set_expected_version(h.version());
  c.set_category(v1::HAZARD_CATEGORY_FIRE_LANE_GEOMETRY);
  auto r = registry_->ChangeCategory(street_, c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->routing().lead_departments(), ::testing::ElementsAre("planning"));
  EXPECT_EQ(Count("HazardRouted"), 2);
  // The urban management department no longer sees it; planning does.
  v1::GetHazardRequest get;
  get.set_hazard_id(h.hazard_id());
  EXPECT_EQ(registry_->Get(urban_, get).status().code(), absl::StatusCode::kPermissionDenied);
  Principal planning = Make(Role::kDepartmentOfficer, "500109", "pl", "planning");
  EXPECT_EQ(registry_->List(planning, v1::ListHazardsRequest())->hazards_size(), 1);
  EXPECT_EQ(registry_->List(urban_, v1::ListHazardsRequest())->hazards_size(), 0);
}

TEST_F(HazardsTest, CampaignHazardsFromFireAccessEventsAreDeduplicated) {
  bv1::FireAccessNonCompliant e;
  e.set_building_id("bld_A");
  auto* a = e.mutable_assessment();
  auto* v1v = a->add_violations();
  v1v->set_kind(bv1::VIOLATION_KIND_OCCUPIED);
  v1v->set_message("lane:north is occupied");
  auto* v2 = a->add_violations();
  v2->set_kind(bv1::VIOLATION_KIND_MARKING);
  v2->set_message("lane:north has no sign");
  events::Envelope env = Envelope(e, "bld_A", "500109001002");
  ASSERT_TRUE(registry_->HandleBuildingEvent(env).ok());
  ASSERT_TRUE(registry_->HandleBuildingEvent(env).ok());  // redelivered
  events::Envelope later = Envelope(e, "bld_A", "500109001002");
  ASSERT_TRUE(registry_->HandleBuildingEvent(later).ok());  // reassessed, still open
  auto list = registry_->List(admin_, v1::ListHazardsRequest());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->hazards_size(), 2);
  for (const auto& h : list->hazards()) EXPECT_EQ(h.source(), v1::SOURCE_CAMPAIGN);
}

TEST_F(HazardsTest, ProjectionAppliesEachBuildingEventOnceAndIgnoresOlderVersions) {
  bv1::BuildingUpdated u;
  u.mutable_building()->set_building_id("bld_A");
  u.mutable_building()->set_tier_path("500109001002");
  u.mutable_building()->set_name("新名字");
  u.mutable_building()->set_use(bv1::BUILDING_USE_HOTEL);
  u.mutable_building()->set_version(3);
  events::Envelope env = Envelope(u, "bld_A", "500109001002");
  ASSERT_TRUE(registry_->HandleBuildingEvent(env).ok());
  EXPECT_EQ(registry_->HandleBuildingEvent(env).code(), absl::StatusCode::kAlreadyExists);
  u.mutable_building()->set_version(2);
  u.mutable_building()->set_name("older");
  ASSERT_TRUE(registry_->HandleBuildingEvent(Envelope(u, "bld_A", "500109001002")).ok());
  auto view = store_->GetBuilding("bld_A");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->name, "新名字");
  EXPECT_EQ(view->use, bv1::BUILDING_USE_HOTEL);
  // The hotel's sector department is on new reports.
  v1::Hazard h = MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT));
  EXPECT_THAT(h.routing().assisting_departments(), ::testing::Contains("culture_tourism"));
}

// ----- The liable party

namespace sv1 = ::firegrid::subjects::v1;

sv1::Party Party(sv1::PartyRole role, const std::string& name, const std::string& credit_code,
                 const std::string& person_id = "") {
  sv1::Party p;
  p.set_role(role);
  p.set_name(name);
  p.set_credit_code(credit_code);
  p.set_person_id(person_id);
  return p;
}

class LiablePartyTest : public HazardsTest {
 protected:
  // bld_A names an owner, a property company and a management unit (in that order), version 2.
  void SetUp() override {
    HazardsTest::SetUp();
    UpdateParties(2, {Party(sv1::PARTY_ROLE_OWNER, "业主公司", "91110000600037341L"),
                      Party(sv1::PARTY_ROLE_PROPERTY_COMPANY, "嘉陵物业", "91440300708461136T"),
                      Party(sv1::PARTY_ROLE_MANAGEMENT_UNIT, "管理单位", "91350100M000100Y43")});
  }

  void UpdateParties(int64_t version, const std::vector<sv1::Party>& parties) {
    bv1::BuildingUpdated u;
    auto* b = u.mutable_building();
    b->set_building_id("bld_A");
    b->set_name("楼 bld_A");
    b->set_tier_path("500109001002");
    b->set_use(bv1::BUILDING_USE_RESIDENTIAL);
    b->set_version(version);
    b->mutable_responsibility()->mutable_chain()->mutable_manager()->set_subject("mgr-a");
    for (const auto& p : parties) *b->add_parties() = p;
    ASSERT_TRUE(registry_->HandleBuildingEvent(Envelope(u, "bld_A", "500109001002")).ok());
  }

  v1::VerifyHazardRequest VerifyReq(const v1::Hazard& h) {
    v1::VerifyHazardRequest v;
    v.set_hazard_id(h.hazard_id());
    v.set_expected_version(h.version());
    return v;
  }

  v1::AssignHazardRequest AssignReq(const v1::Hazard& h) {
    v1::AssignHazardRequest a;
    a.set_hazard_id(h.hazard_id());
    a.set_expected_version(h.version());
    a.set_responsible_party("嘉陵物业");
    return a;
  }

  // The liable party of the hazard in the last event about it of the given type.
  sv1::Party LiableInLastEvent(const std::string& type) {
    sv1::Party out;
    for (const auto& env : Outbox()) {
      if (env.type() != "firegrid.hazards.v1." + type) continue;
      if (type == "HazardStatusChanged") {
        out = events::Unpack<v1::HazardStatusChanged>(env)->hazard().liable_party();
      } else if (type == "HazardReported") {
        out = events::Unpack<v1::HazardReported>(env)->hazard().liable_party();
      } else if (type == "HazardRouted") {
        out = events::Unpack<v1::HazardRouted>(env)->hazard().liable_party();
      }
    }
    return out;
  }

  const sv1::Party occupant_ = Party(sv1::PARTY_ROLE_OCCUPANT, "张三", "", "11010519491231002X");
};

TEST_F(LiablePartyTest, ANewHazardIsTheBuildingsManagementUnitsByDefaultAndEventsSayIt) {
  v1::Hazard h = MustReport(worker_, Req());
  EXPECT_EQ(h.liable_party().name(), "管理单位");
  EXPECT_EQ(h.liable_party().credit_code(), "91350100M000100Y43");
  EXPECT_EQ(LiableInLastEvent("HazardReported").credit_code(), "91350100M000100Y43");
  EXPECT_EQ(LiableInLastEvent("HazardRouted").credit_code(), "91350100M000100Y43");
}

TEST_F(LiablePartyTest, AnUpdateWithNewPartiesReplacesTheDefault) {
  UpdateParties(3, {Party(sv1::PARTY_ROLE_OWNER, "业主公司", "91110000600037341L"),
                    Party(sv1::PARTY_ROLE_PROPERTY_COMPANY, "嘉陵物业", "91440300708461136T")});
  EXPECT_EQ(MustReport(worker_, Req()).liable_party().name(), "嘉陵物业");
  UpdateParties(4, {Party(sv1::PARTY_ROLE_OWNER, "业主公司", "91110000600037341L")});
  EXPECT_EQ(MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT)).liable_party().name(),
            "业主公司");
  UpdateParties(5, {});
  EXPECT_FALSE(MustReport(worker_, Req(v1::HAZARD_CATEGORY_EVACUATION_BLOCKED)).has_liable_party());
  // A building registered without parties: no liable party.
  EXPECT_FALSE(MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, "bld_S"))
                   .has_liable_party());
}

TEST_F(LiablePartyTest, TheLeadDepartmentNamesAnotherOnVerifyInTheAuditAndTheEvents) {
  v1::Hazard h = MustReport(worker_, Req());
  v1::VerifyHazardRequest v = VerifyReq(h);
  *v.mutable_liable_party() = occupant_;
  auto verified = registry_->Verify(urban_, v);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->status(), v1::STATUS_VERIFIED);
  // The lead department is no district admin: it reads the person id masked.
  EXPECT_EQ(verified->liable_party().person_id(), "110105********002X");
  EXPECT_EQ(verified->liable_party().role(), sv1::PARTY_ROLE_OCCUPANT);
  bool recorded = false;
  for (const auto& e : verified->audit()) {
    if (e.action() == "name_liable_party") {
      recorded = true;
      EXPECT_EQ(e.actor(), "um");
      EXPECT_EQ(e.note(), "liable party: 张三 (occupant, 110105********002X)");
    }
  }
  EXPECT_TRUE(recorded);
  // The event carries the party whole: the topic is internal and credit rates the person.
  EXPECT_EQ(LiableInLastEvent("HazardStatusChanged").person_id(), "11010519491231002X");
  v1::GetHazardRequest g;
  g.set_hazard_id(h.hazard_id());
  EXPECT_EQ(registry_->Get(admin_, g)->liable_party().person_id(), "11010519491231002X");
}

TEST_F(LiablePartyTest, AssignByTheLeadDepartmentOrADistrictAdminReplacesIt) {
  v1::Hazard h = MustReport(worker_, Req());
  auto verified = registry_->Verify(urban_, VerifyReq(h));
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->liable_party().name(), "管理单位");  // no override: the default stays
  v1::AssignHazardRequest a = AssignReq(*verified);
  *a.mutable_liable_party() = Party(sv1::PARTY_ROLE_MAINTENANCE_AGENCY, "某消防技术服务有限公司",
                                    "91440300708461136t");  // lower case: normalised
  auto assigned = registry_->Assign(admin_, a);
  ASSERT_TRUE(assigned.ok()) << assigned.status();
  EXPECT_EQ(assigned->status(), v1::STATUS_ASSIGNED);
  EXPECT_EQ(assigned->liable_party().credit_code(), "91440300708461136T");
  EXPECT_EQ(assigned->liable_party().role(), sv1::PARTY_ROLE_MAINTENANCE_AGENCY);
  EXPECT_EQ(LiableInLastEvent("HazardStatusChanged").credit_code(), "91440300708461136T");
  EXPECT_EQ(assigned->audit(assigned->audit_size() - 2).note(),
            "liable party: 某消防技术服务有限公司 (maintenance_agency, 91440300708461136T)");
}

TEST_F(LiablePartyTest, OthersMayNotNameTheLiablePartyAndNothingChanges) {
  v1::Hazard h = MustReport(worker_, Req());
  v1::VerifyHazardRequest v = VerifyReq(h);
  *v.mutable_liable_party() = occupant_;
  // A street officer verifies, but does not name the liable party; an assisting or unrouted
  // department and a community worker may not verify at all.
  for (const Principal& p : {street_, health_, worker_}) {
    EXPECT_EQ(registry_->Verify(p, v).status().code(), absl::StatusCode::kPermissionDenied)
        << p.subject;
  }
  v.clear_liable_party();
  auto verified = registry_->Verify(street_, v);
  ASSERT_TRUE(verified.ok()) << verified.status();
  v1::AssignHazardRequest a = AssignReq(*verified);
  *a.mutable_liable_party() = occupant_;
  EXPECT_EQ(registry_->Assign(street_, a).status().code(), absl::StatusCode::kPermissionDenied);
  v1::GetHazardRequest g;
  g.set_hazard_id(h.hazard_id());
  auto now = registry_->Get(admin_, g);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->status(), v1::STATUS_VERIFIED);
  EXPECT_EQ(now->liable_party().name(), "管理单位");
}

TEST_F(LiablePartyTest, AnInvalidCreditCodeIsInvalidArgumentNamingTheField) {
  v1::Hazard h = MustReport(worker_, Req());
  v1::VerifyHazardRequest v = VerifyReq(h);
  *v.mutable_liable_party() =
      Party(sv1::PARTY_ROLE_MANAGEMENT_UNIT, "管理单位", "91350100M000100Y44");
  absl::Status s = registry_->Verify(urban_, v).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("liable_party.credit_code"));
  v.clear_liable_party();
  auto verified = registry_->Verify(urban_, v);
  ASSERT_TRUE(verified.ok());
  v1::AssignHazardRequest a = AssignReq(*verified);
  *a.mutable_liable_party() = Party(sv1::PARTY_ROLE_OCCUPANT, "张三", "", "110105194912310021");
  s = registry_->Assign(urban_, a).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("liable_party.person_id"));
}

TEST_F(LiablePartyTest, ReadsMaskThePersonIdForAllButDistrictAdminsAndInternalServices) {
  v1::Hazard h = MustReport(worker_, Req());
  v1::VerifyHazardRequest v = VerifyReq(h);
  *v.mutable_liable_party() = occupant_;
  ASSERT_TRUE(registry_->Verify(admin_, v).ok());
  const Principal mgr = Make(Role::kBuildingManager, "", "mgr-a");
  const Principal internal = HazardRegistry::SystemPrincipal();
  const std::vector<std::pair<Principal, std::string>> want = {
      {admin_, "11010519491231002X"},  {internal, "11010519491231002X"},
      {street_, "110105********002X"}, {worker_, "110105********002X"},
      {urban_, "110105********002X"},  {mgr, "110105********002X"}};
  v1::GetHazardRequest g;
  g.set_hazard_id(h.hazard_id());
  v1::ListHazardsRequest l;
  l.set_building_id("bld_A");
  for (const auto& [p, id] : want) {
    auto got = registry_->Get(p, g);
    ASSERT_TRUE(got.ok()) << p.subject << ": " << got.status();
    EXPECT_EQ(got->liable_party().person_id(), id) << p.subject;
    if (p.role == Role::kInternalService) continue;  // lists are scoped to a caller's tier
    auto listed = registry_->List(p, l);
    ASSERT_TRUE(listed.ok()) << p.subject << ": " << listed.status();
    ASSERT_EQ(listed->hazards_size(), 1) << p.subject;
    EXPECT_EQ(listed->hazards(0).liable_party().person_id(), id) << p.subject;
  }
}

TEST_F(HazardsTest, RemindersAndEscalationsFireExactlyOnceWithTwoInstances) {
  // A second instance: its own pool and registry, the same Redis and keys.
  auto pool2 = testing::NewSharedRedisPool();
  HazardStore store2(pool2.get(), prefix_);
  HazardRegistry second(&store2, rules_.get(), &clock_, &ids_);

  v1::Hazard h = MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT));
  v1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  h = *registry_->Verify(street_, v);
  v1::AssignHazardRequest a;
  a.set_hazard_id(h.hazard_id());
  a.set_expected_version(h.version());
  a.set_responsible_party("物业");
  h = *registry_->Assign(street_, a);
  const absl::Time deadline =
      absl::FromUnixSeconds(TimeUtil::TimestampToSeconds(h.assignment().deadline()));

  auto fire_both = [&] {
    std::atomic<int> fired{0};
    std::thread t1([&] { fired += registry_->FireDueTimers().value_or(-100); });
    std::thread t2([&] { fired += second.FireDueTimers().value_or(-100); });
    t1.join();
    t2.join();
    return fired.load();
  };
  EXPECT_EQ(fire_both(), 0);  // nothing due yet
  clock_.Set(deadline - absl::Hours(71));
  EXPECT_EQ(fire_both(), 1);
  EXPECT_EQ(fire_both(), 0);
  EXPECT_EQ(Count("HazardDueSoon"), 1);
  clock_.Set(deadline + absl::Seconds(1));
  EXPECT_EQ(fire_both(), 1);
  EXPECT_EQ(Count("HazardOverdue"), 1);
  EXPECT_EQ(Count("HazardEscalated"), 1);
  clock_.Set(deadline + absl::Hours(24 * 7) + absl::Seconds(1));
  EXPECT_EQ(fire_both(), 1);
  EXPECT_EQ(Count("HazardEscalated"), 2);
  // A restarted instance finds nothing left to fire.
  HazardRegistry restarted(store_.get(), rules_.get(), &clock_, &ids_);
  EXPECT_EQ(*restarted.FireDueTimers(), 0);
  v1::GetHazardRequest get;
  get.set_hazard_id(h.hazard_id());
  auto now = registry_->Get(admin_, get);
  EXPECT_TRUE(now->overdue());
  EXPECT_EQ(now->escalation(), v1::ESCALATION_LEVEL_DISTRICT);
  auto escalations = Outbox();
  std::vector<std::string> to;
  for (const auto& e : escalations) {
    auto esc = events::Unpack<v1::HazardEscalated>(e);
    if (esc.ok()) to.push_back(esc->escalated_to());
  }
  EXPECT_THAT(to, ::testing::ElementsAre("500109001", "500109"));
  v1::ListHazardsRequest overdue;
  overdue.set_overdue(true);
  EXPECT_EQ(registry_->List(admin_, overdue)->hazards_size(), 1);
  EXPECT_EQ(registry_->GetStatistics(admin_, {})->totals().overdue(), 1);
}

TEST_F(HazardsTest, DomainMetricsCountNewHazardsClosuresOverdueAndFiredTimers) {
  auto value = [&](const std::string& name, const std::string& label, const std::string& v) {
    return metrics_registry_.AddCounter(name, "").Get({{label, v}}).Value();
  };
  v1::Hazard h = MustReport(worker_, Req());
  MustReport(worker_, Req());  // a duplicate of the open hazard: not a new hazard
  auto retry = Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  retry.set_idempotency_key("k-1");
  MustReport(worker_, retry);
  MustReport(worker_, retry);  // an idempotent retry: not a new hazard either
  EXPECT_EQ(value("firegrid_hazards_reported_total", "category", "fire_access_occupied"), 1);
  EXPECT_EQ(value("firegrid_hazards_reported_total", "category", "fire_facility_fault"), 1);

  auto reread = [&] {
    v1::GetHazardRequest g;
    g.set_hazard_id(h.hazard_id());
    auto got = registry_->Get(admin_, g);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : h;
  };
  h = reread();  // the duplicate report advanced its version
  v1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  h = *registry_->Verify(urban_, v);
  v1::AssignHazardRequest a;
  a.set_hazard_id(h.hazard_id());
  a.set_expected_version(h.version());
  a.set_responsible_party("物业");
  a.set_responsible_subject("mgr-a");
  h = *registry_->Assign(street_, a);
  const absl::Time deadline =
      absl::FromUnixSeconds(TimeUtil::TimestampToSeconds(h.assignment().deadline()));
  clock_.Set(deadline + absl::Seconds(1));
  ASSERT_TRUE(registry_->FireDueTimers().ok());
  EXPECT_EQ(value("firegrid_timers_fired_total", "kind", "due_soon"), 1);
  EXPECT_EQ(value("firegrid_timers_fired_total", "kind", "overdue"), 1);
  EXPECT_EQ(value("firegrid_timers_fired_total", "kind", "district"), 0);
  EXPECT_EQ(value("firegrid_hazards_overdue_total", "category", "fire_access_occupied"), 1);

  h = reread();  // the timers advanced its version
  Principal mgr = Make(Role::kBuildingManager, "", "mgr-a");
  v1::StartRectificationRequest st;
  st.set_hazard_id(h.hazard_id());
  st.set_expected_version(h.version());
  h = *registry_->Start(mgr, st);
  v1::SubmitRectificationRequest sub;
  sub.set_hazard_id(h.hazard_id());
  sub.set_expected_version(h.version());
  sub.add_evidence()->set_uri("sha256:" + std::string(64, 'a'));
  h = *registry_->Submit(mgr, sub);
  EXPECT_EQ(value("firegrid_hazards_closed_total", "category", "fire_access_occupied"), 0);
  v1::ReviewRectificationRequest rev;
  rev.set_hazard_id(h.hazard_id());
  rev.set_expected_version(h.version());
  rev.set_passed(true);
  ASSERT_TRUE(registry_->Review(urban_, rev).ok());
  EXPECT_EQ(value("firegrid_hazards_closed_total", "category", "fire_access_occupied"), 1);
  EXPECT_THAT(metrics_registry_.Render(),
              HasSubstr("firegrid_hazards_closed_total{category=\"fire_access_occupied\"} 1"));
}

TEST_F(HazardsTest, ListPagesThroughEverythingWithOpaqueTokensBoundToTheListing) {
  std::set<std::string> reported;
  for (int c = 1; c <= 5; ++c) {
    reported.insert(MustReport(worker_, Req(static_cast<v1::HazardCategory>(c))).hazard_id());
  }
  v1::ListHazardsRequest req;
  req.set_page_size(2);
  std::set<std::string> seen;
  std::string other_token;
  for (int page = 0; page < 10; ++page) {
    auto resp = registry_->List(street_, req);
    ASSERT_TRUE(resp.ok()) << resp.status();
    for (const auto& h : resp->hazards()) seen.insert(h.hazard_id());
    if (resp->next_page_token().empty()) break;
    EXPECT_EQ(resp->next_page_token().find('|'), std::string::npos);
    EXPECT_EQ(resp->next_page_token().find(worker_.tier_path), std::string::npos);
    other_token = resp->next_page_token();
    req.set_page_token(resp->next_page_token());
  }
  EXPECT_EQ(seen, reported);
  // A token of one listing is refused by another (other filters), naming the field.
  v1::ListHazardsRequest other;
  other.set_page_size(2);
  other.add_statuses(v1::STATUS_REPORTED);
  other.set_page_token(other_token);
  auto refused = registry_->List(street_, other);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("page_token"));
}

TEST_F(HazardsTest, ClosedHazardFiresNoReminders) {
  v1::Hazard h = MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT));
  Principal mgr = Make(Role::kBuildingManager, "", "mgr-a");
  v1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  h = *registry_->Verify(street_, v);
  v1::AssignHazardRequest a;
  a.set_hazard_id(h.hazard_id());
  a.set_expected_version(h.version());
  a.set_responsible_party("物业");
  h = *registry_->Assign(street_, a);
  v1::StartRectificationRequest s;
  s.set_hazard_id(h.hazard_id());
  s.set_expected_version(h.version());
  h = *registry_->Start(mgr, s);
  v1::SubmitRectificationRequest sub;
  sub.set_hazard_id(h.hazard_id());
  sub.set_expected_version(h.version());
  sub.add_evidence()->set_uri("https://evidence.example/fixed.jpg");
  h = *registry_->Submit(mgr, sub);
  v1::ReviewRectificationRequest rev;
  rev.set_hazard_id(h.hazard_id());
  rev.set_expected_version(h.version());
  rev.set_passed(true);
  ASSERT_TRUE(registry_->Review(street_, rev).ok());
  clock_.Advance(absl::Hours(24 * 400));
  EXPECT_EQ(*registry_->FireDueTimers(), 0);
  EXPECT_EQ(Count("HazardDueSoon") + Count("HazardOverdue"), 0);
}

// ---- device alarms (the monitoring service) ----

class DeviceAlarmTest : public HazardsTest {
 protected:
  v1::ReportHazardRequest AlarmReq(const std::string& alarm_id = "alm_01JD8X3K5Q") {
    v1::ReportHazardRequest r = Req(v1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER);
    r.set_source(v1::SOURCE_IOT);
    r.set_description("室内消火栓管网压力低于下限持续 10 分钟");
    r.clear_evidence();
    r.set_idempotency_key(alarm_id);
    v1::DeviceAlarmRef* a = r.mutable_device_alarm();
    a->set_alarm_id(alarm_id);
    a->set_device_id("bld_A.hydrant-p.3F");
    a->set_alarm_type("ALARM_TYPE_LOW_PRESSURE");
    a->set_rule_id("hydrant-pressure-low");
    *a->mutable_raised_at() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()));
    a->set_details("0.08 MPa < 0.10 MPa");
    return r;
  }
  v1::NoteDeviceAlarmClearedRequest Cleared(const v1::Hazard& h) {
    v1::NoteDeviceAlarmClearedRequest r;
    r.set_hazard_id(h.hazard_id());
    r.set_alarm_id(h.device_alarm().alarm_id());
    r.set_note("pressure back to 0.14 MPa");
    return r;
  }
  Principal monitoring_ = Make(Role::kInternalService, "", "service:monitoring");
};

TEST_F(DeviceAlarmTest, AReportFromAnAlarmCarriesItIntoTheHazardTheAuditAndTheEvents) {
  v1::Hazard h = MustReport(monitoring_, AlarmReq());
  EXPECT_EQ(h.source(), v1::SOURCE_IOT);
  EXPECT_EQ(h.device_alarm().alarm_id(), "alm_01JD8X3K5Q");
  EXPECT_EQ(h.device_alarm().device_id(), "bld_A.hydrant-p.3F");
  EXPECT_FALSE(h.device_alarm().has_cleared_at());
  ASSERT_EQ(h.audit_size(), 1);
  EXPECT_THAT(h.audit(0).note(), HasSubstr("alm_01JD8X3K5Q"));
  EXPECT_THAT(h.audit(0).note(), HasSubstr("bld_A.hydrant-p.3F"));
  auto routed = events::Unpack<v1::HazardRouted>(Outbox()[1]);
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->hazard().device_alarm().alarm_id(), "alm_01JD8X3K5Q");
}

TEST_F(DeviceAlarmTest, ARetriedReportOfTheSameAlarmReturnsTheFirstHazard) {
  v1::Hazard first = MustReport(monitoring_, AlarmReq());
  v1::Hazard again = MustReport(monitoring_, AlarmReq());
  EXPECT_EQ(first.hazard_id(), again.hazard_id());
  EXPECT_EQ(Count("HazardReported"), 1);
}

TEST_F(DeviceAlarmTest, AReportWithADeviceAlarmFromAnotherRoleIsPermissionDenied) {
  EXPECT_EQ(registry_->Report(admin_, AlarmReq()).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Outbox().empty());
}

TEST_F(DeviceAlarmTest, ClearedIsNotedOnceWithAnAuditEntryAndOneEventStatusUnchanged) {
  v1::Hazard h = MustReport(monitoring_, AlarmReq());
  clock_.Advance(absl::Minutes(30));
  v1::NoteDeviceAlarmClearedRequest req = Cleared(h);
  const absl::Time at = clock_.Now() - absl::Minutes(2);  // the device's clear, reported late
  *req.mutable_cleared_at() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(at));
  auto noted = registry_->NoteDeviceAlarmCleared(monitoring_, req);
  ASSERT_TRUE(noted.ok()) << noted.status();
  EXPECT_EQ(TimeUtil::TimestampToSeconds(noted->device_alarm().cleared_at()),
            absl::ToUnixSeconds(at));
  EXPECT_EQ(noted->status(), h.status());
  EXPECT_EQ(noted->version(), h.version() + 1);
  ASSERT_EQ(noted->audit_size(), 2);
  EXPECT_EQ(noted->audit(1).action(), "device_alarm_cleared");
  EXPECT_EQ(noted->audit(1).note(), "pressure back to 0.14 MPa");
  EXPECT_EQ(noted->audit(1).actor(), "service:monitoring");
  ASSERT_EQ(Count("HazardDeviceAlarmCleared"), 1);
  auto event = events::Unpack<v1::HazardDeviceAlarmCleared>(Outbox().back());
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->note(), "pressure back to 0.14 MPa");
  EXPECT_TRUE(event->hazard().device_alarm().has_cleared_at());

  // Again: the hazard as it is, no second entry or event.
  auto again = registry_->NoteDeviceAlarmCleared(monitoring_, Cleared(h));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version(), noted->version());
  EXPECT_EQ(again->audit_size(), 2);
  EXPECT_EQ(Count("HazardDeviceAlarmCleared"), 1);
}

TEST_F(DeviceAlarmTest, ClearedNotedConcurrentlyByTwoCallersIsOneEvent) {
  v1::Hazard h = MustReport(monitoring_, AlarmReq());
  auto pool2 = testing::NewSharedRedisPool();
  HazardStore store2(pool2.get(), prefix_);
  HazardRegistry second(&store2, rules_.get(), &clock_, &ids_);
  std::atomic<int> ok{0};
  std::thread a([&] { ok += registry_->NoteDeviceAlarmCleared(monitoring_, Cleared(h)).ok(); });
  std::thread b([&] { ok += second.NoteDeviceAlarmCleared(monitoring_, Cleared(h)).ok(); });
  a.join();
  b.join();
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(Count("HazardDeviceAlarmCleared"), 1);
}

TEST_F(DeviceAlarmTest, ClearedIsRefusedToOthersForUnknownHazardsAndForAnotherAlarm) {
  v1::Hazard h = MustReport(monitoring_, AlarmReq());
  for (const Principal& p : {admin_, street_, worker_, urban_}) {
    EXPECT_EQ(registry_->NoteDeviceAlarmCleared(p, Cleared(h)).status().code(),
              absl::StatusCode::kPermissionDenied)
        << p.subject;
  }
  v1::NoteDeviceAlarmClearedRequest unknown = Cleared(h);
  unknown.set_hazard_id("hzd_NOPE");
  EXPECT_EQ(registry_->NoteDeviceAlarmCleared(monitoring_, unknown).status().code(),
            absl::StatusCode::kNotFound);
  v1::NoteDeviceAlarmClearedRequest other = Cleared(h);
  other.set_alarm_id("alm_OTHER");
  EXPECT_EQ(registry_->NoteDeviceAlarmCleared(monitoring_, other).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::Hazard plain = MustReport(worker_, Req());
  v1::NoteDeviceAlarmClearedRequest no_alarm = Cleared(h);
  no_alarm.set_hazard_id(plain.hazard_id());
  EXPECT_EQ(registry_->NoteDeviceAlarmCleared(monitoring_, no_alarm).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::NoteDeviceAlarmClearedRequest bad = Cleared(h);
  bad.set_alarm_id("alm_../x");
  auto refused = registry_->NoteDeviceAlarmCleared(monitoring_, bad);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("alarm_id"));
  v1::NoteDeviceAlarmClearedRequest future = Cleared(h);
  *future.mutable_cleared_at() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now() + absl::Hours(1)));
  refused = registry_->NoteDeviceAlarmCleared(monitoring_, future);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("cleared_at"));
  EXPECT_EQ(Count("HazardDeviceAlarmCleared"), 0);
}

}  // namespace
}  // namespace firegrid::hazards
