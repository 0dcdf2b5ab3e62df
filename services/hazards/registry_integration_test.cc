// The hazards registry against a real redis-server (started by the test): reports and routing,
// idempotency, duplicates, the lifecycle, statistics, the building projection and campaign
// hazards, and deadline timers firing exactly once with two instances on one Redis.
#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "services/hazards/idempotency.h"
#include "services/hazards/registry.h"
#include "services/hazards/statistics.h"
#include "services/hazards/timestamps.h"
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
    // The statistics counters of an empty store are built at once: every statistics test below
    // reads them (GetStatistics counts by a scan only until they are built).
    auto built = store_->counters().Build(*store_);
    ASSERT_TRUE(built.ok()) << built.status();
    ASSERT_EQ(*built, 0);
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

TEST_F(HazardsTest, ReadForReportReadsTheKeyTheBuildingAndItsOpenHazardTogether) {
  auto r = Req(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, "bld_A");
  r.set_idempotency_key("patrol-9");
  const v1::Hazard first = MustReport(worker_, r);
  const std::string owner = IdempotencyOwner(worker_);

  auto seen =
      store_->ReadForReport(owner, "patrol-9", "bld_A", v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_TRUE(seen->idempotent.has_value());
  EXPECT_EQ(seen->idempotent->hazard_id, first.hazard_id());
  EXPECT_FALSE(seen->idempotent->request_digest.empty());
  ASSERT_TRUE(seen->building.ok()) << seen->building.status();
  EXPECT_EQ(seen->building->tier_path, "500109001002");
  EXPECT_EQ(seen->open_hazard_id, first.hazard_id());

  // Another key, category and an unknown building: nothing found, the building NOT_FOUND.
  auto none =
      store_->ReadForReport(owner, "patrol-10", "bld_A", v1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->idempotent.has_value());
  EXPECT_TRUE(none->building.ok());
  EXPECT_EQ(none->open_hazard_id, "");
  auto unknown = store_->ReadForReport(owner, "", "bld_nowhere", 1);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->building.status().code(), absl::StatusCode::kNotFound);
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

// Every hazard as stored, by a scan.
std::vector<v1::Hazard> AllHazards(HazardStore& store) {
  std::vector<v1::Hazard> out;
  std::string cursor;
  do {
    auto page = store.Scan("", "", cursor, 100);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (auto& h : page->hazards) out.push_back(std::move(h));
    cursor = page->next_cursor;
  } while (!cursor.empty());
  return out;
}

// GetStatistics as a scan counts it (what it answered before the counters).
v1::Statistics ScannedStatistics(HazardStore& store, const std::string& tier,
                                 const std::string& department, absl::Time now) {
  StatisticsTally tally(tier, department, now);
  std::string cursor;
  do {
    auto page = store.Scan(department, tier, cursor, 100);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (const auto& h : page->hazards) tally.Add(h);
    cursor = page->next_cursor;
  } while (!cursor.empty());
  return tally.Finish();
}

class StatisticsCountersTest : public HazardsTest {
 protected:
  void SetUp() override {
    HazardsTest::SetUp();
    Register("bld_B", "500109001003", bv1::BUILDING_USE_RESIDENTIAL, "mgr-b");
    Register("bld_C", "500109002001", bv1::BUILDING_USE_SCHOOL, "mgr-c");
  }

  // The counters equal a recount of every stored hazard, and GetStatistics from them equals
  // the scan's answer for every scope and every department.
  void ExpectCountersEqualRecount() {
    auto stored = store_->counters().Read();
    ASSERT_TRUE(stored.ok()) << stored.status();
    const auto all = AllHazards(*store_);
    EXPECT_TRUE(*stored == store_->counters().Recount(all)) << "counters differ from a recount";
    std::set<std::string> departments = {""};
    for (const auto& h : all) {
      for (const auto& d : DepartmentIndexes(h)) departments.insert(d);
    }
    // The daily snapshot's rows from the counters equal a scan's.
    auto daily = store_->counters().DailyRows(clock_.Now());
    ASSERT_TRUE(daily.ok()) << daily.status();
    ASSERT_TRUE(daily->has_value());
    DailyTotals scanned_daily(clock_.Now());
    for (const auto& h : all) scanned_daily.Add(h);
    const auto expected_daily = scanned_daily.Finish();
    EXPECT_EQ((*daily)->size(), expected_daily.size());
    for (const auto& [key, row] : expected_daily) {
      auto it = (*daily)->find(key);
      ASSERT_NE(it, (*daily)->end()) << "no daily row " << key;
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(it->second, row))
          << key << ": " << it->second.ShortDebugString() << " vs " << row.ShortDebugString();
    }
    for (const std::string tier :
         {"500109", "500109001", "500109002", "500109001002", "500109001003", "500109002001"}) {
      for (const auto& d : departments) {
        Principal p = d.empty() ? admin_ : Make(Role::kDepartmentOfficer, "500109", "officer", d);
        v1::GetStatisticsRequest req;
        req.set_tier_path(tier);
        auto counted = registry_->GetStatistics(p, req);
        ASSERT_TRUE(counted.ok()) << counted.status();
        const v1::Statistics scanned = ScannedStatistics(*store_, tier, d, clock_.Now());
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*counted, scanned))
            << "tier " << tier << " department '" << d
            << "'\ncounters: " << counted->ShortDebugString()
            << "\nscan:     " << scanned.ShortDebugString();
      }
    }
  }
};

