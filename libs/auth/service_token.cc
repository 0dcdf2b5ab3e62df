#include "libs/auth/service_token.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/status.h"
#include "nlohmann/json.hpp"

namespace firegrid::auth {

absl::StatusOr<absl::Time> JwtExpiry(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError("not a JWT (three base64url parts)");
  }
  std::string payload;
  if (!absl::WebSafeBase64Unescape(parts[1], &payload)) {
    return absl::InvalidArgumentError("not a JWT (payload is not base64url)");
  }
  nlohmann::json claims = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object() || !claims.contains("exp") || !claims["exp"].is_number()) {
    return absl::InvalidArgumentError("not a JWT with a numeric exp claim");
  }
  return absl::FromUnixSeconds(claims["exp"].get<int64_t>());
}

absl::StatusOr<std::unique_ptr<ServiceToken>> ServiceToken::Create(ServiceTokenOptions options,
                                                                   Clock* clock) {
  if (options.service_name.empty() && options.subject.empty()) {
    return absl::InvalidArgumentError("service name: empty");
  }
  if (options.role == Role::kUnspecified) return absl::InvalidArgumentError("role: unspecified");
  if (options.lifetime < absl::Seconds(2)) {
    return absl::InvalidArgumentError("service token lifetime: at least 2 seconds");
  }
  std::unique_ptr<ServiceToken> t(new ServiceToken(std::move(options), clock));
  absl::MutexLock l(&t->mu_);
  if (!t->options_.token_file.empty()) {
    absl::Status s = t->ReloadFileIfChanged();
    if (!s.ok())
      return absl::InvalidArgumentError(absl::StrCat("--service-token-file: ", s.message()));
    return t;
  }
  if (t->options_.hs256_key.empty()) {
    return absl::InvalidArgumentError(
        "--service-token-file: required unless the runtime has an HS256 key (development)");
  }
  auto signer = TokenSigner::Hs256(t->options_.hs256_key);
  if (!signer.ok()) return signer.status();
  t->signer_ = std::move(*signer);
  if (absl::Status s = t->Mint(); !s.ok()) return s;
  return t;
}

absl::Status ServiceToken::ReloadFileIfChanged() {
  struct stat st;
  if (::stat(options_.token_file.c_str(), &st) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot read ", options_.token_file));
  }
  int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (st.st_size == file_size_ && mtime_ns == file_mtime_ns_) return absl::OkStatus();
  std::ifstream in(options_.token_file, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", options_.token_file));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(ss.str()));
  auto exp = JwtExpiry(token);
  if (!exp.ok()) {
    return absl::UnavailableError(absl::StrCat(options_.token_file, ": ", exp.status().message()));
  }
  token_ = std::move(token);
  expiry_ = *exp;
  file_size_ = st.st_size;
  file_mtime_ns_ = mtime_ns;
  return absl::OkStatus();
}

absl::Status ServiceToken::Mint() {
  Principal p;
  p.subject =
      options_.subject.empty() ? absl::StrCat("service:", options_.service_name) : options_.subject;
  p.role = options_.role;
  p.tier_path = options_.tier_path;
  absl::Time now = clock_->Now();
  auto token = signer_->Sign(p, now, options_.lifetime, options_.issuer, options_.audience);
  if (!token.ok()) return token.status();
  token_ = std::move(*token);
  // Sign() counts whole seconds from issued_at.
  expiry_ = absl::FromUnixSeconds(absl::ToUnixSeconds(now)) +
            absl::Trunc(options_.lifetime, absl::Seconds(1));
  renew_at_ = now + options_.lifetime / 2;
  return absl::OkStatus();
}

absl::StatusOr<std::string> ServiceToken::Current() {
  absl::MutexLock l(&mu_);
  absl::Time now = clock_->Now();
  if (signer_ != nullptr) {
    if (now >= renew_at_) FG_RETURN_IF_ERROR(Mint());
    return token_;
  }
  absl::Status reload = ReloadFileIfChanged();
  if (now >= expiry_) {
    return absl::UnavailableError(absl::StrCat(
        "the service token in ", options_.token_file, " expired at ", absl::FormatTime(expiry_),
        reload.ok() ? "" : absl::StrCat(" (", reload.message(), ")")));
  }
  return token_;
}

}  // namespace firegrid::auth
