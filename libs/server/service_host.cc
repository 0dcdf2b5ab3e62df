#include "libs/server/service_host.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/impl/server_initializer.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_interceptor.h"
#include "httplib.h"
#include "libs/common/logging.h"
#include "libs/common/trace.h"
#include "libs/server/callback_unary.h"
#include "libs/server/input_interceptor.h"
#include "libs/server/process_metrics.h"

namespace firegrid::server {
namespace {

constexpr char kHealthService[] = "grpc.health.v1.Health";
constexpr char kReflectionPrefix[] = "grpc.reflection.";
constexpr char kUnknownMethod[] = "unknown";
constexpr int kStatusCodes = 17;           // grpc::StatusCode OK (0) .. UNAUTHENTICATED (16)
constexpr size_t kMaxCachedMethods = 256;  // RpcMetrics::ForCall

// --- Process-wide signal routing (see InstallSignalHandlers) ---------------------------------

struct SignalState {
  absl::Mutex mu;
  std::vector<ServiceHost*> hosts ABSL_GUARDED_BY(mu);
  int received ABSL_GUARDED_BY(mu) = 0;
};

SignalState& Signals() {
  static SignalState* s = new SignalState();
  return *s;
}

// Runs on the sigwait thread, an ordinary thread: locking and logging are fine here.
void OnSignal(int sig) {
  SignalState& s = Signals();
  absl::MutexLock lock(&s.mu);
  if (++s.received > 1) {
    log::Error("second termination signal while draining; exiting now",
               {{"signal", strsignal(sig)}});
    std::_Exit(128 + sig);
  }
  log::Info("termination signal received; shutting down", {{"signal", strsignal(sig)}});
  for (ServiceHost* host : s.hosts) host->Shutdown();
}

void RegisterHost(ServiceHost* host) {
  SignalState& s = Signals();
  absl::MutexLock lock(&s.mu);
  s.hosts.push_back(host);
  if (s.received > 0) host->Shutdown();  // the signal came before this host started
}

void UnregisterHost(ServiceHost* host) {
  SignalState& s = Signals();
  absl::MutexLock lock(&s.mu);
  s.hosts.erase(std::remove(s.hosts.begin(), s.hosts.end(), host), s.hosts.end());
}

// --- Addresses --------------------------------------------------------------------------------

struct HostPort {
  std::string host;  // without IPv6 brackets
  int port = 0;
};

absl::StatusOr<HostPort> ParseHostPort(absl::string_view what, absl::string_view addr) {
  size_t colon = addr.rfind(':');
  HostPort hp;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(addr.substr(colon + 1), &hp.port) || hp.port < 0 || hp.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": '", addr, "' is not host:port (port 0 picks a free port)"));
  }
  absl::string_view host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  hp.host = std::string(host);
  return hp;
}

// The address other local processes use to reach a listener bound to `host`.
std::string DisplayHost(const std::string& host) {
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "localhost") {
    return "127.0.0.1";
  }
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]");
  return host;
}

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

// --- Per-method RPC metrics -------------------------------------------------------------------

namespace internal {

class RpcMetrics {
 public:
  explicit RpcMetrics(MetricsRegistry& registry)
      : requests_(registry.AddCounter(
            "firegrid_grpc_requests_total",
            "gRPC calls handled (unary and streaming), by method and status code.")),
        durations_(registry.AddHistogram("firegrid_grpc_request_duration_seconds",
                                         "Unary gRPC call latency (server side), by method.")),
        streams_active_(registry.AddGauge("firegrid_grpc_streams_active",
                                          "Streaming gRPC calls open now, by method.")),
        stream_messages_(registry.AddCounter("firegrid_grpc_stream_messages_sent_total",
                                             "Messages sent on streaming gRPC calls, by method.")) {
  }

  // The server's list of "package.Service" names (grpc::Server owns it; it is complete and
  // constant once the server has started, before any call).
  void SetServiceList(const std::vector<std::string>* services) { services_.store(services); }
  const std::vector<std::string>* service_list() const { return services_.load(); }

  struct Label {
    std::string label;      // the full path, or "unknown"
    bool verified = false;  // the method is in the service's descriptor
  };
  struct Method {
    explicit Method(Label l) : label(std::move(l.label)), verified(l.verified) {}
    const std::string label;
    const bool verified;
    // The method's metric children, looked up once per method (ForCall) instead of on every
    // call; a counter per status code as calls with that code come.
    std::atomic<Histogram*> duration{nullptr};
    std::array<std::atomic<Counter*>, kStatusCodes> requests{};
  };

