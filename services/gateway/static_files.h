#pragma once

#include <string>

#include "services/gateway/http.h"

namespace firegrid::gateway {

// The console's files from a directory (console/dist): GET only; a path with a ".."
// or "." segment, a backslash, or one that resolves (through symbolic links) outside the
// directory is refused (400/404). An unknown path without a file extension gets index.html
// (the console routes in the browser); an unknown file is 404. Caching: index.html no-cache;
// hashed assets (under /assets/ or named <name>-<hash>.<ext>) a year, immutable; others an
// hour. Content-Type from the extension (unknown: application/octet-stream).
class StaticFilesHandler : public Handler {
 public:
  explicit StaticFilesHandler(std::string root);
  HttpResponse Handle(const HttpRequest& request) override;

 private:
  std::string root_;  // real path, no trailing slash ("" when the directory does not exist)
  std::string configured_root_;
};

// The Content-Type of a file name by its extension.
std::string ContentTypeOf(const std::string& name);

}  // namespace firegrid::gateway
