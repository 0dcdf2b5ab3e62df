#pragma once

// Test-only: an in-process HazardService that records the last request of each RPC and the
// authorization header, and answers from canned data (serve it with FakeServer from
// fake_building_service.h).

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/firegridctl/fake_request_log.h"

namespace firegrid::ctl::testing {

namespace hv1 = ::firegrid::hazards::v1;

class FakeHazardService final : public hv1::HazardService::Service, public RequestLog {
 public:
  grpc::Status ReportHazard(grpc::ServerContext* ctx, const hv1::ReportHazardRequest* req,
                            hv1::ReportHazardResponse* out) override {
    Record(ctx, *req);
    hv1::Hazard* h = out->mutable_hazard();
    h->set_hazard_id("hzd_new");
    h->set_building_id(req->building_id());
    h->set_category(req->category());
    h->set_severity(req->severity());
    h->set_source(req->source());
    h->set_status(hv1::STATUS_REPORTED);
    h->set_version(1);
    h->mutable_routing()->add_lead_departments("fire_rescue");
    out->set_message("reported and routed");
    return grpc::Status::OK;
  }

  grpc::Status GetHazard(grpc::ServerContext* ctx, const hv1::GetHazardRequest* req,
                         hv1::Hazard* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    for (const hv1::Hazard& h : hazards_) {
      if (h.hazard_id() == req->hazard_id()) {
        *out = h;
        return grpc::Status::OK;
      }
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "hazard " + req->hazard_id() + " not found");
  }

  grpc::Status ListHazards(grpc::ServerContext* ctx, const hv1::ListHazardsRequest* req,
                           hv1::ListHazardsResponse* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    // Pages of one hazard each, to exercise --all.
    size_t start = req->page_token().empty() ? 0 : std::stoul(req->page_token());
    if (start < hazards_.size()) *out->add_hazards() = hazards_[start];
    if (start + 1 < hazards_.size()) out->set_next_page_token(std::to_string(start + 1));
    return grpc::Status::OK;
  }

  grpc::Status VerifyHazard(grpc::ServerContext* ctx, const hv1::VerifyHazardRequest* req,
                            hv1::Hazard* out) override {
    return Transition(ctx, *req, req->hazard_id(), req->expected_version(), out);
  }
  grpc::Status RejectHazard(grpc::ServerContext* ctx, const hv1::RejectHazardRequest* req,
                            hv1::Hazard* out) override {
    return Transition(ctx, *req, req->hazard_id(), req->expected_version(), out);
  }
  grpc::Status AssignHazard(grpc::ServerContext* ctx, const hv1::AssignHazardRequest* req,
                            hv1::Hazard* out) override {
    return Transition(ctx, *req, req->hazard_id(), req->expected_version(), out);
  }
  grpc::Status StartRectification(grpc::ServerContext* ctx,
                                  const hv1::StartRectificationRequest* req,
                                  hv1::Hazard* out) override {
    return Transition(ctx, *req, req->hazard_id(), req->expected_version(), out);
  }
  grpc::Status SubmitRectification(grpc::ServerContext* ctx,
                                   const hv1::SubmitRectificationRequest* req,
                                   hv1::Hazard* out) override {
    return Transition(ctx, *req, req->hazard_id(), req->expected_version(), out);
  }
  grpc::Status ReviewRectification(grpc::ServerContext* ctx,
                                   const hv1::ReviewRectificationRequest* req,
                                   hv1::Hazard* out) override {
    return Transition(ctx, *req, req->hazard_id(), req->expected_version(), out);
  }
  grpc::Status ChangeCategory(grpc::ServerContext* ctx, const hv1::ChangeCategoryRequest* req,
                              hv1::Hazard* out) override {
    return Transition(ctx, *req, req->hazard_id(), req->expected_version(), out);
  }
  grpc::Status MergeHazards(grpc::ServerContext* ctx, const hv1::MergeHazardsRequest* req,
                            hv1::Hazard* out) override {
    Record(ctx, *req);
    out->set_hazard_id(req->hazard_id());
    out->set_duplicate_of(req->target_hazard_id());
    return grpc::Status::OK;
  }
  grpc::Status UnmergeHazard(grpc::ServerContext* ctx, const hv1::UnmergeHazardRequest* req,
                             hv1::Hazard* out) override {
    Record(ctx, *req);
    out->set_hazard_id(req->hazard_id());
    return grpc::Status::OK;
  }

  grpc::Status GetGuidance(grpc::ServerContext* ctx, const hv1::GetGuidanceRequest* req,
                           hv1::Guidance* out) override {
    Record(ctx, *req);
    out->set_category(req->category());
    out->set_title("消防设施故障整改");
    out->add_steps("通知维保单位检修");
    out->add_steps("复查");
    out->add_legal_basis("《消防法》第十六条");
    out->set_usual_deadline_days(15);
    out->add_lead_departments("fire_rescue");
    return grpc::Status::OK;
  }
  grpc::Status ListGuidance(grpc::ServerContext* ctx, const hv1::ListGuidanceRequest* req,
                            hv1::ListGuidanceResponse* out) override {
    Record(ctx, *req);
    hv1::Guidance* g = out->add_guidance();
    g->set_category(hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED);
    g->set_title("疏散通道堵塞");
    g->set_usual_deadline_days(1);
    g->add_lead_departments("fire_rescue");
    g->add_plan_tasks(19);
    return grpc::Status::OK;
  }

  grpc::Status GetStatistics(grpc::ServerContext* ctx, const hv1::GetStatisticsRequest* req,
                             hv1::Statistics* out) override {
    Record(ctx, *req);
    out->set_tier_path(req->tier_path().empty() ? "500109" : req->tier_path());
    hv1::StatisticsRow* t = out->mutable_totals();
    t->set_key("500109");
    t->set_open(3);
    t->set_closed(1);
    t->set_rectification_rate(25);
    hv1::StatisticsRow* street = out->add_by_tier();
    street->set_key("500109001");
    street->set_open(3);
    street->set_overdue(2);
    street->set_closed(1);
    street->set_rectification_rate(25);
    hv1::StatisticsRow* quiet = out->add_by_tier();  // only reports awaiting verification
    quiet->set_key("500109002");
    quiet->set_reported(2);
    hv1::StatisticsRow* dept = out->add_by_department();
    dept->set_key("fire_rescue");
    dept->set_open(2);
    dept->set_rectification_rate(0);
    return grpc::Status::OK;
  }

  void AddHazard(hv1::Hazard h) {
    absl::MutexLock lock(&mu_);
    hazards_.push_back(std::move(h));
  }

 private:

  // Answers with the stored hazard at the next version.
  grpc::Status Transition(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                          const std::string& id, int64_t version, hv1::Hazard* out) {
    Record(ctx, req);
    absl::MutexLock lock(&mu_);
    for (const hv1::Hazard& h : hazards_) {
      if (h.hazard_id() != id) continue;
      if (h.version() != version) {
        return grpc::Status(grpc::StatusCode::ABORTED,
                            "hazard " + id + " is at version " + std::to_string(h.version()));
      }
      *out = h;
      out->set_version(version + 1);
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "hazard " + id + " not found");
  }

  absl::Mutex mu_;
  std::vector<hv1::Hazard> hazards_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firegrid::ctl::testing
