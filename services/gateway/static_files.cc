#include "services/gateway/static_files.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/gateway/http_util.h"

namespace firegrid::gateway {
namespace {

std::string RealPath(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) return "";
  return buf;
}

bool IsRegularFile(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool ReadFile(const std::string& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// "app-3F9A1C2B.js": a content hash of at least 8 letters/digits after the last '-'.
bool LooksHashed(const std::string& path) {
  if (absl::StartsWith(path, "/assets/")) return true;
  const std::string name = path.substr(path.rfind('/') + 1);
  const size_t dash = name.rfind('-'), dot = name.rfind('.');
  if (dash == std::string::npos || dot == std::string::npos || dot < dash) return false;
  const std::string hash = name.substr(dash + 1, dot - dash - 1);
  if (hash.size() < 8) return false;
  for (char c : hash) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string ContentTypeOf(const std::string& name) {
  const size_t dot = name.rfind('.');
  const std::string ext =
      dot == std::string::npos ? "" : absl::AsciiStrToLower(name.substr(dot + 1));
  static const std::pair<const char*, const char*> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"webp", "image/webp"},
      {"gif", "image/gif"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"woff", "font/woff"},
      {"txt", "text/plain; charset=utf-8"},
      {"webmanifest", "application/manifest+json"},
      {"mp3", "audio/mpeg"},
      {"ogg", "audio/ogg"},
      {"wav", "audio/wav"},
  };
  for (const auto& [e, t] : kTypes) {
    if (ext == e) return t;
  }
  return "application/octet-stream";
}

StaticFilesHandler::StaticFilesHandler(std::string root)
    : root_(RealPath(root)), configured_root_(std::move(root)) {}

HttpResponse StaticFilesHandler::Handle(const HttpRequest& request) {
  if (request.method != "GET") {
    HttpResponse r = JsonError(405, absl::StatusCode::kInvalidArgument, "use GET");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  const std::string& path = request.path;
  if (path.empty() || path[0] != '/' || absl::StrContains(path, "\\")) {
    return JsonError(400, absl::StatusCode::kInvalidArgument, "path: not allowed");
  }
  for (absl::string_view seg : absl::StrSplit(path.substr(1), '/')) {
    if (seg == ".." || seg == ".") {
      return JsonError(400, absl::StatusCode::kInvalidArgument, "path: not allowed");
    }
  }
  if (root_.empty()) {
    return HttpResponse::Make(
        404, "text/plain; charset=utf-8",
        absl::StrCat("the console is not built: ", configured_root_,
                     " is missing (cd console && npm ci && npm run build)\n"));
  }
  std::string file = path == "/" ? "/index.html" : path;
  std::string full = RealPath(root_ + file);
  bool fallback = false;
  if (full.empty() || !IsRegularFile(full)) {
    const std::string last = path.substr(path.rfind('/') + 1);
    if (absl::StrContains(last, '.') || absl::StartsWith(path, "/api/") ||
        absl::StartsWith(path, "/open311/") || absl::StartsWith(path, "/.well-known/")) {
      return HttpResponse::Make(404, "text/plain; charset=utf-8", "not found\n");
    }
    fallback = true;
    file = "/index.html";
    full = RealPath(root_ + file);
  }
  if (full.empty() || !absl::StartsWith(full, root_ + "/") || !IsRegularFile(full)) {
    return HttpResponse::Make(404, "text/plain; charset=utf-8", "not found\n");
  }
  HttpResponse r;
  r.status = 200;
  if (!ReadFile(full, &r.body)) {
    return HttpResponse::Make(404, "text/plain; charset=utf-8", "not found\n");
  }
  r.headers.emplace_back("Content-Type", ContentTypeOf(file));
  if (fallback || file == "/index.html") {
    r.headers.emplace_back("Cache-Control", "no-cache");
  } else if (LooksHashed(file)) {
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
  }
  return r;
}

}  // namespace firegrid::gateway
