#include "tools/loaders/hazard_loader.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace firegrid::loaders {
namespace {

using ::testing::HasSubstr;

// Test tokens are "role|subject|tier_path|department".
std::string TestToken(const auth::Principal& p) {
  return absl::StrCat(auth::RoleName(p.role), "|", p.subject, "|", p.tier_path, "|", p.department);
}

struct Caller {
  std::string role, subject, tier, department;
};

grpc::Status Error(grpc::StatusCode code, const std::string& message) {
  return grpc::Status(code, message);
}

// An in-memory HazardService with the rules the loader must respect (services/hazards/
// lifecycle.h): who may report, verify, assign, start, submit and review; versions; states;
// three distinct confirmations of a major hazard; a reviewer who is not the submitter;
// idempotency keys per caller; duplicates of open hazards; NOT_FOUND for buildings it has not
// learned yet. Records (action, role, subject) of every change.
class FakeHazards final : public hv1::HazardService::Service {
 public:
  void AddBuilding(const std::string& id, const std::string& tier) {
    absl::MutexLock l(&mu_);
    buildings_[id] = tier;
  }
  // The next `n` reports fail with NOT_FOUND, as if the buildings events were late.
  void UnknownForReports(int n) {
    absl::MutexLock l(&mu_);
    unknown_reports_ = n;
  }
  // Mutating call number `n` (1-based, counting from now) fails with UNAVAILABLE.
  void FailMutation(int n) {
    absl::MutexLock l(&mu_);
    fail_at_ = mutations_ + n;
  }
  int mutations() {
    absl::MutexLock l(&mu_);
    return mutations_;
  }
  int report_attempts() {
    absl::MutexLock l(&mu_);
    return report_attempts_;
  }
  std::vector<hv1::Hazard> hazards() {
    absl::MutexLock l(&mu_);
    std::vector<hv1::Hazard> out;
    for (const auto& [id, h] : hazards_) out.push_back(h);
    return out;
  }
  hv1::Hazard ByKey(const std::string& key) {
    absl::MutexLock l(&mu_);
    for (const auto& [k, id] : idempotency_) {
      if (k.second == key) return hazards_[id];
    }
    return hv1::Hazard();
  }

  grpc::Status ReportHazard(grpc::ServerContext* ctx, const hv1::ReportHazardRequest* req,
                            hv1::ReportHazardResponse* out) override {
    absl::MutexLock l(&mu_);
    ++report_attempts_;
    Caller c = CallerOf(ctx);
    auto key = std::make_pair(c.subject, req->idempotency_key());
    if (auto it = idempotency_.find(key); it != idempotency_.end()) {
      *out->mutable_hazard() = hazards_[it->second];
      out->set_message("already reported with this idempotency key");
      return grpc::Status::OK;
    }
    if (unknown_reports_ > 0) {
      --unknown_reports_;
      return Error(grpc::StatusCode::NOT_FOUND, "building not known to the hazards service");
    }
    auto b = buildings_.find(req->building_id());
    if (b == buildings_.end()) {
      return Error(grpc::StatusCode::NOT_FOUND, "building not known to the hazards service");
    }
    if (c.role == "building_manager" || c.role == "service_agency" ||
        !absl::StartsWith(b->second, c.tier)) {
      return Error(grpc::StatusCode::PERMISSION_DENIED, "may not report here");
    }
    if (req->source() == hv1::SOURCE_IOT && c.role != "district_admin") {
      return Error(grpc::StatusCode::PERMISSION_DENIED, "IoT from systems or district admins");
    }
    if (grpc::Status s = Mutate(); !s.ok()) return s;
    hv1::Hazard h;
    h.set_hazard_id(absl::StrCat("hzd_", hazards_.size() + 1));
    h.set_building_id(req->building_id());
    h.set_tier_path(b->second);
    h.set_category(req->category());
    h.set_severity(req->severity());
    h.set_source(req->source());
    h.set_status(hv1::STATUS_REPORTED);
    h.set_version(1);
    // Old building facilities have two leads; gas/electrical another department; the rest
    // the fire service.
    if (req->category() == hv1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES) {
      h.mutable_routing()->add_lead_departments("housing");
      h.mutable_routing()->add_lead_departments("fire_rescue");
    } else if (req->category() == hv1::HAZARD_CATEGORY_GAS_ELECTRICAL) {
      h.mutable_routing()->add_lead_departments("market_supervision");
    } else {
      h.mutable_routing()->add_lead_departments("fire_rescue");
    }
    Audit(&h, c, "report", hv1::STATUS_REPORTED);
    auto open = open_.find({req->building_id(), req->category()});
    if (open != open_.end()) {
      h.set_duplicate_of(open->second);
      out->set_duplicate_of(open->second);
    } else {
      open_[{req->building_id(), req->category()}] = h.hazard_id();
    }
    hazards_[h.hazard_id()] = h;
    idempotency_[key] = h.hazard_id();
    *out->mutable_hazard() = h;
    return grpc::Status::OK;
  }

