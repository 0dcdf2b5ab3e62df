#pragma once

#include "firegrid/events/v1/dead_letters.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "libs/events/dead_letters.h"

namespace firegrid::events {

// firegrid.events.v1.DeadLetterService over a service's DeadLetterDesk: every service that
// consumes topics hosts it for its own consumer groups (server::Runtime does, once a consumer is
// added). District admins and internal services only, for every method: dead letters carry
// whole events, personal data included. Replay and Drop change state and are audited by the
// host's audit interceptor (their object id is the dead letter id).
class DeadLetterGrpcService final : public dlv1::DeadLetterService::Service {
 public:
  DeadLetterGrpcService(DeadLetterDesk* desk, const auth::Authenticator* authenticator)
      : desk_(desk), authenticator_(authenticator) {}

  grpc::Status ListDeadLetters(grpc::ServerContext* ctx, const dlv1::ListDeadLettersRequest* req,
                               dlv1::ListDeadLettersResponse* resp) override;
  grpc::Status GetDeadLetter(grpc::ServerContext* ctx, const dlv1::GetDeadLetterRequest* req,
                             dlv1::DeadLetterDetail* resp) override;
  grpc::Status ReplayDeadLetter(grpc::ServerContext* ctx, const dlv1::ReplayDeadLetterRequest* req,
                                dlv1::ReplayDeadLetterResponse* resp) override;
  grpc::Status DropDeadLetter(grpc::ServerContext* ctx, const dlv1::DropDeadLetterRequest* req,
                              dlv1::DropDeadLetterResponse* resp) override;

 private:
  absl::StatusOr<auth::Principal> Authorize(const grpc::ServerContext& ctx,
                                            absl::string_view action) const;
  DeadLetterDesk* desk_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::events
