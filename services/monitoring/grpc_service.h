#pragma once

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "services/monitoring/alarm_api.h"
#include "services/monitoring/device_api.h"
#include "services/monitoring/ingestor.h"

namespace firegrid::monitoring {

// What the Ingest RPC hands each batch to: Ingestor::Handle in the service.
using IngestFn =
    std::function<absl::StatusOr<IngestResult>(const SignalSource&, std::vector<v1::Signal>)>;

// Most signals a request (or an MQTT message) may carry.
inline constexpr int kMaxSignalsPerRequest = 1000;

// The gRPC adapter: authenticates every call and hands it to DeviceApi, AlarmApi or the ingest
// pipeline; statuses go through the one Status → gRPC mapping.
//
// Ingest (client streaming): the caller is authenticated once; an iot_gateway speaks for its
// own gateway (the token's subject; a different gateway_id is PERMISSION_DENIED), an
// internal_service for the gateway it names (required); any other role is PERMISSION_DENIED.
// Each request is one batch of at most 1000 signals (INVALID_ARGUMENT otherwise, ending the
// stream; the batches before it stay handled). The response sums the batches. A failed batch
// (UNAVAILABLE) ends the stream with that status: the gateway sends it again (what was already
// handled then counts as duplicates).
class MonitoringGrpcService final : public v1::MonitoringService::Service {
 public:
  MonitoringGrpcService(DeviceApi* devices, AlarmApi* alarms, IngestFn ingest,
                        const auth::Authenticator* authenticator)
      : devices_(devices),
        alarms_(alarms),
        ingest_(std::move(ingest)),
        authenticator_(authenticator) {}

#define FG_MONITORING_RPC(Method, Api, Impl, Request, Response)                             \
  grpc::Status Method(grpc::ServerContext* ctx, const v1::Request* req, v1::Response* resp) \
      override;
#include "services/monitoring/rpcs.inc"
#undef FG_MONITORING_RPC

  grpc::Status Ingest(grpc::ServerContext* ctx, grpc::ServerReader<v1::IngestRequest>* reader,
                      v1::IngestResponse* resp) override;

 private:
  DeviceApi* devices_;
  AlarmApi* alarms_;
  IngestFn ingest_;
  const auth::Authenticator* authenticator_;
};

}  // namespace firegrid::monitoring