  grpc::Status VerifyHazard(grpc::ServerContext* ctx, const hv1::VerifyHazardRequest* req,
                            hv1::Hazard* out) override {
    return Transition(ctx, req->hazard_id(), req->expected_version(), "verify", out,
                      [&](const Caller& c, hv1::Hazard* h) -> grpc::Status {
                        if (grpc::Status s = NeedLeadOrStreet(c, *h); !s.ok()) return s;
                        if (h->status() != hv1::STATUS_REPORTED) return State();
                        if (h->severity() == hv1::SEVERITY_MAJOR) {
                          for (const auto& who : h->confirmations()) {
                            if (who == c.subject) {
                              return Error(grpc::StatusCode::FAILED_PRECONDITION, "confirmed");
                            }
                          }
                          h->add_confirmations(c.subject);
                          if (h->confirmations_size() < 3) {
                            Audit(h, c, "confirm", hv1::STATUS_REPORTED);
                            return grpc::Status::OK;
                          }
                        }
                        Audit(h, c, "verify", hv1::STATUS_VERIFIED);
                        return grpc::Status::OK;
                      });
  }
  grpc::Status RejectHazard(grpc::ServerContext* ctx, const hv1::RejectHazardRequest* req,
                            hv1::Hazard* out) override {
    return Transition(ctx, req->hazard_id(), req->expected_version(), "reject", out,
                      [&](const Caller& c, hv1::Hazard* h) -> grpc::Status {
                        if (grpc::Status s = NeedLeadOrStreet(c, *h); !s.ok()) return s;
                        if (h->status() != hv1::STATUS_REPORTED) return State();
                        if (req->reason().empty()) {
                          return Error(grpc::StatusCode::INVALID_ARGUMENT, "reason");
                        }
                        Audit(h, c, "reject", hv1::STATUS_REJECTED);
                        open_.erase({h->building_id(), h->category()});
                        return grpc::Status::OK;
                      });
  }
  grpc::Status AssignHazard(grpc::ServerContext* ctx, const hv1::AssignHazardRequest* req,
                            hv1::Hazard* out) override {
    return Transition(
        ctx, req->hazard_id(), req->expected_version(), "assign", out,
        [&](const Caller& c, hv1::Hazard* h) -> grpc::Status {
          if (grpc::Status s = NeedLeadOrStreet(c, *h); !s.ok()) return s;
          if (h->status() != hv1::STATUS_VERIFIED) return State();
          if (req->responsible_party().empty()) {
            return Error(grpc::StatusCode::INVALID_ARGUMENT, "responsible_party");
          }
          h->mutable_assignment()->set_responsible_party(req->responsible_party());
          h->mutable_assignment()->set_supervising_department(h->routing().lead_departments(0));
          Audit(h, c, "assign", hv1::STATUS_ASSIGNED);
          return grpc::Status::OK;
        });
  }
  grpc::Status StartRectification(grpc::ServerContext* ctx,
                                  const hv1::StartRectificationRequest* req,
                                  hv1::Hazard* out) override {
    return Transition(ctx, req->hazard_id(), req->expected_version(), "start", out,
                      [&](const Caller& c, hv1::Hazard* h) -> grpc::Status {
                        if (grpc::Status s = NeedRectifier(c); !s.ok()) return s;
                        if (h->status() != hv1::STATUS_ASSIGNED) return State();
                        Audit(h, c, "start", hv1::STATUS_RECTIFYING);
                        return grpc::Status::OK;
                      });
  }
  grpc::Status SubmitRectification(grpc::ServerContext* ctx,
                                   const hv1::SubmitRectificationRequest* req,
                                   hv1::Hazard* out) override {
    return Transition(ctx, req->hazard_id(), req->expected_version(), "submit", out,
                      [&](const Caller& c, hv1::Hazard* h) -> grpc::Status {
                        if (grpc::Status s = NeedRectifier(c); !s.ok()) return s;
                        if (h->status() != hv1::STATUS_RECTIFYING) return State();
                        if (req->evidence().empty()) {
                          return Error(grpc::StatusCode::INVALID_ARGUMENT, "evidence");
                        }
                        Audit(h, c, "submit", hv1::STATUS_SUBMITTED);
                        return grpc::Status::OK;
                      });
  }
  grpc::Status ReviewRectification(grpc::ServerContext* ctx,
                                   const hv1::ReviewRectificationRequest* req,
                                   hv1::Hazard* out) override {
    return Transition(
        ctx, req->hazard_id(), req->expected_version(), "review", out,
        [&](const Caller& c, hv1::Hazard* h) -> grpc::Status {
          const bool supervising = c.role == "department_officer" &&
                                   c.department == h->assignment().supervising_department();
          if (c.role != "street_officer" && c.role != "district_admin" && !supervising) {
            return Error(grpc::StatusCode::PERMISSION_DENIED, "may not review");
          }
          for (auto it = h->audit().rbegin(); it != h->audit().rend(); ++it) {
            if (it->action() != "submit") continue;
            if (it->actor() == c.subject) {
              return Error(grpc::StatusCode::PERMISSION_DENIED, "submitter may not review");
            }
            break;
          }
          if (h->status() != hv1::STATUS_SUBMITTED) return State();
          if (!req->passed() && req->note().empty()) {
            return Error(grpc::StatusCode::INVALID_ARGUMENT, "note");
          }
          Audit(h, c, req->passed() ? "review_pass" : "review_fail",
                req->passed() ? hv1::STATUS_CLOSED : hv1::STATUS_RECTIFYING);
          if (req->passed()) open_.erase({h->building_id(), h->category()});
          return grpc::Status::OK;
        });
  }

