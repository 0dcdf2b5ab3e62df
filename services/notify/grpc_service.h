#pragma once

#include <memory>

#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/redis/pool.h"
#include "services/notify/fanout.h"
#include "services/notify/inbox.h"
#include "services/notify/stream_slots.h"

namespace firegrid::notify {

class PlanTasks;
class Webhooks;

// The recipients a principal reads: its person inbox and its org unit's (the token's org_unit
// claim, else: a department officer "<tier path>.<department>", a street officer, community
// worker or district admin its tier path).
std::vector<std::string> RecipientsOf(const auth::Principal& p);

struct SubscribeOptions {
  absl::Duration heartbeat = absl::Seconds(5);
  // How long one blocking read of the feed waits before the reader checks for shutdown.
  absl::Duration poll = absl::Milliseconds(500);
  // Messages one stream may have waiting to be sent; a live notification beyond ends the stream
  // with ABORTED "fell behind ... resume from your cursor" (`--stream-buffer`).
  size_t max_buffer = 256;
  // Threads that run the replays of new streams, for all streams.
  int catch_up_threads = 2;
  // Caps on open streams (RESOURCE_EXHAUSTED beyond).
  StreamLimits limits;
};

// The gRPC adapter. Subscribe is a callback-API stream (no thread of its own while it waits):
// it replays each recipient's inbox after the caller's cursor, sends caught_up, then streams
// what the replica's FanoutHub (fanout.h) hands it. The cursors carry over, so there is no gap
// and no duplicate between replay and live, and any replica serves any subscriber. The other
// methods are synchronous.
class NotifyGrpcService final
    : public v1::NotifyService::WithCallbackMethod_Subscribe<v1::NotifyService::Service> {
 public:
  NotifyGrpcService(Inbox* inbox, redis::Pool* pool, PlanTasks* plan, Webhooks* webhooks,
                    const auth::Authenticator* authenticator, SubscribeOptions options = {});
  ~NotifyGrpcService() override;

  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) override;
  grpc::Status ListInbox(grpc::ServerContext* ctx, const v1::ListInboxRequest* req,
                         v1::ListInboxResponse* resp) override;
  grpc::Status MarkRead(grpc::ServerContext* ctx, const v1::MarkReadRequest* req,
                        v1::Notification* resp) override;
  grpc::Status Acknowledge(grpc::ServerContext* ctx, const v1::AcknowledgeRequest* req,
                           v1::Notification* resp) override;
  grpc::Status ListPlanTasks(grpc::ServerContext* ctx, const v1::ListPlanTasksRequest* req,
                             v1::ListPlanTasksResponse* resp) override;
  grpc::Status ReportPlanProgress(grpc::ServerContext* ctx,
                                  const v1::ReportPlanProgressRequest* req,
                                  v1::PlanTask* resp) override;
  grpc::Status GetPlanOverview(grpc::ServerContext* ctx, const v1::GetPlanOverviewRequest* req,
                               v1::PlanOverview* resp) override;
  grpc::Status SetWebhook(grpc::ServerContext* ctx, const v1::SetWebhookRequest* req,
                          v1::Webhook* resp) override;
  grpc::Status GetWebhook(grpc::ServerContext* ctx, const v1::GetWebhookRequest* req,
                          v1::Webhook* resp) override;
  grpc::Status DeleteWebhook(grpc::ServerContext* ctx, const v1::DeleteWebhookRequest* req,
                             v1::DeleteWebhookResponse* resp) override;
  grpc::Status ListDeliveries(grpc::ServerContext* ctx, const v1::ListDeliveriesRequest* req,
                              v1::ListDeliveriesResponse* resp) override;

  // internal_service only: delivers the event in `envelope` exactly as the consumer does
  // (NotifyEvent, same once keys), so the Kafka copy of the same event adds nothing.
  grpc::Status PushEvent(grpc::ServerContext* ctx, const v1::PushEventRequest* req,
                         v1::PushEventResponse* resp) override;

  // Ends every open Subscribe stream with OK and stops the hub (called on shutdown).
  void Close();
  // Subscribe streams open on this replica now.
  int open_streams() const { return slots_.open(); }
  const FanoutHub& hub() const { return hub_; }

 private:
  // The caller; PERMISSION_DENIED for a public channel (every RPC).
  absl::StatusOr<auth::Principal> Authenticate(grpc::ServerContextBase* ctx);
  // The notification, if the principal may act on it.
  absl::StatusOr<v1::Notification> Owned(const auth::Principal& p, const std::string& id);

  Inbox* inbox_;
  redis::Pool* pool_;
  PlanTasks* plan_;
  Webhooks* webhooks_;
  const auth::Authenticator* authenticator_;
  SubscribeOptions options_;
  StreamSlots slots_;
  RedisInboxSource source_;
  FanoutHub hub_;
};

}  // namespace firegrid::notify