TEST_F(StatisticsCountersTest,
       CountersEqualARecountAfterRandomReportsTransitionsMergesTimersAndDuplicates) {
  std::mt19937 rng(12);
  const std::vector<std::string> buildings = {"bld_A", "bld_S", "bld_B", "bld_C"};
  const std::vector<v1::HazardCategory> categories = {
      v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, v1::HAZARD_CATEGORY_FIRE_LANE_GEOMETRY,
      v1::HAZARD_CATEGORY_GAS_ELECTRICAL, v1::HAZARD_CATEGORY_EVACUATION_BLOCKED,
      v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT};
  std::vector<std::string> ids;
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  int changes = 0, refused_stale = 0, timers_fired = 0, merges = 0;
  for (int step = 0; step < 400; ++step) {
    const int op = static_cast<int>(pick(13));
    if (op <= 2 || ids.empty()) {
      auto r = Req(categories[pick(categories.size())], buildings[pick(buildings.size())]);
      auto resp = registry_->Report(worker_, r);
      if (!resp.ok()) resp = registry_->Report(admin_, r);
      if (resp.ok()) ids.push_back(resp->hazard().hazard_id());
      continue;
    }
    if (op == 9) {  // time passes: deadlines fall due
      clock_.Advance(absl::Hours(static_cast<int64_t>(pick(30))));
      continue;
    }
    if (op == 12) {  // reminders and escalations fire
      auto fired = registry_->FireDueTimers();
      ASSERT_TRUE(fired.ok()) << fired.status();
      timers_fired += *fired;
      continue;
    }
    // Mostly hazards still in their lifecycle (closed, rejected and duplicates refuse most).
    auto got = store_->Get(ids[pick(ids.size())]);
    for (int tries = 0; tries < 5 && got.ok() &&
                        (got->status() == v1::STATUS_CLOSED ||
                         got->status() == v1::STATUS_REJECTED || !got->duplicate_of().empty());
         ++tries) {
      got = store_->Get(ids[pick(ids.size())]);
    }
    ASSERT_TRUE(got.ok()) << got.status();
    const v1::Hazard h = *got;
    const std::string lead =
        h.routing().lead_departments().empty() ? "" : h.routing().lead_departments(0);
    const Principal dept = Make(Role::kDepartmentOfficer, "500109", "officer", lead);
    // One in five calls names a stale version: refused, and nothing may be counted.
    const bool stale = pick(5) == 0 && h.version() > 1;
    const int64_t version = stale ? h.version() - 1 : h.version();
    absl::StatusOr<v1::Hazard> r = absl::UnknownError("no call");
    switch (op) {
      case 3: {
        v1::VerifyHazardRequest v;
        v.set_hazard_id(h.hazard_id());
        v.set_expected_version(version);
        r = registry_->Verify(dept, v);
        if (!r.ok() && !stale) r = registry_->Verify(admin_, v);
        break;
      }
      case 4: {
        v1::RejectHazardRequest v;
        v.set_hazard_id(h.hazard_id());
        v.set_expected_version(version);
        v.set_reason("不属实");
        r = registry_->Reject(admin_, v);
        break;
      }
      case 5: {
        v1::AssignHazardRequest a;
        a.set_hazard_id(h.hazard_id());
        a.set_expected_version(version);
        a.set_responsible_party("物业");
        a.set_responsible_subject("mgr-a");
        r = registry_->Assign(street_, a);
        if (!r.ok() && !stale) r = registry_->Assign(admin_, a);
        break;
      }
      case 6: {
        const Principal m = Make(Role::kBuildingManager, "", "mgr-a");
        v1::StartRectificationRequest st;
        st.set_hazard_id(h.hazard_id());
        st.set_expected_version(version);
        r = registry_->Start(m, st);
        if (!r.ok() && !stale) {
          v1::SubmitRectificationRequest sub;
          sub.set_hazard_id(h.hazard_id());
          sub.set_expected_version(version);
          sub.add_evidence()->set_uri("sha256:" + std::string(64, 'b'));
          r = registry_->Submit(m, sub);
        }
        break;
      }
      case 7: {
        v1::ReviewRectificationRequest rev;
        rev.set_hazard_id(h.hazard_id());
        rev.set_expected_version(version);
        rev.set_passed(pick(3) != 0);
        rev.set_note("复查");
        r = registry_->Review(dept, rev);
        if (!r.ok() && !stale) r = registry_->Review(admin_, rev);
        break;
      }
      case 10: {  // merged into another hazard as its duplicate
        v1::MergeHazardsRequest m;
        m.set_hazard_id(h.hazard_id());
        m.set_target_hazard_id(ids[pick(ids.size())]);
        r = registry_->Merge(street_, m);
        if (!r.ok() && !stale) r = registry_->Merge(admin_, m);
        if (stale) continue;  // a merge names no version
        break;
      }
      case 11: {  // a duplicate made a hazard of its own again
        v1::UnmergeHazardRequest u;
        u.set_hazard_id(h.hazard_id());
        for (size_t k = 0, start = pick(ids.size()); k < ids.size(); ++k) {
          auto d = store_->Get(ids[(start + k) % ids.size()]);
          if (d.ok() && !d->duplicate_of().empty()) {
            u.set_hazard_id(d->hazard_id());
            break;
          }
        }
        r = registry_->Unmerge(street_, u);
        if (!r.ok()) r = registry_->Unmerge(admin_, u);
        if (stale) continue;
        break;
      }
      case 8: {
        v1::ChangeCategoryRequest c;
        c.set_hazard_id(h.hazard_id());
        c.set_expected_version(version);
        c.set_category(categories[pick(categories.size())]);
        r = registry_->ChangeCategory(street_, c);
        break;
      }
    }
    if (stale) {
      EXPECT_FALSE(r.ok()) << "a stale version was accepted";
      refused_stale += !r.ok();
    } else {
      changes += r.ok();
      merges += r.ok() && (op == 10 || op == 11);
    }
    if (step % 100 == 99) ExpectCountersEqualRecount();
  }
  // The sequence did exercise the lifecycle, duplicates and refused writes.
  EXPECT_GT(changes, 30);
  EXPECT_GT(refused_stale, 5);
  EXPECT_GT(timers_fired, 0);
  EXPECT_GT(merges, 0);
  const auto all = AllHazards(*store_);
  std::set<v1::Status> statuses;
  int duplicates = 0;
  for (const auto& h : all) {
    statuses.insert(h.status());
    duplicates += !h.duplicate_of().empty();
  }
  EXPECT_GE(statuses.size(), 4u);
  EXPECT_GT(duplicates, 0);
  ExpectCountersEqualRecount();
}

TEST_F(StatisticsCountersTest, AWriteRefusedByItsPreconditionChangesNoCounter) {
  const v1::Hazard h = MustReport(worker_, Req());
  auto before = store_->counters().Read();
  ASSERT_TRUE(before.ok()) << before.status();
  // A write that would close it, on a version that is no longer stored: the script checks the
  // preconditions before any command, so neither the hazard nor a counter changes.
  v1::Hazard stale = h;
  stale.set_version(h.version() - 1);
  v1::Hazard closed = h;
  closed.set_status(v1::STATUS_CLOSED);
  closed.set_version(h.version() + 1);
  HazardStore::Write w = store_->NewWrite();
  w.Update(stale, closed);
  EXPECT_EQ(w.Commit().code(), absl::StatusCode::kAborted);
  auto after = store_->counters().Read();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(*before == *after);
  ExpectCountersEqualRecount();
}

TEST_F(StatisticsCountersTest, BuildCountsHazardsStoredBeforeTheCountersOnce) {
  for (const char* b : {"bld_A", "bld_B", "bld_C"}) {
    MustReport(admin_, Req(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, b));
  }
  // Hazards stored before the counters existed: no counters, no marker.
  auto keys = pool_->Command({"KEYS", prefix_ + ":agg:*"});
  ASSERT_TRUE(keys.ok());
  for (const auto& k : keys->elements) ASSERT_TRUE(pool_->Command({"DEL", k.str}).ok());
  v1::GetStatisticsRequest req;
  auto scanned = registry_->GetStatistics(admin_, req);  // counted by a scan meanwhile
  ASSERT_TRUE(scanned.ok()) << scanned.status();
  EXPECT_EQ(scanned->totals().reported(), 3);
  auto built = store_->counters().Build(*store_);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(*built, 3);
  auto again = store_->counters().Build(*store_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, -1);
  ExpectCountersEqualRecount();
}

