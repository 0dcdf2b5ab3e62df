#include "services/notify/grpc_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/events/envelope.h"
#include "services/notify/plan.h"
#include "services/notify/recipients.h"
#include "services/notify/webhooks.h"

namespace firegrid::notify {

using auth::Role;

std::vector<std::string> RecipientsOf(const auth::Principal& p) {
  std::vector<std::string> out;
  if (!p.subject.empty()) out.push_back(PersonRecipient(p.subject));
  std::string org = p.org_unit;
  if (org.empty()) {
    switch (p.role) {
      case Role::kDepartmentOfficer:
        if (!p.tier_path.empty() && !p.department.empty()) org = p.tier_path + "." + p.department;
        break;
      case Role::kDistrictAdmin:
      case Role::kStreetOfficer:
      case Role::kCommunityWorker:
        org = p.tier_path;
        break;
      default:
        break;
    }
  }
  if (!org.empty()) out.push_back(OrgRecipient(org));
  return out;
}

absl::StatusOr<auth::Principal> NotifyGrpcService::Authenticate(grpc::ServerContext* ctx) {
  FG_ASSIGN_OR_RETURN(auth::Principal p, authenticator_->Authenticate(*ctx));
  if (p.role == Role::kPublicChannel) {
    // A public channel has no inbox, plan tasks or webhooks: the public follows its reports
    // through Open311. Refused before the request is looked at.
    return absl::PermissionDeniedError("role public_channel may not use the notify service");
  }
  return p;
}

absl::StatusOr<v1::Notification> NotifyGrpcService::Owned(const auth::Principal& p,
                                                          const std::string& id) {
  FG_ASSIGN_OR_RETURN(v1::Notification n, inbox_->Get(id));
  const auto mine = RecipientsOf(p);
  if (std::find(mine.begin(), mine.end(), n.recipient()) == mine.end()) {
    // Not revealing whether someone else's notification exists.
    return absl::NotFoundError(absl::StrCat("no notification ", id, " in your inbox"));
  }
  return n;
}

grpc::Status NotifyGrpcService::Subscribe(grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
                                          grpc::ServerWriter<v1::SubscribeResponse>* writer) {
  auto p = Authenticate(ctx);
  if (!p.ok()) return ToGrpcStatus(p.status());
  const std::vector<std::string> mine = RecipientsOf(*p);
  std::map<std::string, std::string> cursors;
  for (const auto& r : mine) cursors[r] = "";
  for (const auto& [r, c] : req->cursors()) {
    if (cursors.count(r) == 0) {
      return ToGrpcStatus(InvalidField("cursors", absl::StrCat("'", r, "' is not your inbox")));
    }
    if (!c.empty() && !Inbox::IsCursor(c)) {
      return ToGrpcStatus(InvalidField("cursors", absl::StrCat("'", c, "' is not a cursor")));
    }
    cursors[r] = c;
  }
  if (cursors.empty()) {
    return ToGrpcStatus(absl::PermissionDeniedError("this principal has no inbox"));
  }
  // Held until this function returns, however the stream ends.
  absl::StatusOr<StreamSlots::Slot> slot = slots_.Acquire(p->subject);
  if (!slot.ok()) {
    log::Warn("subscribe refused", {{"subject", p->subject},
                                    {"open_streams", slots_.open()},
                                    {"error", std::string(slot.status().message())}});
    return ToGrpcStatus(slot.status());
  }
  auto send = [&](const v1::Notification& n) {
    v1::SubscribeResponse out;
    *out.mutable_notification() = n;
    cursors[n.recipient()] = n.cursor();
    return writer->Write(out);
  };
  if (req->live_only()) {
    // Start after the newest notification of each inbox now.
    for (auto& [r, c] : cursors) {
      auto last = inbox_->LastCursor(r);
      if (!last.ok()) return ToGrpcStatus(last.status());
      c = *last;
    }
  } else {
    for (auto& [r, c] : cursors) {
      while (true) {
        auto batch = inbox_->ReadAfter(r, c, 200);
        if (!batch.ok()) return ToGrpcStatus(batch.status());
        for (const auto& n : *batch) {
          if (!send(n)) return grpc::Status::OK;  // client went away
        }
        if (batch->size() < 200) break;
      }
    }
  }
  {
    v1::SubscribeResponse caught_up;
    caught_up.set_caught_up(true);
    if (!writer->Write(caught_up)) return grpc::Status::OK;
  }
  std::unique_ptr<redis::Pool::Dedicated> conn = pool_->NewDedicated();
  absl::Time last_sent = absl::Now();
  while (!ctx->IsCancelled() && !closing_.load()) {
    auto arrived = inbox_->WaitAfter(*conn, cursors, options_.poll);
    if (!arrived.ok()) {
      log::Warn("subscribe read failed", {{"error", std::string(arrived.status().message())}});
      return ToGrpcStatus(absl::UnavailableError("notification stream interrupted; reconnect"));
    }
    for (const auto& n : *arrived) {
      if (!send(n)) return grpc::Status::OK;
      last_sent = absl::Now();
    }
    if (arrived->empty() && absl::Now() - last_sent >= options_.heartbeat) {
      v1::SubscribeResponse hb;
      hb.set_heartbeat(true);
      if (!writer->Write(hb)) return grpc::Status::OK;
      last_sent = absl::Now();
    }
  }
  return grpc::Status::OK;
}

grpc::Status NotifyGrpcService::ListInbox(grpc::ServerContext* ctx, const v1::ListInboxRequest* req,
                                          v1::ListInboxResponse* resp) {
  auto p = Authenticate(ctx);
  if (!p.ok()) return ToGrpcStatus(p.status());
  std::vector<std::string> recipients = RecipientsOf(*p);
  if (!req->recipient().empty()) {
    if (std::find(recipients.begin(), recipients.end(), req->recipient()) == recipients.end()) {
      return ToGrpcStatus(InvalidField("recipient", "is not your inbox"));
    }
    recipients = {req->recipient()};
  }
  if (req->page_size() < 0 || req->page_size() > 200) {
    return ToGrpcStatus(InvalidField("page_size", "must be in [0, 200]"));
  }
  auto r = inbox_->List(recipients, req->unread_only(),
                        req->page_size() == 0 ? 50 : req->page_size(), req->page_token());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status NotifyGrpcService::MarkRead(grpc::ServerContext* ctx, const v1::MarkReadRequest* req,
                                         v1::Notification* resp) {
  auto p = Authenticate(ctx);
  if (!p.ok()) return ToGrpcStatus(p.status());
  auto n = Owned(*p, req->notification_id());
  if (!n.ok()) return ToGrpcStatus(n.status());
  auto r = inbox_->MarkRead(req->notification_id());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status NotifyGrpcService::Acknowledge(grpc::ServerContext* ctx,
                                            const v1::AcknowledgeRequest* req,
                                            v1::Notification* resp) {
  auto p = Authenticate(ctx);
  if (!p.ok()) return ToGrpcStatus(p.status());
  if (absl::Status st = ValidateAckNote(req->note()); !st.ok()) return ToGrpcStatus(st);
  auto n = Owned(*p, req->notification_id());
  if (!n.ok()) return ToGrpcStatus(n.status());
  auto r = inbox_->Acknowledge(req->notification_id(), p->subject, req->note());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status NotifyGrpcService::PushEvent(grpc::ServerContext* ctx, const v1::PushEventRequest* req,
                                          v1::PushEventResponse* resp) {
  auto p = Authenticate(ctx);
  if (!p.ok()) return ToGrpcStatus(p.status());
  if (p->role != Role::kInternalService) {
    return ToGrpcStatus(absl::PermissionDeniedError(
        absl::StrCat("role ", auth::RoleName(p->role), " may not push events")));
  }
  absl::StatusOr<events::Envelope> env = events::ParseEnvelope(req->envelope());
  if (!env.ok()) return ToGrpcStatus(InvalidField("envelope", env.status().message()));
  absl::StatusOr<int> delivered = DeliverEvent(*env, inbox_);
  if (!delivered.ok()) return ToGrpcStatus(delivered.status());
  resp->set_delivered(*delivered);
  return grpc::Status::OK;
}

#define FG_DELEGATE(Expr)                         \
  do {                                            \
    auto p = Authenticate(ctx);                   \
    if (!p.ok()) return ToGrpcStatus(p.status()); \
    auto r = (Expr);                              \
    if (!r.ok()) return ToGrpcStatus(r.status()); \
    *resp = std::move(*r);                        \
    return grpc::Status::OK;                      \
  } while (0)

grpc::Status NotifyGrpcService::ListPlanTasks(grpc::ServerContext* ctx,
                                              const v1::ListPlanTasksRequest* req,
                                              v1::ListPlanTasksResponse* resp) {
  FG_DELEGATE(plan_->List(*p, *req));
}

grpc::Status NotifyGrpcService::ReportPlanProgress(grpc::ServerContext* ctx,
                                                   const v1::ReportPlanProgressRequest* req,
                                                   v1::PlanTask* resp) {
  FG_DELEGATE(plan_->ReportProgress(*p, *req));
}

grpc::Status NotifyGrpcService::GetPlanOverview(grpc::ServerContext* ctx,
                                                const v1::GetPlanOverviewRequest* req,
                                                v1::PlanOverview* resp) {
  FG_DELEGATE(plan_->Overview(*p, *req));
}

grpc::Status NotifyGrpcService::SetWebhook(grpc::ServerContext* ctx,
                                           const v1::SetWebhookRequest* req, v1::Webhook* resp) {
  FG_DELEGATE(webhooks_->Set(*p, req->webhook()));
}

grpc::Status NotifyGrpcService::GetWebhook(grpc::ServerContext* ctx,
                                           const v1::GetWebhookRequest* req, v1::Webhook* resp) {
  FG_DELEGATE(webhooks_->Get(*p, req->org_unit()));
}

grpc::Status NotifyGrpcService::DeleteWebhook(grpc::ServerContext* ctx,
                                              const v1::DeleteWebhookRequest* req,
                                              v1::DeleteWebhookResponse* resp) {
  FG_DELEGATE(webhooks_->Delete(*p, req->org_unit()));
}

grpc::Status NotifyGrpcService::ListDeliveries(grpc::ServerContext* ctx,
                                               const v1::ListDeliveriesRequest* req,
                                               v1::ListDeliveriesResponse* resp) {
  FG_DELEGATE(webhooks_->ListDeliveries(*p, req->org_unit(), req->limit()));
}

#undef FG_DELEGATE

}  // namespace firegrid::notify