 private:
  Caller CallerOf(grpc::ServerContext* ctx) {
    auto it = ctx->client_metadata().find("authorization");
    absl::string_view auth = it == ctx->client_metadata().end()
                                 ? ""
                                 : absl::string_view(it->second.data(), it->second.size());
    absl::ConsumePrefix(&auth, "Bearer ");
    std::vector<std::string> parts = absl::StrSplit(auth, '|');
    parts.resize(4);
    return Caller{parts[0], parts[1], parts[2], parts[3]};
  }
  static grpc::Status State() {
    return Error(grpc::StatusCode::FAILED_PRECONDITION, "not allowed in this state");
  }
  static grpc::Status NeedLeadOrStreet(const Caller& c, const hv1::Hazard& h) {
    if (c.role == "street_officer" || c.role == "district_admin") return grpc::Status::OK;
    if (c.role == "department_officer") {
      for (const auto& d : h.routing().lead_departments()) {
        if (d == c.department) return grpc::Status::OK;
      }
    }
    return Error(grpc::StatusCode::PERMISSION_DENIED, c.role + " may not act on this hazard");
  }
  static grpc::Status NeedRectifier(const Caller& c) {
    if (c.role == "street_officer" || c.role == "district_admin" || c.role == "community_worker") {
      return grpc::Status::OK;
    }
    return Error(grpc::StatusCode::PERMISSION_DENIED, c.role + " may not rectify");
  }
  void Audit(hv1::Hazard* h, const Caller& c, const std::string& action, hv1::Status to)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto* e = h->add_audit();
    e->set_actor(c.subject);
    e->set_role(c.role);
    e->set_action(action);
    e->set_from(h->status());
    e->set_to(to);
    h->set_status(to);
  }
  grpc::Status Mutate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (++mutations_ == fail_at_) {
      --mutations_;
      fail_at_ = -1;
      return Error(grpc::StatusCode::UNAVAILABLE, "injected failure");
    }
    return grpc::Status::OK;
  }
  grpc::Status Transition(grpc::ServerContext* ctx, const std::string& id, int64_t version,
                          const std::string& what, hv1::Hazard* out,
                          const std::function<grpc::Status(const Caller&, hv1::Hazard*)>& apply) {
    absl::MutexLock l(&mu_);
    Caller c = CallerOf(ctx);
    auto it = hazards_.find(id);
    if (it == hazards_.end()) return Error(grpc::StatusCode::NOT_FOUND, "no hazard " + id);
    if (!absl::StartsWith(it->second.tier_path(), c.tier)) {
      return Error(grpc::StatusCode::PERMISSION_DENIED, "out of tier");
    }
    if (!it->second.duplicate_of().empty()) return State();
    if (it->second.version() != version) {
      return Error(grpc::StatusCode::ABORTED, what + ": stale version");
    }
    hv1::Hazard h = it->second;
    if (grpc::Status s = apply(c, &h); !s.ok()) return s;
    if (grpc::Status s = Mutate(); !s.ok()) return s;
    h.set_version(version + 1);
    it->second = h;
    *out = h;
    return grpc::Status::OK;
  }

  absl::Mutex mu_;
  std::map<std::string, std::string> buildings_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, hv1::Hazard> hazards_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::string> idempotency_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, int>, std::string> open_ ABSL_GUARDED_BY(mu_);
  int unknown_reports_ ABSL_GUARDED_BY(mu_) = 0;
  int report_attempts_ ABSL_GUARDED_BY(mu_) = 0;
  int mutations_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_at_ ABSL_GUARDED_BY(mu_) = -1;
};

