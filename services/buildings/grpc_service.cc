#include "services/buildings/grpc_service.h"

#include "absl/strings/str_cat.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"
#include "libs/server/callback_unary.h"

namespace firegrid::buildings {

// One body for both kinds of method: authenticate, hand to the registry, map the status.
#define FG_BUILDINGS_SERVE(Method)                              \
  auto principal = authenticator_->Authenticate(*ctx);          \
  if (!principal.ok()) return ToGrpcStatus(principal.status()); \
  auto result = registry_->Method(*principal, *req);            \
  if (!result.ok()) return ToGrpcStatus(result.status());       \
  *resp = std::move(*result);                                   \
  return grpc::Status::OK;

#define FG_BUILDINGS_RPC(Method, Request, Response)                                          \
  grpc::Status BuildingGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                           v1::Response* resp) {                             \
    FG_BUILDINGS_SERVE(Method)                                                               \
  }
#define FG_BUILDINGS_CALLBACK_RPC(Method, Request, Response)                               \
  grpc::ServerUnaryReactor* BuildingGrpcService::Method(                                   \
      grpc::CallbackServerContext* ctx, const v1::Request* req, v1::Response* resp) {      \
    return server::ServeUnary(server::Threads::kRead, ctx,                                 \
                              [=, this]() -> grpc::Status { FG_BUILDINGS_SERVE(Method) }); \
  }

#include "services/buildings/rpcs.inc"

#undef FG_BUILDINGS_RPC
#undef FG_BUILDINGS_CALLBACK_RPC
#undef FG_BUILDINGS_SERVE

grpc::Status BuildingGrpcService::CheckReadModels(grpc::ServerContext* ctx,
                                                  const readmodels::v1::CheckReadModelsRequest* req,
                                                  readmodels::v1::CheckReadModelsResponse* resp) {
  auto principal = authenticator_->Authenticate(*ctx);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  auto result = registry_->CheckReadModels(*principal, *req);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *resp = std::move(*result);
  return grpc::Status::OK;
}

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