TEST_F(StatisticsCountersTest, ARecountRacedByAWriteIsDiscardedAndDoneAgain) {
  MustReport(admin_, Req(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, "bld_A"));
  auto keys = pool_->Command({"KEYS", prefix_ + ":agg:*"});
  ASSERT_TRUE(keys.ok());
  for (const auto& k : keys->elements) ASSERT_TRUE(pool_->Command({"DEL", k.str}).ok());
  // The first recount counts one hazard; a report lands before its result is written, so that
  // result is stale: it must be discarded (not written, not counted twice) and done again.
  int recounts = 0;
  auto built = redis::RebuildCounters(
      *pool_, store_->counters().counters_prefix(),
      [&]() -> absl::StatusOr<redis::CounterSnapshot> {
        auto snapshot = store_->counters().Recount(AllHazards(*store_));
        if (++recounts == 1) MustReport(admin_, Req(v1::HAZARD_CATEGORY_GAS_ELECTRICAL, "bld_B"));
        return snapshot;
      });
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(*built);
  EXPECT_EQ(recounts, 2);
  ExpectCountersEqualRecount();
  v1::GetStatisticsRequest req;
  auto stats = registry_->GetStatistics(admin_, req);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->totals().reported(), 2);
}

// CheckReadModels (firegridctl rebuild --check): equal after normal writes; a counter changed
// by hand in Redis is reported with the value stored and the value a recount gives, and left
// as it is; district admins only.
TEST_F(StatisticsCountersTest,
       CheckReadModelsFindsNothingAfterWritesAndReportsACounterChangedInRedis) {
  const v1::Hazard h = MustReport(worker_, Req());
  MustReport(worker_, Req(v1::HAZARD_CATEGORY_GAS_ELECTRICAL, "bld_S"));
  v1::VerifyHazardRequest verify;
  verify.set_hazard_id(h.hazard_id());
  verify.set_expected_version(h.version());
  (void)registry_->Verify(admin_, verify);  // whatever its outcome, the counters follow
  auto clean = registry_->CheckReadModels(admin_, readmodels::v1::CheckReadModelsRequest());
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->read_model(), "statistics counters");
  EXPECT_EQ(clean->records(), static_cast<int64_t>(AllHazards(*store_).size()));
  EXPECT_GE(clean->records(), 1);
  EXPECT_EQ(clean->difference_count(), 0) << clean->ShortDebugString();

  const std::string district = prefix_ + ":agg:500109";
  auto reported = pool_->Command({"HGET", district, "|reported"});
  ASSERT_TRUE(reported.ok());
  const std::string counted = reported->str;
  int64_t n = 0;
  ASSERT_TRUE(absl::SimpleAtoi(counted, &n)) << counted;
  ASSERT_GE(n, 1);
  ASSERT_TRUE(pool_->Command({"HINCRBY", district, "|reported", "3"}).ok());
  const std::string corrupted = std::to_string(n + 3);
  auto corrupt = registry_->CheckReadModels(admin_, readmodels::v1::CheckReadModelsRequest());
  ASSERT_TRUE(corrupt.ok()) << corrupt.status();
  ASSERT_EQ(corrupt->difference_count(), 1) << corrupt->ShortDebugString();
  EXPECT_EQ(corrupt->differences(0).key(), district);
  EXPECT_EQ(corrupt->differences(0).field(), "|reported");
  EXPECT_EQ(corrupt->differences(0).live(), corrupted);
  EXPECT_EQ(corrupt->differences(0).rebuilt(), counted);
  EXPECT_EQ(pool_->Command({"HGET", district, "|reported"})->str, corrupted);

  EXPECT_EQ(
      registry_->CheckReadModels(street_, readmodels::v1::CheckReadModelsRequest()).status().code(),
      absl::StatusCode::kPermissionDenied);
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

TEST_F(HazardsTest, TipOffIdentityIsMaskedForEveryReaderAndAConfirmedTipOffEarnsAReward) {
  auto r = Req(v1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE);
  r.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
  r.mutable_reporter()->set_name("陈先生");
  r.mutable_reporter()->set_contact("13900000000");
  v1::Hazard h = MustReport(worker_, r);
  EXPECT_EQ(h.reporter().contact(), "139****0000");
  EXPECT_EQ(h.reporter().name(), "陈**");
  v1::GetHazardRequest get;
  get.set_hazard_id(h.hazard_id());
  // Ordinary reads are masked for district admins too; only the audited reveal shows it.
  EXPECT_EQ(registry_->Get(admin_, get)->reporter().contact(), "139****0000");
  EXPECT_EQ(registry_->Get(street_, get)->reporter().contact(), "139****0000");
  auto listed = registry_->List(admin_, v1::ListHazardsRequest());
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const v1::Hazard& each : listed->hazards()) {
    EXPECT_EQ(each.reporter().contact().find("0000000"), std::string::npos);
    EXPECT_NE(each.reporter().name(), "陈先生");
  }
  for (const auto& e : Outbox()) {
    auto rep = events::Unpack<v1::HazardReported>(e);
    if (rep.ok()) EXPECT_TRUE(rep->hazard().reporter().contact().empty());
    if (rep.ok()) EXPECT_TRUE(rep->hazard().reporter().name().empty());
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

// ---- personal data (docs/privacy.md) ----

class PersonalDataTest : public HazardsTest {
 protected:
  void SetUp() override {
    HazardsTest::SetUp();
    registry_->set_personal_data_audit([this](audit::AuditRecord r) {
      if (audit_down_) return absl::UnavailableError("audit log unreachable");
      records_.push_back(std::move(r));
      return absl::OkStatus();
    });
  }
  v1::Hazard TipOff() {
    auto r = Req(v1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE);
    r.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
    r.mutable_reporter()->set_name("陈先生");
    r.mutable_reporter()->set_contact("13900000000");
    return MustReport(worker_, r);
  }
  absl::StatusOr<v1::Hazard> Reveal(const Principal& p, const std::string& id) {
    v1::GetHazardRequest get;
    get.set_hazard_id(id);
    get.set_reveal_personal_data(true);
    return registry_->Get(p, get);
  }
  std::vector<audit::AuditRecord> records_;  // the in-memory audit log
  bool audit_down_ = false;
};

TEST_F(PersonalDataTest, ADistrictAdminsRevealShowsTheTipOffIdentityAndIsAudited) {
  const v1::Hazard h = TipOff();
  auto shown = Reveal(admin_, h.hazard_id());
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_EQ(shown->reporter().name(), "陈先生");
  EXPECT_EQ(shown->reporter().contact(), "13900000000");
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].principal(), "admin");
  EXPECT_EQ(records_[0].role(), "district_admin");
  EXPECT_EQ(records_[0].object_id(), h.hazard_id());
  EXPECT_EQ(records_[0].method(), "/firegrid.hazards.v1.HazardService/GetHazard");
  EXPECT_EQ(records_[0].detail(), "revealed=reporter.name,reporter.contact");
}

TEST_F(PersonalDataTest, MaskedReadsAndListsWriteNoAuditRecord) {
  const v1::Hazard h = TipOff();
  v1::GetHazardRequest get;
  get.set_hazard_id(h.hazard_id());
  ASSERT_TRUE(registry_->Get(admin_, get).ok());
  ASSERT_TRUE(registry_->List(admin_, v1::ListHazardsRequest()).ok());
  EXPECT_TRUE(records_.empty());
}

