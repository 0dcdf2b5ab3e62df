#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace firegrid::gateway {

// One HTTP request as the gateway's handlers see it: parsed, size-checked, with the client's
// address resolved. Handlers run on the gateway's worker pool (they may block on a gRPC call);
// the network threads never run handler code.
struct HttpRequest {
  std::string method;  // "GET", "POST", ... (upper case)
  std::string path;    // percent-decoded path, without the query string
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

struct HttpResponse {
  int status = 200;
  // Content-Type and any other headers of the handler; the server adds the security headers
  // (CSP, nosniff, frame options, referrer policy), X-Request-Id and CORS where they apply.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

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
