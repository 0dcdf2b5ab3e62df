#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "firegrid/config/v1/gateway.pb.h"

namespace firegrid::gateway::evidence {

// What an upload may be: its size and its media type, which the declared Content-Type names
// and the content's first bytes (its signature) must confirm.

// The media types whose signature is known; only these may be accepted.
//   image/jpeg       FF D8 FF
//   image/png        89 50 4E 47 0D 0A 1A 0A
//   image/webp       "RIFF" <4 bytes of size> "WEBP"
//   application/pdf  "%PDF-"
const std::vector<std::string>& KnownMediaTypes();

// The known media type whose signature `bytes` starts with; "" when none does.
std::string SniffMediaType(absl::string_view bytes);

// The media type of a Content-Type header value: lower case, without parameters or spaces
// ("Image/JPEG; charset=x" -> "image/jpeg"); "" for an empty value.
std::string MediaTypeOf(absl::string_view content_type);

inline constexpr int64_t kDefaultMaxBytes = 10 * 1024 * 1024;

struct EvidencePolicy {
  int64_t max_bytes = kDefaultMaxBytes;
  std::vector<std::string> media_types;  // accepted, a subset of KnownMediaTypes()
  bool Accepts(absl::string_view media_type) const;
};

// The policy of the config with its defaults (max_bytes 0 -> 10 MiB; no media_types -> all
// known ones). INVALID_ARGUMENT naming the field: max_bytes negative, a media type whose
// signature is unknown (it could not be checked), a media type listed twice.
absl::StatusOr<EvidencePolicy> ResolvePolicy(const config::v1::EvidenceStore& config);

}  // namespace firegrid::gateway::evidence
