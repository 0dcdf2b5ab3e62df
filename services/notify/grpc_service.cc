#include "services/notify/grpc_service.h"

#include <algorithm>
#include <map>
#include <memory>

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

absl::StatusOr<auth::Principal> NotifyGrpcService::Authenticate(grpc::ServerContextBase* ctx) {
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

namespace {

// A stream refused before it started.
class RefusedStream final : public grpc::ServerWriteReactor<v1::SubscribeResponse> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// One live Subscribe call: writes what its Subscription queues, one message at a time. Keeps
// itself alive (self_) until gRPC is done with it; the hub's wake-ups hold it weakly.
class SubscribeStream final : public grpc::ServerWriteReactor<v1::SubscribeResponse>,
                              public std::enable_shared_from_this<SubscribeStream> {
 public:
  SubscribeStream(FanoutHub* hub, StreamSlots::Slot slot) : hub_(hub), slot_(std::move(slot)) {}

  void Begin(std::map<std::string, std::string> cursors, size_t max_buffer, bool live_only) {
    self_ = shared_from_this();
    std::weak_ptr<SubscribeStream> weak = self_;
    subscription_ =
        std::make_shared<Subscription>(std::move(cursors), max_buffer, RealClock::Get(), [weak] {
          if (auto s = weak.lock()) s->Pump();
        });
    hub_->Add(subscription_, live_only);
  }

  void OnWriteDone(bool ok) override {
    in_flight_.reset();
    if (!ok) subscription_->End(grpc::Status::OK);  // the client went away
    subscription_->WriteDone();
    Pump();
  }
  void OnCancel() override { subscription_->End(grpc::Status::CANCELLED); }
  void OnDone() override {
    hub_->Remove(subscription_.get());
    std::shared_ptr<SubscribeStream> keep = std::move(self_);  // may be the last reference
  }

 private:
  void Pump() {
    Subscription::Message message;
    grpc::Status status;
    switch (subscription_->Next(&message, &status)) {
      case Subscription::Step::kWrite:
        in_flight_ = std::move(message);
        StartWrite(in_flight_.get());
        break;
      case Subscription::Step::kFinish:
        Finish(status);
        break;
      case Subscription::Step::kNone:
        break;
    }
  }

  FanoutHub* const hub_;
  StreamSlots::Slot slot_;  // given back when the call is done
  std::shared_ptr<Subscription> subscription_;
  Subscription::Message in_flight_;  // one write at a time (Subscription::Next)
  std::shared_ptr<SubscribeStream> self_;
};

}  // namespace

NotifyGrpcService::NotifyGrpcService(Inbox* inbox, redis::Pool* pool, PlanTasks* plan,
                                     Webhooks* webhooks, const auth::Authenticator* authenticator,
                                     SubscribeOptions options)
    : inbox_(inbox),
      pool_(pool),
      plan_(plan),
      webhooks_(webhooks),
      authenticator_(authenticator),
      options_(options),
      slots_(options.limits),
      source_(inbox, pool),
      hub_(&source_, RealClock::Get(),
           FanoutOptions{.heartbeat = options.heartbeat,
                         .feed_wait = options.poll,
                         .max_buffer = options.max_buffer,
                         .catch_up_threads = options.catch_up_threads}) {
  hub_.Start();
}

NotifyGrpcService::~NotifyGrpcService() { Close(); }

void NotifyGrpcService::Close() {
  hub_.EndAll(grpc::Status::OK);
  hub_.Stop();
}

grpc::ServerWriteReactor<v1::SubscribeResponse>* NotifyGrpcService::Subscribe(
    grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) {
  auto p = Authenticate(ctx);
  if (!p.ok()) return new RefusedStream(ToGrpcStatus(p.status()));
  const std::vector<std::string> mine = RecipientsOf(*p);
  std::map<std::string, std::string> cursors;
  for (const auto& r : mine) cursors[r] = "";
  for (const auto& [r, c] : req->cursors()) {
    if (cursors.count(r) == 0) {
      return new RefusedStream(
          ToGrpcStatus(InvalidField("cursors", absl::StrCat("'", r, "' is not your inbox"))));
    }
    if (!c.empty() && !Inbox::IsCursor(c)) {
      return new RefusedStream(
          ToGrpcStatus(InvalidField("cursors", absl::StrCat("'", c, "' is not a cursor"))));
    }
    cursors[r] = c;
  }
  if (cursors.empty()) {
    return new RefusedStream(
        ToGrpcStatus(absl::PermissionDeniedError("this principal has no inbox")));
  }
  // Held by the stream until its call is done, however it ends.
  absl::StatusOr<StreamSlots::Slot> slot = slots_.Acquire(p->subject);
  if (!slot.ok()) {
    log::Warn("subscribe refused", {{"subject", p->subject},
                                    {"open_streams", slots_.open()},
                                    {"error", std::string(slot.status().message())}});
    return new RefusedStream(ToGrpcStatus(slot.status()));
  }
  auto stream = std::make_shared<SubscribeStream>(&hub_, std::move(*slot));
  stream->Begin(std::move(cursors), options_.max_buffer, req->live_only());
  return stream.get();
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