TEST_F(PersonalDataTest, OnlyDistrictAdminsMayReveal) {
  const v1::Hazard h = TipOff();
  for (const Principal& p : {street_, worker_, urban_}) {
    EXPECT_EQ(Reveal(p, h.hazard_id()).status().code(), absl::StatusCode::kPermissionDenied)
        << p.subject;
  }
  Principal system = Make(Role::kInternalService, "", "svc:monitoring");
  EXPECT_EQ(Reveal(system, h.hazard_id()).status().code(), absl::StatusCode::kPermissionDenied);
  Principal other_admin = Make(Role::kDistrictAdmin, "500110", "admin2");
  EXPECT_EQ(Reveal(other_admin, h.hazard_id()).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(records_.empty());
}

TEST_F(PersonalDataTest, RevealIsRefusedWhenItsAuditRecordCannotBeWritten) {
  const v1::Hazard h = TipOff();
  audit_down_ = true;
  EXPECT_EQ(Reveal(admin_, h.hazard_id()).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(PersonalDataTest, TheReporterIsErasedTheRetentionPeriodAfterTheHazardIsRejected) {
  const v1::Hazard h = TipOff();
  v1::RejectHazardRequest rej;
  rej.set_hazard_id(h.hazard_id());
  rej.set_expected_version(h.version());
  rej.set_reason("not a hazard");
  ASSERT_TRUE(registry_->Reject(admin_, rej).ok());
  clock_.Advance(rules_->reporter_retention() - absl::Hours(1));
  ASSERT_TRUE(registry_->FireDueTimers().ok());
  EXPECT_EQ(Reveal(admin_, h.hazard_id())->reporter().contact(), "13900000000");
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*registry_->FireDueTimers(), 1);
  auto after = Reveal(admin_, h.hazard_id());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->reporter().name(), "");
  EXPECT_EQ(after->reporter().contact(), "");
  EXPECT_EQ(after->audit(after->audit_size() - 1).action(), "erase_reporter");
  EXPECT_EQ(after->status(), v1::STATUS_REJECTED);
  EXPECT_EQ(*registry_->FireDueTimers(), 0);  // once
}

TEST_F(PersonalDataTest, TheReporterIsErasedTheRetentionPeriodAfterTheHazardIsClosed) {
  v1::Hazard h = TipOff();
  const Principal mgr = Make(Role::kBuildingManager, "", "mgr-a");
  v1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  h = *registry_->Verify(street_, v);
  v1::AssignHazardRequest a;
  a.set_hazard_id(h.hazard_id());
  a.set_expected_version(h.version());
  a.set_responsible_party("物业");
  h = *registry_->Assign(street_, a);
  v1::StartRectificationRequest st;
  st.set_hazard_id(h.hazard_id());
  st.set_expected_version(h.version());
  h = *registry_->Start(mgr, st);
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
  const absl::Time closed = clock_.Now();
  clock_.Set(closed + rules_->reporter_retention() - absl::Minutes(1));
  ASSERT_TRUE(registry_->FireDueTimers().ok());
  EXPECT_EQ(Reveal(admin_, h.hazard_id())->reporter().name(), "陈先生");
  clock_.Set(closed + rules_->reporter_retention());
  ASSERT_TRUE(registry_->FireDueTimers().ok());
  auto after = Reveal(admin_, h.hazard_id());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status(), v1::STATUS_CLOSED);
  EXPECT_EQ(after->reporter().name(), "");
  EXPECT_EQ(after->reporter().contact(), "");
  EXPECT_DOUBLE_EQ(after->reward().amount_yuan(), 200);  // the reward record stays
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
  EXPECT_EQ(registry_->Get(admin_, g)->liable_party().person_id(), "110105********002X");
  std::vector<audit::AuditRecord> records;
  registry_->set_personal_data_audit([&](audit::AuditRecord r) {
    records.push_back(std::move(r));
    return absl::OkStatus();
  });
  g.set_reveal_personal_data(true);
  EXPECT_EQ(registry_->Get(admin_, g)->liable_party().person_id(), "11010519491231002X");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].detail(), "revealed=liable_party.person_id");
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

TEST_F(LiablePartyTest, ReadsMaskThePersonIdForAllButInternalServices) {
  v1::Hazard h = MustReport(worker_, Req());
  v1::VerifyHazardRequest v = VerifyReq(h);
  *v.mutable_liable_party() = occupant_;
  ASSERT_TRUE(registry_->Verify(admin_, v).ok());
  const Principal mgr = Make(Role::kBuildingManager, "", "mgr-a");
  const Principal internal = HazardRegistry::SystemPrincipal();
  const std::vector<std::pair<Principal, std::string>> want = {
      {admin_, "110105********002X"},  {internal, "11010519491231002X"},
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

TEST_F(HazardsTest, ListFillsItsPagesWhenTheFiltersRejectMostOfTheScope) {
  // 12 hazards in the scope, 4 of which match: the reads that start at the page size must go
  // on past the rejected ones until a page is full or the scope is done.
  std::set<std::string> wanted;
  for (int c = 1; c <= 12; ++c) {
    const v1::Hazard h = MustReport(worker_, Req(static_cast<v1::HazardCategory>(c)));
    if (c % 3 == 0) wanted.insert(h.hazard_id());
  }
  v1::ListHazardsRequest req;
  req.set_page_size(3);
  for (int c = 3; c <= 12; c += 3) req.add_categories(static_cast<v1::HazardCategory>(c));
  auto first = registry_->List(street_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->hazards_size(), 3);
  ASSERT_FALSE(first->next_page_token().empty());
  req.set_page_token(first->next_page_token());
  auto second = registry_->List(street_, req);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->hazards_size(), 1);
  std::set<std::string> seen;
  for (const auto* page : {&*first, &*second}) {
    for (const auto& h : page->hazards()) seen.insert(h.hazard_id());
  }
  EXPECT_EQ(seen, wanted);
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

// ----- Public reports (role public_channel) ---------------------------------------------------

class PublicReportTest : public HazardsTest {
 protected:
  void SetUp() override {
    HazardsTest::SetUp();
    Register("bld_B", "500109002001", bv1::BUILDING_USE_RESIDENTIAL, "mgr-b");
  }

  // A tip-off through a channel whose place matched no building: kept in street 500109001.
  v1::ReportHazardRequest Tip(const std::string& building = "") {
    v1::ReportHazardRequest r = Req();
    r.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
    r.set_building_id(building);
    if (building.empty()) r.set_unmatched_tier_path("500109001");
    r.mutable_location()->set_latitude(29.56);
    r.mutable_location()->set_longitude(106.57);
    r.mutable_location()->set_address("某街道 12 号门口");
    r.mutable_reporter()->set_name("王五");
    r.mutable_reporter()->set_contact("13900000000");
    return r;
  }

  v1::Hazard Match(const Principal& p, const v1::Hazard& h, const std::string& building,
                   absl::StatusCode want = absl::StatusCode::kOk) {
    v1::MatchPublicReportRequest m;
    m.set_hazard_id(h.hazard_id());
    m.set_expected_version(h.version());
    m.set_building_id(building);
    m.set_note("同一地址");
    auto r = registry_->MatchPublicReport(p, m);
    EXPECT_EQ(r.status().code(), want) << r.status();
    return r.ok() ? *r : v1::Hazard();
  }

  v1::Hazard Get(const Principal& p, const std::string& id) {
    v1::GetHazardRequest g;
    g.set_hazard_id(id);
    auto r = registry_->Get(p, g);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::Hazard();
  }

  // The Kafka keys of the outbox entries, in order.
  std::vector<std::string> OutboxKeys() {
    auto r = pool_->Command({"XRANGE", store_->outbox_key(), "-", "+"});
    EXPECT_TRUE(r.ok());
    std::vector<std::string> out;
    for (const auto& entry : r->elements) {
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "key") out.push_back(fields[i + 1].str);
      }
    }
    return out;
  }

  Principal wechat_ = Make(Role::kPublicChannel, "500109", "channel:wechat");
  Principal web_ = Make(Role::kPublicChannel, "500109", "channel:web");
  Principal other_street_ = Make(Role::kStreetOfficer, "500109002", "street2");
};

