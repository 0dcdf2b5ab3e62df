#include "libs/audit/grpc_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/auth/scope.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"

namespace firegrid::audit {

absl::Status AuditGrpcService::Authorize(const grpc::ServerContext& ctx) const {
  FG_ASSIGN_OR_RETURN(auth::Principal who, authenticator_->Authenticate(ctx));
  return auth::RequireRole(who, {auth::Role::kDistrictAdmin, auth::Role::kInternalService},
                           "read the audit log");
}

grpc::Status AuditGrpcService::ListAuditRecords(grpc::ServerContext* ctx,
                                                const v1::ListAuditRecordsRequest* req,
                                                v1::ListAuditRecordsResponse* resp) {
  if (absl::Status s = Authorize(*ctx); !s.ok()) return ToGrpcStatus(s);
  if (req->object_id().empty()) {
    return ToGrpcStatus(InvalidField("object_id", "is required"));
  }
  if (req->page_size() < 0 || req->page_size() > 500) {
    return ToGrpcStatus(InvalidField("page_size", "must be between 0 and 500"));
  }
  const int limit = req->page_size() == 0 ? 50 : req->page_size();
  const std::string listing = absl::StrCat("audit\n", req->object_id());
  absl::StatusOr<std::string> cursor = DecodePageToken(req->page_token(), listing);
  if (!cursor.ok()) return ToGrpcStatus(cursor.status());
  int64_t after = 0;
  if (!cursor->empty() && !absl::SimpleAtoi(*cursor, &after)) {
    return ToGrpcStatus(InvalidField("page_token", "is not a token of this listing"));
  }
  absl::StatusOr<AuditLog::Page> page = log_->ListByObject(req->object_id(), after, limit);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (auto& r : page->records) *resp->add_records() = std::move(r);
  if (page->next_after > 0) {
    resp->set_next_page_token(EncodePageToken(listing, absl::StrCat(page->next_after)));
  }
  return grpc::Status::OK;
}

grpc::Status AuditGrpcService::VerifyAuditChain(grpc::ServerContext* ctx,
                                                const v1::VerifyAuditChainRequest* req,
                                                v1::VerifyAuditChainResponse* resp) {
  if (absl::Status s = Authorize(*ctx); !s.ok()) return ToGrpcStatus(s);
  if (req->from_sequence() < 0) {
    return ToGrpcStatus(InvalidField("from_sequence", "must not be negative"));
  }
  if (req->limit() < 0 || req->limit() > 100000) {
    return ToGrpcStatus(InvalidField("limit", "must be between 0 and 100000"));
  }
  absl::StatusOr<v1::VerifyAuditChainResponse> r =
      log_->Verify(req->from_sequence(), req->limit() == 0 ? 10000 : req->limit());
  if (!r.ok()) return ToGrpcStatus(r.status());
  *resp = std::move(*r);
  return grpc::Status::OK;
}

}  // namespace firegrid::audit
