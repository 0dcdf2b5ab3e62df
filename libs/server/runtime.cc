#include "libs/server/runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/security/server_credentials.h"
#include "libs/audit/interceptor.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/common/stop_flag.h"
#include "libs/common/version.h"
#include "libs/events/kafka_security.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/observe.h"
#include "libs/server/retry_info.h"
#include "libs/server/shared_rate_limit.h"

namespace firegrid::server {

absl::StatusOr<std::string> ReadFlagFile(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

namespace {

// Methods whose requests may exceed --grpc-max-receive-message-bytes: their documented field
// limit plus room for the rest of the message. The one place such exceptions are made.
struct LargeRequestMethod {
  absl::string_view service;  // the runtime's service name
  absl::string_view method;
  int max_bytes;
};
constexpr int kMessageOverhead = 64 << 10;
constexpr LargeRequestMethod kLargeRequestMethods[] = {
    // ImportBuildingsCsvRequest.content: at most 4 MiB (Registry::kMaxImportBytes).
    {"buildings", "/firegrid.buildings.v1.BuildingService/ImportBuildingsCsv",
     (4 << 20) + kMessageOverhead},
    // ImportDevicesCsvRequest.csv: at most 8 MiB (kMaxDeviceImportBytes).
    {"monitoring", "/firegrid.monitoring.v1.MonitoringService/ImportDevicesCsv",
     (8 << 20) + kMessageOverhead},
};

}  // namespace

int MaxReceiveMessageBytes(absl::string_view service_name, int flag_bytes) {
  int bytes = flag_bytes;
  for (const LargeRequestMethod& m : kLargeRequestMethods) {
    if (m.service == service_name) bytes = std::max(bytes, m.max_bytes);
  }
  return bytes;
}

absl::StatusOr<std::unique_ptr<auth::ServiceToken>> NewServiceToken(const RuntimeConfig& config,
                                                                    const std::string& name,
                                                                    const std::string& token_file,
                                                                    Clock* clock) {
  auth::ServiceTokenOptions options{.service_name = name,
                                    .token_file = token_file,
                                    .issuer = config.jwt_issuer,
                                    .audience = config.jwt_audience};
  if (token_file.empty()) {
    FG_ASSIGN_OR_RETURN(options.hs256_key, Hs256Key(config));
  }
  return auth::ServiceToken::Create(std::move(options), clock);
}

absl::StatusOr<std::string> Hs256Key(const RuntimeConfig& config) {
  if (config.jwt_hs256_key_file.empty()) return std::string();
  if (!config.jwt_allow_hs256) {
    return absl::InvalidArgumentError(
        "--jwt-hs256-key-file: HS256 is for the local stack only (whoever holds its key can mint "
        "any token); set --jwt-allow-hs256 there, and elsewhere verify the identity provider's "
        "tokens (--jwt-rs256-public-key-file, --jwt-es256-public-key-file or --jwt-jwks-file)");
  }
  return ReadFlagFile(config.jwt_hs256_key_file, "jwt-hs256-key-file");
}

void BindRuntimeConfig(ConfigBinder& b, RuntimeConfig* c, int grpc_port, int metrics_port) {
  b.String("grpc-address", &c->grpc_address, absl::StrCat("0.0.0.0:", grpc_port),
           "gRPC listen address (port 0 picks a free port)");
  b.String("metrics-address", &c->metrics_address, absl::StrCat("0.0.0.0:", metrics_port),
           "HTTP address of /metrics and /healthz");
  b.String("redis-addr", &c->redis_addr, "127.0.0.1:6379", "Redis host:port");
  b.String("redis-user", &c->redis_user, "", "Redis ACL user (AUTH user password)");
  b.String("redis-password", &c->redis_password, "",
           "Redis AUTH password (prefer --redis-password-file)");
  b.String("redis-password-file", &c->redis_password_file, "",
           "file with the Redis AUTH password (a mounted secret)");
  b.String("redis-sentinels", &c->redis_sentinels, "",
           "Redis Sentinel addresses host:port,...: the master is found (and followed after a "
           "failover) through them instead of --redis-addr");
  b.String("redis-master-name", &c->redis_master_name, "",
           "the master's name at the sentinels (with --redis-sentinels)");
  b.Int("redis-wait-replicas", &c->redis_wait_replicas, 0,
        "replicas that must acknowledge each scripted write (WAIT) before a call returns; 0: "
        "none (a failover can lose the writes of the last moments)",
        0, 16);
  b.Duration("redis-wait-timeout", &c->redis_wait_timeout, absl::Seconds(1),
             "how long a write waits for --redis-wait-replicas", absl::Milliseconds(1),
             absl::Seconds(60));
  b.Int("redis-db", &c->redis_db, 0, "Redis database number", 0, 15);
  b.Int("redis-pool-size", &c->redis_pool_size, 8, "Redis connections at most", 1, 256);
  b.String("kafka-bootstrap", &c->kafka_bootstrap, "127.0.0.1:9092",
           "Kafka bootstrap servers (host:port,...)");
  b.Duration("kafka-fetch-wait", &c->kafka_fetch_wait, absl::Milliseconds(20),
             "longest wait of a consumer fetch for new events (fetch.wait.max.ms)",
             absl::Milliseconds(1), absl::Seconds(5));
  b.String("kafka-security-protocol", &c->kafka_security_protocol, "",
           "plaintext|ssl|sasl_plaintext|sasl_ssl (\"\": plaintext)");
  b.String("kafka-sasl-mechanism", &c->kafka_sasl_mechanism, "",
           "SCRAM-SHA-512|SCRAM-SHA-256|PLAIN (with a sasl_* protocol)");
  b.String("kafka-sasl-username", &c->kafka_sasl_username, "", "Kafka SASL user");
  b.String("kafka-sasl-password-file", &c->kafka_sasl_password_file, "",
           "file with the Kafka SASL password (a mounted secret)");
  b.String("kafka-ssl-ca-file", &c->kafka_ssl_ca_file, "",
           "PEM file of the CA of the brokers' certificates (else the system's)");
  b.String("kafka-ssl-cert-file", &c->kafka_ssl_cert_file, "",
           "PEM client certificate for TLS client authentication (with --kafka-ssl-key-file)");
  b.String("kafka-ssl-key-file", &c->kafka_ssl_key_file, "", "PEM key of --kafka-ssl-cert-file");
  b.Duration("kafka-linger", &c->kafka_linger, absl::Milliseconds(1),
             "how long the producer holds events to batch them (linger.ms); the outbox relay "
             "already sends what accumulated while its previous batch was in flight",
             absl::ZeroDuration(), absl::Seconds(1));
  b.Duration("kafka-session-timeout", &c->kafka_session_timeout, absl::Seconds(3),
             "how long the consumer group waits for a crashed member before moving its "
             "partitions (session.timeout.ms); a stock Kafka broker needs >= 6s",
             absl::Milliseconds(500), absl::Minutes(5));
  b.String("kafka-group-instance-id", &c->kafka_group_instance_id, "",
           "static consumer group membership (group.instance.id), unique per replica and stable "
           "across its restarts, e.g. the pod name; each consumer group appends its name");
  b.Bool("kafka-skip-retention-gap", &c->kafka_skip_retention_gap, false,
         "a consumer whose committed offset fell off the log (behind the topic's retention) "
         "logs the gap and goes on from the log start; without it that partition stops "
         "(firegrid.consumers NOT_SERVING) until this is set (runbook: libs/events/README.md)");
  b.Int("rate-limit", &c->rate_limit, kDefaultRateLimit,
        "requests per second one principal may make to the service, all its replicas together "
        "with --rate-limit-store=redis, to each replica with local (0: no limit)",
        0, 1000000);
  b.String("rate-limit-store", &c->rate_limit_store, "redis",
           "where the per-principal budgets live: redis (shared by the service's replicas; "
           "while Redis is unreachable each replica limits alone) or local (each replica's "
           "memory)",
           [](const std::string& v) {
             return v == "redis" || v == "local"
                        ? absl::OkStatus()
                        : absl::InvalidArgumentError("must be redis or local");
           });
  b.Int("rate-limit-burst", &c->rate_limit_burst, kDefaultRateLimitBurst,
        "burst of the per-principal rate limit", 1, 10000000);
  b.Int("auth-failure-limit", &c->auth_failure_limit, kDefaultAuthFailureLimit,
        "failed authentications one client address may make to one replica per "
        "--auth-failure-window before its calls are refused unverified (0: no limit)",
        0, 1000000);
  b.Duration("auth-failure-window", &c->auth_failure_window, absl::Minutes(1),
             "window of --auth-failure-limit (its budget refills evenly over it)", absl::Seconds(1),
             absl::Hours(24));
  b.String("jwt-hs256-key-file", &c->jwt_hs256_key_file, "",
           "file with the HS256 secret (the local stack only: needs --jwt-allow-hs256)");
  b.Bool("jwt-allow-hs256", &c->jwt_allow_hs256, false,
         "accept --jwt-hs256-key-file: a shared secret that verifies and mints tokens, for the "
         "local stack and the dev overlay only (never in production)");
  b.String("jwt-rs256-public-key-file", &c->jwt_rs256_public_key_file, "",
           "PEM file with the RS256 public key of the accounts service or identity provider "
           "(production; may be combined with --jwt-hs256-key-file)");
  b.String("jwt-es256-public-key-file", &c->jwt_es256_public_key_file, "",
           "PEM file with the ES256 (P-256) public key of the identity provider");
  b.String("jwt-jwks-file", &c->jwt_jwks_file, "",
           "JSON Web Key Set file of the identity provider (its RS256 and ES256 keys; a token's "
           "kid picks the key)");
  b.String("jwt-issuer", &c->jwt_issuer, "", "required token issuer (iss), when set");
  b.String("jwt-audience", &c->jwt_audience, "", "required token audience (aud), when set");
  b.Duration("jwt-max-lifetime", &c->jwt_max_lifetime, absl::Hours(24),
             "longest accepted token lifetime (exp - iat; exp - now for a token without iat)",
             absl::Minutes(1), absl::Hours(24 * 30));
  b.String("log-level", &c->log_level, "info", "debug|info|warning|error",
           [](const std::string& v) {
             return v == "debug" || v == "info" || v == "warning" || v == "error"
                        ? absl::OkStatus()
                        : absl::InvalidArgumentError("must be debug, info, warning or error");
           });
  b.Duration("drain-grace", &c->drain_grace, absl::ZeroDuration(),
             "on SIGTERM, how long the server reports NOT_SERVING while still answering calls, "
             "before it stops taking new ones (clients and load balancers move away first; k8s "
             "sets 5s)",
             absl::ZeroDuration(), absl::Minutes(5));
  b.Duration("drain-timeout", &c->drain_timeout, absl::Seconds(10),
             "how long in-flight RPCs get on SIGTERM", absl::ZeroDuration(), absl::Minutes(5));
  b.Duration("audit-retention", &c->audit_retention, absl::Hours(24 * 365),
             "how long audit records are kept (network logs: at least 6 months by law)",
             absl::Hours(1), absl::Hours(24 * 365 * 10));
  b.String("tls-cert-file", &c->tls_cert_file, "", "PEM certificate chain of the gRPC port (TLS)");
  b.String("tls-key-file", &c->tls_key_file, "", "PEM private key of the gRPC port (TLS)");
  b.String("tls-client-ca-file", &c->tls_client_ca_file, "",
           "PEM CA that client certificates must chain to (mTLS); requires TLS");
  b.String("tls-ca-file", &c->tls_ca_file, "",
           "PEM CA of the services this one calls over gRPC: TLS for those calls, presenting "
           "--tls-cert-file as the client certificate (mTLS) when given");
  b.Duration("grpc-max-connection-age", &c->grpc_max_connection_age, absl::ZeroDuration(),
             "gRPC connections are closed (GOAWAY; calls in flight get 30 s) after this long, so "
             "that clients balancing round robin re-resolve and reach new replicas; 0: never. "
             "Streams end with it too (Subscribe clients resume from their cursor)",
             absl::ZeroDuration(), absl::Hours(24 * 365));
  b.Int("grpc-max-receive-message-bytes", &c->grpc_max_receive_message_bytes,
        kDefaultMaxReceiveMessageBytes,
        "largest request message accepted; a larger one is refused RESOURCE_EXHAUSTED naming "
        "the limit before any handler runs (the unary CSV imports of buildings and monitoring "
        "raise their service's limit to their own)",
        4 << 10, 64 << 20);
  b.Int("grpc-min-pollers", &c->grpc_min_pollers, 1,
        "threads of the gRPC server that always wait for calls", 1, 1024);
  b.Int("grpc-max-pollers", &c->grpc_max_pollers, kDefaultSyncMaxPollers,
        "threads of the gRPC server kept waiting for calls after serving one (at least "
        "--grpc-min-pollers; gRPC's default of 2 makes a loaded server create and end threads "
        "continually)",
        1, 1024);
  b.Int("max-in-flight", &c->max_in_flight, kDefaultMaxInFlight,
        "unary calls the server works on at once; beyond them new calls are refused "
        "RESOURCE_EXHAUSTED with a retry delay (health checks never are) (0: no bound)",
        0, 1000000);
}

void ParseConfigOrExit(ConfigBinder& binder, int argc, char** argv) {
  if (VersionRequested(argc, argv)) {
    const std::string program = argc > 0 ? argv[0] : "firegrid";
    std::printf("%s\n", VersionLine(program.substr(program.rfind('/') + 1)).c_str());
    std::exit(0);
  }
  absl::Status s = binder.Parse(argc, argv, ConfigBinder::ProcessEnv());
  if (ConfigBinder::IsHelp(s)) {
    std::fputs(binder.Usage().c_str(), stdout);
    std::fputs(kVersionFlagUsage, stdout);
    std::exit(0);
  }
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    log::Error("invalid configuration", {{"error", std::string(s.message())}});
    std::exit(2);
  }
}

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(const std::string& service_name,
                                                         const RuntimeConfig& c,
                                                         const std::string& key_prefix) {
  log::Init(service_name, log::ParseLevel(c.log_level, log::Level::kInfo));
#ifdef NDEBUG
  // absl's lock-order graph (deadlock detection) costs every Mutex acquisition a graph lookup
  // (about 2 % of a service's CPU under load): release builds of the services go without it;
  // debug builds and the tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  std::unique_ptr<Runtime> rt(new Runtime());
  rt->key_prefix_ = key_prefix;
  rt->kafka_bootstrap_ = c.kafka_bootstrap;
  rt->kafka_fetch_wait_ = c.kafka_fetch_wait;
  rt->kafka_session_timeout_ = c.kafka_session_timeout;
  rt->kafka_group_instance_id_ = c.kafka_group_instance_id;
  rt->kafka_skip_retention_gap_ = c.kafka_skip_retention_gap;
  rt->service_name_ = service_name;

  auth::VerifierOptions vo;
  FG_ASSIGN_OR_RETURN(vo.hs256_key, Hs256Key(c));
  if (!c.jwt_rs256_public_key_file.empty()) {
    FG_ASSIGN_OR_RETURN(vo.rs256_public_key_pem,
                        ReadFlagFile(c.jwt_rs256_public_key_file, "jwt-rs256-public-key-file"));
  }
  if (!c.jwt_es256_public_key_file.empty()) {
    FG_ASSIGN_OR_RETURN(vo.es256_public_key_pem,
                        ReadFlagFile(c.jwt_es256_public_key_file, "jwt-es256-public-key-file"));
  }
  if (!c.jwt_jwks_file.empty()) {
    FG_ASSIGN_OR_RETURN(std::string jwks, ReadFlagFile(c.jwt_jwks_file, "jwt-jwks-file"));
    absl::StatusOr<std::vector<auth::PublicKey>> keys = auth::ParseJwks(jwks);
    if (!keys.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--jwt-jwks-file ", c.jwt_jwks_file, ": ", keys.status().message()));
    }
    vo.jwks = *std::move(keys);
  }
  vo.issuer = c.jwt_issuer;
  vo.audience = c.jwt_audience;
  vo.max_lifetime = c.jwt_max_lifetime;
  auto verifier = auth::TokenVerifier::Create(vo);
  if (!verifier.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token verification: ", verifier.status().message(),
                     " (set --jwt-hs256-key-file, --jwt-rs256-public-key-file, "
                     "--jwt-es256-public-key-file or --jwt-jwks-file)"));
  }
  rt->verifier_ = std::move(*verifier);

  redis::PoolOptions po;
  FG_RETURN_IF_ERROR(redis::ParseAddress(c.redis_addr, &po));
  if (!c.redis_password.empty() && !c.redis_password_file.empty()) {
    return absl::InvalidArgumentError("--redis-password and --redis-password-file: give one");
  }
  if (!c.redis_sentinels.empty()) {
    if (c.redis_master_name.empty()) {
      return absl::InvalidArgumentError("--redis-sentinels needs --redis-master-name");
    }
    for (absl::string_view piece : absl::StrSplit(c.redis_sentinels, ',', absl::SkipWhitespace())) {
      po.sentinels.emplace_back(absl::StripAsciiWhitespace(piece));
    }
    for (const std::string& sentinel : po.sentinels) {
      redis::PoolOptions at;
      if (absl::Status s = redis::ParseAddress(sentinel, &at); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--redis-sentinels: ", s.message()));
      }
    }
    po.master_name = c.redis_master_name;
  }
  po.wait_replicas = c.redis_wait_replicas;
  po.wait_timeout = c.redis_wait_timeout;
  po.user = c.redis_user;
  po.password = c.redis_password;
  if (!c.redis_password_file.empty()) {
    FG_ASSIGN_OR_RETURN(po.password, ReadFlagFile(c.redis_password_file, "redis-password-file"));
  }
  if (!po.user.empty() && po.password.empty()) {
    return absl::InvalidArgumentError("--redis-user needs --redis-password-file");
  }
  po.db = c.redis_db;
  po.size = c.redis_pool_size;
  rt->redis_ = redis::Pool::Create(po);

  rt->limiter_prefix_ = key_prefix + ":ratelimit";
  if (c.rate_limit_store == "redis") {
    // A pool of its own: no WAIT for replicas (a lost limiter write costs nothing), and a short
    // timeout so that a hanging Redis costs each call little before the local fallback.
    redis::PoolOptions lo = po;
    lo.wait_replicas = 0;
    lo.connect_timeout = kRateLimitStoreTimeout;
    lo.command_timeout = kRateLimitStoreTimeout;
    rt->limiter_pool_ = redis::Pool::Create(lo);
  }
  if (c.rate_limit > 0) rt->limiter_ = rt->NewLimiter("", c.rate_limit, c.rate_limit_burst);
  if (c.auth_failure_limit > 0) {
    rt->failure_limiter_ = std::make_unique<auth::RateLimiter>(
        c.auth_failure_limit / absl::ToDoubleSeconds(c.auth_failure_window), c.auth_failure_limit,
        RealClock::Get());
  }

  events::KafkaSecurityOptions security{.protocol = c.kafka_security_protocol,
                                        .sasl_mechanism = c.kafka_sasl_mechanism,
                                        .sasl_username = c.kafka_sasl_username,
                                        .ssl_ca_file = c.kafka_ssl_ca_file,
                                        .ssl_cert_file = c.kafka_ssl_cert_file,
                                        .ssl_key_file = c.kafka_ssl_key_file};
  if (!c.kafka_sasl_password_file.empty()) {
    FG_ASSIGN_OR_RETURN(security.sasl_password,
                        ReadFlagFile(c.kafka_sasl_password_file, "kafka-sasl-password-file"));
  }
  absl::StatusOr<std::map<std::string, std::string>> kafka_security =
      events::KafkaSecurityProperties(security);
  if (!kafka_security.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", kafka_security.status().message()));
  }
  rt->kafka_security_ = *std::move(kafka_security);
  events::ProducerOptions prod;
  prod.bootstrap_servers = c.kafka_bootstrap;
  prod.client_id = absl::StrCat("firegrid-", service_name);
  prod.extra = rt->kafka_security_;
  prod.extra["linger.ms"] = absl::StrCat(absl::ToInt64Milliseconds(c.kafka_linger));
  FG_ASSIGN_OR_RETURN(rt->producer_, events::KafkaProducer::Create(prod));

  events::OutboxRelayOptions ro;
  ro.outbox_key = key_prefix + ":outbox";
  FG_ASSIGN_OR_RETURN(rt->relay_,
                      events::OutboxRelay::Create(rt->redis_.get(), rt->producer_.get(), ro));

  HostOptions ho;
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert-file and --tls-key-file go together");
  }
  if (!c.tls_client_ca_file.empty() && c.tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-client-ca-file needs --tls-cert-file and --tls-key-file");
  }
  if (!c.tls_cert_file.empty()) {
    grpc::SslServerCredentialsOptions ssl(
        c.tls_client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                     : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    FG_ASSIGN_OR_RETURN(pair.cert_chain, ReadFlagFile(c.tls_cert_file, "tls-cert-file"));
    FG_ASSIGN_OR_RETURN(pair.private_key, ReadFlagFile(c.tls_key_file, "tls-key-file"));
    ssl.pem_key_cert_pairs.push_back(std::move(pair));
    if (!c.tls_client_ca_file.empty()) {
      FG_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                          ReadFlagFile(c.tls_client_ca_file, "tls-client-ca-file"));
    }
    ho.credentials = grpc::SslServerCredentials(ssl);
  }
  if (!c.tls_ca_file.empty()) {
    FG_ASSIGN_OR_RETURN(rt->client_tls_.ca_pem, ReadFlagFile(c.tls_ca_file, "tls-ca-file"));
    if (!c.tls_cert_file.empty()) {
      FG_ASSIGN_OR_RETURN(rt->client_tls_.cert_pem, ReadFlagFile(c.tls_cert_file, "tls-cert-file"));
      FG_ASSIGN_OR_RETURN(rt->client_tls_.key_pem, ReadFlagFile(c.tls_key_file, "tls-key-file"));
    }
  }
  ho.service_name = service_name;
  ho.grpc_address = c.grpc_address;
  ho.metrics_address = c.metrics_address;
  ho.drain_timeout = c.drain_timeout;
  ho.drain_grace = c.drain_grace;
  if (c.grpc_max_pollers < c.grpc_min_pollers) {
    return absl::InvalidArgumentError("--grpc-max-pollers must be at least --grpc-min-pollers");
  }
  ho.max_connection_age = c.grpc_max_connection_age == absl::ZeroDuration()
                              ? absl::InfiniteDuration()
                              : c.grpc_max_connection_age;
  ho.max_receive_message_bytes =
      MaxReceiveMessageBytes(service_name, c.grpc_max_receive_message_bytes);
  ho.sync_min_pollers = c.grpc_min_pollers;
  ho.sync_max_pollers = c.grpc_max_pollers;
  rt->host_ = std::make_unique<ServiceHost>(ho);
  // Admission first among the runtime's interceptors: its PRE_SEND_STATUS hook gives an
  // overload refusal its RetryInfo before the RetryInfo interceptor counts rate-limit refusals.
  rt->admission_ = std::make_unique<AdmissionControl>(
      AdmissionOptions{.max_in_flight = c.max_in_flight}, &rt->host_->metrics());
  rt->host_->AddInterceptorFactory(rt->admission_->InterceptorFactory());
  rt->authenticator_ = std::make_unique<auth::Authenticator>(
      rt->verifier_.get(), RealClock::Get(), rt->limiter_.get(), rt->failure_limiter_.get(),
      rt->admission_.get());
  rt->audit_log_ =
      std::make_unique<audit::AuditLog>(rt->redis_.get(), RealClock::Get(),
                                        audit::AuditLogOptions{.key_prefix = key_prefix + ":audit",
                                                               .service = service_name,
                                                               .retention = c.audit_retention});
  rt->audit_recorder_ = std::make_unique<audit::Recorder>(rt->audit_log_.get());
  rt->audit_service_ =
      std::make_unique<audit::AuditGrpcService>(rt->audit_log_.get(), rt->authenticator_.get());
  rt->host_->AddService(rt->audit_service_.get());
  rt->host_->AddInterceptorFactory(
      std::make_unique<RetryInfoInterceptorFactory>(&rt->host_->metrics()));
  if (auto* shared = dynamic_cast<RedisRateLimiter*>(rt->limiter_.get()); shared != nullptr) {
    FG_RETURN_IF_ERROR(rt->host_->metrics().AddCounterCallback(
        "firegrid_rate_limit_store_failures_total",
        "Rate-limited calls charged to the replica's own bucket because the shared store "
        "(Redis) failed",
        [shared]() -> std::vector<std::pair<Labels, double>> {
          return {{Labels{}, static_cast<double>(shared->store_failures())}};
        }));
  }
  rt->host_->AddInterceptorFactory(std::make_unique<audit::AuditInterceptorFactory>(
      rt->audit_recorder_.get(), rt->verifier_.get(), RealClock::Get(), rt->admission_.get()));
  {
    audit::Recorder* recorder = rt->audit_recorder_.get();
    FG_RETURN_IF_ERROR(rt->host_->metrics().AddCounterCallback(
        "firegrid_audit_append_failures_total",
        "State-changing calls whose audit record could not be written (logged with the call)",
        [recorder]() -> std::vector<std::pair<Labels, double>> {
          return {{Labels{}, static_cast<double>(recorder->failures())}};
        }));
  }
  FG_RETURN_IF_ERROR(rt->host_->metrics().AddCounterCallback(
      "firegrid_redis_atomic_write_conflicts_total",
      "Attempts of atomic writes that lost the race for a key they read (EXEC refused; the "
      "write read again)",
      []() -> std::vector<std::pair<Labels, double>> {
        return {{Labels{}, static_cast<double>(redis::AtomicWriteConflicts())}};
      }));
  Family<Histogram>* redis_latency = &rt->host_->metrics().AddHistogram(
      "firegrid_redis_command_duration_seconds",
      "Redis call latency (pool commands and pipelines, failed ones included), by command.",
      {.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5});
  // Process-wide: one Runtime per process (the latest one created wins).
  redis::SetCommandObserver([redis_latency](absl::string_view command, absl::Duration elapsed) {
    redis_latency->Get({{"command", std::string(command)}}).Observe(absl::ToDoubleSeconds(elapsed));
  });
  redis::Pool* pool = rt->redis_.get();
  events::KafkaProducer* producer = rt->producer_.get();
  events::OutboxRelay* relay = rt->relay_.get();
  rt->host_->AddReadinessCheck("redis", [pool] { return pool->Ping(); });
  // Calls are answered without the broker (events wait in the outbox), so it has a health name
  // of its own and does not take the service out of its load balancer.
  rt->host_->AddDependencyCheck("kafka", std::string(kKafkaHealthName),
                                [producer] { return producer->Check(absl::Seconds(2)); });
  FG_RETURN_IF_ERROR(rt->host_->metrics().AddGaugeCallback(
      "firegrid_outbox_backlog", "Events written to the outbox and not yet confirmed by Kafka",
      [relay]() -> std::vector<std::pair<Labels, double>> {
        return {{Labels{}, static_cast<double>(relay->Backlog())}};
      }));
  FG_RETURN_IF_ERROR(rt->host_->metrics().AddGaugeCallback(
      "firegrid_outbox_oldest_age_seconds",
      "How long the oldest event in the outbox has waited for Kafka (0 when empty)",
      [relay]() -> std::vector<std::pair<Labels, double>> {
        absl::StatusOr<absl::Duration> age = relay->OldestAge();
        if (!age.ok()) return {};  // Redis unreachable: no sample rather than a wrong one
        return {{Labels{}, absl::ToDoubleSeconds(*age)}};
      }));
  return rt;
}

