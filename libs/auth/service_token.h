#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"

namespace firegrid::auth {

// The bearer token a service sends when it calls another service as itself.
//
// Either from a file (--service-token-file: a JWT the platform issues and rotates, e.g. a
// projected Kubernetes secret): read again whenever the file changes (size or modification
// time); it must be a JWT with an `exp` claim, and Current() fails once that has passed.
// Or, without a file but with the runtime's HS256 key (development), minted by the service
// itself for subject "service:<name>", role internal_service, with `lifetime` (10 minutes) and
// renewed once half of it has passed. A minted token may carry another role, subject and
// tier_path (the gateway's Open311 channels: role public_channel, subject "channel:<name>",
// their district); the claims must be consistent for that role (claims.h) or the receiver
// refuses the token.
struct ServiceTokenOptions {
  std::string service_name;  // "monitoring" → subject "service:monitoring"
  std::string token_file;    // set: use the file
  std::string hs256_key;     // else: mint with this key (at least 32 bytes)
  std::string issuer;        // the iss / aud claims of minted tokens ("" → none)
  std::string audience;
  absl::Duration lifetime = absl::Minutes(10);
  // Minted tokens: the role, the subject (empty: "service:<service_name>") and the tier_path
  // claim (empty: none).
  Role role = Role::kInternalService;
  std::string subject;
  std::string tier_path;
};

class ServiceToken {
 public:
  // INVALID_ARGUMENT when neither a file nor a key is given, the key is too short, both the
  // name and the subject are empty, the role is unspecified, or the file is unreadable or not a
  // JWT with exp.
  static absl::StatusOr<std::unique_ptr<ServiceToken>> Create(ServiceTokenOptions options,
                                                              Clock* clock);

  // The token to send now. UNAVAILABLE when the file's token has expired (or the file became
  // unreadable or invalid: the last good token is kept until it expires). Thread-safe.
  absl::StatusOr<std::string> Current();

 private:
  ServiceToken(ServiceTokenOptions options, Clock* clock)
      : options_(std::move(options)), clock_(clock) {}
  absl::Status ReloadFileIfChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Mint() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ServiceTokenOptions options_;
  Clock* clock_;
  std::unique_ptr<TokenSigner> signer_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time expiry_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time renew_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The file's identity when last read.
  int64_t file_size_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t file_mtime_ns_ ABSL_GUARDED_BY(mu_) = -1;
};

// The `exp` of a JWT (compact serialisation), read without verifying it (the receiver does).
// INVALID_ARGUMENT when it is not three base64url parts with a JSON payload holding a numeric exp.
absl::StatusOr<absl::Time> JwtExpiry(absl::string_view token);

}  // namespace firegrid::auth
