#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "firegrid/config/v1/gateway.pb.h"
#include "libs/common/clock.h"
#include "services/gateway/evidence/evidence_handler.h"

namespace firegrid::gateway::evidence {

// Where an S3 store is: the parsed endpoint and the object naming.
struct S3Location {
  bool https = true;
  std::string host;  // as in the endpoint; an IPv6 literal without brackets
  int port = 443;
  std::string region;
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'; may be empty
  bool path_style = false;

  // The object key of a blob: "<prefix>/sha256/<2 hex>/<64 hex>" ("sha256/..." without prefix).
  std::string Key(absl::string_view hex) const;
  // The host the client connects to and signs: "<bucket>.<host>" (virtual-hosted) or "<host>"
  // (path style).
  std::string ConnectHost() const;
  // The Host header: ConnectHost() with ":<port>" unless the port is the scheme's default.
  std::string HostHeader() const;
  // The request path, URI-encoded: "/<bucket>/<key>" (path style) or "/<key>".
  std::string ObjectPath(absl::string_view hex) const;
};

// Validates the config (field names in the errors: evidence.s3.endpoint, region, bucket,
// prefix). The endpoint is https://host[:port]; plain http:// only to a loopback host
// (127.0.0.0/8, ::1, localhost: a local MinIO in development and tests), so keys and evidence
// never cross a network in clear.
absl::StatusOr<S3Location> ParseS3Location(const config::v1::S3Store& config);

// A key kept in a file (never in the config), trimmed of surrounding whitespace, read again when
// the file changes (its inode, size or modification time: a Kubernetes Secret volume swaps the
// file in place when the secret is rotated). Thread-safe.
class KeyFile {
 public:
  // INVALID_ARGUMENT naming `field` when the file cannot be read or is empty.
  static absl::StatusOr<std::unique_ptr<KeyFile>> Open(std::string path, std::string field);
  // The current value. When the file changed but cannot be read (or is empty) the last value
  // stays, and a warning is logged.
  std::string Value();

 private:
  struct Identity {
    uint64_t inode = 0;
    int64_t size = -1;
    int64_t mtime_ns = 0;
    bool operator==(const Identity&) const = default;
  };
  KeyFile(std::string path, std::string field) : path_(std::move(path)), field_(std::move(field)) {}
  absl::Status Load();  // requires mu_

  const std::string path_;
  const std::string field_;
  absl::Mutex mu_;
  std::string value_ ABSL_GUARDED_BY(mu_);
  Identity identity_ ABSL_GUARDED_BY(mu_);
};

// Evidence as objects of an S3-compatible store (AWS S3, MinIO, Ceph RGW, OSS/COS in S3 mode),
// signed with AWS Signature V4 (payload signed). Put: HEAD the object; when it is there already
// nothing is sent again, else PUT it with its Content-Type (a PUT is atomic in S3: the object
// is all there or not at all). Get: GET, its Content-Type is the media type; the bytes must hash
// to the key (DATA_LOSS otherwise). Errors of the store are UNAVAILABLE (the detail logged).
// One connection per request (TLS verified against the system's CA store).
class S3BlobStore final : public BlobStore {
 public:
  // Reads the key files now (KeyFile: INVALID_ARGUMENT naming the field when unreadable or
  // empty), and again whenever they change. `clock` (for x-amz-date) must outlive the store.
  // `ca_cert_file`: a PEM bundle trusted instead of the system's CA store (tests); empty = the
  // system's.
  static absl::StatusOr<std::unique_ptr<S3BlobStore>> Create(const config::v1::S3Store& config,
                                                             Clock* clock,
                                                             std::string ca_cert_file = "");

  absl::StatusOr<std::string> Put(absl::string_view bytes, absl::string_view media_type) override;
  absl::StatusOr<Blob> Get(absl::string_view sha256_hex) override;

  const S3Location& location() const { return location_; }

 private:
  S3BlobStore(S3Location location, std::unique_ptr<KeyFile> key_id, std::unique_ptr<KeyFile> secret,
              Clock* clock, std::string ca_cert_file)
      : location_(std::move(location)),
        key_id_(std::move(key_id)),
        secret_(std::move(secret)),
        clock_(clock),
        ca_cert_file_(std::move(ca_cert_file)) {}

  S3Location location_;
  std::unique_ptr<KeyFile> key_id_;
  std::unique_ptr<KeyFile> secret_;
  Clock* clock_;
  std::string ca_cert_file_;
};

}  // namespace firegrid::gateway::evidence