hv1::Status StatusOfGoal(HazardGoal g) {
  switch (g) {
    case HazardGoal::kReported:
      return hv1::STATUS_REPORTED;
    case HazardGoal::kRejected:
      return hv1::STATUS_REJECTED;
    case HazardGoal::kVerified:
      return hv1::STATUS_VERIFIED;
    case HazardGoal::kAssigned:
      return hv1::STATUS_ASSIGNED;
    case HazardGoal::kRectifying:
    case HazardGoal::kReworking:
      return hv1::STATUS_RECTIFYING;
    case HazardGoal::kSubmitted:
      return hv1::STATUS_SUBMITTED;
    case HazardGoal::kClosed:
    case HazardGoal::kClosedAfterRework:
      return hv1::STATUS_CLOSED;
  }
  return hv1::STATUS_UNSPECIFIED;
}

class HazardLoaderTest : public ::testing::Test {
 protected:
  HazardLoaderTest() : plan_(PlanBeibeiHazards(GenerateBeibei(kDefaultSeed, 80))) {
    for (const PlannedHazard& h : plan_) {
      const std::string id = absl::StrCat("bld_", h.building_request_id.substr(12));
      ids_[h.building_request_id] = id;
      fake_.AddBuilding(id, h.community);
    }
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    stub_ = hv1::HazardService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }
  ~HazardLoaderTest() override { server_->Shutdown(); }

  // Runs the loader with a fake clock that only sleeping advances.
  absl::StatusOr<HazardSummary> Load() {
    HazardLoader::Options options;
    options.wait_for_buildings = absl::Seconds(60);
    options.poll_interval = absl::Milliseconds(250);
    HazardLoader loader(
        stub_.get(), TestToken, options, [this] { return now_; },
        [this](absl::Duration d) {
          now_ += d;
          ++sleeps_;
        });
    return loader.Load(plan_, ids_);
  }

  std::vector<PlannedHazard> plan_;
  std::map<std::string, std::string> ids_;
  FakeHazards fake_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<hv1::HazardService::Stub> stub_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  int sleeps_ = 0;
};

TEST_F(HazardLoaderTest, FirstRunBringsEveryHazardToItsGoalThroughTheRolesThatMayActs) {
  auto s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->planned, static_cast<int>(plan_.size()));
  EXPECT_EQ(s->reported_new, static_cast<int>(plan_.size()));
  EXPECT_EQ(s->duplicates, 1);
  EXPECT_EQ(sleeps_, 0);
  std::map<hv1::Status, int> expected;
  for (const PlannedHazard& p : plan_) {
    hv1::Hazard h = fake_.ByKey(p.idempotency_key);
    if (p.duplicate) {
      EXPECT_FALSE(h.duplicate_of().empty()) << p.idempotency_key;
      continue;
    }
    ++expected[StatusOfGoal(p.goal)];
    EXPECT_EQ(h.status(), StatusOfGoal(p.goal)) << p.idempotency_key;
    if (p.report.severity() == hv1::SEVERITY_MAJOR) {
      EXPECT_EQ(h.confirmations_size(), 3);
      EXPECT_EQ(std::set<std::string>(h.confirmations().begin(), h.confirmations().end()).size(),
                3u);
    }
    int fails = 0;
    for (const hv1::AuditEntry& e : h.audit()) {
      fails += e.action() == "review_fail";
      if (e.action() == "start" || e.action() == "submit") {
        EXPECT_EQ(e.role(), "community_worker");
        EXPECT_EQ(e.actor(), absl::StrCat("grid-", p.community));
      }
      if (e.action() == "review_pass") {
        EXPECT_EQ(e.role(), "department_officer");
      }
      if (e.action() == "assign") {
        EXPECT_EQ(e.role(), "street_officer");
      }
    }
    const bool reworked =
        p.goal == HazardGoal::kReworking || p.goal == HazardGoal::kClosedAfterRework;
    EXPECT_EQ(fails, reworked ? 1 : 0) << p.idempotency_key;
  }
  EXPECT_EQ(s->by_status, expected);
  EXPECT_EQ(s->steps, fake_.mutations() - static_cast<int>(plan_.size()));
}