struct Runtime::Periodic {
  std::string name;
  absl::Duration interval;
  std::function<absl::Status()> task;
  StopFlag stop;  // monotonic waits: a wall-clock step never stretches the interval
  std::thread thread;

  void Run() {
    do {
      absl::Status s = task();
      if (!s.ok()) {
        log::Warn("periodic task failed", {{"task", name}, {"error", std::string(s.message())}});
      }
    } while (!stop.WaitFor(interval));
  }
};

Runtime::~Runtime() {
  if (host_ != nullptr) {
    redis::SetCommandObserver(nullptr);
    host_->metrics().RemoveGaugeCallback("firegrid_outbox_backlog");
    host_->metrics().RemoveGaugeCallback("firegrid_outbox_oldest_age_seconds");
    host_->metrics().RemoveGaugeCallback("firegrid_consumer_lag");
    host_->metrics().RemoveGaugeCallback("firegrid_consumer_retention_gap_events");
    host_->metrics().RemoveGaugeCallback("firegrid_events_dead_lettered_total");
    host_->metrics().RemoveGaugeCallback("firegrid_audit_append_failures_total");
    host_->metrics().RemoveGaugeCallback("firegrid_redis_atomic_write_conflicts_total");
    host_->metrics().RemoveGaugeCallback("firegrid_rate_limit_store_failures_total");
  }
}

