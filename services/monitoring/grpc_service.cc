#include "services/monitoring/grpc_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/status.h"
#include "libs/common/trace.h"

namespace firegrid::monitoring {

#define FG_MONITORING_RPC(Method, Api, Impl, Request, Response)                                \
  grpc::Status MonitoringGrpcService::Method(grpc::ServerContext* ctx, const v1::Request* req, \
                                             v1::Response* resp) {                             \
    auto principal = authenticator_->Authenticate(*ctx);                                       \
    if (!principal.ok()) return ToGrpcStatus(principal.status());                              \
    auto result = Api->Impl(*principal, *req);                                                 \
    if (!result.ok()) return ToGrpcStatus(result.status());                                    \
    *resp = std::move(*result);                                                                \
    return grpc::Status::OK;                                                                   \
  }
#include "services/monitoring/rpcs.inc"
#undef FG_MONITORING_RPC

namespace {

// The source a principal's Ingest batches come from.
absl::StatusOr<SignalSource> SourceOf(const auth::Principal& p, const std::string& gateway_id) {
  SignalSource source;
  source.traceparent = trace::CurrentTraceparent();
  switch (p.role) {
    case auth::Role::kIotGateway:
      if (!gateway_id.empty() && gateway_id != p.subject) {
        return absl::PermissionDeniedError(
            "gateway_id: a gateway sends only its own signals (the token's subject)");
      }
      source.kind = SignalSource::Kind::kGateway;
      source.id = p.subject;
      return source;
    case auth::Role::kInternalService:
      if (gateway_id.empty()) return InvalidField("gateway_id", "required for a service caller");
      source.kind = SignalSource::Kind::kInternal;
      source.id = gateway_id;
      return source;
    default:
      return absl::PermissionDeniedError(absl::StrCat(
          "role ", auth::RoleName(p.role), " may not ingest signals (iot_gateway only)"));
  }
}

}  // namespace

grpc::Status MonitoringGrpcService::Ingest(grpc::ServerContext* ctx,
                                           grpc::ServerReader<v1::IngestRequest>* reader,
                                           v1::IngestResponse* resp) {
  auto principal = authenticator_->Authenticate(*ctx);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  // Refuses a wrong role before reading anything.
  if (principal->role != auth::Role::kIotGateway &&
      principal->role != auth::Role::kInternalService) {
    return ToGrpcStatus(SourceOf(*principal, "").status());
  }
  v1::IngestRequest req;
  int64_t rejected_total = 0;
  // A request that does not parse (a string that is not UTF-8) ends the stream like its end:
  // gRPC cannot tell the two apart here. `batches` lets the gateway see how far it got.
  while (reader->Read(&req)) {
    resp->set_batches(resp->batches() + 1);
    auto source = SourceOf(*principal, req.gateway_id());
    if (!source.ok()) return ToGrpcStatus(source.status());
    if (req.signals_size() > kMaxSignalsPerRequest) {
      return ToGrpcStatus(
          InvalidField("signals", absl::StrCat("at most ", kMaxSignalsPerRequest, " per request")));
    }
    if (req.signals_size() == 0) continue;
    std::vector<v1::Signal> signals(std::make_move_iterator(req.mutable_signals()->begin()),
                                    std::make_move_iterator(req.mutable_signals()->end()));
    auto result = ingest_(*source, std::move(signals));
    if (!result.ok()) return ToGrpcStatus(result.status());
    resp->set_accepted(resp->accepted() + result->accepted);
    resp->set_duplicates(resp->duplicates() + result->duplicates);
    rejected_total += result->rejected;
    for (auto& r : result->rejections) {
      if (resp->rejected_size() >= 100) break;
      *resp->add_rejected() = std::move(r);
    }
    resp->set_rejected_total(rejected_total);
  }
  return grpc::Status::OK;
}

}  // namespace firegrid::monitoring
