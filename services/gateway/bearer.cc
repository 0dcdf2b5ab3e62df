#include "services/gateway/bearer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/gateway/http_util.h"

namespace firegrid::gateway {

absl::StatusOr<auth::Principal> BearerGate::CheckToken(const std::string& token,
                                                       const std::string& client_address) const {
  if (failures_ != nullptr && !failures_->Available(client_address)) {
    return absl::ResourceExhaustedError("too many failed authentications from this address");
  }
  absl::StatusOr<auth::Principal> who = verifier_->Verify(token, clock_->Now());
  if (!who.ok()) {
    if (failures_ != nullptr) failures_->Allow(client_address);
    return absl::UnauthenticatedError(who.status().message());
  }
  return who;
}

absl::StatusOr<std::string> BearerGate::Check(const HttpRequest& request) const {
  if (failures_ != nullptr && !failures_->Available(request.client_address)) {
    return absl::ResourceExhaustedError("too many failed authentications from this address");
  }
  const std::string header = request.Header("authorization");
  if (header.empty()) return absl::UnauthenticatedError("missing Authorization: Bearer header");
  if (header.size() < 8 || !absl::EqualsIgnoreCase(header.substr(0, 7), "bearer ") ||
      absl::StrContains(header, ",")) {
    if (failures_ != nullptr) failures_->Allow(request.client_address);
    return absl::UnauthenticatedError("Authorization is not a single bearer credential");
  }
  std::string token(absl::StripAsciiWhitespace(header.substr(7)));
  auto who = CheckToken(token, request.client_address);
  if (!who.ok()) return who.status();
  if (principals_ != nullptr) {
    const auth::LimitDecision d = principals_->Take(who->subject);
    if (!d.allowed) {
      return WithRetryAfter(
          absl::ResourceExhaustedError(
              absl::StrCat("rate limit of this principal exceeded; retry in ",
                           absl::FormatDuration(absl::Ceil(d.retry_after, absl::Milliseconds(1))))),
          d.retry_after);
    }
  }
  return token;
}

}  // namespace firegrid::gateway