  // The Method of a call's path, kept for the process's life so that a call costs no label
  // lookups. Only paths of served services are kept, and at most kMaxCachedMethods of them
  // (a served service without a descriptor, e.g. the health service, accepts any method name
  // here, so a client could otherwise grow the cache); past that a call gets a Method of its
  // own (`owned`).
  Method* ForCall(const char* path, std::unique_ptr<Method>* owned) {
    absl::string_view key = path == nullptr ? absl::string_view() : absl::string_view(path);
    {
      absl::ReaderMutexLock lock(&cache_mu_);
      auto it = cache_.find(key);
      if (it != cache_.end()) return it->second.get();
    }
    auto m = std::make_unique<Method>(Classify(path));
    if (m->label != kUnknownMethod) {
      absl::MutexLock lock(&cache_mu_);
      if (cache_.size() < kMaxCachedMethods) {
        return cache_.try_emplace(std::string(key), std::move(m)).first->second.get();
      }
    }
    *owned = std::move(m);
    return owned->get();
  }

  // The method label for a call: its full path if the server implements it, else "unknown".
  // Unimplemented paths are client-chosen; labelling them verbatim would let any client grow
  // the metrics without bound. The service must be one the server serves; for generated
  // services the method is checked against the descriptor. Services without a descriptor in
  // the generated pool (the built-in health service, hand-written ones) cannot be checked
  // here, so Record() relabels their UNIMPLEMENTED calls as "unknown".
  Label Classify(const char* method) const {
    Label unknown{kUnknownMethod, false};
    if (method == nullptr) return unknown;
    absl::string_view path(method);
    if (path.size() < 4 || path[0] != '/') return unknown;
    size_t slash = path.find('/', 1);
    if (slash == absl::string_view::npos || slash + 1 == path.size()) return unknown;
    std::string service(path.substr(1, slash - 1));
    const std::vector<std::string>* services = services_.load();
    if (services == nullptr ||
        std::find(services->begin(), services->end(), service) == services->end()) {
      return unknown;
    }
    const google::protobuf::ServiceDescriptor* desc =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    if (desc == nullptr) return Label{std::string(path), false};
    if (desc->FindMethodByName(std::string(path.substr(slash + 1))) == nullptr) return unknown;
    return Label{std::string(path), true};
  }

  // A stream's lifetime says nothing about latency: streams are counted apart (active, messages
  // sent) and stay out of the latency histogram.
  void StreamOpened(const Method& m) { streams_active_.Get({{"method", m.label}}).Add(1); }
  void StreamClosed(const Method& m) { streams_active_.Get({{"method", m.label}}).Add(-1); }
  void StreamMessageSent(const Method& m) {
    stream_messages_.Get({{"method", m.label}}).Increment();
  }

  void Record(Method& m, bool streaming, grpc::StatusCode code, absl::Duration elapsed) {
    const bool relabel = !m.verified && code == grpc::StatusCode::UNIMPLEMENTED;
    const std::string& method = relabel ? unknown_ : m.label;
    const int index = static_cast<int>(code);
    if (relabel || index < 0 || index >= kStatusCodes) {
      requests_.Get({{"method", method}, {"code", StatusCodeName(code)}}).Increment();
    } else {
      Counter* counter = m.requests[index].load(std::memory_order_acquire);
      if (counter == nullptr) {
        counter = &requests_.Get({{"method", method}, {"code", StatusCodeName(code)}});
        m.requests[index].store(counter, std::memory_order_release);
      }
      counter->Increment();
    }
    if (!streaming) {
      const double seconds = absl::ToDoubleSeconds(elapsed);
      if (relabel) {
        durations_.Get({{"method", method}}).Observe(seconds);
      } else {
        Histogram* duration = m.duration.load(std::memory_order_acquire);
        if (duration == nullptr) {
          duration = &durations_.Get({{"method", method}});
          m.duration.store(duration, std::memory_order_release);
        }
        duration->Observe(seconds);
      }
    }
    if (log::Enabled(log::Level::kDebug)) {
      log::Debug("rpc finished", {{"method", method},
                                  {"code", StatusCodeName(code)},
                                  {"duration_ms", absl::ToDoubleMilliseconds(elapsed)}});
    }
  }