std::unique_ptr<auth::Limiter> Runtime::NewLimiter(const std::string& name, double rate_per_second,
                                                   double burst) const {
  if (limiter_pool_ == nullptr) {
    return std::make_unique<auth::RateLimiter>(rate_per_second, burst, RealClock::Get());
  }
  return std::make_unique<RedisRateLimiter>(
      limiter_pool_.get(),
      RedisRateLimiterOptions{
          .key_prefix = name.empty() ? limiter_prefix_ : absl::StrCat(limiter_prefix_, ":", name),
          .rate_per_second = rate_per_second,
          .burst = burst});
}

std::shared_ptr<grpc::Channel> Runtime::NewChannel(const std::string& target) const {
  return NewClientChannel(target, client_tls_);
}

absl::Status Runtime::AddConsumer(const std::string& group, std::vector<std::string> topics,
                                  events::Handler handler, int members) {
  if (members < 1) return absl::InvalidArgumentError("consumer: members must be at least 1");
  events::ConsumerOptions o;
  o.bootstrap_servers = kafka_bootstrap_;
  o.group_id = group;
  o.topics = std::move(topics);
  o.handler = std::move(handler);
  o.dlq_producer = producer_.get();
  for (const std::string& topic : o.topics) groups_by_topic_[topic].insert(group);
  o.client_id = absl::StrCat("firegrid-", service_name_);
  o.extra = kafka_security_;
  o.extra["fetch.wait.max.ms"] = absl::StrCat(absl::ToInt64Milliseconds(kafka_fetch_wait_));
  o.session_timeout = kafka_session_timeout_;
  if (!kafka_group_instance_id_.empty()) {
    o.group_instance_id = absl::StrCat(kafka_group_instance_id_, "-", group);
  }
  o.skip_retention_gap = kafka_skip_retention_gap_;
  const bool first = consumers_.empty();
  for (int n = 0; n < members; ++n) {
    events::ConsumerOptions member = o;
    if (n > 0 && !o.group_instance_id.empty()) {
      member.group_instance_id = absl::StrCat(o.group_instance_id, "-", n);
    }
    FG_ASSIGN_OR_RETURN(std::unique_ptr<events::Consumer> c,
                        events::Consumer::Create(std::move(member)));
    consumers_.push_back(std::move(c));
  }
  if (first) {
    FG_RETURN_IF_ERROR(host_->metrics().AddCounterCallback(
        "firegrid_events_dead_lettered_total",
        "Events this replica gave up on and sent to <topic>.dlq, by original topic",
        [this]() -> std::vector<std::pair<Labels, double>> {
          std::map<std::string, double> by_topic;
          for (const auto& c : consumers_) {
            for (const auto& [topic, n] : c->DeadLetteredByTopic()) by_topic[topic] += n;
          }
          std::vector<std::pair<Labels, double>> out;
          for (const auto& [topic, n] : by_topic) out.push_back({Labels{{"topic", topic}}, n});
          return out;
        }));
    FG_RETURN_IF_ERROR(host_->metrics().AddGaugeCallback(
        "firegrid_consumer_lag", "Messages on a partition not yet processed by this replica",
        [this]() -> std::vector<std::pair<Labels, double>> {
          std::vector<std::pair<Labels, double>> out;
          for (const auto& c : consumers_) {
            for (const auto& l : c->Lag()) {
              out.push_back({Labels{{"topic", l.topic}, {"partition", absl::StrCat(l.partition)}},
                             static_cast<double>(l.lag)});
            }
          }
          return out;
        }));
    FG_RETURN_IF_ERROR(host_->metrics().AddGaugeCallback(
        "firegrid_consumer_retention_gap_events",
        "Events a consumer group never processed because its committed offset fell off the "
        "log, per partition met since start (stopped=true: the partition waits for an operator)",
        [this]() -> std::vector<std::pair<Labels, double>> {
          std::vector<std::pair<Labels, double>> out;
          for (const auto& c : consumers_) {
            for (const auto& g : c->RetentionGaps()) {
              out.push_back(
                  {Labels{{"topic", g.topic},
                          {"partition", absl::StrCat(g.partition)},
                          {"stopped", g.skipped ? "false" : "true"}},
                   static_cast<double>(std::max<int64_t>(0, g.log_start - g.committed_offset))});
            }
          }
          return out;
        }));
    host_->AddDependencyCheck("consumers", std::string(kConsumersHealthName),
                              [this]() -> absl::Status {
                                for (const auto& c : consumers_) FG_RETURN_IF_ERROR(c->Check());
                                return absl::OkStatus();
                              });
  }
  return absl::OkStatus();
}