TEST_F(PublicReportTest, AnUnmatchedReportIsKeptInItsStreetAndRoutedOnlyToTheStreet) {
  v1::Hazard h = MustReport(wechat_, Tip());
  EXPECT_TRUE(h.unmatched());
  EXPECT_EQ(h.building_id(), "");
  EXPECT_EQ(h.tier_path(), "500109001");
  EXPECT_EQ(h.status(), v1::STATUS_REPORTED);
  EXPECT_EQ(h.channel(), "wechat");
  EXPECT_EQ(h.location().address(), "某街道 12 号门口");
  EXPECT_EQ(h.reporter().name(), "");  // the channel sees its public view
  const v1::Hazard stored = Get(admin_, h.hazard_id());
  EXPECT_EQ(stored.reporter().name(), "王*");
  EXPECT_EQ(stored.reporter().contact(), "139****0000");
  EXPECT_EQ(stored.reporter().subject(), "channel:wechat");
  EXPECT_EQ(Get(street_, h.hazard_id()).reporter().contact(), "139****0000");
  EXPECT_TRUE(stored.routing().lead_departments().empty());
  EXPECT_TRUE(stored.routing().assisting_departments().empty());
  EXPECT_EQ(stored.routing().street(), "500109001");
  EXPECT_EQ(stored.routing().community(), "");
  // HazardReported and HazardRouted (to the street: notify tells its officer), keyed by the
  // hazard since there is no building; the contact never leaves.
  EXPECT_EQ(Count("HazardReported"), 1);
  ASSERT_EQ(Count("HazardRouted"), 1);
  auto routed = events::Unpack<v1::HazardRouted>(Outbox()[1]);
  ASSERT_TRUE(routed.ok());
  EXPECT_EQ(routed->hazard().routing().street(), "500109001");
  EXPECT_TRUE(routed->hazard().routing().lead_departments().empty());
  EXPECT_EQ(routed->hazard().reporter().contact(), "");
  EXPECT_THAT(OutboxKeys(), ::testing::Each(h.hazard_id()));
  // Counted as reported in its street; no department row; not visible to a community.
  auto stats = registry_->GetStatistics(admin_, {});
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->totals().reported(), 1);
  ASSERT_EQ(stats->by_tier_size(), 1);
  EXPECT_EQ(stats->by_tier(0).key(), "500109001");
  EXPECT_EQ(stats->by_tier(0).reported(), 1);
  EXPECT_EQ(stats->by_department_size(), 0);
  v1::GetStatisticsRequest street_stats;
  EXPECT_EQ(registry_->GetStatistics(street_, street_stats)->totals().reported(), 1);
  v1::GetHazardRequest g;
  g.set_hazard_id(h.hazard_id());
  EXPECT_EQ(registry_->Get(worker_, g).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_->Get(other_street_, g).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(PublicReportTest, OnlyPublicChannelsReportWithoutABuildingAndOnlyInTheirDistrict) {
  v1::ReportHazardRequest staff = Tip();
  staff.clear_location();
  auto r = registry_->Report(street_, staff);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("building_id"));
  v1::ReportHazardRequest elsewhere = Tip();
  elsewhere.set_unmatched_tier_path("500110001");
  EXPECT_EQ(registry_->Report(wechat_, elsewhere).status().code(),
            absl::StatusCode::kPermissionDenied);
  Register("bld_X", "500110001001", bv1::BUILDING_USE_RESIDENTIAL, "");
  EXPECT_EQ(registry_->Report(wechat_, Tip("bld_X")).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::ReportHazardRequest inspection = Tip();
  inspection.set_source(v1::SOURCE_GRID_INSPECTION);
  EXPECT_EQ(registry_->Report(wechat_, inspection).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Outbox().empty());
  // A report on a registered building of the district is routed at once, with its channel.
  v1::Hazard matched = MustReport(wechat_, Tip("bld_A"));
  EXPECT_FALSE(matched.unmatched());
  EXPECT_EQ(matched.channel(), "wechat");
  EXPECT_THAT(Get(admin_, matched.hazard_id()).routing().lead_departments(),
              ::testing::ElementsAre("urban_management"));
}

TEST_F(PublicReportTest, TheStreetOfficerMatchesItAndItIsRoutedLikeANewReport) {
  v1::Hazard h = Get(street_, MustReport(wechat_, Tip()).hazard_id());
  // Nothing but match or reject before it has a building.
  v1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  auto early = registry_->Verify(street_, v);
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(early.status().message()), HasSubstr("MatchPublicReport"));
  // Who may match, with what.
  Match(worker_, h, "bld_A", absl::StatusCode::kPermissionDenied);
  Match(urban_, h, "bld_A", absl::StatusCode::kPermissionDenied);
  Match(wechat_, h, "bld_A", absl::StatusCode::kPermissionDenied);
  Match(other_street_, h, "bld_B", absl::StatusCode::kPermissionDenied);  // not its street
  Match(street_, h, "bld_B", absl::StatusCode::kPermissionDenied);  // building of another street
  Match(street_, h, "bld_nope", absl::StatusCode::kNotFound);
  v1::Hazard stale = h;
  stale.set_version(h.version() + 1);
  Match(street_, stale, "bld_A", absl::StatusCode::kAborted);
  const int events_before = static_cast<int>(Outbox().size());

  v1::Hazard m = Match(street_, h, "bld_A");
  EXPECT_FALSE(m.unmatched());
  EXPECT_EQ(m.building_id(), "bld_A");
  EXPECT_EQ(m.tier_path(), "500109001002");
  EXPECT_EQ(m.status(), v1::STATUS_REPORTED);
  EXPECT_EQ(m.version(), h.version() + 1);
  EXPECT_THAT(m.routing().lead_departments(), ::testing::ElementsAre("urban_management"));
  EXPECT_EQ(m.routing().community(), "500109001002");
  EXPECT_THAT(m.building_subjects(), ::testing::ElementsAre("mgr-a"));
  ASSERT_GE(m.audit_size(), 2);
  EXPECT_EQ(m.audit(m.audit_size() - 1).action(), "matched");
  EXPECT_EQ(m.audit(m.audit_size() - 1).actor(), "street");
  EXPECT_THAT(m.audit(m.audit_size() - 1).note(), HasSubstr("bld_A"));
  EXPECT_THAT(m.audit(m.audit_size() - 1).note(), HasSubstr("同一地址"));
  // One new event: HazardRouted to the departments, the previous routing the street's.
  auto after = Outbox();
  ASSERT_EQ(static_cast<int>(after.size()), events_before + 1);
  auto routed = events::Unpack<v1::HazardRouted>(after.back());
  ASSERT_TRUE(routed.ok());
  EXPECT_THAT(routed->hazard().routing().lead_departments(),
              ::testing::ElementsAre("urban_management"));
  EXPECT_EQ(routed->previous_routing().street(), "500109001");
  EXPECT_EQ(OutboxKeys().back(), "bld_A");
  // Now the department sees it, a second report of the building and category is its duplicate,
  // and it goes on through the lifecycle.
  EXPECT_EQ(Get(urban_, h.hazard_id()).hazard_id(), h.hazard_id());
  EXPECT_EQ(registry_->Report(worker_, Req())->duplicate_of(), h.hazard_id());
  m = Get(street_, h.hazard_id());
  EXPECT_EQ(m.duplicate_reports(), 1);
  Match(street_, m, "bld_A", absl::StatusCode::kFailedPrecondition);  // matched already
  v.set_expected_version(m.version());
  EXPECT_EQ(registry_->Verify(urban_, v)->status(), v1::STATUS_VERIFIED);
  v1::ListHazardsRequest unmatched;
  unmatched.set_unmatched_only(true);
  EXPECT_EQ(registry_->List(admin_, unmatched)->hazards_size(), 0);
}

