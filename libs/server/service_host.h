#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/support/server_interceptor.h"
#include "libs/common/stop_flag.h"
#include "libs/server/metrics.h"

namespace httplib {
class Server;
}

namespace firegrid::server {
namespace internal {
class RpcMetrics;
}

// The default HostOptions::sync_max_pollers (bench/README.md, credit_profile_bench: with
// gRPC's default of 2 a loaded server spends much of its time creating and ending threads).
inline constexpr int kDefaultSyncMaxPollers = 32;

struct HostOptions {
  std::string service_name;                          // e.g. "buildings"; used in logs and metrics
  std::string grpc_address = "0.0.0.0:50051";        // port 0 picks a free port
  std::string metrics_address = "0.0.0.0:9464";      // HTTP /metrics and /healthz; port 0 as well
  absl::Duration drain_timeout = absl::Seconds(10);  // in-flight RPCs get this long on shutdown
  // On shutdown, first this long of reporting NOT_SERVING (health, /readyz) while still
  // answering every call, so that load balancers and clients that health-check (the firegrid
  // clients, libs/server/client_channel.h) move away before the server stops taking new calls;
  // then GOAWAY and drain_timeout for the calls in flight. Zero: stop taking calls at once.
  absl::Duration drain_grace = absl::ZeroDuration();
  absl::Duration readiness_interval = absl::Seconds(1);
  // gRPC server credentials (e.g. grpc::SslServerCredentials for mTLS); nullptr = plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Threads of the synchronous gRPC server (grpc::ServerBuilder::SetSyncServerOption): at least
  // `sync_min_pollers` wait for calls; a thread that finishes a call keeps waiting for the next
  // while fewer than `sync_max_pollers` do, and ends otherwise. gRPC's own default maximum (2)
  // makes a server under load create and end threads continually; see
  // kDefaultSyncMaxPollers. 1 <= min <= max.
  int sync_min_pollers = 1;
  int sync_max_pollers = kDefaultSyncMaxPollers;
  // Connections are closed (GOAWAY, calls in flight finish within the grace) after this long, so
  // that clients balancing round robin over a headless Service re-resolve and spread over
  // replicas added since. InfiniteDuration (the default): never.
  absl::Duration max_connection_age = absl::InfiniteDuration();
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  // The largest request message the server accepts, in bytes (gRPC refuses a larger one
  // RESOURCE_EXHAUSTED "Received message larger than max (<size> vs. <limit>)" before any
  // handler runs). 0: gRPC's default (4 MiB). Runtime sets it from
  // --grpc-max-receive-message-bytes and the service's large-request methods.
  int max_receive_message_bytes = 0;
  // Register the services after gRPC's builder has chosen its threading (HostPlugin in
  // service_host.cc), so that a server with callback methods among synchronous ones is not
  // "hybrid" (its synchronous calls then never wait for gRPC's two callback threads). Off by
  // default: with it, callback reads (GetProfile, GetHazard) were sometimes not answered in the
  // end-to-end tests that step the services' wall clock forward by days, for a reason not found
  // yet (bench/README.md, notify_latency_bench).
  bool register_after_threading_choice = false;
};

// Bootstrap shared by every firegrid service: a gRPC server with grpc.health.v1 and server
// reflection, per-method request metrics, a Prometheus /metrics endpoint, readiness checks
// driving the health status, and graceful shutdown on SIGTERM/SIGINT.
//
//   int main(int argc, char** argv) {
//     firegrid::server::ServiceHost::InstallSignalHandlers();  // before any other thread
//     ... parse config, build adapters and services ...
//     firegrid::server::ServiceHost host({.service_name = "buildings", ...});
//     host.AddService(&grpc_service);
//     host.AddReadinessCheck("redis", [&] { return redis.Ping(); });
//     if (auto s = host.Start(); !s.ok()) { log::Error(...); return 1; }
//     host.Wait();  // until SIGTERM/SIGINT or Shutdown(); then drains
//   }
//
// Metrics it exports: firegrid_grpc_requests_total{method,code} (every call, when its status is
// sent), firegrid_grpc_request_duration_seconds{method} (unary calls only),
// firegrid_grpc_streams_active{method} and firegrid_grpc_stream_messages_sent_total{method}
// (streaming calls; methods the server does not implement are labelled "unknown", so clients
// cannot blow up label cardinality), the process_* metrics, firegrid_build_info, firegrid_ready,
// firegrid_readiness_check_ok{check} and firegrid_dependency_up{dependency}.
//
// Health names: "" and each served service's name follow the readiness checks (what the
// service needs to answer calls, e.g. Redis); each dependency check has a health name of its
// own (e.g. "firegrid.kafka") and affects nothing else; kLivenessName is SERVING while the
// process serves.
// The grpc.health.v1 service name for liveness probes: SERVING from Start() until shutdown,
// independent of readiness.
inline constexpr absl::string_view kLivenessName = "liveness";

class ServiceHost {
 public:
  explicit ServiceHost(HostOptions options);
  // Shuts down and drains if Start() succeeded and Wait() did not already drain.
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Routes SIGTERM and SIGINT to Shutdown() of every started ServiceHost, and ignores SIGPIPE.
  //
  // Design: the signals are blocked (pthread_sigmask) in the calling thread, and every thread
  // created afterwards inherits the mask, so the kernel never runs a handler on an arbitrary
  // thread (where only async-signal-safe calls would be allowed). A dedicated thread takes them
  // with sigwait(2) and, being an ordinary thread, may lock mutexes, log and call Shutdown().
  // Call it first in main(), before any thread exists (gRPC, Kafka and Redis clients start
  // threads); a thread created earlier would still receive the default action. A signal that
  // arrives before a host starts is remembered: that host shuts down as soon as it starts.
  // A second signal while draining exits the process at once (exit code 128 + signal).
  // Idempotent.
  static absl::Status InstallSignalHandlers();