void Runtime::AddPeriodic(std::string name, absl::Duration interval,
                          std::function<absl::Status()> task) {
  auto p = std::make_unique<Periodic>();
  p->name = std::move(name);
  p->interval = interval;
  p->task = std::move(task);
  periodic_.push_back(std::move(p));
}

void Runtime::HostDeadLetters() {
  if (groups_by_topic_.empty()) return;
  // The Kafka client (its threads and broker connections) only once an operator reads.
  dlq_reader_ = std::make_unique<events::LazyDlqReader>(
      [bootstrap = kafka_bootstrap_,
       security = kafka_security_]() -> absl::StatusOr<std::unique_ptr<events::DlqReader>> {
        return events::KafkaDlqReader::Create(bootstrap, security);
      });
  dlq_states_ = std::make_unique<events::RedisDeadLetterStateStore>(redis_.get(), key_prefix_);
  dlq_desk_ = std::make_unique<events::DeadLetterDesk>(
      dlq_reader_.get(), producer_.get(), dlq_states_.get(),
      events::DeadLetterDeskOptions{.groups_by_topic = groups_by_topic_});
  dlq_service_ =
      std::make_unique<events::DeadLetterGrpcService>(dlq_desk_.get(), authenticator_.get());
  host_->AddService(dlq_service_.get());
}

