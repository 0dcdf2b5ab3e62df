#include "services/buildings/grpc_service.h"

#include "absl/strings/str_cat.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"

namespace firegrid::buildings {

#define FG_BUILDINGS_RPC(Method, Request, Response)                                          \
  grpc::Status BuildingGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                           v1::Response* resp) {                             \
    auto principal = authenticator_->Authenticate(*ctx);                                     \
    if (!principal.ok()) return ToGrpcStatus(principal.status());                            \
    auto result = registry_->Method(*principal, *req);                                       \
    if (!result.ok()) return ToGrpcStatus(result.status());                                  \
    *resp = std::move(*result);                                                              \
    return grpc::Status::OK;                                                                 \
  }

#include "services/buildings/rpcs.inc"

#undef FG_BUILDINGS_RPC

grpc::Status BuildingGrpcService::ImportBuildingsCsvStream(
    grpc::ServerContext* ctx, grpc::ServerReader<v1::ImportBuildingsCsvChunk>* reader,
    v1::ImportBuildingsCsvResponse* resp) {
  auto principal = authenticator_->Authenticate(*ctx);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::string content;
  bool dry_run = false;
  bool first = true;
  v1::ImportBuildingsCsvChunk chunk;
  while (reader->Read(&chunk)) {
    if (first) dry_run = chunk.dry_run();
    first = false;
    if (content.size() + chunk.content().size() > Registry::kMaxStreamedImportBytes) {
      return ToGrpcStatus(InvalidField(
          "content", absl::StrCat("at most ", Registry::kMaxStreamedImportBytes, " bytes")));
    }
    content += chunk.content();
  }
  auto result = registry_->ImportBuildingsCsvStream(*principal, content, dry_run);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace firegrid::buildings