 private:
  Family<Counter>& requests_;
  Family<Histogram>& durations_;
  Family<Gauge>& streams_active_;
  Family<Counter>& stream_messages_;
  std::atomic<const std::vector<std::string>*> services_{nullptr};
  const std::string unknown_ = kUnknownMethod;
  absl::Mutex cache_mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace internal

namespace {

using internal::RpcMetrics;

// Records each call when its status is sent: by then the outcome is final, and a client that
// has seen the status will find the call counted. Streaming calls are also counted while open
// and per message sent.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(RpcMetrics* metrics, const char* path,
                     grpc::experimental::ServerRpcInfo::Type type)
      : metrics_(metrics),
        method_(metrics->ForCall(path, &owned_method_)),
        // Calls to unimplemented methods arrive as bidi streams; only real streams count as such.
        streaming_(type != grpc::experimental::ServerRpcInfo::Type::UNARY && method_->verified),
        start_(absl::Now()) {
    if (streaming_) metrics_->StreamOpened(*method_);
  }
  ~MetricsInterceptor() override {
    if (streaming_) metrics_->StreamClosed(*method_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (streaming_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      metrics_->StreamMessageSent(*method_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->Record(*method_, streaming_, methods->GetSendStatus().error_code(),
                       absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  RpcMetrics* metrics_;
  std::unique_ptr<RpcMetrics::Method> owned_method_;  // when the cache does not keep it
  RpcMetrics::Method* const method_;
  const bool streaming_;
  absl::Time start_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(RpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method(), info->type());
  }

 private:
  RpcMetrics* metrics_;
};

// The W3C trace context of every call, current on the handler's thread for the whole handler
// (callback methods: ServeUnary, callback_unary.h). gRPC runs these two hooks on
// the thread that runs a sync handler, right before and after it (unary and streaming alike); a
// server interceptor's hooks may run elsewhere (e.g. where the status is sent), so they cannot
// scope a thread-local context around the handler.
class TraceCallbacks final : public grpc::Server::GlobalCallbacks {
 public:
  void PreSynchronousRequest(grpc::ServerContext* ctx) override {
    Scopes().push_back(std::make_unique<trace::Scope>(TraceContextOf(*ctx)));
  }
  void PostSynchronousRequest(grpc::ServerContext*) override {
    if (!Scopes().empty()) Scopes().pop_back();
  }

 private:
  static std::vector<std::unique_ptr<trace::Scope>>& Scopes() {
    thread_local std::vector<std::unique_ptr<trace::Scope>> scopes;
    return scopes;
  }
};

// Process-wide and settable once (gRPC's rule); before the first server is built.
void InstallTraceCallbacks() {
  static std::once_flag once;
  std::call_once(once, [] { grpc::Server::SetGlobalCallbacks(new TraceCallbacks()); });
}

// A builder plugin, installed through a builder option: it hands the server's service list to
// RpcMetrics (grpc::ServerInitializer is the public way to get it) and registers the services.
//
// Why the services are registered here and not with ServerBuilder::RegisterService: a builder
// that sees a service with callback methods (e.g. GetBuilding, ServeUnary) among
// synchronous ones builds a "hybrid" server (grpc 1.51 ServerBuilder::BuildAndStart), whose
// synchronous completion queues do not poll: every connection's I/O then waits for the two
// threads of gRPC's callback queue ("nexting_thread"), which also run every callback, and
// synchronous calls queue behind them (bench/README.md, notify_latency_bench: report -> push
// p99 13 -> 110 ms with GetHazard on the callback API). Registered from InitServer, after the
// builder has made that choice, callback methods are served by gRPC's callback queue exactly
// as the built-in health service is (Server::Start registers it the same way), and the
// synchronous server keeps its polling threads. `has_sync_methods` tells the builder that
// synchronous methods come, so that it makes their completion queues. A host with no
// synchronous method registers through the builder as before (a server without any polled
// queue would not start).
class HostPlugin final : public grpc::ServerBuilderPlugin {
 public:
  HostPlugin(RpcMetrics* metrics, std::vector<grpc::Service*> services)
      : metrics_(metrics), services_(std::move(services)) {}
  std::string name() override { return "firegrid_host"; }
  void InitServer(grpc::ServerInitializer* si) override {
    metrics_->SetServiceList(si->GetServiceList());
    for (grpc::Service* s : services_) {
      // Not owned: the host's caller keeps each service alive while the server runs.
      si->RegisterService(std::shared_ptr<grpc::Service>(s, [](grpc::Service*) {}));
    }
  }
  void Finish(grpc::ServerInitializer*) override {}
  void ChangeArguments(const std::string&, void*) override {}
  bool has_sync_methods() const override {
    for (grpc::Service* s : services_) {
      if (s->has_synchronous_methods()) return true;
    }
    return false;
  }

 private:
  RpcMetrics* metrics_;
  const std::vector<grpc::Service*> services_;
};

class HostOption final : public grpc::ServerBuilderOption {
 public:
  HostOption(RpcMetrics* metrics, std::vector<grpc::Service*> services)
      : metrics_(metrics), services_(std::move(services)) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<HostPlugin>(metrics_, services_));
  }

 private:
  RpcMetrics* metrics_;
  const std::vector<grpc::Service*> services_;
};

}  // namespace

// --- ServiceHost ------------------------------------------------------------------------------

absl::Status ServiceHost::InstallSignalHandlers() {
  static const absl::Status* const status = [] {
    // A write to a closed socket must be an EPIPE error, not a process kill.
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr);
    if (rc != 0) {
      return new absl::Status(
          absl::InternalError(absl::StrCat("pthread_sigmask failed: ", strerror(rc))));
    }
    std::thread([set] {
      for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) == 0) OnSignal(sig);
      }
    }).detach();
    return new absl::Status();
  }();
  return *status;
}

