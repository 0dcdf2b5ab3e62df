#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/evidence/evidence_handler.h"

namespace firegrid::gateway::evidence {

// Evidence in a directory (a volume; a PersistentVolumeClaim in Kubernetes):
//   <root>/sha256/<first 2 hex>/<64 hex>        the bytes as uploaded (sha256sum-checkable)
//   <root>/sha256/<first 2 hex>/<64 hex>.type   its media type, e.g. "image/jpeg"
// Each file is written to a temporary file beside it (<name>.tmp.<random>, O_EXCL, 0600),
// fsynced, renamed into place, and the directory fsynced: a crash leaves either the whole file
// or none under its name (at worst a stray *.tmp.* file, never read and safe to delete). The
// type is written before the bytes, so a blob whose bytes are visible always has its type.
// Directories are created 0700, files 0600.
class DirectoryBlobStore final : public BlobStore {
 public:
  // Creates <root> (its parents as needed) and <root>/sha256 when missing. INVALID_ARGUMENT for
  // an empty root; UNAVAILABLE when they cannot be created or written.
  static absl::StatusOr<std::unique_ptr<DirectoryBlobStore>> Open(std::string root);

  absl::StatusOr<std::string> Put(absl::string_view bytes, absl::string_view media_type) override;
  absl::StatusOr<Blob> Get(absl::string_view sha256_hex) override;

  // Where the bytes of `sha256_hex` are (or would be) kept.
  std::string PathOf(absl::string_view sha256_hex) const;

 private:
  explicit DirectoryBlobStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace firegrid::gateway::evidence
