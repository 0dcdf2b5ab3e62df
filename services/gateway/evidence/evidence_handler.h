#pragma once

// Evidence (photos, documents) of hazards: uploaded through the gateway, kept content-addressed
// by SHA-256, served only to callers who may see a hazard that names it. See README.md here.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "firegrid/config/v1/gateway.pb.h"
#include "grpcpp/channel.h"
#include "services/gateway/http.h"

namespace firegrid::gateway {

// Content-addressed storage of evidence: the address of some bytes is their SHA-256.
// Implementations are thread-safe.
class BlobStore {
 public:
  struct Blob {
    std::string bytes;
    std::string media_type;
  };

  virtual ~BlobStore() = default;

  // Stores `bytes` (of `media_type`, which the caller has checked) under their SHA-256 and
  // returns it as 64 lower-case hex digits. Bytes already stored are not stored again. When Put
  // returns OK the blob is durable; a failure or crash part-way leaves nothing visible under the
  // address. UNAVAILABLE when the store cannot be written.
  virtual absl::StatusOr<std::string> Put(absl::string_view bytes,
                                          absl::string_view media_type) = 0;

  // The blob stored under `sha256_hex`. INVALID_ARGUMENT unless it is 64 lower-case hex digits;
  // NOT_FOUND when nothing is stored there; DATA_LOSS when what is stored there does not hash
  // to the address; UNAVAILABLE when the store cannot be read.
  virtual absl::StatusOr<Blob> Get(absl::string_view sha256_hex) = 0;
};

// The store the config names: `directory` (created 0700 when missing) or `s3` (the key files
// are read now). INVALID_ARGUMENT naming the field for a config that cannot work (neither
// backend, a bad endpoint, unreadable key files, a negative max_bytes, a media type without a
// known signature); UNAVAILABLE when the directory cannot be created.
absl::StatusOr<std::unique_ptr<BlobStore>> NewBlobStore(const config::v1::EvidenceStore& config);

// The largest upload the config accepts (max_bytes, default 10 MiB): the gateway's body limit
// for POST /api/v1/evidence must not be below it.
int64_t EvidenceMaxBytes(const config::v1::EvidenceStore& config);

// The gateway's own look at a request's bearer token before anything is forwarded (its
// BearerGate::Check: the token verified with the services' keys, failing client addresses
// throttled): the token, or UNAUTHENTICATED / RESOURCE_EXHAUSTED, which is the answer.
using BearerCheck = std::function<absl::StatusOr<std::string>(const HttpRequest&)>;

// Answers
//   POST /api/v1/evidence                                 (upload; 201 {"uri","size","mediaType"})
//   GET  /api/v1/hazards/<hazard_id>/evidence/<64 hex>    (download)
// and 404 for every other path. Every request needs the caller's `Authorization: Bearer`, which
// `check` looks at first (when given; without it only the header's form is checked) and which
// then goes to the hazards service on `hazards` (ListGuidance to authorise an upload, GetHazard
// to authorise a download): the hazards service decides, the gateway adds no rule of its own.
// Give `check` in the gateway: otherwise bad tokens would reach the hazards service, whose
// throttle of failed authentications counts by client address, i.e. the gateway's.
// `config` must be valid (NewBlobStore accepted it); `store` must outlive the handler.
std::unique_ptr<Handler> NewEvidenceHandler(const config::v1::EvidenceStore& config,
                                            BlobStore* store,
                                            std::shared_ptr<grpc::Channel> hazards,
                                            BearerCheck check = nullptr);

}  // namespace firegrid::gateway
