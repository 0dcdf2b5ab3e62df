#include "services/gateway/evidence/s3_store.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "httplib.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "services/gateway/http_util.h"
#include "services/gateway/evidence/hashing.h"
#include "services/gateway/evidence/policy.h"
#include "services/gateway/evidence/sigv4.h"

namespace firegrid::gateway::evidence {
namespace {

// The largest object Get reads: above any upload limit anyone would configure.
constexpr size_t kMaxObjectBytes = 64 * 1024 * 1024;
constexpr time_t kTimeoutSeconds = 30;

bool ValidHostName(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

std::unique_ptr<httplib::ClientImpl> NewClient(const S3Location& loc,
                                               const std::string& ca_cert_file) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (loc.https) {
    auto ssl = std::make_unique<httplib::SSLClient>(loc.ConnectHost(), loc.port);
    if (!ca_cert_file.empty()) ssl->set_ca_cert_path(ca_cert_file.c_str());
    ssl->enable_server_certificate_verification(true);
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(loc.ConnectHost(), loc.port);
  }
  client->set_connection_timeout(kTimeoutSeconds, 0);
  client->set_read_timeout(kTimeoutSeconds, 0);
  client->set_write_timeout(kTimeoutSeconds, 0);
  client->set_follow_location(false);
  client->set_keep_alive(false);
  client->set_url_encode(false);  // paths are encoded here, as they are signed
  client->set_decompress(false);
  return client;
}

absl::Status StoreError(absl::string_view op, absl::string_view key, const std::string& detail) {
  log::Warn("evidence store request failed",
            {{"op", std::string(op)}, {"key", std::string(key)}, {"detail", detail}});
  return absl::UnavailableError(absl::StrCat("evidence store: ", op, " failed"));
}

}  // namespace

std::string S3Location::Key(absl::string_view hex) const {
  std::string key = prefix.empty() ? "" : prefix + "/";
  absl::StrAppend(&key, "sha256/", hex.substr(0, 2), "/", hex);
  return key;
}

std::string S3Location::ConnectHost() const {
  return path_style ? host : absl::StrCat(bucket, ".", host);
}

std::string S3Location::HostHeader() const {
  std::string h =
      absl::StrContains(ConnectHost(), ':') ? absl::StrCat("[", ConnectHost(), "]") : ConnectHost();
  if (port != (https ? 443 : 80)) absl::StrAppend(&h, ":", port);
  return h;
}

std::string S3Location::ObjectPath(absl::string_view hex) const {
  return UriEncodePath(path_style ? absl::StrCat("/", bucket, "/", Key(hex))
                                  : absl::StrCat("/", Key(hex)));
}

absl::StatusOr<S3Location> ParseS3Location(const config::v1::S3Store& config) {
  S3Location loc;
  absl::string_view rest = config.endpoint();
  if (absl::ConsumePrefix(&rest, "https://")) {
    loc.https = true;
    loc.port = 443;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    loc.https = false;
    loc.port = 80;
  } else {
    return InvalidField("evidence.s3.endpoint", "must be https://host[:port]");
  }
  absl::ConsumeSuffix(&rest, "/");
  if (rest.find_first_of("/?#@") != absl::string_view::npos) {
    return InvalidField("evidence.s3.endpoint", "must be https://host[:port] (no path or user)");
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&rest, "[")) {
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) {
      return InvalidField("evidence.s3.endpoint", "has an unclosed '['");
    }
    loc.host = std::string(rest.substr(0, close));
    absl::string_view after = rest.substr(close + 1);
    if (!after.empty() && !absl::ConsumePrefix(&after, ":")) {
      return InvalidField("evidence.s3.endpoint", "must be https://host[:port]");
    }
    port_text = after;
    in6_addr v6;
    if (::inet_pton(AF_INET6, loc.host.c_str(), &v6) != 1) {
      return InvalidField("evidence.s3.endpoint", "has a bad IPv6 address");
    }
  } else {
    const size_t colon = rest.find(':');
    loc.host = std::string(rest.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return InvalidField("evidence.s3.endpoint", "has an empty port");
    }
    if (!ValidHostName(loc.host)) {
      return InvalidField("evidence.s3.endpoint", "has a bad host name");
    }
  }
  if (!port_text.empty()) {
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return InvalidField("evidence.s3.endpoint", "has a bad port");
    }
    loc.port = port;
  }
  if (!loc.https && !IsLoopbackHost(loc.host)) {
    return InvalidField("evidence.s3.endpoint",
                        "must use https:// (plain http only to a loopback host)");
  }
  loc.region = config.region();
  if (loc.region.empty() || loc.region.size() > 64 ||
      loc.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return InvalidField("evidence.s3.region", "must be a region name such as us-east-1");
  }
  loc.bucket = config.bucket();
  if (loc.bucket.size() < 3 || loc.bucket.size() > 63 ||
      loc.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
    return InvalidField("evidence.s3.bucket", "must be 3-63 of [a-z0-9.-]");
  }
  absl::string_view prefix = config.prefix();
  while (absl::ConsumePrefix(&prefix, "/")) {
  }
  while (absl::ConsumeSuffix(&prefix, "/")) {
  }
  if (prefix.size() > 512) return InvalidField("evidence.s3.prefix", "is longer than 512 bytes");
  for (absl::string_view segment : absl::StrSplit(prefix, '/')) {
    if (!prefix.empty() && (segment.empty() || segment == "." || segment == "..")) {
      return InvalidField("evidence.s3.prefix", "has an empty, '.' or '..' segment");
    }
  }
  loc.prefix = std::string(prefix);
  loc.path_style = config.path_style();
  return loc;
}

