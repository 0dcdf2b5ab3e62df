#include "services/gateway/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "libs/common/logging.h"
#include "services/gateway/http_util.h"
#include "services/gateway/worker_pool.h"

namespace firegrid::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

std::string ContentSecurityPolicy(const std::vector<std::string>& img_sources) {
  std::string img = "'self' data: blob:";
  for (const std::string& s : img_sources) absl::StrAppend(&img, " ", s);
  return absl::StrCat("default-src 'self'; script-src 'self'; style-src 'self'; img-src ", img,
                      "; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                      "frame-ancestors 'none'; form-action 'self'");
}

namespace {

struct Route {
  std::string name;
  std::string prefix;
  Handler* handler = nullptr;
  size_t body_limit = 0;
};

bool ValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) {
    out[i] = kHex[(a >> (i * 4)) & 15];
    out[16 + i] = kHex[(b >> (i * 4)) & 15];
  }
  return out;
}

const char* ReasonOf(int status) {
  auto s = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return s.empty() ? "Unknown" : s.data();
}

// An address block of a trusted proxy, as 16 bytes (IPv4 mapped into IPv6) and a prefix length.
struct Block {
  std::array<unsigned char, 16> bytes;
  int prefix = 128;
};

std::optional<std::array<unsigned char, 16>> Bytes16(const std::string& text) {
  error_code ec;
  auto a = asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  if (a.is_v4()) a = asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4());
  return a.to_v6().to_bytes();
}

std::optional<Block> ParseBlock(const std::string& text) {
  const size_t slash = text.find('/');
  auto bytes = Bytes16(text.substr(0, slash));
  if (!bytes) return std::nullopt;
  Block b{*bytes, 128};
  const bool v4 = text.find(':') == std::string::npos;
  if (slash != std::string::npos) {
    int n = 0;
    if (!absl::SimpleAtoi(text.substr(slash + 1), &n) || n < 0 || n > (v4 ? 32 : 128)) {
      return std::nullopt;
    }
    b.prefix = v4 ? 96 + n : n;
  }
  return b;
}

bool InBlock(const std::array<unsigned char, 16>& a, const Block& b) {
  for (int bit = 0; bit < b.prefix; ++bit) {
    const int i = bit / 8, m = 0x80 >> (bit % 8);
    if ((a[i] & m) != (b.bytes[i] & m)) return false;
  }
  return true;
}

// Whether the io_context still takes work: writers of streams (called from gRPC threads) post
// only while it does, so that nothing is posted to a destroyed io_context.
struct Liveness {
  absl::Mutex mu;
  bool alive ABSL_GUARDED_BY(mu) = true;
};

}  // namespace

