#pragma once

// Test-only: an in-process NotifyService (serve it with FakeServer from fake_building_service.h).
// Subscribe plays scripted sessions, one per call: the session's messages, then either its final
// status or, when `hold`, it keeps the stream open until the client cancels. Every RPC records
// its last request and the authorization header; unary RPCs answer from canned data.

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "tools/firegridctl/fake_request_log.h"

namespace firegrid::ctl::testing {

namespace nv1 = ::firegrid::notify::v1;

inline nv1::Notification MakeNotification(const std::string& id, const std::string& recipient,
                                          const std::string& cursor, const std::string& title,
                                          const std::string& hazard_id = "") {
  nv1::Notification n;
  n.set_notification_id(id);
  n.set_recipient(recipient);
  n.set_cursor(cursor);
  n.set_kind(nv1::KIND_HAZARD_TASK);
  n.set_title(title);
  n.set_hazard_id(hazard_id);
  n.mutable_created_at()->set_seconds(1717200000);  // 2024-06-01 08:00 CST
  n.set_requires_ack(true);
  return n;
}

struct SubscribeSession {
  std::vector<nv1::SubscribeResponse> messages;
  // After the messages: keep the stream open until cancelled (status is then ignored).
  bool hold = false;
  grpc::Status status = grpc::Status::OK;

  SubscribeSession& Notify(const nv1::Notification& n) {
    *messages.emplace_back().mutable_notification() = n;
    return *this;
  }
  SubscribeSession& CaughtUp() {
    messages.emplace_back().set_caught_up(true);
    return *this;
  }
  SubscribeSession& Heartbeat() {
    messages.emplace_back().set_heartbeat(true);
    return *this;
  }
};

class FakeNotifyService final : public nv1::NotifyService::Service, public RequestLog {
 public:
  // Sessions are played in order; a Subscribe beyond them fails with UNAVAILABLE.
  void AddSession(SubscribeSession s) {
    absl::MutexLock lock(&mu_);
    sessions_.push_back(std::move(s));
  }

