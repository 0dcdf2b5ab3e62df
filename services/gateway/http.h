#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid::gateway {

// One HTTP request as the gateway's handlers see it: parsed, size-checked, with the client's
// address resolved. Handlers run on the gateway's worker pool (they may block on a gRPC call);
// the network threads never run handler code.
struct HttpRequest {
  std::string method;      // "GET", "POST", ... (upper case)
  std::string path;        // percent-decoded path, without the query string
  std::string raw_target;  // as received, e.g. "/open311/v2/requests.json?status=open"
  // Percent-decoded query parameters in the order received ('+' is a space).
  std::multimap<std::string, std::string> query;
  // Header names in lower case; repeated headers joined with ", ".
  absl::flat_hash_map<std::string, std::string> headers;
  std::string body;
  // The client's IP address (the peer, or the last hop a trusted proxy names in X-Forwarded-For).
  std::string client_address;
  std::string request_id;  // X-Request-Id when valid, else generated; echoed in the response

  // "" when absent.
  std::string Header(absl::string_view lower_case_name) const {
    auto it = headers.find(std::string(lower_case_name));
    return it == headers.end() ? std::string() : it->second;
  }
  // The first value of a query parameter, "" when absent.
  std::string Query(absl::string_view name) const {
    auto it = query.find(std::string(name));
    return it == query.end() ? std::string() : it->second;
  }
};

// The write side of a streamed response (server-sent events): what the server gives a
// ResponseStream once the response's headers are out. Thread-safe and non-blocking: chunks are
// queued and written by the network threads in order.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues `chunk`; ignored once the stream is closed.
  virtual void Write(std::string chunk) = 0;
  // Ends the response once the queued chunks are written (the connection is closed).
  virtual void Finish() = 0;
};

// The body of a streamed response, produced asynchronously (no thread is held while it waits).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Called once, on a network thread, after the headers are written. `writer` stays valid (and
  // harmless after the connection is gone) for as long as the stream holds it.
  virtual void Start(std::shared_ptr<StreamWriter> writer) = 0;
  // The client went away, a write failed or the server stops: stop producing. Called once, after
  // Start (or instead of it when the headers could not be written), on any thread.
  virtual void Cancel() = 0;
};

struct HttpResponse {
  int status = 200;
  // Content-Type and any other headers of the handler; the server adds the security headers
  // (CSP, nosniff, frame options, referrer policy), X-Request-Id and CORS where they apply.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set for a streamed response: `body` is ignored, the connection carries `stream`'s chunks
  // until either side ends it (no Content-Length; the end of the body is the connection's).
  std::shared_ptr<ResponseStream> stream;
  // For a streamed response: `keepalive_chunk` is written whenever the stream has been idle this
  // long (e.g. an SSE comment), so that dead connections are noticed on both sides.
  absl::Duration keepalive_interval = absl::ZeroDuration();
  std::string keepalive_chunk;

  static HttpResponse Make(int status, std::string content_type, std::string body) {
    HttpResponse r;
    r.status = status;
    r.headers.emplace_back("Content-Type", std::move(content_type));
    r.body = std::move(body);
    return r;
  }
};

// A part of the gateway's URL space (the JSON API, Open311, the console's files, ...).
class Handler {
 public:
  virtual ~Handler() = default;
  // Called on a worker thread; thread-safe. Never throws.
  virtual HttpResponse Handle(const HttpRequest& request) = 0;
};

}  // namespace firegrid::gateway
