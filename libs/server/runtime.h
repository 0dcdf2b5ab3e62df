#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/audit/audit_log.h"
#include "libs/audit/grpc_service.h"
#include "libs/audit/recorder.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/rate_limit.h"
#include "libs/auth/service_token.h"
#include "libs/auth/token.h"
#include "libs/server/client_channel.h"
#include "libs/common/config.h"
#include "libs/events/consumer.h"
#include "libs/events/dead_letters.h"
#include "libs/events/dead_letters_grpc.h"
#include "libs/events/outbox.h"
#include "libs/events/producer.h"
#include "libs/redis/pool.h"
#include "libs/redis/schema.h"
#include "libs/server/admission.h"
#include "libs/server/service_host.h"

namespace firegrid::server {

// What every firegrid service is configured with, bound to flags and FIREGRID_* variables by
// BindRuntimeConfig. Each service adds its own fields beside it.
struct RuntimeConfig {
  std::string grpc_address;
  std::string metrics_address;
  std::string redis_addr;
  std::string redis_user;           // ACL user (AUTH user password); "": the default user
  std::string redis_password;
  std::string redis_password_file;  // the password from a (secret) file instead
  // Redis with Sentinel (redis::PoolOptions::sentinels): "host:port,..." and the master's name;
  // when set, redis_addr is not used.
  std::string redis_sentinels;
  std::string redis_master_name;
  // Scripted writes wait for this many replicas to acknowledge them (WAIT); 0: not.
  int redis_wait_replicas = 0;
  absl::Duration redis_wait_timeout;
  int redis_db = 0;
  int redis_pool_size = 8;
  std::string kafka_bootstrap;
  // How long a consumer's fetch may wait for data (librdkafka fetch.wait.max.ms). A real broker
  // answers as soon as data arrives; the dev broker always waits this long, so it bounds the
  // event latency there. Short waits cost only empty fetches on an idle real cluster.
  absl::Duration kafka_fetch_wait;
  absl::Duration kafka_linger;
  // Consumer group session timeout and static membership id (see events::ConsumerOptions).
  absl::Duration kafka_session_timeout;
  std::string kafka_group_instance_id;
  // A consumer whose committed offset fell off the log goes on from the log start instead of
  // stopping that partition (events::ConsumerOptions::skip_retention_gap; the runbook's step).
  bool kafka_skip_retention_gap = false;
  // A secured Kafka (events::KafkaSecurityOptions): protocol, SASL user and password file, TLS
  // files; for the producer and every consumer.
  std::string kafka_security_protocol;
  std::string kafka_sasl_mechanism;
  std::string kafka_sasl_username;
  std::string kafka_sasl_password_file;
  std::string kafka_ssl_ca_file;
  std::string kafka_ssl_cert_file;
  std::string kafka_ssl_key_file;
  // Per-principal rate limit (requests per second and burst); on by default (100/s, bursts of
  // 500: a person never reaches it, a system's batch of hundreds of calls passes); 0 turns it
  // off. Benchmarks raise it (bench/README.md). With rate_limit_store "redis" (the default) the
  // budget is the service's, shared by its replicas (RedisRateLimiter: each replica limits
  // alone while Redis is unreachable); "local": each replica's own.
  int rate_limit = 0;
  int rate_limit_burst = 0;
  std::string rate_limit_store;
  // Failed authentications one client address may make to one replica per window before its
  // calls are refused unverified (RESOURCE_EXHAUSTED); 0 turns the throttle off.
  int auth_failure_limit = 0;
  absl::Duration auth_failure_window;
  std::string jwt_hs256_key_file;
  // HS256 is refused unless this is set (the local stack and the dev overlay).
  bool jwt_allow_hs256 = false;
  std::string jwt_rs256_public_key_file;
  std::string jwt_es256_public_key_file;
  std::string jwt_jwks_file;
  std::string jwt_issuer;
  std::string jwt_audience;
  // Longest accepted token lifetime (exp - iat; exp - now without iat).
  absl::Duration jwt_max_lifetime;
  std::string log_level;
  absl::Duration drain_timeout;
  absl::Duration drain_grace;
  // How long audit records are kept (libs/audit; at least six months by law, a year by default).
  absl::Duration audit_retention;
  // TLS for the gRPC port; with a client CA, clients must present certificates signed by it
  // (mTLS between services). Empty: plaintext (inside a mesh that does mTLS for us).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // The CA of the services this one calls over gRPC (NewChannel): with it, those calls use TLS
  // and present --tls-cert-file / --tls-key-file as the client certificate (mTLS) when given.
  std::string tls_ca_file;
  // Threads of the synchronous gRPC server (HostOptions::sync_min_pollers/sync_max_pollers).
  absl::Duration grpc_max_connection_age;  // HostOptions::max_connection_age
  // The largest request message of an ordinary method (MaxReceiveMessageBytes).
  int grpc_max_receive_message_bytes = 0;
  int grpc_min_pollers = 1;
  int grpc_max_pollers = kDefaultSyncMaxPollers;
  // Server-wide admission control (admission.h): unary calls in flight beyond which new calls
  // are refused RESOURCE_EXHAUSTED with a retry delay; 0: no bound.
  int max_in_flight = kDefaultMaxInFlight;
};

// The default limits (README.md, "Configuration"): per principal and replica 100 requests/s with
// bursts of 500; per client address and replica 30 failed authentications a minute.
inline constexpr int kDefaultRateLimit = 100;
inline constexpr int kDefaultRateLimitBurst = 500;
inline constexpr int kDefaultAuthFailureLimit = 30;
// How long a rate-limit check waits for Redis before the call is charged locally instead.
inline constexpr absl::Duration kRateLimitStoreTimeout = absl::Milliseconds(250);
// The default --grpc-max-receive-message-bytes: 1 MiB, far above any ordinary request (the
// largest are pages of ids and the 64 KiB chunks of a streamed import) and a quarter of gRPC's
// own default.
inline constexpr int kDefaultMaxReceiveMessageBytes = 1 << 20;

// The largest request message the gRPC server of `service_name` accepts: `flag_bytes`
// (--grpc-max-receive-message-bytes), or more when one of the service's methods takes larger
// requests (the table in runtime.cc: the unary CSV imports). gRPC enforces the limit per server,
// not per method: every method of such a service accepts the larger size, and checks its own
// fields' limits (INVALID_ARGUMENT naming the field).
int MaxReceiveMessageBytes(absl::string_view service_name, int flag_bytes);

// The grpc.health.v1 name that follows the broker; "" and the services' names follow Redis only.
inline constexpr absl::string_view kKafkaHealthName = "firegrid.kafka";
// The grpc.health.v1 name of the consumers: NOT_SERVING while one stopped at a retention gap.
inline constexpr absl::string_view kConsumersHealthName = "firegrid.consumers";

// The contents of the file a path flag names (a key, a password, a certificate), without
// trailing line breaks. INVALID_ARGUMENT "--<flag>: cannot read <path>" when unreadable.
absl::StatusOr<std::string> ReadFlagFile(const std::string& path, const std::string& flag);

// The HS256 key of --jwt-hs256-key-file ("" when unset). INVALID_ARGUMENT naming the flag when
// it is set without --jwt-allow-hs256 (HS256 keeps to the local stack: every holder of the key
// can mint tokens) or the file is unreadable.
absl::StatusOr<std::string> Hs256Key(const RuntimeConfig& config);

// The token service `name` sends when it calls another service as itself (auth::ServiceToken):
// from `token_file` (--service-token-file) when given, else minted with the runtime's HS256 key
// (--jwt-hs256-key-file, development), with the runtime's issuer and audience.
// INVALID_ARGUMENT naming the flag when neither is usable.
absl::StatusOr<std::unique_ptr<auth::ServiceToken>> NewServiceToken(const RuntimeConfig& config,
                                                                    const std::string& name,
                                                                    const std::string& token_file,
                                                                    Clock* clock);

// Binds the common flags with a service's default ports, e.g. 50051 and 9464.
void BindRuntimeConfig(ConfigBinder& binder, RuntimeConfig* config, int default_grpc_port,
                       int default_metrics_port);

// The shared wiring of a service: JSON logging, the Redis pool, the Kafka producer, the outbox
// relay of the service's outbox, the token verifier, and a ServiceHost whose readiness follows
// Redis (what calls need) and whose "firegrid.kafka" health follows the broker; /metrics exports
// the outbox backlog and the age of its oldest event. main() adds its gRPC service
// and consumers, then calls Serve().
class Runtime {
 public:
  // `key_prefix` is the service's Redis key prefix (e.g. "fg:hazards"): the runtime keeps the
  // outbox under "<prefix>:outbox" and the audit log under "<prefix>:audit".
  // Fails (and the service should exit non-zero) for unusable config: unreadable key files,
  // bad addresses, an invalid producer configuration.
  static absl::StatusOr<std::unique_ptr<Runtime>> Create(const std::string& service_name,
                                                         const RuntimeConfig& config,
                                                         const std::string& key_prefix);
  ~Runtime();