ServiceHost::ServiceHost(HostOptions options)
    : options_(std::move(options)),
      ready_gauge_(metrics_.AddGauge("firegrid_ready",
                                     "1 while every readiness check passes (health SERVING).")),
      check_gauge_(metrics_.AddGauge("firegrid_readiness_check_ok",
                                     "1 if the readiness check passed in the latest round.")),
      dependency_gauge_(metrics_.AddGauge(
          "firegrid_dependency_up",
          "1 if the dependency (not needed to answer calls) was reachable in the latest round.")),
      rpc_metrics_(std::make_unique<RpcMetrics>(metrics_)) {
  ready_gauge_.Get().Set(0);
  RegisterBuildInfo(metrics_);
  if (absl::Status s = RegisterProcessMetrics(metrics_); !s.ok()) {
    log::Warn("process metrics unavailable", {{"error", s.ToString()}});
  }
}

ServiceHost::~ServiceHost() {
  UnregisterHost(this);
  Shutdown();
  Wait();
}

void ServiceHost::AddService(grpc::Service* service) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kNew) {
    log::Error("ServiceHost::AddService after Start is ignored");
    return;
  }
  services_.push_back(service);
}

void ServiceHost::AddInterceptorFactory(
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> factory) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kNew) {
    log::Error("ServiceHost::AddInterceptorFactory after Start is ignored");
    return;
  }
  interceptor_factories_.push_back(std::move(factory));
}

void ServiceHost::AddReadinessCheck(std::string name, std::function<absl::Status()> check) {
  absl::MutexLock lock(&mu_);
  checks_.push_back(Check{std::move(name), std::move(check), ""});
}

void ServiceHost::AddDependencyCheck(std::string name, std::string health_name,
                                     std::function<absl::Status()> check) {
  absl::MutexLock lock(&mu_);
  checks_.push_back(Check{std::move(name), std::move(check), std::move(health_name)});
}

int ServiceHost::grpc_port() const {
  absl::MutexLock lock(&mu_);
  return grpc_port_;
}

int ServiceHost::metrics_port() const {
  absl::MutexLock lock(&mu_);
  return metrics_port_;
}

bool ServiceHost::ready() const { return ready_.load(); }

