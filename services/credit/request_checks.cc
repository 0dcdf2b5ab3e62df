#include "services/credit/request_checks.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status.h"

namespace firegrid::credit {
namespace {

constexpr size_t kMaxText = 2000;
constexpr size_t kMaxRequestId = 128;
constexpr int kMaxEvidence = 20;

size_t CharCount(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool IsHex(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

absl::Status RequireText(absl::string_view field, const std::string& value) {
  if (absl::StripAsciiWhitespace(value).empty()) return InvalidField(field, "required");
  if (CharCount(value) > kMaxText) {
    return InvalidField(field, absl::StrCat("at most ", kMaxText, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(const std::string& id) {
  if (id.size() > kMaxRequestId) {
    return InvalidField("request_id", absl::StrCat("at most ", kMaxRequestId, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckEvidence(const google::protobuf::RepeatedPtrField<std::string>& evidence,
                           bool required) {
  if (required && evidence.empty()) return InvalidField("evidence", "at least one is required");
  if (evidence.size() > kMaxEvidence) {
    return InvalidField("evidence", absl::StrCat("at most ", kMaxEvidence, " items"));
  }
  for (int i = 0; i < evidence.size(); ++i) {
    const std::string& e = evidence[i];
    const bool url = (absl::StartsWith(e, "https://") || absl::StartsWith(e, "http://")) &&
                     e.size() <= kMaxText && e.find_first_of(" \t\r\n") == std::string::npos;
    const bool hash = absl::StartsWith(e, "sha256:") && e.size() == 7 + 64 && IsHex(e.substr(7));
    if (!url && !hash) {
      return InvalidField(absl::StrCat("evidence[", i, "]"),
                          "an http(s) URL or \"sha256:<64 lower-case hex>\"");
    }
  }
  return absl::OkStatus();
}

}  // namespace firegrid::credit