TEST_F(PublicReportTest, MatchedToABuildingWithAnOpenHazardOfTheCategoryItBecomesItsDuplicate) {
  v1::Hazard open = MustReport(worker_, Req());
  v1::Hazard h = Get(admin_, MustReport(wechat_, Tip()).hazard_id());
  v1::Hazard m = Match(admin_, h, "bld_A");
  EXPECT_EQ(m.duplicate_of(), open.hazard_id());
  EXPECT_EQ(Get(admin_, open.hazard_id()).duplicate_reports(), 1);
  auto reported = events::Unpack<v1::HazardReported>(Outbox().back());
  ASSERT_TRUE(reported.ok());
  EXPECT_EQ(reported->hazard().duplicate_of(), open.hazard_id());
  EXPECT_EQ(registry_->GetStatistics(admin_, {})->totals().reported(), 1);
}

TEST_F(PublicReportTest, MatchingWhileTheBuildingIsReportedLeavesExactlyOneOpenHazard) {
  for (int i = 0; i < 20; ++i) {
    const std::string building = "bld_R" + std::to_string(i);
    Register(building, "500109001002", bv1::BUILDING_USE_RESIDENTIAL, "");
    v1::Hazard tip = Get(street_, MustReport(wechat_, Tip()).hazard_id());
    absl::StatusOr<v1::ReportHazardResponse> reported;
    absl::StatusOr<v1::Hazard> matched;
    std::thread report([&] {
      reported =
          registry_->Report(worker_, Req(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, building));
    });
    std::thread match([&] {
      v1::MatchPublicReportRequest m;
      m.set_hazard_id(tip.hazard_id());
      m.set_expected_version(tip.version());
      m.set_building_id(building);
      matched = registry_->MatchPublicReport(street_, m);
    });
    report.join();
    match.join();
    ASSERT_TRUE(reported.ok()) << reported.status();
    ASSERT_TRUE(matched.ok()) << matched.status();
    // One of the two holds the building's open key; the other is its duplicate.
    auto open = store_->OpenHazardId(building, v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    ASSERT_TRUE(open.ok());
    const std::string r = reported->hazard().hazard_id();
    if (*open == r) {
      EXPECT_EQ(matched->duplicate_of(), r) << i;
    } else {
      EXPECT_EQ(*open, tip.hazard_id()) << i;
      EXPECT_EQ(reported->duplicate_of(), tip.hazard_id()) << i;
    }
  }
}

TEST_F(PublicReportTest, AnUnmatchedReportIsRejectedLikeAnyOther) {
  v1::Hazard h = Get(street_, MustReport(wechat_, Tip()).hazard_id());
  v1::RejectHazardRequest r;
  r.set_hazard_id(h.hazard_id());
  r.set_expected_version(h.version());
  r.set_reason("现场无隐患");
  auto rejected = registry_->Reject(street_, r);
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->status(), v1::STATUS_REJECTED);
  EXPECT_TRUE(rejected->unmatched());
  EXPECT_EQ(Count("HazardStatusChanged"), 1);
  Match(street_, *rejected, "bld_A", absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_->GetStatistics(admin_, {})->totals().rejected(), 1);
  // The channel sees the outcome and the reason (Open311's status notes).
  const v1::Hazard seen = Get(wechat_, h.hazard_id());
  EXPECT_EQ(seen.status(), v1::STATUS_REJECTED);
  EXPECT_EQ(seen.rejection_reason(), "现场无隐患");
  EXPECT_EQ(seen.audit(seen.audit_size() - 1).note(), "现场无隐患");
  EXPECT_EQ(seen.audit(seen.audit_size() - 1).actor(), "");
}

