// firegrid-gateway: the web side of firegrid. One HTTP port (Boost.Beast) with the console's
// JSON API (transcoded to the services' gRPC APIs with the caller's token), server-sent events
// of notify's Subscribe, sign-in through accounts, the console's files, Open311 GeoReport v2 and
// evidence; gRPC health and /metrics through the Runtime like every service. Thin: flags,
// wiring, serve.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/security/credentials.h"
#include "libs/auth/service_token.h"
#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/logging.h"
#include "libs/server/runtime.h"
#include "services/gateway/auth_endpoints.h"
#include "services/gateway/bearer.h"
#include "services/gateway/events_stream.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/http_server.h"
#include "services/gateway/json_api.h"
#include "services/gateway/openapi.h"
#include "services/gateway/static_files.h"
#ifdef FIREGRID_GATEWAY_OPEN311
#include "services/gateway/open311/open311_handler.h"
#endif
#ifdef FIREGRID_GATEWAY_EVIDENCE
#include "services/gateway/evidence/evidence_handler.h"
#endif

namespace {

int Fail(const char* what, const absl::Status& s) {
  firegrid::log::Error(what, {{"error", std::string(s.message())}});
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace firegrid;
  using namespace firegrid::gateway;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--print-openapi") {
      std::fputs(OpenApiYaml().c_str(), stdout);
      return 0;
    }
  }
  if (absl::Status s = server::ServiceHost::InstallSignalHandlers(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  server::RuntimeConfig rc;
  std::string http_address, console_dir, config_file, evidence_dir, open311_key_file,
      service_token_file, trusted_proxies;
  bool token_sign_in = false;
  int http_port, network_threads, worker_threads, worker_queue;
  absl::Duration rpc_deadline, max_queue_wait;
  std::map<std::string, std::string> addrs = {
      {"buildings", "127.0.0.1:50051"},  {"hazards", "127.0.0.1:50052"},
      {"notify", "127.0.0.1:50053"},     {"credit", "127.0.0.1:50054"},
      {"monitoring", "127.0.0.1:50055"}, {"accounts", "127.0.0.1:50056"}};
  ConfigBinder binder("firegrid-gateway");
  server::BindRuntimeConfig(binder, &rc, 50057, 9470);
  binder.String("http-address", &http_address, "0.0.0.0", "HTTP listen address");
  binder.Int("http-port", &http_port, 8080,
             "HTTP port of the console, the JSON API and Open311 "
             "(0 picks a free port)",
             0, 65535);
  binder.String("console-dir", &console_dir, "console/dist",
                "the console's built files (npm run build in console/)");
  binder.String("config-file", &config_file, "config/gateway.textproto",
                "the gateway's configuration (text proto GatewayConfig)");
  binder.String("evidence-dir", &evidence_dir, "",
                "keep evidence in this directory (replaces the config's evidence store)");
  binder.String("open311-token-key-file", &open311_key_file, "",
                "file with the key (at least 32 bytes) that signs Open311 request tokens; "
                "empty: the development HS256 key");
  binder.Int("http-network-threads", &network_threads, 2,
             "threads that accept, parse and write HTTP (handlers run on the workers)", 1, 64);
  binder.Int("http-worker-threads", &worker_threads, 16,
             "threads that run requests (each may wait on a gRPC call)", 1, 1024);
  binder.Int("http-worker-queue", &worker_queue, 1000,
             "requests that may wait for a worker; 503 beyond", 1, 1000000);
  binder.Duration("http-max-queue-wait", &max_queue_wait, absl::Seconds(1),
                  "a request that waited longer for a worker is answered 503 unrun (0: no bound)",
                  absl::ZeroDuration(), absl::Minutes(5));
  binder.Duration("rpc-deadline", &rpc_deadline, absl::Seconds(10),
                  "deadline of each gRPC call the gateway makes", absl::Milliseconds(100),
                  absl::Minutes(5));
  binder.String("service-token-file", &service_token_file, "",
                "bearer token (JWT, subject service:gateway) the gateway shows accounts to vouch "
                "for client addresses at sign-in, re-read when it changes; empty: minted with "
                "--jwt-hs256-key-file (development)");
  binder.String("trusted-proxies", &trusted_proxies, "",
                "comma-separated addresses or CIDR blocks of proxies (the ingress) whose "
                "X-Forwarded-For names the client; empty: the peer is the client");
  binder.Bool("token-sign-in", &token_sign_in, false,
              "POST /api/v1/auth/token-session: a pasted bearer token (verified) becomes the "
              "console session's token (development and demo tokens)");
  for (auto& [name, addr] : addrs) {
    binder.String(name + "-addr", &addr, addr, "host:port of the " + name + " service");
  }
  server::ParseConfigOrExit(binder, argc, argv);

  auto service_token = server::NewServiceToken(rc, "gateway", service_token_file, RealClock::Get());
  if (!service_token.ok()) return Fail("invalid configuration", service_token.status());

  auto runtime = server::Runtime::Create("gateway", rc, "fg:gateway");
  if (!runtime.ok()) return Fail("invalid configuration", runtime.status());
  server::Runtime& rt = **runtime;
  // The keyspace layout this release reads and writes (docs/upgrades.md).
  if (absl::Status s = rt.PrepareKeyspace(redis::Schema{}); !s.ok()) {
    return Fail("keyspace not ready", s);
  }
  auto config = LoadGatewayConfig(config_file);
  if (!config.ok()) return Fail("invalid configuration", config.status());
  if (!evidence_dir.empty()) config->mutable_evidence()->set_directory(evidence_dir);

  std::map<std::string, std::shared_ptr<grpc::Channel>> by_name;
  for (const auto& [name, addr] : addrs) {
    by_name[name] = rt.NewChannel(addr);
  }
  const std::map<std::string, std::string> full_names = {
      {"buildings", "firegrid.buildings.v1.BuildingService"},
      {"hazards", "firegrid.hazards.v1.HazardService"},
      {"notify", "firegrid.notify.v1.NotifyService"},
      {"credit", "firegrid.credit.v1.CreditService"},
      {"monitoring", "firegrid.monitoring.v1.MonitoringService"},
      {"accounts", "firegrid.accounts.v1.AccountsService"}};
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  for (const auto& [name, full] : full_names) channels[full] = by_name[name];

  auth::RateLimiter failures(
      rc.auth_failure_limit > 0
          ? rc.auth_failure_limit / absl::ToDoubleSeconds(rc.auth_failure_window)
          : 1e9,
      rc.auth_failure_limit > 0 ? rc.auth_failure_limit : 1e9, RealClock::Get());
  // Principals are limited here as in every service: the runtime's limiter (--rate-limit, shared
  // by the gateway's replicas with --rate-limit-store=redis), keys under fg:gateway:ratelimit.
  BearerGate gate(&rt.verifier(), RealClock::Get(), &failures, rt.limiter());
  JsonApiHandler api(&gate, channels, by_name, JsonApiOptions{.deadline = rpc_deadline});
  StaticFilesHandler files(console_dir);
  EventsHandler events(&gate, by_name["notify"]);
  AuthOptions ao;
  ao.allowed_origins.assign(config->allowed_origins().begin(), config->allowed_origins().end());
  ao.sign_in = config->sign_in();
  ao.deadline = rpc_deadline;
  ao.token_sign_in = token_sign_in;
  if (config->sign_in().has_oidc()) {
    const config::v1::Oidc& oidc = config->sign_in().oidc();
    std::string secret;
    if (!oidc.client_secret_file().empty()) {
      auto k = server::ReadFlagFile(oidc.client_secret_file(), "sign_in.oidc.client_secret_file");
      if (!k.ok()) return Fail("invalid configuration", k.status());
      secret = *k;
    }
    auto endpoint = NewHttpTokenEndpoint(oidc, std::move(secret));
    if (!endpoint.ok()) return Fail("invalid configuration", endpoint.status());
    ao.oidc_token_endpoint = std::move(*endpoint);
  }
  AuthHandler auth_endpoints(
      &gate, by_name["accounts"], [&service_token] { return (*service_token)->Current(); },
      RealClock::Get(), ao);

  HttpServerOptions ho;
  ho.address = http_address;
  ho.port = http_port;
  ho.network_threads = network_threads;
  ho.worker_threads = worker_threads;
  ho.worker_queue = static_cast<size_t>(worker_queue);
  ho.max_queue_wait = max_queue_wait;
  for (absl::string_view p : absl::StrSplit(trusted_proxies, ',', absl::SkipWhitespace())) {
    ho.trusted_proxies.emplace_back(absl::StripAsciiWhitespace(p));
  }
  ho.allowed_origins.assign(config->allowed_origins().begin(), config->allowed_origins().end());
  HttpServer http(ho, &rt.host().metrics());
  http.AddRoute("api", kApiPrefix, &api);
  http.AddRoute("events", "/api/v1/events", &events);
  http.AddRoute("auth", "/api/v1/auth/", &auth_endpoints);
  http.AddRoute("jwks", "/.well-known/jwks.json", &auth_endpoints);
  http.AddRoute("console", "/", &files);

#ifdef FIREGRID_GATEWAY_OPEN311
  std::unique_ptr<Handler> open311;
  if (config->has_open311() && config->open311().channels_size() > 0) {
    auto k = server::Hs256Key(rc);
    if (!k.ok()) return Fail("invalid configuration", k.status());
    std::string hs256_key = *k;
    std::string token_key = hs256_key;
    if (!open311_key_file.empty()) {
      auto k = server::ReadFlagFile(open311_key_file, "open311-token-key-file");
      if (!k.ok()) return Fail("invalid configuration", k.status());
      token_key = *k;
    }
    auto tokens = NewOpen311ChannelTokens(config->open311(), hs256_key, rc.jwt_issuer,
                                          rc.jwt_audience, RealClock::Get());
    if (!tokens.ok()) return Fail("invalid open311 configuration", tokens.status());
    Open311Backends backends;
    backends.hazards = by_name["hazards"];
    backends.buildings = by_name["buildings"];
    backends.channel_token = *tokens;
    backends.request_token_key = token_key;
    backends.clock = RealClock::Get();
    backends.rpc_deadline = rpc_deadline;
    backends.new_limiter = [&rt](const std::string& name, double rate, double burst) {
      return rt.NewLimiter(name, rate, burst);
    };
    auto h = NewOpen311Handler(config->open311(), std::move(backends));
    if (!h.ok()) return Fail("invalid open311 configuration", h.status());
    open311 = std::move(*h);
    http.AddRoute("open311", "/open311/", open311.get());
  }
#endif
#ifdef FIREGRID_GATEWAY_EVIDENCE
  auto store = NewBlobStore(config->evidence());
  if (!store.ok()) return Fail("invalid evidence configuration", store.status());
  std::unique_ptr<Handler> evidence =
      NewEvidenceHandler(config->evidence(), store->get(), by_name["hazards"],
                         [&gate](const HttpRequest& r) { return gate.Check(r); });
  const size_t evidence_limit = static_cast<size_t>(EvidenceMaxBytes(config->evidence()));
  http.AddRoute("evidence", "/api/v1/evidence", evidence.get(), evidence_limit);
  http.AddRoute("evidence", "/api/v1/hazards/", evidence.get());
#endif

  if (absl::Status s = http.Start(); !s.ok()) return Fail("cannot serve HTTP", s);
  log::Info("http listening",
            {{"http", absl::StrCat(http_address == "0.0.0.0" ? "127.0.0.1" : http_address, ":",
                                   http.port())},
             {"console", console_dir}});
  const int code = rt.Serve();
  http.Stop();
  return code;
}
