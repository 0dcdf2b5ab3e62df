#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "firegrid/config/v1/gateway.pb.h"
#include "grpcpp/channel.h"
#include "libs/auth/rate_limit.h"
#include "libs/common/clock.h"
#include "services/gateway/http.h"

namespace firegrid::gateway {

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) at /open311/v2/ for the public
// reporting channels (WeChat mini-program, 12345 hotline, web). The handler holds no state of
// its own: a report is a hazard (source PUBLIC_TIP_OFF) filed with the hazards service under
// the channel's own token (role public_channel, subject "channel:<name>") for the nearest
// registered building within match_radius_m (buildings' FindNearby), else unmatched in that
// building's street or the district; every read asks the hazards service again.
// services/gateway/open311/README.md describes the mapping.
//
//   GET  /open311/v2/services.{json,xml}                  the public hazard categories
//   GET  /open311/v2/services/<service_code>.{json,xml}   a service's attributes
//   POST /open311/v2/requests.{json,xml}                  report (form-urlencoded or JSON)
//   GET  /open311/v2/requests.{json,xml}                  the channel's reports, filtered
//   GET  /open311/v2/requests/<service_request_id>.{json,xml}
//   GET  /open311/v2/tokens/<token>.{json,xml}
//
// The requests and tokens endpoints need the channel's `api_key` (the POST body's or the query's
// parameter, as GeoReport v2 has it); its SHA-256 is compared, in constant time, with the
// configured channels' hashes. Rate limits: per client address (every endpoint) and per key.
// Errors are GeoReport errors ([{"code":400,"description":"lat: ..."}] or
// <errors><error>...</error></errors>) with HTTP 400, 403, 404 (also for another
// jurisdiction_id), 405, 409, 429 or 500; the description names the parameter at fault.
struct Open311Backends {
  std::shared_ptr<grpc::Channel> hazards;    // firegrid.hazards.v1.HazardService
  std::shared_ptr<grpc::Channel> buildings;  // firegrid.buildings.v1.BuildingService
  // The bearer token of a channel (role public_channel, subject channel:<name>), or an error
  // (the request then fails with 500). NewOpen311ChannelTokens builds one from the config.
  std::function<absl::StatusOr<std::string>(const std::string& channel)> channel_token;
  // The HMAC-SHA256 key of request tokens (at least 32 bytes): a token is
  // "<service_request_id>.<base64url HMAC of the channel and the id>", so it resolves without
  // any state, and only for the channel it was issued to. Changing the key invalidates the
  // tokens issued before (the service_request_id stays valid).
  std::string request_token_key;
  Clock* clock = nullptr;
  absl::Duration rpc_deadline = absl::Seconds(10);  // per gRPC call
  // Makes the limiters of the channels' keys (per_minute) and of client addresses
  // (per_address_per_minute): `name` is "open311-key:<channel>" or "open311-address". The
  // gateway passes the runtime's (server::Runtime::NewLimiter: shared by its replicas through
  // Redis); unset: in memory, per replica, on `clock` (tests).
  std::function<std::unique_ptr<auth::Limiter>(const std::string& name, double rate_per_second,
                                               double burst)>
      new_limiter;
};

// INVALID_ARGUMENT naming the config field when the config is unusable: jurisdiction_id not
// "<prefix>.<6-digit district>" (e.g. "firegrid.500109"), a channel without a name (lower-case
// letters, digits, '_') or with a duplicate one, an api_key_sha256 that is not 64 lower-case
// hex digits (or is another channel's), negative limits, a match_radius_m outside [0, 3000];
// or when a backend, the token source, the clock or a long enough request_token_key is missing.
absl::StatusOr<std::unique_ptr<Handler>> NewOpen311Handler(const config::v1::Open311& config,
                                                           Open311Backends backends);

// The channel tokens for Open311Backends::channel_token, from the config: a channel with a
// token_file gets the JWT in that file, read again when the file changes (auth::ServiceToken);
// one without gets tokens minted with `hs256_key` (development: role public_channel, subject
// "channel:<name>", tier_path the jurisdiction's district, iss/aud when given). INVALID_ARGUMENT
// when the jurisdiction_id is unusable (as for NewOpen311Handler), a channel has no token_file
// and there is no key, or a file is unusable; NOT_FOUND later for a channel not in the config.
absl::StatusOr<std::function<absl::StatusOr<std::string>(const std::string& channel)>>
NewOpen311ChannelTokens(const config::v1::Open311& config, const std::string& hs256_key,
                        const std::string& issuer, const std::string& audience, Clock* clock);

}  // namespace firegrid::gateway