absl::Status Runtime::PrepareKeyspace(const redis::Schema& schema) {
  absl::StatusOr<redis::SchemaOutcome> out =
      redis::EnsureSchema(*redis_, key_prefix_, schema, redis::SchemaOptions());
  if (!out.ok()) return out.status();
  log::Info("keyspace ready", {{"prefix", key_prefix_},
                               {"schema_version", out->version},
                               {"found", out->found},
                               {"unversioned", out->unversioned},
                               {"migrations_applied", out->applied}});
  keyspace_prepared_ = true;
  return absl::OkStatus();
}

int Runtime::Serve() {
  if (!keyspace_prepared_) {
    log::Error("the keyspace was not prepared (Runtime::PrepareKeyspace)",
               {{"prefix", key_prefix_}});
    return 1;
  }
  HostDeadLetters();
  absl::Status s = host_->Start();
  if (!s.ok()) {
    log::Error("service failed to start", {{"error", std::string(s.message())}});
    return 1;
  }
  relay_->Start();
  for (auto& c : consumers_) {
    if (absl::Status cs = c->Start(); !cs.ok()) {
      log::Error("consumer failed to start", {{"error", std::string(cs.message())}});
      host_->Shutdown();
    }
  }
  for (auto& p : periodic_) {
    Periodic* raw = p.get();
    p->thread = std::thread([raw] { raw->Run(); });
  }
  host_->Wait();
  for (auto& p : periodic_) {
    p->stop.Stop();
    if (p->thread.joinable()) p->thread.join();
  }
  for (auto& c : consumers_) c->Stop();
  relay_->Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace firegrid::server