  // Before Start(). The service is not owned and must outlive the host.
  void AddService(grpc::Service* service);
  // Before Start(). Runs after the host's own interceptors (input checks, metrics), so it sees
  // the final status of each call (e.g. the audit log's, libs/audit/interceptor.h).
  void AddInterceptorFactory(
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> factory);
  // Any time. Checks run on the readiness thread every readiness_interval; they must be quick
  // and bounded (use their own timeouts). The host is ready while all of them return OK.
  void AddReadinessCheck(std::string name, std::function<absl::Status()> check);
  // Any time. A dependency the service answers calls without (e.g. the broker: events wait in
  // the outbox): the health service `health_name` (e.g. "firegrid.kafka") is SERVING while
  // `check` passes, exported as firegrid_dependency_up{dependency=name}. It does not affect
  // readiness ("" and the services' names). Runs on the readiness thread like the checks above.
  void AddDependencyCheck(std::string name, std::string health_name,
                          std::function<absl::Status()> check);
  MetricsRegistry& metrics() { return metrics_; }

  // Builds and starts the gRPC server and the metrics endpoint, runs the readiness checks once
  // (so the health status is right from the first probe), starts the readiness thread, and
  // logs the JSON line {"msg":"listening","grpc":"<host>:<port>","metrics":"<host>:<port>",…}
  // (host 127.0.0.1 for a wildcard address), which scripts and tests wait for. INVALID_ARGUMENT for bad options,
  // UNAVAILABLE when a port cannot be bound, FAILED_PRECONDITION when called twice.
  absl::Status Start();
  int grpc_port() const;
  int metrics_port() const;
  bool ready() const;  // the result of the latest readiness round

  // Blocks until Shutdown() is called or a signal arrives (see InstallSignalHandlers), then
  // drains: stop the readiness thread, health NOT_SERVING, stop accepting RPCs and give
  // in-flight ones drain_timeout before cancelling them, stop the metrics endpoint. Returns when
  // done. Several threads may wait; one drains, all return when it is done. gRPC waits for sync
  // handlers to return even after cancelling them, so long-running handlers must watch
  // ServerContext::IsCancelled() (or use deadlines) for the drain to end on time.
  void Wait();
  // Requests shutdown; returns at once. Callable from any thread, including RPC handlers.
  void Shutdown();

 private:
  struct Check {
    std::string name;
    std::function<absl::Status()> fn;
    std::string health_name;  // empty: a readiness check; else a dependency check's own name
  };
  enum class State { kNew, kStarting, kRunning, kDraining, kStopped };

  void RunReadinessRound();
  void ReadinessLoop();
  void Drain();
  void StopAfterFailedStart();
  bool WaitCanProceed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Stopped() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return state_ == State::kStopped; }

  const HostOptions options_;
  MetricsRegistry metrics_;
  Family<Gauge>& ready_gauge_;
  Family<Gauge>& check_gauge_;
  Family<Gauge>& dependency_gauge_;
  std::unique_ptr<internal::RpcMetrics> rpc_metrics_;

  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kNew;
  bool shutdown_requested_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<grpc::Service*> services_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptor_factories_ ABSL_GUARDED_BY(mu_);
  std::vector<Check> checks_ ABSL_GUARDED_BY(mu_);
  int grpc_port_ ABSL_GUARDED_BY(mu_) = 0;
  int metrics_port_ ABSL_GUARDED_BY(mu_) = 0;

  StopFlag readiness_stop_;  // ends the readiness loop (monotonic waits, see stop_flag.h)

  // Touched only by the readiness thread (and by Start before that thread exists).
  int ready_state_ = -1;  // -1 unknown, 0 not ready, 1 ready
  std::atomic<bool> ready_{false};
  std::vector<std::string> health_names_;        // "" and each served service; set in Start
  std::map<std::string, int> dependency_state_;  // health name -> -1/0/1 as ready_state_

  // Owned by Start() / Drain() (never concurrently: state_ serialises them).
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  std::thread readiness_thread_;
};

}  // namespace firegrid::server
