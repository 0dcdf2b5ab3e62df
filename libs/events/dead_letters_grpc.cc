#include "libs/events/dead_letters_grpc.h"

#include "libs/auth/scope.h"
#include "libs/common/status.h"

namespace firegrid::events {

absl::StatusOr<auth::Principal> DeadLetterGrpcService::Authorize(const grpc::ServerContext& ctx,
                                                                 absl::string_view action) const {
  FG_ASSIGN_OR_RETURN(auth::Principal who, authenticator_->Authenticate(ctx));
  FG_RETURN_IF_ERROR(
      auth::RequireRole(who, {auth::Role::kDistrictAdmin, auth::Role::kInternalService}, action));
  return who;
}

grpc::Status DeadLetterGrpcService::ListDeadLetters(grpc::ServerContext* ctx,
                                                    const dlv1::ListDeadLettersRequest* req,
                                                    dlv1::ListDeadLettersResponse* resp) {
  absl::StatusOr<auth::Principal> who = Authorize(*ctx, "read dead letters");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dlv1::ListDeadLettersResponse> r = desk_->List(*req);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status DeadLetterGrpcService::GetDeadLetter(grpc::ServerContext* ctx,
                                                  const dlv1::GetDeadLetterRequest* req,
                                                  dlv1::DeadLetterDetail* resp) {
  absl::StatusOr<auth::Principal> who = Authorize(*ctx, "read dead letters");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dlv1::DeadLetterDetail> r = desk_->Get(req->dead_letter_id());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status DeadLetterGrpcService::ReplayDeadLetter(grpc::ServerContext* ctx,
                                                     const dlv1::ReplayDeadLetterRequest* req,
                                                     dlv1::ReplayDeadLetterResponse* resp) {
  absl::StatusOr<auth::Principal> who = Authorize(*ctx, "replay dead letters");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dlv1::ReplayDeadLetterResponse> r =
      desk_->Replay(req->dead_letter_id(), who->subject);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

grpc::Status DeadLetterGrpcService::DropDeadLetter(grpc::ServerContext* ctx,
                                                   const dlv1::DropDeadLetterRequest* req,
                                                   dlv1::DropDeadLetterResponse* resp) {
  absl::StatusOr<auth::Principal> who = Authorize(*ctx, "drop dead letters");
  if (!who.ok()) return ToGrpcStatus(who.status());
  absl::StatusOr<dlv1::DropDeadLetterResponse> r =
      desk_->Drop(req->dead_letter_id(), req->reason(), who->subject);
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = *std::move(r);
  return grpc::Status::OK;
}

}  // namespace firegrid::events