  grpc::Status Subscribe(grpc::ServerContext* ctx, const nv1::SubscribeRequest* req,
                         grpc::ServerWriter<nv1::SubscribeResponse>* writer) override {
    Record(ctx, *req);
    SubscribeSession session;
    {
      absl::MutexLock lock(&mu_);
      subscribe_requests_.push_back(*req);
      if (sessions_.empty()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "no session");
      session = std::move(sessions_.front());
      sessions_.pop_front();
    }
    for (const auto& m : session.messages) {
      if (!writer->Write(m)) return grpc::Status::OK;
    }
    if (!session.hold) return session.status;
    {
      absl::MutexLock lock(&mu_);
      ++holding_;
    }
    while (!ctx->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    absl::MutexLock lock(&mu_);
    --holding_;
    return grpc::Status::OK;
  }

  grpc::Status ListInbox(grpc::ServerContext* ctx, const nv1::ListInboxRequest* req,
                         nv1::ListInboxResponse* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    // Pages of one notification each, to exercise --all.
    const size_t start = req->page_token().empty() ? 0 : std::stoul(req->page_token());
    if (start < inbox_.size()) *out->add_notifications() = inbox_[start];
    if (start + 1 < inbox_.size()) out->set_next_page_token(std::to_string(start + 1));
    out->set_unread(static_cast<int>(inbox_.size()));
    return grpc::Status::OK;
  }
  grpc::Status MarkRead(grpc::ServerContext* ctx, const nv1::MarkReadRequest* req,
                        nv1::Notification* out) override {
    Record(ctx, *req);
    return Find(req->notification_id(), out, [](nv1::Notification* n) { n->set_read(true); });
  }
  grpc::Status Acknowledge(grpc::ServerContext* ctx, const nv1::AcknowledgeRequest* req,
                           nv1::Notification* out) override {
    Record(ctx, *req);
    return Find(req->notification_id(), out, [&](nv1::Notification* n) {
      n->set_read(true);
      n->set_acknowledged(true);
      n->set_acknowledged_by("um-1");
      n->set_acknowledgement_note(req->note());
      n->mutable_acknowledged_at()->set_seconds(1717203600);
    });
  }

  grpc::Status ListPlanTasks(grpc::ServerContext* ctx, const nv1::ListPlanTasksRequest* req,
                             nv1::ListPlanTasksResponse* out) override {
    Record(ctx, *req);
    *out->add_tasks() = Task(12, 40);
    *out->add_tasks() = Task(13, 0);
    out->mutable_tasks(1)->set_overdue(true);
    return grpc::Status::OK;
  }
  grpc::Status ReportPlanProgress(grpc::ServerContext* ctx,
                                  const nv1::ReportPlanProgressRequest* req,
                                  nv1::PlanTask* out) override {
    Record(ctx, *req);
    *out = Task(req->number(), req->progress_percent());
    out->set_progress_note(req->note());
    out->set_progress_by("um-1");
    out->mutable_progress_at()->set_seconds(1717203600);
    return grpc::Status::OK;
  }
  grpc::Status GetPlanOverview(grpc::ServerContext* ctx, const nv1::GetPlanOverviewRequest* req,
                               nv1::PlanOverview* out) override {
    Record(ctx, *req);
    auto* d = out->add_departments();
    d->set_department("fire_rescue");
    d->set_tasks(9);
    d->set_completed(3);
    d->set_overdue(2);
    d->set_average_progress_percent(47.5);
    out->set_tasks(35);
    out->set_completed(10);
    out->set_overdue(4);
    return grpc::Status::OK;
  }

  grpc::Status SetWebhook(grpc::ServerContext* ctx, const nv1::SetWebhookRequest* req,
                          nv1::Webhook* out) override {
    Record(ctx, *req);
    *out = req->webhook();
    out->clear_secret();
    out->mutable_updated_at()->set_seconds(1717203600);
    return grpc::Status::OK;
  }
  grpc::Status GetWebhook(grpc::ServerContext* ctx, const nv1::GetWebhookRequest* req,
                          nv1::Webhook* out) override {
    Record(ctx, *req);
    if (req->org_unit() != "500109.fire_rescue") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no webhook for " + req->org_unit());
    }
    out->set_org_unit(req->org_unit());
    out->set_url("https://119.example/hooks/firegrid");
    out->set_enabled(true);
    return grpc::Status::OK;
  }
  grpc::Status DeleteWebhook(grpc::ServerContext* ctx, const nv1::DeleteWebhookRequest* req,
                             nv1::DeleteWebhookResponse*) override {
    Record(ctx, *req);
    return grpc::Status::OK;
  }
  grpc::Status ListDeliveries(grpc::ServerContext* ctx, const nv1::ListDeliveriesRequest* req,
                              nv1::ListDeliveriesResponse* out) override {
    Record(ctx, *req);
    auto* d = out->add_deliveries();
    d->set_delivery_id("dlv_1");
    d->set_org_unit(req->org_unit());
    d->set_notification_id("ntf_1");
    d->set_attempts(3);
    d->set_state("pending");
    d->set_last_http_status(503);
    d->set_last_error("HTTP 503");
    return grpc::Status::OK;
  }

  void AddToInbox(nv1::Notification n) {
    absl::MutexLock lock(&mu_);
    inbox_.push_back(std::move(n));
  }
  std::vector<nv1::SubscribeRequest> subscribe_requests() {
    absl::MutexLock lock(&mu_);
    return subscribe_requests_;
  }
  // Streams held open right now.
  int holding() {
    absl::MutexLock lock(&mu_);
    return holding_;
  }

 private:
  static nv1::PlanTask Task(int number, int percent) {
    nv1::PlanTask t;
    t.set_number(number);
    t.set_title(number == 12 ? "高层建筑消防车道标识划线" : "微型消防站建设");
    t.set_deadline("2024-06-30");
    t.add_lead_departments("fire_rescue");
    t.add_assisting_departments("streets");
    t.set_progress_percent(percent);
    return t;
  }

  template <typename F>
  grpc::Status Find(const std::string& id, nv1::Notification* out, F change) {
    absl::MutexLock lock(&mu_);
    for (nv1::Notification& n : inbox_) {
      if (n.notification_id() == id) {
        change(&n);
        *out = n;
        return grpc::Status::OK;
      }
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no notification " + id + " in your inbox");
  }


  absl::Mutex mu_;
  std::deque<SubscribeSession> sessions_ ABSL_GUARDED_BY(mu_);
  std::vector<nv1::SubscribeRequest> subscribe_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<nv1::Notification> inbox_ ABSL_GUARDED_BY(mu_);
  int holding_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace firegrid::ctl::testing