absl::StatusOr<std::unique_ptr<KeyFile>> KeyFile::Open(std::string path, std::string field) {
  if (path.empty()) return InvalidField(field, "is required");
  std::unique_ptr<KeyFile> file(new KeyFile(std::move(path), std::move(field)));
  absl::MutexLock l(&file->mu_);
  FG_RETURN_IF_ERROR(file->Load());
  return file;
}

absl::Status KeyFile::Load() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    return InvalidField(field_, absl::StrCat("cannot read ", path_));
  }
  Identity identity{static_cast<uint64_t>(st.st_ino), static_cast<int64_t>(st.st_size),
                    static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  if (identity == identity_) return absl::OkStatus();
  std::ifstream in(path_, std::ios::binary);
  if (!in) return InvalidField(field_, absl::StrCat("cannot read ", path_));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string value(absl::StripAsciiWhitespace(ss.str()));
  if (value.empty()) return InvalidField(field_, absl::StrCat(path_, " is empty"));
  value_ = std::move(value);
  identity_ = identity;
  return absl::OkStatus();
}

std::string KeyFile::Value() {
  absl::MutexLock l(&mu_);
  if (absl::Status s = Load(); !s.ok()) {
    log::Warn("evidence store key file unreadable; keeping the last key",
              {{"detail", std::string(s.message())}});
  }
  return value_;
}

absl::StatusOr<std::unique_ptr<S3BlobStore>> S3BlobStore::Create(const config::v1::S3Store& config,
                                                                 Clock* clock,
                                                                 std::string ca_cert_file) {
  FG_ASSIGN_OR_RETURN(S3Location location, ParseS3Location(config));
  FG_ASSIGN_OR_RETURN(std::unique_ptr<KeyFile> key_id,
                      KeyFile::Open(config.access_key_id_file(), "evidence.s3.access_key_id_file"));
  FG_ASSIGN_OR_RETURN(
      std::unique_ptr<KeyFile> secret,
      KeyFile::Open(config.secret_access_key_file(), "evidence.s3.secret_access_key_file"));
  return std::unique_ptr<S3BlobStore>(new S3BlobStore(
      std::move(location), std::move(key_id), std::move(secret), clock, std::move(ca_cert_file)));
}