TEST_F(HazardLoaderTest, SecondRunChangesNothing) {
  auto first = Load();
  ASSERT_TRUE(first.ok()) << first.status();
  const int mutations = fake_.mutations();
  auto second = Load();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(fake_.mutations(), mutations);
  EXPECT_EQ(second->reported_new, 0);
  EXPECT_EQ(second->steps, 0);
  EXPECT_EQ(second->duplicates, 1);
  EXPECT_EQ(second->by_status, first->by_status);
  EXPECT_EQ(fake_.hazards().size(), plan_.size());
}

TEST_F(HazardLoaderTest, RunAfterAnInterruptedOneFinishesTheMissingSteps) {
  fake_.FailMutation(60);
  auto failed = Load();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(failed.status().message(), HasSubstr("demo-hazard-"));
  EXPECT_THAT(failed.status().message(), HasSubstr("injected failure"));
  auto s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GT(s->steps, 0);
  EXPECT_LT(s->reported_new, static_cast<int>(plan_.size()));
  for (const PlannedHazard& p : plan_) {
    if (p.duplicate) continue;
    EXPECT_EQ(fake_.ByKey(p.idempotency_key).status(), StatusOfGoal(p.goal)) << p.idempotency_key;
  }
  EXPECT_EQ(fake_.hazards().size(), plan_.size());
}

TEST_F(HazardLoaderTest, WaitsUntilTheServiceKnowsTheBuildings) {
  fake_.UnknownForReports(5);
  auto s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(sleeps_, 5);
  EXPECT_EQ(fake_.report_attempts(), static_cast<int>(plan_.size()) + 5);
}

TEST_F(HazardLoaderTest, GivesUpWhenTheBuildingsStayUnknownPastTheWait) {
  fake_.UnknownForReports(1000000);
  const absl::Time start = now_;
  auto s = Load();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("ReportHazard demo-hazard-001"));
  EXPECT_THAT(s.status().message(), HasSubstr("waited 1m"));
  EXPECT_GE(now_ - start, absl::Seconds(60));
  EXPECT_EQ(sleeps_, 240);  // 60 s in 250 ms steps, then one last try
  EXPECT_EQ(fake_.mutations(), 0);
}

TEST_F(HazardLoaderTest, MissingBuildingIdFailsBeforeAnyCall) {
  ids_.erase(plan_.front().building_request_id);
  auto s = Load();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(fake_.report_attempts(), 0);
}

TEST(HazardSummaryTest, OneLineNamesEveryCount) {
  HazardSummary s;
  s.planned = 41;
  s.reported_new = 41;
  s.duplicates = 1;
  s.steps = 96;
  s.by_status[hv1::STATUS_CLOSED] = 10;
  s.by_status[hv1::STATUS_REPORTED] = 7;
  EXPECT_EQ(s.ToString(),
            "41 hazards (41 new, 1 linked as duplicate), 96 lifecycle steps; 7 reported, "
            "0 verified, 0 rejected, 0 assigned, 0 rectifying, 0 submitted, 10 closed");
}

TEST(DemoPrincipalsTest, EachRoleIsScopedToItsPlace) {
  auth::Principal w = GridWorker("500109001002");
  EXPECT_EQ(w.role, auth::Role::kCommunityWorker);
  EXPECT_EQ(w.tier_path, "500109001002");
  auth::Principal s = StreetOfficer("500109001");
  EXPECT_EQ(s.role, auth::Role::kStreetOfficer);
  EXPECT_EQ(s.tier_path, "500109001");
  auth::Principal d = DepartmentOfficer("housing");
  EXPECT_EQ(d.role, auth::Role::kDepartmentOfficer);
  EXPECT_EQ(d.department, "housing");
  EXPECT_EQ(d.tier_path, "500109");
  EXPECT_EQ(d.org_unit, "500109.housing");
  EXPECT_EQ(DistrictAdmin().role, auth::Role::kDistrictAdmin);
  EXPECT_NE(w.subject, s.subject);
  EXPECT_NE(s.subject, d.subject);
}

}  // namespace
}  // namespace firegrid::loaders