TEST_F(PublicReportTest, AChannelSeesOnlyItsOwnReportsRedactedAndIsDeniedEveryOtherCall) {
  v1::Hazard own = MustReport(wechat_, Tip());
  v1::Hazard web = MustReport(web_, Tip("bld_A"));
  MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT));
  v1::Hazard seen = Get(wechat_, own.hazard_id());
  EXPECT_EQ(seen.reporter().name(), "");
  EXPECT_EQ(seen.reporter().subject(), "");
  EXPECT_EQ(seen.audit(0).actor(), "");
  EXPECT_EQ(seen.audit(0).role(), "public_channel");
  v1::GetHazardRequest g;
  g.set_hazard_id(web.hazard_id());
  EXPECT_EQ(registry_->Get(wechat_, g).status().code(), absl::StatusCode::kPermissionDenied);
  auto listed = registry_->List(wechat_, {});
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->hazards_size(), 1);
  EXPECT_EQ(listed->hazards(0).hazard_id(), own.hazard_id());
  EXPECT_EQ(listed->hazards(0).reporter().name(), "");
  v1::ListHazardsRequest others;
  others.set_channel("web");
  EXPECT_EQ(registry_->List(wechat_, others)->hazards_size(), 0);

  const std::string id = own.hazard_id();
  const int64_t ver = Get(admin_, id).version();
  std::vector<std::pair<std::string, absl::Status>> calls;
  {
    v1::VerifyHazardRequest r;
    r.set_hazard_id(id);
    r.set_expected_version(ver);
    calls.emplace_back("Verify", registry_->Verify(wechat_, r).status());
  }
  {
    v1::RejectHazardRequest r;
    r.set_hazard_id(id);
    r.set_expected_version(ver);
    r.set_reason("x");
    calls.emplace_back("Reject", registry_->Reject(wechat_, r).status());
  }
  {
    v1::AssignHazardRequest r;
    r.set_hazard_id(id);
    r.set_expected_version(ver);
    r.set_responsible_party("x");
    calls.emplace_back("Assign", registry_->Assign(wechat_, r).status());
  }
  {
    v1::StartRectificationRequest r;
    r.set_hazard_id(id);
    r.set_expected_version(ver);
    calls.emplace_back("Start", registry_->Start(wechat_, r).status());
  }
  {
    v1::SubmitRectificationRequest r;
    r.set_hazard_id(id);
    r.set_expected_version(ver);
    r.add_evidence()->set_uri("https://evidence.example/a.jpg");
    calls.emplace_back("Submit", registry_->Submit(wechat_, r).status());
  }
  {
    v1::ReviewRectificationRequest r;
    r.set_hazard_id(id);
    r.set_expected_version(ver);
    r.set_passed(true);
    calls.emplace_back("Review", registry_->Review(wechat_, r).status());
  }
  {
    v1::ChangeCategoryRequest r;
    r.set_hazard_id(id);
    r.set_expected_version(ver);
    r.set_category(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
    calls.emplace_back("ChangeCategory", registry_->ChangeCategory(wechat_, r).status());
  }
  {
    v1::MergeHazardsRequest r;
    r.set_hazard_id(id);
    r.set_target_hazard_id(web.hazard_id());
    calls.emplace_back("Merge", registry_->Merge(wechat_, r).status());
  }
  {
    v1::UnmergeHazardRequest r;
    r.set_hazard_id(id);
    calls.emplace_back("Unmerge", registry_->Unmerge(wechat_, r).status());
  }
  {
    v1::MatchPublicReportRequest r;
    r.set_hazard_id(id);
    r.set_expected_version(ver);
    r.set_building_id("bld_A");
    calls.emplace_back("MatchPublicReport", registry_->MatchPublicReport(wechat_, r).status());
    r.set_hazard_id("hzd_unknown");  // refused before anything is looked up
    calls.emplace_back("MatchPublicReportUnknown",
                       registry_->MatchPublicReport(wechat_, r).status());
  }
  {
    v1::GetGuidanceRequest r;
    r.set_category(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    calls.emplace_back("GetGuidance", registry_->GetGuidance(wechat_, r).status());
    calls.emplace_back("ListGuidance", registry_->ListGuidance(wechat_, {}).status());
  }
  calls.emplace_back("GetStatistics", registry_->GetStatistics(wechat_, {}).status());
  calls.emplace_back("GetStatisticsTrend", registry_->GetStatisticsTrend(wechat_, {}).status());
  {
    v1::NoteDeviceAlarmClearedRequest r;
    r.set_hazard_id(id);
    r.set_alarm_id("alm_1");
    calls.emplace_back("NoteDeviceAlarmCleared",
                       registry_->NoteDeviceAlarmCleared(wechat_, r).status());
  }
  for (const auto& [name, status] : calls) {
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << name << ": " << status;
  }
  EXPECT_EQ(Get(admin_, id).version(), ver);  // nothing changed
}

TEST_F(PublicReportTest, IdempotencyKeysAreKeptPerChannel) {
  v1::ReportHazardRequest r = Tip();
  r.set_idempotency_key("open311-req-1");
  const v1::Hazard first = MustReport(wechat_, r);
  EXPECT_EQ(MustReport(wechat_, r).hazard_id(), first.hazard_id());
  const v1::Hazard other = MustReport(web_, r);
  EXPECT_NE(other.hazard_id(), first.hazard_id());
  EXPECT_EQ(other.channel(), "web");
  EXPECT_EQ(Count("HazardReported"), 2);
  // The same channel name in another district is another caller.
  Principal wechat_elsewhere = Make(Role::kPublicChannel, "500110", "channel:wechat");
  v1::ReportHazardRequest there = r;
  there.set_unmatched_tier_path("500110001");
  const v1::Hazard third = MustReport(wechat_elsewhere, there);
  EXPECT_NE(third.hazard_id(), first.hazard_id());
  EXPECT_EQ(third.tier_path(), "500110001");
}

TEST_F(PublicReportTest, ListFiltersBySourceUnmatchedChannelAndReportTime) {
  const absl::Time t0 = clock_.Now();
  v1::Hazard inspection = MustReport(worker_, Req());
  clock_.Advance(absl::Hours(1));
  v1::Hazard wechat = MustReport(wechat_, Tip());
  clock_.Advance(absl::Hours(1));
  v1::Hazard web = MustReport(web_, Tip("bld_B"));
  auto ids = [&](const v1::ListHazardsRequest& req) {
    std::vector<std::string> out;
    auto r = registry_->List(admin_, req);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok()) {
      for (const auto& h : r->hazards()) out.push_back(h.hazard_id());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  v1::ListHazardsRequest tips;
  tips.add_sources(v1::SOURCE_PUBLIC_TIP_OFF);
  EXPECT_EQ(ids(tips), sorted({wechat.hazard_id(), web.hazard_id()}));
  v1::ListHazardsRequest unmatched;
  unmatched.set_unmatched_only(true);
  EXPECT_EQ(ids(unmatched), sorted({wechat.hazard_id()}));
  v1::ListHazardsRequest by_channel;
  by_channel.set_channel("web");
  EXPECT_EQ(ids(by_channel), sorted({web.hazard_id()}));
  v1::ListHazardsRequest window;
  *window.mutable_reported_after() = Ts(t0 + absl::Minutes(30));
  *window.mutable_reported_before() = Ts(t0 + absl::Minutes(90));
  EXPECT_EQ(ids(window), sorted({wechat.hazard_id()}));
  v1::ListHazardsRequest since;
  *since.mutable_reported_after() = Ts(t0);
  EXPECT_EQ(ids(since), sorted({inspection.hazard_id(), wechat.hazard_id(), web.hazard_id()}));
  // The street officer's unmatched queue.
  v1::ListHazardsRequest queue;
  queue.set_unmatched_only(true);
  auto street_queue = registry_->List(street_, queue);
  ASSERT_TRUE(street_queue.ok());
  ASSERT_EQ(street_queue->hazards_size(), 1);
  EXPECT_EQ(street_queue->hazards(0).hazard_id(), wechat.hazard_id());
}

// ----- Daily statistics snapshots and trends --------------------------------------------------

class TrendTest : public HazardsTest {
 protected:
  v1::StatisticsTrend Trend(const Principal& p, const std::string& tier, int days) {
    v1::GetStatisticsTrendRequest r;
    r.set_tier_path(tier);
    r.set_days(days);
    auto t = registry_->GetStatisticsTrend(p, r);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : v1::StatisticsTrend();
  }
  static std::vector<std::string> Dates(const v1::StatisticsTrend& t) {
    std::vector<std::string> out;
    for (const auto& d : t.days()) out.push_back(d.date());
    return out;
  }
  absl::Time Shanghai(int y, int m, int d, int hh, int mm) {
    return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::FixedTimeZone(8 * 3600));
  }
};

TEST_F(TrendTest, EndOfDaySnapshotsMakeATrendOldestFirst) {
  // The clock starts 2026-11-23 09:00 in Shanghai. At start-up: today so far, once.
  EXPECT_TRUE(*registry_->SnapshotTodayIfMissing());
  EXPECT_FALSE(*registry_->SnapshotTodayIfMissing());
  EXPECT_FALSE(*registry_->SnapshotEndedDay());  // the day is not over
  v1::StatisticsTrend t = Trend(admin_, "", 7);
  EXPECT_EQ(t.tier_path(), "500109");
  EXPECT_THAT(Dates(t), ::testing::ElementsAre("2026-11-23"));
  EXPECT_EQ(t.days(0).totals().reported(), 0);
  EXPECT_EQ(t.days(0).totals().key(), "500109");

  MustReport(worker_, Req());
  MustReport(worker_, Req(v1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT));
  // 23:59 is still the 23rd; 00:00:30 on the 24th the 23rd is over and kept.
  clock_.Set(Shanghai(2026, 11, 23, 23, 59));
  EXPECT_FALSE(*registry_->SnapshotEndedDay());
  clock_.Set(Shanghai(2026, 11, 24, 0, 0) + absl::Seconds(30));
  EXPECT_TRUE(*registry_->SnapshotEndedDay());
  EXPECT_FALSE(*registry_->SnapshotEndedDay());
  t = Trend(admin_, "", 7);
  EXPECT_THAT(Dates(t), ::testing::ElementsAre("2026-11-23"));
  EXPECT_EQ(t.days(0).totals().reported(), 2);  // replaced the start-up snapshot

  // The 24th: one verified; kept at the end of the day. The 25th: nobody looked before 06:00,
  // so it stays missing; the 26th is kept.
  v1::ListHazardsRequest all;
  v1::Hazard h = registry_->List(admin_, all)->hazards(0);
  v1::VerifyHazardRequest v;
  v.set_hazard_id(h.hazard_id());
  v.set_expected_version(h.version());
  ASSERT_TRUE(registry_->Verify(street_, v).ok());
  clock_.Set(Shanghai(2026, 11, 25, 5, 59));
  EXPECT_TRUE(*registry_->SnapshotEndedDay());
  clock_.Set(Shanghai(2026, 11, 26, 6, 0));
  EXPECT_FALSE(*registry_->SnapshotEndedDay());
  clock_.Set(Shanghai(2026, 11, 27, 0, 1));
  EXPECT_TRUE(*registry_->SnapshotEndedDay());

  t = Trend(admin_, "", 0);  // default: 30 days
  EXPECT_THAT(Dates(t), ::testing::ElementsAre("2026-11-23", "2026-11-24", "2026-11-26"));
  EXPECT_EQ(t.days(1).totals().reported(), 1);
  EXPECT_EQ(t.days(1).totals().open(), 1);
  // Only the last N days; a street's and a community's rows; a department its own.
  EXPECT_THAT(Dates(Trend(admin_, "", 2)), ::testing::ElementsAre("2026-11-26"));
  EXPECT_EQ(Trend(street_, "", 7).days(0).totals().reported(), 2);
  EXPECT_EQ(Trend(street_, "", 7).days(0).totals().key(), "500109001");
  EXPECT_EQ(Trend(admin_, "500109001002", 7).days(0).totals().reported(), 2);
  v1::StatisticsTrend urban = Trend(urban_, "", 7);
  ASSERT_EQ(urban.days_size(), 3);
  EXPECT_EQ(urban.days(0).totals().reported(), 1);  // fire access → urban management
  v1::StatisticsTrend health = Trend(health_, "", 7);
  ASSERT_EQ(health.days_size(), 3);
  EXPECT_EQ(health.days(0).totals().reported(), 0);
}

TEST_F(TrendTest, FollowsTheScopeRulesOfGetStatistics) {
  ASSERT_TRUE(registry_->SnapshotTodayIfMissing().ok());
  v1::GetStatisticsTrendRequest r;
  r.set_tier_path("500109");
  EXPECT_EQ(registry_->GetStatisticsTrend(worker_, r).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      registry_->GetStatisticsTrend(Make(Role::kBuildingManager, "", "mgr-a"), r).status().code(),
      absl::StatusCode::kPermissionDenied);
  r.set_tier_path("5001");
  EXPECT_THAT(std::string(registry_->GetStatisticsTrend(admin_, r).status().message()),
              HasSubstr("tier_path"));
  r.set_tier_path("");
  r.set_days(401);
  EXPECT_THAT(std::string(registry_->GetStatisticsTrend(admin_, r).status().message()),
              HasSubstr("days"));
  r.set_days(-1);
  EXPECT_EQ(registry_->GetStatisticsTrend(admin_, r).status().code(),
            absl::StatusCode::kInvalidArgument);
  r.set_days(400);
  EXPECT_EQ(registry_->GetStatisticsTrend(admin_, r)->days_size(), 1);
}

TEST_F(TrendTest, TheEndOfDaySnapshotIsTakenExactlyOnceWithTwoInstances) {
  auto pool2 = testing::NewSharedRedisPool();
  HazardStore store2(pool2.get(), prefix_);
  HazardRegistry second(&store2, rules_.get(), &clock_, &ids_);
  MustReport(worker_, Req());
  auto both = [&](auto take) {
    std::atomic<int> taken{0};
    std::atomic<int> failed{0};
    std::thread t1([&] {
      auto r = take(*registry_);
      r.ok() ? taken += *r : ++failed;
    });
    std::thread t2([&] {
      auto r = take(second);
      r.ok() ? taken += *r : ++failed;
    });
    t1.join();
    t2.join();
    EXPECT_EQ(failed.load(), 0);
    return taken.load();
  };
  auto today = [](HazardRegistry& r) { return r.SnapshotTodayIfMissing(); };
  auto ended = [](HazardRegistry& r) { return r.SnapshotEndedDay(); };
  EXPECT_EQ(both(today), 1);
  EXPECT_EQ(both(today), 0);
  for (int day = 0; day < 5; ++day) {
    clock_.Advance(absl::Hours(24));
    clock_.Set(absl::FromCivil(absl::ToCivilDay(clock_.Now(), absl::FixedTimeZone(8 * 3600)),
                               absl::FixedTimeZone(8 * 3600)) +
               absl::Minutes(1));
    EXPECT_EQ(both(ended), 1) << day;
    EXPECT_EQ(both(ended), 0) << day;
  }
  // A restarted instance finds the day kept; the trend has the five ended days.
  HazardRegistry restarted(store_.get(), rules_.get(), &clock_, &ids_);
  EXPECT_FALSE(*restarted.SnapshotEndedDay());
  EXPECT_EQ(Trend(admin_, "", 30).days_size(), 5);
  auto ttl = pool_->Command({"TTL", prefix_ + ":stats:day:2026-11-23"});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 399 * 24 * 3600);
  EXPECT_LE(ttl->integer, 400 * 24 * 3600);
}

}  // namespace
}  // namespace firegrid::hazards