absl::Status ServiceHost::Start() {
  std::vector<grpc::Service*> services;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      extra_interceptors;
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kNew) return absl::FailedPreconditionError("ServiceHost already started");
    state_ = State::kStarting;
    services = services_;
    extra_interceptors = std::move(interceptor_factories_);
  }
  auto fail = [this](absl::Status s) {
    StopAfterFailedStart();
    log::Error("service host failed to start", {{"error", s.ToString()}});
    return s;
  };
  if (options_.service_name.empty()) {
    return fail(absl::InvalidArgumentError("HostOptions.service_name: empty"));
  }
  if (options_.drain_timeout < absl::ZeroDuration() || options_.drain_grace < absl::ZeroDuration() ||
      options_.readiness_interval <= absl::ZeroDuration()) {
    return fail(absl::InvalidArgumentError(
        "HostOptions: drain_timeout and drain_grace must be >= 0 and readiness_interval > 0"));
  }
  if (options_.sync_min_pollers < 1 || options_.sync_max_pollers < options_.sync_min_pollers) {
    return fail(
        absl::InvalidArgumentError("HostOptions: need 1 <= sync_min_pollers <= sync_max_pollers"));
  }
  absl::StatusOr<HostPort> grpc_hp = ParseHostPort("grpc_address", options_.grpc_address);
  if (!grpc_hp.ok()) return fail(grpc_hp.status());
  absl::StatusOr<HostPort> metrics_hp = ParseHostPort("metrics_address", options_.metrics_address);
  if (!metrics_hp.ok()) return fail(metrics_hp.status());

  // gRPC server: health, reflection, metrics interceptor.
  InstallTraceCallbacks();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(
      options_.grpc_address,
      options_.credentials ? options_.credentials : grpc::InsecureServerCredentials(), &grpc_port);
  // Without this, a second process on the same port would silently share its traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (options_.max_receive_message_bytes > 0) {
    builder.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  }
  if (options_.max_connection_age != absl::InfiniteDuration()) {
    // gRPC takes an int of milliseconds (at most about 24 days).
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_MS,
        static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(options_.max_connection_age),
                                           std::numeric_limits<int>::max())));
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
        static_cast<int>(absl::ToInt64Milliseconds(options_.max_connection_age_grace)));
  }
  // With register_after_threading_choice, the services go through HostPlugin when any method
  // is synchronous (see there: a hybrid server's synchronous calls wait for gRPC's two callback
  // threads).
  const bool any_sync =
      options_.register_after_threading_choice &&
      std::any_of(services.begin(), services.end(),
                  [](grpc::Service* s) { return s->has_synchronous_methods(); });
  if (!any_sync) {
    for (grpc::Service* s : services) builder.RegisterService(s);
  }
  builder.SetOption(std::make_unique<HostOption>(
      rpc_metrics_.get(), any_sync ? services : std::vector<grpc::Service*>()));
  builder.SetSyncServerOption(grpc::ServerBuilder::MIN_POLLERS, options_.sync_min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::MAX_POLLERS, options_.sync_max_pollers);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<InputInterceptorFactory>());  // first: metrics see its code
  creators.push_back(std::make_unique<MetricsInterceptorFactory>(rpc_metrics_.get()));
  for (auto& f : extra_interceptors) creators.push_back(std::move(f));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port == 0) {
    return fail(
        absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", options_.grpc_address)));
  }

  // Health names: "" (the whole server) and every application service.
  health_names_ = {""};
  if (const std::vector<std::string>* list = rpc_metrics_->service_list()) {
    for (const std::string& name : *list) {
      if (name != kHealthService && !absl::StartsWith(name, kReflectionPrefix)) {
        health_names_.push_back(name);
      }
    }
  }
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return fail(absl::InternalError("gRPC health service missing"));
  for (const std::string& name : health_names_) health->SetServingStatus(name, false);
  // Liveness: SERVING while the process serves, whatever Redis and Kafka do, so that a
  // dependency outage makes pods unready (traffic moves) without restarting them.
  health->SetServingStatus(std::string(kLivenessName), true);

  // Metrics endpoint.
  http_ = std::make_unique<httplib::Server>();
  http_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  http_->set_keep_alive_timeout(1);
  // httplib's default sets SO_REUSEPORT, which would let a second process share the port.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });  // bounds how long stop() waits for idle scrapers
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.Render(), MetricsRegistry::kContentType);
  });
  // Plain-HTTP probes for when the gRPC port speaks TLS (Kubernetes' gRPC probes do not):
  // /healthz answers while the process serves (liveness), /readyz follows the readiness checks
  // exactly as the health service's "" does (503 while not ready and from the start of a drain).
  http_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const bool ready = ready_.load();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready\n", "text/plain; charset=utf-8");
  });
  int metrics_port = metrics_hp->port;
  if (metrics_port == 0) {
    metrics_port = http_->bind_to_any_port(metrics_hp->host);
  } else if (!http_->bind_to_port(metrics_hp->host, metrics_port)) {
    metrics_port = -1;
  }
  if (metrics_port <= 0) {
    return fail(
        absl::UnavailableError(absl::StrCat("cannot serve metrics on ", options_.metrics_address)));
  }
  http_thread_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs; wait for it so that a quick
  // shutdown cannot leave the listener thread running forever.
  const absl::Time http_deadline = absl::Now() + absl::Seconds(10);
  while (!http_->is_running() && absl::Now() < http_deadline) absl::SleepFor(absl::Milliseconds(1));
  if (!http_->is_running()) {
    return fail(absl::InternalError("metrics endpoint did not start"));
  }

  {
    absl::MutexLock lock(&mu_);
    grpc_port_ = grpc_port;
    metrics_port_ = metrics_port;
  }
  RunReadinessRound();
  readiness_thread_ = std::thread([this] { ReadinessLoop(); });
  {
    absl::MutexLock lock(&mu_);
    state_ = State::kRunning;
  }

  const std::string grpc_at = absl::StrCat(DisplayHost(grpc_hp->host), ":", grpc_port);
  const std::string metrics_at = absl::StrCat(DisplayHost(metrics_hp->host), ":", metrics_port);
  log::Info("listening",
            {{"grpc", grpc_at},
             {"metrics", metrics_at},
             {"services", absl::StrJoin(health_names_.begin() + 1, health_names_.end(), ",")}});

  RegisterHost(this);
  return absl::OkStatus();
}