class Session;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, server::MetricsRegistry* metrics)
      : options_(std::move(options)),
        csp_(ContentSecurityPolicy(options_.csp_img_sources)),
        ioc_(std::make_unique<asio::io_context>()),
        acceptor_(std::make_unique<tcp::acceptor>(*ioc_)),
        pool_(std::make_unique<WorkerPool>(options_.worker_threads, options_.worker_queue)),
        clock_(options_.clock != nullptr ? options_.clock : RealClock::Get()) {
    if (metrics != nullptr) {
      requests_ = &metrics->AddCounter("firegrid_gateway_http_requests_total",
                                       "HTTP requests answered, by route and status code");
      latency_ = &metrics->AddHistogram(
          "firegrid_gateway_http_request_duration_seconds",
          "Time from a request's last byte to its response's headers, by route");
      (void)metrics->AddGaugeCallback(
          "firegrid_gateway_sse_streams_open", "Open streamed responses (server-sent events)",
          [this]() -> std::vector<std::pair<server::Labels, double>> {
            return {{server::Labels{}, static_cast<double>(open_streams_.load())}};
          });
      (void)metrics->AddGaugeCallback(
          "firegrid_gateway_worker_queue_depth",
          "Requests waiting for a worker thread (503 beyond the queue's capacity)",
          [this]() -> std::vector<std::pair<server::Labels, double>> {
            return {{server::Labels{}, static_cast<double>(pool_ ? pool_->queue_depth() : 0)}};
          });
      metrics_ = metrics;
    }
  }
  ~Impl() {
    Stop();
    if (metrics_ != nullptr) {
      metrics_->RemoveGaugeCallback("firegrid_gateway_sse_streams_open");
      metrics_->RemoveGaugeCallback("firegrid_gateway_worker_queue_depth");
    }
  }

  absl::Status Start() {
    for (const std::string& p : options_.trusted_proxies) {
      auto b = ParseBlock(p);
      if (!b) {
        return absl::InvalidArgumentError(
            absl::StrCat("trusted proxy ", p, ": not an address or CIDR block"));
      }
      trusted_.push_back(*b);
    }
    error_code ec;
    auto addr = asio::ip::make_address(options_.address, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("http address: ", ec.message()));
    tcp::endpoint ep(addr, static_cast<unsigned short>(options_.port));
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address, ":",
                                                 options_.port, ": ", ec.message()));
    }
    port_ = acceptor_->local_endpoint().port();
    max_body_limit_ = options_.body_limit;
    for (const Route& r : routes_) max_body_limit_ = std::max(max_body_limit_, r.body_limit);
    DoAccept();
    for (int i = 0; i < options_.network_threads; ++i) {
      threads_.emplace_back([this] { ioc_->run(); });
    }
    return absl::OkStatus();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    ioc_->stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    pool_.reset();  // runs what is queued (their writes go nowhere)
    {
      absl::MutexLock lock(&liveness_->mu);
      liveness_->alive = false;
    }
    // Destroys the pending handlers, and with them every connection (streams are cancelled).
    acceptor_.reset();
    ioc_.reset();
  }

  void DoAccept() {
    acceptor_->async_accept(asio::make_strand(*ioc_), [this](error_code ec, tcp::socket socket) {
      OnAccept(ec, std::move(socket));
    });
  }
  void OnAccept(error_code ec, tcp::socket socket);

  // The client of a request from `peer`: the last X-Forwarded-For entry when the peer is a
  // trusted proxy and that entry is an address; the peer otherwise.
  std::string ClientAddress(const std::string& peer, const std::string& forwarded_for) const {
    if (trusted_.empty() || forwarded_for.empty()) return peer;
    auto peer_bytes = Bytes16(peer);
    if (!peer_bytes) return peer;
    bool trusted = false;
    for (const Block& b : trusted_) trusted = trusted || InBlock(*peer_bytes, b);
    if (!trusted) return peer;
    std::vector<absl::string_view> hops = absl::StrSplit(forwarded_for, ',');
    const std::string last(absl::StripAsciiWhitespace(hops.back()));
    error_code ec;
    auto a = asio::ip::make_address(last, ec);
    if (ec) return peer;
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
      a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    }
    return a.to_string();
  }

  const Route* Match(const std::string& path) const {
    const Route* best = nullptr;
    for (const Route& r : routes_) {
      bool match = absl::EndsWith(r.prefix, "/")
                       ? absl::StartsWith(path, r.prefix)
                       : (path == r.prefix || absl::StartsWith(path, r.prefix + "/"));
      if (match && (best == nullptr || r.prefix.size() > best->prefix.size())) best = &r;
    }
    return best;
  }

  void Record(const std::string& route, int status, absl::Duration elapsed) {
    if (requests_ == nullptr) return;
    requests_->Get({{"route", route}, {"code", absl::StrCat(status)}}).Increment();
    latency_->Get({{"route", route}}).Observe(absl::ToDoubleSeconds(elapsed));
  }

  HttpServerOptions options_;
  const std::string csp_;
  std::vector<Route> routes_;
  std::vector<Block> trusted_;
  size_t max_body_limit_ = 0;
  std::unique_ptr<asio::io_context> ioc_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<WorkerPool> pool_;
  Clock* const clock_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  const std::shared_ptr<Liveness> liveness_ = std::make_shared<Liveness>();
  std::atomic<int> open_streams_{0};
  int port_ = 0;
  server::MetricsRegistry* metrics_ = nullptr;
  server::Family<server::Counter>* requests_ = nullptr;
  server::Family<server::Histogram>* latency_ = nullptr;
};

