#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"
#include "libs/server/metrics.h"

namespace firegrid::server {

// How a refused call tells its client when to retry (docs/adr/0002): the status details
// (grpc-status-details-bin) hold a google.rpc.Status with one google.rpc.RetryInfo, which the
// gRPC status libraries of every language decode (Go status.FromError(err).Details(), Java
// StatusProto.fromThrowable, Python rpc_status.from_call); the trailing metadata
// grpc-retry-pushback-ms (auth::kRetryPushbackKey) holds the same delay for gRPC's built-in
// retry policy.

// The serialized google.rpc.Status {code, message, details: [Any(google.rpc.RetryInfo)]}.
std::string RetryStatusDetails(grpc::StatusCode code, const std::string& message,
                               absl::Duration retry_delay);
// The RetryInfo delay in a status's details; nullopt when there is none.
std::optional<absl::Duration> RetryDelayOf(const grpc::Status& status);

// Puts the RetryInfo into a RESOURCE_EXHAUSTED status that carries auth::kRetryPushbackKey
// trailing metadata (auth::Authenticator's refusals), and counts those refusals per method:
// firegrid_grpc_rate_limited_total{method}.
class RetryInfoInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RetryInfoInterceptorFactory(MetricsRegistry* metrics);
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Family<Counter>* refused_;
};

}  // namespace firegrid::server
