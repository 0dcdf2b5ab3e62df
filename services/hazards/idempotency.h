#pragma once

#include <string>

#include "absl/status/status.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::hazards {


// Report idempotency: a caller's `idempotency_key` stands for one request. A retry with the same
// key and the same request gets the hazard the first one made; the same key with a different
// request is refused (FAILED_PRECONDITION naming the key), as payment APIs do, instead of
// silently answering with a hazard the caller did not describe.

// Whose keys they are: the caller's subject; for a public channel its subject in its district
// ("channel:wechat@500109"), since channels of the same name serve several districts.
std::string IdempotencyOwner(const auth::Principal& p);

// SHA-256 (hex) of the canonical request: its deterministic serialisation without the key.
std::string ReportDigest(const v1::ReportHazardRequest& req);

// OK when the request's digest matches the one stored with the key (a key stored before digests
// were kept has an empty digest and matches any request); FAILED_PRECONDITION otherwise.
absl::Status CheckSameReport(const std::string& key, const std::string& stored_digest,
                             const std::string& digest);

}  // namespace firegrid::hazards