namespace {

// Headers of a signed request for `path` with a body hashing to `payload_hex`, plus `extra`
// (signed too).
httplib::Headers SignedHeadersFor(const S3Location& loc, absl::string_view key_id,
                                  absl::string_view secret, absl::Time now,
                                  absl::string_view method, const std::string& path,
                                  const std::string& payload_hex,
                                  std::vector<std::pair<std::string, std::string>> extra) {
  SigV4Request req;
  req.method = std::string(method);
  req.canonical_uri = path;
  req.payload_sha256_hex = payload_hex;
  req.headers = std::move(extra);
  req.headers.emplace_back("host", loc.HostHeader());
  req.headers.emplace_back("x-amz-date", AmzDate(now));
  req.headers.emplace_back("x-amz-content-sha256", payload_hex);
  httplib::Headers headers;
  for (const auto& [name, value] : req.headers) headers.emplace(name, value);
  headers.emplace("Authorization",
                  AuthorizationHeader(key_id, secret, loc.region, "s3", AmzDate(now), req));
  return headers;
}

}  // namespace

absl::StatusOr<std::string> S3BlobStore::Put(absl::string_view bytes,
                                             absl::string_view media_type) {
  const std::string hex = Sha256Hex(bytes);
  const std::string path = location_.ObjectPath(hex);
  const std::string empty_hex = Sha256Hex("");
  try {
    {
      auto client = NewClient(location_, ca_cert_file_);
      httplib::Result head =
          client->Head(path, SignedHeadersFor(location_, key_id_->Value(), secret_->Value(),
                                              clock_->Now(), "HEAD", path, empty_hex, {}));
      if (head && head->status == 200) return hex;  // stored before: once is enough
    }
    auto client = NewClient(location_, ca_cert_file_);
    httplib::Headers headers =
        SignedHeadersFor(location_, key_id_->Value(), secret_->Value(), clock_->Now(), "PUT", path,
                         hex, {{"content-type", std::string(media_type)}});
    headers.erase("content-type");  // httplib sends the Content-Type given below
    httplib::Result put =
        client->Put(path, headers, bytes.data(), bytes.size(), std::string(media_type));
    if (!put) return StoreError("PUT", path, httplib::to_string(put.error()));
    if (put->status != 200) return StoreError("PUT", path, absl::StrCat("HTTP ", put->status));
  } catch (const std::exception& e) {
    return StoreError("PUT", path, e.what());
  }
  return hex;
}

absl::StatusOr<BlobStore::Blob> S3BlobStore::Get(absl::string_view hex) {
  if (!IsSha256Hex(hex)) return InvalidField("sha256", "must be 64 lower-case hex digits");
  const std::string path = location_.ObjectPath(hex);
  Blob blob;
  try {
    auto client = NewClient(location_, ca_cert_file_);
    bool too_big = false;
    int status = 0;
    httplib::Result get = client->Get(
        path,
        SignedHeadersFor(location_, key_id_->Value(), secret_->Value(), clock_->Now(), "GET", path,
                         Sha256Hex(""), {}),
        [&](const httplib::Response& res) {
          status = res.status;
          blob.media_type = MediaTypeOf(res.get_header_value("Content-Type"));
          return true;
        },
        [&](const char* data, size_t n) {
          if (status != 200) return true;  // an error document: not kept
          if (blob.bytes.size() + n > kMaxObjectBytes) {
            too_big = true;
            return false;
          }
          blob.bytes.append(data, n);
          return true;
        });
    if (too_big) return absl::DataLossError(absl::StrCat("object ", path, " is too large"));
    if (!get) return StoreError("GET", path, httplib::to_string(get.error()));
    if (status == 404) return absl::NotFoundError("no such blob");
    if (status != 200) return StoreError("GET", path, absl::StrCat("HTTP ", status));
  } catch (const std::exception& e) {
    return StoreError("GET", path, e.what());
  }
  if (Sha256Hex(blob.bytes) != hex) {
    return absl::DataLossError(absl::StrCat("object ", path, " does not hash to its address"));
  }
  const auto& known = KnownMediaTypes();
  if (std::find(known.begin(), known.end(), blob.media_type) == known.end()) {
    return absl::DataLossError(absl::StrCat("object ", path, " has an unknown media type"));
  }
  return blob;
}

}  // namespace firegrid::gateway::evidence
