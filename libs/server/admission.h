#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "libs/auth/grpc_auth.h"
#include "libs/server/metrics.h"

namespace firegrid::server {

// The default --max-in-flight: unary calls one server works on at once before it refuses more
// (docs/adr/0011). A call of a firegrid service holds one of the few Redis connections
// (--redis-pool-size, 8) for most of its time, so calls beyond a few per connection only wait:
// 64 is twice what a replica has in flight at its sustainable rate (tests/faults,
// overload_faults_test), and keeps the wait of admitted calls under a second when overloaded
// (with 256, admitted calls waited up to 6 s there and some failed UNAVAILABLE waiting for a
// Redis connection).
inline constexpr int kDefaultMaxInFlight = 64;
// The retry delay an overloaded server gives (RetryInfo and grpc-retry-pushback-ms).
inline constexpr absl::Duration kDefaultOverloadRetryDelay = absl::Milliseconds(100);

struct AdmissionOptions {
  // Unary calls in flight (arrived and not yet finished) beyond which the server refuses new
  // calls; 0: no bound.
  int max_in_flight = kDefaultMaxInFlight;
  absl::Duration retry_delay = kDefaultOverloadRetryDelay;
};

// Server-wide admission control: a bound on the calls one server works on at once, so that an
// overloaded replica answers the calls it admits in bounded time and refuses the rest at once
// (RESOURCE_EXHAUSTED "server overloaded; retry in <delay>", with google.rpc.RetryInfo and
// grpc-retry-pushback-ms) instead of queueing every call until all are late. See
// docs/adr/0011-server-wide-admission-control.md.
//
// Two halves, because a gRPC server interceptor sees every call but cannot answer one itself:
//   - the interceptor (InterceptorFactory(), installed on the host) counts every unary call of
//     the application services from its arrival to its end, on sync and callback methods
//     alike, and decides on arrival: a call that arrives while `max_in_flight` calls are in
//     flight is marked to refuse (as is a new stream: open streams are not counted, a Subscribe
//     lives for hours);
//   - the handler refuses a marked call through auth::Authenticator, which every RPC calls
//     first and which asks Refuse() before it looks at the token.
// The health service, reflection and the /metrics endpoint never pass through the
// authenticator, so they are never refused. Refusals are counted in
// firegrid_grpc_overload_refused_total{method} (not in firegrid_grpc_rate_limited_total), the
// calls in flight are exported as firegrid_grpc_calls_in_flight.
class AdmissionControl final : public auth::Admission {
 public:
  // Registers its metrics in `metrics`, which must outlive every call through this object.
  AdmissionControl(AdmissionOptions options, MetricsRegistry* metrics);

  // The interceptor that counts and marks calls; install it before the RetryInfo interceptor
  // (retry_info.h), whose PRE_SEND_STATUS hook runs after this one's. Any number of factories
  // may be created; all share this object, which must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // The retry delay when the call of `ctx` was marked on arrival, else nullopt.
  std::optional<absl::Duration> Refuse(const grpc::ServerContextBase& ctx) override;
  bool Refused(const grpc::ServerContextBase& ctx) override;

  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  const AdmissionOptions& options() const { return options_; }

  // One call as the interceptor sees it (admission.cc).
  struct Call {
    std::atomic<bool> refused{false};  // Refuse() answered with a delay
  };

 private:
  friend class AdmissionInterceptor;
  // On arrival: counts a unary call, and returns whether the call must be refused (then it is
  // remembered under `ctx` until Finished()).
  bool Arrive(const grpc::ServerContextBase* ctx, bool unary, Call* call);
  void Finished(const grpc::ServerContextBase* ctx, bool unary, bool marked);
  void CountRefusal(const std::string& method);

  const AdmissionOptions options_;
  Family<Counter>& refused_;
  Gauge& in_flight_gauge_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> marked_count_{0};  // size of marked_, read without the lock
  absl::Mutex mu_;
  absl::flat_hash_map<const grpc::ServerContextBase*, Call*> marked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firegrid::server
