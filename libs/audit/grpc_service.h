#pragma once

#include "firegrid/audit/v1/audit.grpc.pb.h"
#include "libs/audit/audit_log.h"
#include "libs/auth/grpc_auth.h"

namespace firegrid::audit {

// firegrid.audit.v1.AuditService over a service's own AuditLog: each service answers for the
// objects it owns. District admins only (and internal services).
class AuditGrpcService final : public v1::AuditService::Service {
 public:
  AuditGrpcService(AuditLog* log, const auth::Authenticator* authenticator)
      : log_(log), authenticator_(authenticator) {}

  grpc::Status ListAuditRecords(grpc::ServerContext* ctx, const v1::ListAuditRecordsRequest* req,
                                v1::ListAuditRecordsResponse* resp) override;
  grpc::Status VerifyAuditChain(grpc::ServerContext* ctx, const v1::VerifyAuditChainRequest* req,
                                v1::VerifyAuditChainResponse* resp) override;

 private:
  absl::Status Authorize(const grpc::ServerContext& ctx) const;
  AuditLog* log_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::audit