  redis::Pool& redis() { return *redis_; }
  // Brings the service's keyspace (everything under its key prefix) to `schema`'s layout
  // version (redis::EnsureSchema, libs/redis/schema.h): waits for Redis, runs the migrations
  // once however many replicas start together, stamps unversioned data as version 1, and fails
  // (the service exits non-zero) on a keyspace a newer release migrated, naming both versions.
  // main() calls it right after Create, before anything reads the store; Serve() refuses to
  // start a runtime whose keyspace was not prepared. How to roll forward and back:
  // docs/upgrades.md.
  absl::Status PrepareKeyspace(const redis::Schema& schema);
  // A channel to another service (client_channel.h): round robin over the target's addresses,
  // TLS / mTLS as --tls-ca-file and the service's certificate say.
  std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) const;
  events::KafkaProducer& producer() { return *producer_; }
  const auth::TokenVerifier& verifier() const { return *verifier_; }
  // Server-wide admission control (--max-in-flight), then token verification and the
  // per-principal rate limit; what every RPC calls first.
  const auth::Authenticator& authenticator() const { return *authenticator_; }
  // The per-principal rate limit the authenticator charges (null with --rate-limit=0), for
  // callers that authenticate otherwise (the gateway's HTTP requests).
  auth::Limiter* limiter() const { return limiter_.get(); }
  // Another limit in the same store as the per-principal one (--rate-limit-store): in Redis
  // under "<key prefix>:ratelimit:<name>:<key>", shared by the replicas, or in memory. For
  // limits of the service's own (the gateway's Open311 channels and client addresses).
  std::unique_ptr<auth::Limiter> NewLimiter(const std::string& name, double rate_per_second,
                                            double burst) const;
  ServiceHost& host() { return *host_; }
  // The service's audit log: every state-changing call is recorded by the host's audit
  // interceptor, and firegrid.audit.v1.AuditService answers for it (libs/audit).
  audit::AuditLog& audit_log() { return *audit_log_; }

