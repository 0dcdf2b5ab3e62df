#include "services/hazards/idempotency.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace firegrid::hazards {

std::string IdempotencyOwner(const auth::Principal& p) {
  if (p.role == auth::Role::kPublicChannel) return absl::StrCat(p.subject, "@", p.tier_path);
  return p.subject;
}

std::string ReportDigest(const v1::ReportHazardRequest& req) {
  v1::ReportHazardRequest canonical = req;
  canonical.clear_idempotency_key();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    canonical.SerializeToCodedStream(&out);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), len));
}

absl::Status CheckSameReport(const std::string& key, const std::string& stored_digest,
                             const std::string& digest) {
  if (stored_digest.empty() || stored_digest == digest) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("idempotency_key '", key,
                   "' was already used for a different report; use a new key for a new report "
                   "(a retry must repeat the first request exactly)"));
}

}  // namespace firegrid::hazards
