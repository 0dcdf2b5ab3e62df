#include "libs/auth/grpc_auth.h"

#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace firegrid::auth {
namespace {

constexpr char kAuthorization[] = "authorization";
constexpr absl::string_view kBearer = "bearer ";

}  // namespace

absl::StatusOr<Principal> AuthenticateContext(const grpc::ServerContextBase& ctx,
                                              const TokenVerifier& verifier, absl::Time now) {
  const auto& md = ctx.client_metadata();
  auto [first, last] = md.equal_range(kAuthorization);
  if (first == last) return absl::UnauthenticatedError("missing authorization metadata");
  if (std::next(first) != last) {
    return absl::UnauthenticatedError("more than one authorization metadata entry");
  }
  absl::string_view value(first->second.data(), first->second.size());
  // The auth scheme is case-insensitive (RFC 7235 §2.1).
  if (value.size() <= kBearer.size() || !absl::StartsWithIgnoreCase(value, kBearer)) {
    return absl::UnauthenticatedError("authorization metadata is not a Bearer token");
  }
  absl::string_view token = absl::StripAsciiWhitespace(value.substr(kBearer.size()));
  return verifier.Verify(token, now);
}

void AttachToken(grpc::ClientContext* ctx, const std::string& token) {
  ctx->AddMetadata(kAuthorization, "Bearer " + token);
}

std::string PeerAddress(absl::string_view peer) {
  if (!absl::StartsWith(peer, "ipv4:") && !absl::StartsWith(peer, "ipv6:")) {
    return std::string(peer);
  }
  const size_t colon = peer.rfind(':');
  if (colon <= 4) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

absl::StatusOr<Principal> Authenticator::Check(const grpc::ServerContextBase& ctx,
                                               absl::Duration* retry_after) const {
  if (admission_ != nullptr) {
    if (std::optional<absl::Duration> delay = admission_->Refuse(ctx); delay.has_value()) {
      *retry_after = *delay;
      return absl::ResourceExhaustedError(
          absl::StrCat("server overloaded; retry in ",
                       absl::FormatDuration(absl::Ceil(*delay, absl::Milliseconds(1)))));
    }
  }
  std::string address;
  if (failure_limiter_ != nullptr) {
    address = PeerAddress(ctx.peer());
    if (!failure_limiter_->Available(address)) {
      return absl::ResourceExhaustedError(
          "too many failed authentications from this client address; retry later");
    }
  }
  absl::StatusOr<Principal> p = AuthenticateContext(ctx, *verifier_, clock_->Now());
  if (!p.ok()) {
    if (failure_limiter_ != nullptr) failure_limiter_->Allow(address);
    return p;
  }
  if (limiter_ != nullptr) {
    const LimitDecision d = limiter_->Take(p->subject);
    if (!d.allowed) {
      *retry_after = d.retry_after;
      return absl::ResourceExhaustedError(
          absl::StrCat("rate limit of this principal exceeded; retry in ",
                       absl::FormatDuration(absl::Ceil(d.retry_after, absl::Milliseconds(1)))));
    }
  }
  return p;
}

absl::StatusOr<Principal> Authenticator::Authenticate(const grpc::ServerContextBase& ctx) const {
  absl::Duration retry_after;
  return Check(ctx, &retry_after);
}

absl::StatusOr<Principal> Authenticator::Authenticate(grpc::ServerContextBase& ctx) const {
  absl::Duration retry_after = absl::ZeroDuration();
  absl::StatusOr<Principal> p = Check(ctx, &retry_after);
  if (retry_after > absl::ZeroDuration()) {
    ctx.AddTrailingMetadata(
        kRetryPushbackKey,
        absl::StrCat(absl::ToInt64Milliseconds(absl::Ceil(retry_after, absl::Milliseconds(1)))));
  }
  return p;
}

}  // namespace firegrid::auth