  // A consumer of `topics` in consumer group `group` (at-least-once, dead letters through this
  // runtime's producer), started by Serve() and stopped before the relay; its per-partition lag
  // is exported as firegrid_consumer_lag{topic,partition}. A service with consumers also hosts
  // firegrid.events.v1.DeadLetterService for its groups' dead letters (libs/events/
  // dead_letters.h; what was done with them under "<key prefix>:dlq:").
  // `members` > 1 runs that many members of the group in this replica, each a consumer with a
  // thread of its own (static membership: the replica's instance id + "-<group>-<n>" for n ≥ 1).
  // The group spreads the partitions over them as over replicas, so events of different
  // partitions are handled at the same time and each partition's in order; the handler must then
  // be safe to call from several threads at once.
  absl::Status AddConsumer(const std::string& group, std::vector<std::string> topics,
                           events::Handler handler, int members = 1);
  // Runs `task` every `interval` on its own thread while serving (first run right after start).
  // A failing task is logged and run again at the next interval.
  void AddPeriodic(std::string name, absl::Duration interval, std::function<absl::Status()> task);

  // Starts the host, the outbox relay, the consumers and the periodic tasks, blocks until
  // SIGTERM/SIGINT, then drains in order: stop accepting RPCs, finish in-flight ones, stop the
  // periodic tasks and consumers (committing what they processed), stop the relay (what it has
  // not published stays in the outbox for the next start). Returns the process exit code.
  int Serve();

 private:
  Runtime() = default;
  // Adds the DeadLetterService over the consumers' groups and topics (before the host starts).
  // Its Kafka reader is made on the first call that reads dead letters.
  void HostDeadLetters();
  std::unique_ptr<redis::Pool> redis_;
  std::unique_ptr<events::KafkaProducer> producer_;
  std::unique_ptr<events::OutboxRelay> relay_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<redis::Pool> limiter_pool_;  // with --rate-limit-store=redis; outlives limiters
  std::string limiter_prefix_;                 // "<key prefix>:ratelimit"
  std::unique_ptr<auth::Limiter> limiter_;
  std::unique_ptr<auth::RateLimiter> failure_limiter_;
  std::unique_ptr<AdmissionControl> admission_;  // outlives the host's server and authenticator
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<audit::AuditLog> audit_log_;
  std::unique_ptr<audit::Recorder> audit_recorder_;
  std::unique_ptr<audit::AuditGrpcService> audit_service_;
  std::string kafka_bootstrap_;
  absl::Duration kafka_fetch_wait_ = absl::Milliseconds(20);
  absl::Duration kafka_session_timeout_ = absl::Seconds(3);
  std::string kafka_group_instance_id_;
  bool kafka_skip_retention_gap_ = false;
  std::map<std::string, std::string> kafka_security_;  // librdkafka properties
  ClientChannelOptions client_tls_;
  std::string service_name_;
  std::string key_prefix_;
  bool keyspace_prepared_ = false;
  std::vector<std::unique_ptr<events::Consumer>> consumers_;
  std::map<std::string, std::set<std::string>> groups_by_topic_;  // of the consumers
  std::unique_ptr<events::LazyDlqReader> dlq_reader_;
  std::unique_ptr<events::RedisDeadLetterStateStore> dlq_states_;
  std::unique_ptr<events::DeadLetterDesk> dlq_desk_;
  std::unique_ptr<events::DeadLetterGrpcService> dlq_service_;
  struct Periodic;
  std::vector<std::unique_ptr<Periodic>> periodic_;
};

// Parses flags and environment into `binder`'s fields; on --help prints usage and exits 0, on
// an invalid value prints the error and exits 2.
void ParseConfigOrExit(ConfigBinder& binder, int argc, char** argv);

}  // namespace firegrid::server
