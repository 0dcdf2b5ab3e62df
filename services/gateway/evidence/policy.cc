#include "services/gateway/evidence/policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/common/status.h"

namespace firegrid::gateway::evidence {

const std::vector<std::string>& KnownMediaTypes() {
  static const auto* types =
      new std::vector<std::string>{"image/jpeg", "image/png", "image/webp", "application/pdf"};
  return *types;
}

std::string SniffMediaType(absl::string_view bytes) {
  if (absl::StartsWith(bytes, absl::string_view("\xFF\xD8\xFF", 3))) return "image/jpeg";
  if (absl::StartsWith(bytes, absl::string_view("\x89PNG\r\n\x1A\n", 8))) return "image/png";
  if (bytes.size() >= 12 && absl::StartsWith(bytes, "RIFF") && bytes.substr(8, 4) == "WEBP") {
    return "image/webp";
  }
  if (absl::StartsWith(bytes, "%PDF-")) return "application/pdf";
  return "";
}

std::string MediaTypeOf(absl::string_view content_type) {
  absl::string_view type = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
}

bool EvidencePolicy::Accepts(absl::string_view media_type) const {
  return std::find(media_types.begin(), media_types.end(), media_type) != media_types.end();
}

absl::StatusOr<EvidencePolicy> ResolvePolicy(const config::v1::EvidenceStore& config) {
  EvidencePolicy policy;
  if (config.max_bytes() < 0) return InvalidField("evidence.max_bytes", "must not be negative");
  if (config.max_bytes() > 0) policy.max_bytes = config.max_bytes();
  const auto& known = KnownMediaTypes();
  if (config.media_types().empty()) {
    policy.media_types = known;
    return policy;
  }
  for (const std::string& type : config.media_types()) {
    if (std::find(known.begin(), known.end(), type) == known.end()) {
      return InvalidField("evidence.media_types",
                          absl::StrCat("'", type, "' has no known signature (known: ",
                                       absl::StrJoin(known, ", "), ")"));
    }
    if (policy.Accepts(type)) {
      return InvalidField("evidence.media_types", absl::StrCat("'", type, "' is listed twice"));
    }
    policy.media_types.push_back(type);
  }
  return policy;
}

}  // namespace firegrid::gateway::evidence