// One connection: reads requests (keep-alive), hands them to the worker pool, writes the
// responses in order; or, after a streamed response's headers, the stream's chunks. Every
// operation runs on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server), timer_(stream_.get_executor()) {
    error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      auto a = ep.address();
      if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
      }
      client_address_ = a.to_string();
    }
  }
  ~Session() {
    if (stream_source_ && !stream_closed_) {
      stream_closed_ = true;
      server_->open_streams_.fetch_sub(1);
      stream_source_->Cancel();
    }
  }

  void Start() { DoRead(); }

  // Streaming (called through the writer; posted onto the strand).
  void QueueChunk(std::string chunk) {
    if (stream_closed_) return;
    queued_bytes_ += chunk.size();
    if (queued_bytes_ > server_->options_.stream_max_queued_bytes) {
      log::Warn("slow stream client closed", {{"request_id", request_id_}});
      return CloseStream();
    }
    out_.push_back(std::move(chunk));
    wrote_since_tick_ = true;
    if (!writing_) WriteNext();
  }
  void FinishStream() {
    if (stream_closed_) return;
    finishing_ = true;
    if (!writing_) CloseStream();
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options_.header_limit));
    parser_->body_limit(server_->max_body_limit_);
    stream_.expires_after(
        std::chrono::milliseconds(absl::ToInt64Milliseconds(server_->options_.read_timeout)));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(error_code ec) {
    if (ec == bhttp::error::header_limit) {
      return RefuseAndClose(431, absl::StatusCode::kInvalidArgument, "request headers too large");
    }
    if (ec == bhttp::error::body_limit) {
      return RefuseAndClose(413, absl::StatusCode::kInvalidArgument, "request body too large");
    }
    if (ec) return Close();
    std::string target(parser_->get().target());
    std::string path = target.substr(0, target.find('?'));
    route_ = server_->Match(path);
    size_t limit = route_ != nullptr && route_->body_limit > 0 ? route_->body_limit
                                                               : server_->options_.body_limit;
    if (auto len = parser_->content_length(); len && *len > limit) {
      return RefuseAndClose(413, absl::StatusCode::kInvalidArgument, "request body too large");
    }
    parser_->body_limit(limit);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return RefuseAndClose(413, absl::StatusCode::kInvalidArgument, "request body too large");
    }
    if (ec) return Close();
    stream_.expires_never();
    started_ = absl::Now();
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.raw_target = std::string(req.target());
    for (const auto& f : req) {
      std::string name = absl::AsciiStrToLower(std::string(f.name_string()));
      auto [it, inserted] = r.headers.emplace(name, std::string(f.value()));
      if (!inserted) absl::StrAppend(&it->second, ", ", std::string(f.value()));
    }
    r.body = std::move(req.body());
    r.client_address = server_->ClientAddress(client_address_, r.Header("x-forwarded-for"));
    std::string given_id = r.Header("x-request-id");
    r.request_id = ValidRequestId(given_id) ? given_id : NewRequestId();
    request_id_ = r.request_id;
    origin_ = r.Header("origin");
    route_name_ = route_ != nullptr ? route_->name : "none";

    const size_t q = r.raw_target.find('?');
    auto path = PercentDecode(r.raw_target.substr(0, q), false);
    auto query = ParseQuery(q == std::string::npos ? "" : r.raw_target.substr(q + 1));
    if (!path || !query || path->empty() || (*path)[0] != '/') {
      return Respond(
          JsonError(400, absl::StatusCode::kInvalidArgument, "malformed request target"));
    }
    r.path = std::move(*path);
    r.query = std::move(*query);
    if (r.query.count("access_token") > 0) {
      return Respond(JsonError(400, absl::StatusCode::kInvalidArgument,
                               "access_token: tokens are never accepted in URLs; send the "
                               "Authorization: Bearer header"));
    }
    const bool cross_origin =
        !origin_.empty() && !OriginSameOrAllowed(r, {}) && !OriginAllowed(origin_);
    if (r.method == "OPTIONS" && !origin_.empty() &&
        !r.Header("access-control-request-method").empty()) {
      route_name_ = "preflight";
      if (!OriginAllowed(origin_)) {
        return Respond(JsonError(403, absl::StatusCode::kPermissionDenied, "origin not allowed"));
      }
      HttpResponse p;
      p.status = 204;
      p.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      p.headers.emplace_back(
          "Access-Control-Allow-Headers",
          "Authorization, Content-Type, Last-Event-ID, X-Request-Id, X-Firegrid-CSRF");
      p.headers.emplace_back("Access-Control-Max-Age", "600");
      return Respond(std::move(p));
    }
    if (cross_origin && r.method != "GET" && r.method != "HEAD") {
      return Respond(JsonError(403, absl::StatusCode::kPermissionDenied, "origin not allowed"));
    }
    if (route_ == nullptr) {
      return Respond(JsonError(404, absl::StatusCode::kNotFound, "no such resource"));
    }
    Handler* handler = route_->handler;
    auto self = shared_from_this();
    auto request = std::make_shared<HttpRequest>(std::move(r));
    Clock* clock = server_->clock_;
    const absl::Time queued = clock->Now();
    const absl::Duration max_wait = server_->options_.max_queue_wait;
    if (!server_->pool_->TrySubmit([self, handler, request, clock, queued, max_wait] {
          HttpResponse resp = max_wait > absl::ZeroDuration() && clock->Now() - queued > max_wait
                                  ? Busy("server busy: the request waited too long for a worker")
                                  : handler->Handle(*request);
          asio::post(self->stream_.get_executor(),
                     [self, resp = std::move(resp)]() mutable { self->Respond(std::move(resp)); });
        })) {
      return Respond(Busy("server busy"));
    }
  }

  // 503 UNAVAILABLE with Retry-After: the request was not run; try again in a second.
  static HttpResponse Busy(absl::string_view message) {
    HttpResponse busy = JsonError(503, absl::StatusCode::kUnavailable, message);
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  }

  bool OriginAllowed(const std::string& origin) const {
    const auto& a = server_->options_.allowed_origins;
    return std::find(a.begin(), a.end(), origin) != a.end();
  }

  void AddCommonHeaders(std::vector<std::pair<std::string, std::string>>* h) const {
    h->emplace_back("Content-Security-Policy", server_->csp_);
    h->emplace_back("X-Content-Type-Options", "nosniff");
    h->emplace_back("Referrer-Policy", "no-referrer");
    h->emplace_back("X-Frame-Options", "DENY");
    h->emplace_back("X-Request-Id", request_id_);
    if (!origin_.empty() && OriginAllowed(origin_)) {
      h->emplace_back("Access-Control-Allow-Origin", origin_);
      h->emplace_back("Access-Control-Expose-Headers", "X-Request-Id");
    }
    if (!server_->options_.allowed_origins.empty()) h->emplace_back("Vary", "Origin");
  }

  void RefuseAndClose(int status, absl::StatusCode code, const char* message) {
    keep_alive_ = false;
    route_name_ = "none";
    if (request_id_.empty()) request_id_ = NewRequestId();
    started_ = absl::Now();
    Respond(JsonError(status, code, message));
  }

  void Respond(HttpResponse resp) {
    server_->Record(route_name_, resp.stream ? 200 : resp.status, absl::Now() - started_);
    std::vector<std::pair<std::string, std::string>> headers = std::move(resp.headers);
    AddCommonHeaders(&headers);
    if (resp.stream) return StartStream(std::move(resp), std::move(headers));
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(resp.status));
    for (auto& [k, v] : headers) res->insert(k, v);
    res->body() = std::move(resp.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(
        std::chrono::milliseconds(absl::ToInt64Milliseconds(server_->options_.write_timeout)));
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res](error_code ec, size_t) {
      if (ec || !self->keep_alive_ || self->res_close_) return self->Close();
      self->DoRead();
    });
  }

  void Close() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  void StartStream(HttpResponse resp, std::vector<std::pair<std::string, std::string>> headers) {
    std::string head = absl::StrCat("HTTP/1.1 ", resp.status, " ", ReasonOf(resp.status), "\r\n");
    for (auto& [k, v] : headers) {
      if (absl::StrContains(k, "\r") || absl::StrContains(k, "\n") || absl::StrContains(v, "\r") ||
          absl::StrContains(v, "\n")) {
        continue;
      }
      absl::StrAppend(&head, k, ": ", v, "\r\n");
    }
    absl::StrAppend(&head, "Cache-Control: no-cache\r\nConnection: close\r\n\r\n");
    stream_source_ = std::move(resp.stream);
    keepalive_interval_ = resp.keepalive_interval;
    keepalive_chunk_ = std::move(resp.keepalive_chunk);
    server_->open_streams_.fetch_add(1);
    stream_.expires_never();
    out_.push_back(std::move(head));
    queued_bytes_ = out_.back().size();
    WriteNext();
    WatchClient();
    if (keepalive_interval_ > absl::ZeroDuration()) Tick();

    // The writer may outlive the server (a stream source that keeps it after Stop): it holds no
    // executor of the server's io_context, whose strands die with it, only the session, weakly,
    // and posts onto the session's strand while the server is alive (`live`, which Stop clears
    // before it destroys the io_context).
    class Writer : public StreamWriter {
     public:
      Writer(std::weak_ptr<Session> s, std::shared_ptr<Liveness> live)
          : session_(std::move(s)), live_(std::move(live)) {}
      void Write(std::string chunk) override {
        Post([chunk = std::move(chunk)](Session& s) mutable { s.QueueChunk(std::move(chunk)); });
      }
      void Finish() override {
        Post([](Session& s) { s.FinishStream(); });
      }

     private:
      void Post(std::function<void(Session&)> f) {
        absl::ReaderMutexLock lock(&live_->mu);
        if (!live_->alive) return;
        std::shared_ptr<Session> session = session_.lock();
        if (session == nullptr) return;
        asio::any_io_executor ex = session->stream_.get_executor();
        asio::post(ex, [session = std::move(session), f = std::move(f)]() mutable { f(*session); });
      }

      std::weak_ptr<Session> session_;
      std::shared_ptr<Liveness> live_;
    };
    stream_source_->Start(std::make_shared<Writer>(weak_from_this(), server_->liveness_));
  }

  void WriteNext() {
    if (stream_closed_) return;
    if (out_.empty()) {
      writing_ = false;
      if (finishing_) CloseStream();
      return;
    }
    writing_ = true;
    asio::async_write(stream_.socket(), asio::buffer(out_.front()),
                      [self = shared_from_this()](error_code ec, size_t n) {
                        // A closed stream keeps out_ as it was: the buffer of a pending write
                        // stays valid until its handler has run.
                        if (ec || self->stream_closed_) return self->CloseStream();
                        self->queued_bytes_ -= n;
                        self->out_.pop_front();
                        self->WriteNext();
                      });
  }

  // Reads (and discards) whatever the client sends; its end or an error ends the stream.
  void WatchClient() {
    stream_.socket().async_read_some(asio::buffer(discard_),
                                     [self = shared_from_this()](error_code ec, size_t) {
                                       if (ec) return self->CloseStream();
                                       self->WatchClient();
                                     });
  }

  void Tick() {
    timer_.expires_after(std::chrono::milliseconds(absl::ToInt64Milliseconds(keepalive_interval_)));
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->stream_closed_) return;
      if (!self->wrote_since_tick_) self->QueueChunk(self->keepalive_chunk_);
      self->wrote_since_tick_ = false;
      self->Tick();
    });
  }

  void CloseStream() {
    if (stream_closed_) return;
    stream_closed_ = true;
    server_->open_streams_.fetch_sub(1);
    timer_.cancel();
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    if (stream_source_) stream_source_->Cancel();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  HttpServer::Impl* server_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string client_address_;
  const Route* route_ = nullptr;
  std::string route_name_ = "none";
  std::string request_id_;
  std::string origin_;
  bool keep_alive_ = false;
  bool res_close_ = false;
  absl::Time started_;

  // Streaming state.
  std::shared_ptr<ResponseStream> stream_source_;
  std::deque<std::string> out_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool finishing_ = false;
  bool stream_closed_ = false;
  bool wrote_since_tick_ = false;
  absl::Duration keepalive_interval_;
  std::string keepalive_chunk_;
  asio::steady_timer timer_;
  char discard_[512];
};

void HttpServer::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (stopped_) return;
  if (!ec) {
    std::make_shared<Session>(std::move(socket), this)->Start();
  } else if (ec == asio::error::operation_aborted) {
    return;
  }
  DoAccept();
}

HttpServer::HttpServer(HttpServerOptions options, server::MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), metrics)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::AddRoute(std::string name, std::string prefix, Handler* handler,
                          size_t body_limit) {
  impl_->routes_.push_back(Route{std::move(name), std::move(prefix), handler, body_limit});
}

absl::Status HttpServer::Start() { return impl_->Start(); }
int HttpServer::port() const { return impl_->port_; }
void HttpServer::Stop() { impl_->Stop(); }
int HttpServer::open_streams() const { return impl_->open_streams_.load(); }
size_t HttpServer::worker_queue_depth() const {
  return impl_->pool_ ? impl_->pool_->queue_depth() : 0;
}

}  // namespace firegrid::gateway