void ServiceHost::StopAfterFailedStart() {
  if (http_) {
    if (http_->is_running()) http_->stop();
    if (http_thread_.joinable()) http_thread_.join();
    http_.reset();
  }
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }
  absl::MutexLock lock(&mu_);
  state_ = State::kStopped;
}

void ServiceHost::RunReadinessRound() {
  std::vector<Check> checks;
  {
    absl::MutexLock lock(&mu_);
    checks = checks_;
  }
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  std::vector<std::string> failures;
  for (const Check& c : checks) {
    absl::Status s = c.fn ? c.fn() : absl::InternalError("empty readiness check");
    if (c.health_name.empty()) {
      check_gauge_.Get({{"check", c.name}}).Set(s.ok() ? 1 : 0);
      if (!s.ok()) failures.push_back(absl::StrCat(c.name, ": ", s.ToString()));
      continue;
    }
    const int up = s.ok() ? 1 : 0;
    dependency_gauge_.Get({{"dependency", c.name}}).Set(up);
    auto [it, added] = dependency_state_.try_emplace(c.health_name, -1);
    if (it->second == up) continue;
    it->second = up;
    health->SetServingStatus(c.health_name, up == 1);
    if (up == 1) {
      log::Info("dependency up", {{"dependency", c.name}, {"health", c.health_name}});
    } else {
      log::Warn("dependency down; calls are still served",
                {{"dependency", c.name}, {"health", c.health_name}, {"error", s.ToString()}});
    }
  }
  const int now_ready = failures.empty() ? 1 : 0;
  ready_gauge_.Get().Set(now_ready);
  if (now_ready == ready_state_) return;
  ready_state_ = now_ready;
  ready_.store(now_ready == 1);
  for (const std::string& name : health_names_) health->SetServingStatus(name, now_ready == 1);
  if (now_ready == 1) {
    log::Info("ready: health SERVING");
  } else {
    log::Warn("not ready: health NOT_SERVING", {{"failing", failures}});
  }
}

void ServiceHost::ReadinessLoop() {
  for (;;) {
    if (readiness_stop_.WaitFor(options_.readiness_interval)) return;
    RunReadinessRound();
  }
}

void ServiceHost::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_requested_ = true;
}

bool ServiceHost::WaitCanProceed() const {
  return shutdown_requested_ && state_ != State::kStarting;
}

void ServiceHost::Wait() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &ServiceHost::WaitCanProceed));
  switch (state_) {
    case State::kNew:
      state_ = State::kStopped;
      return;
    case State::kRunning:
      state_ = State::kDraining;
      mu_.Unlock();
      Drain();
      mu_.Lock();
      state_ = State::kStopped;
      return;
    default:
      mu_.Await(absl::Condition(this, &ServiceHost::Stopped));
      return;
  }
}

void ServiceHost::Drain() {
  log::Info("draining", {{"drain_timeout_ms", absl::ToInt64Milliseconds(options_.drain_timeout)}});
  readiness_stop_.Stop();
  if (readiness_thread_.joinable()) readiness_thread_.join();
  ready_.store(false);
  ready_gauge_.Get().Set(0);
  // Probes and health-checking clients see NOT_SERVING first, while calls are still answered for
  // the grace; then no new calls are accepted (GOAWAY: clients retry elsewhere) and in-flight
  // ones get the drain timeout before gRPC cancels them.
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (options_.drain_grace > absl::ZeroDuration()) {
    log::Info("not serving before drain",
              {{"drain_grace_ms", absl::ToInt64Milliseconds(options_.drain_grace)}});
    absl::SleepFor(options_.drain_grace);
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.drain_timeout));
  server_->Wait();
  http_->stop();
  if (http_thread_.joinable()) http_thread_.join();
  log::Info("stopped");
}

}  // namespace firegrid::server
