#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/server/metrics.h"
#include "services/gateway/http.h"

namespace firegrid::gateway {

// The gateway's HTTP/1.1 server: Boost.Beast on an asio io_context with a few network threads
// that only parse, route and write; Handlers run on a bounded worker pool (503 when its queue
// is full, or when a request waited there longer than max_queue_wait). Every response gets the security headers (CSP, nosniff, frame and referrer
// policies) and X-Request-Id; CORS headers only for configured origins; a token in the URL
// (`access_token` parameter) is refused before any handler sees the request. Streamed
// responses (HttpResponse::stream, server-sent events) hold no thread while idle.
struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 8080;  // 0 picks a free port
  int network_threads = 2;
  int worker_threads = 16;
  size_t worker_queue = 1000;
  // A request that waited longer than this for a worker is answered 503 (Retry-After) without
  // running its handler: under overload the queue sheds what is stale, so the requests that do
  // run are answered within about this plus their own time. Zero: no bound.
  absl::Duration max_queue_wait = absl::Seconds(1);
  // The clock of max_queue_wait (tests inject a fake one). Not owned; null: the real clock.
  Clock* clock = nullptr;
  size_t header_limit = 16 * 1024;
  size_t body_limit = 1024 * 1024;  // per route unless the route says otherwise
  // A request (headers and body) must arrive within this; an idle keep-alive connection is
  // closed after it.
  absl::Duration read_timeout = absl::Seconds(30);
  absl::Duration write_timeout = absl::Seconds(30);
  // A streamed response whose client does not take its chunks (this many bytes queued) is
  // closed.
  size_t stream_max_queued_bytes = 1 << 20;
  // Origins allowed to call cross-origin (CORS); the gateway's own origin needs no entry.
  std::vector<std::string> allowed_origins;
  // Proxies (addresses or CIDR blocks, e.g. "10.0.0.0/8") whose X-Forwarded-For is believed:
  // for a connection from one of them, the client address is the last address that header
  // names (the hop the proxy saw). Empty: the peer address always.
  std::vector<std::string> trusted_proxies;
  // Extra img-src sources of the Content-Security-Policy (a map tile server's origin).
  std::vector<std::string> csp_img_sources;
};

// The Content-Security-Policy every response carries.
std::string ContentSecurityPolicy(const std::vector<std::string>& img_sources);

class HttpServer {
 public:
  // `metrics` may be null. Exports firegrid_gateway_http_requests_total{route,code},
  // firegrid_gateway_http_request_duration_seconds{route}, firegrid_gateway_sse_streams_open,
  // firegrid_gateway_worker_queue_depth.
  HttpServer(HttpServerOptions options, server::MetricsRegistry* metrics);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Before Start(). The longest matching prefix wins; a prefix ending in "/" matches every path
  // under it, another matches itself and paths under "<prefix>/". `name` labels the metrics.
  // `body_limit` 0: the server's default. The handler must outlive the server.
  void AddRoute(std::string name, std::string prefix, Handler* handler, size_t body_limit = 0);

  // Binds and starts the threads. UNAVAILABLE when the port cannot be bound; INVALID_ARGUMENT
  // for a malformed address or trusted proxy.
  absl::Status Start();
  int port() const;
  // Stops accepting, closes every connection (streams are cancelled), joins the threads.
  // Idempotent.
  void Stop();

  int open_streams() const;
  size_t worker_queue_depth() const;

  class Impl;  // public so that the connections (in the .cc) can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace firegrid::gateway
