#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/redis/pool.h"

namespace firegrid::redis {

// A lease in one Redis key: at most one owner at a time among the replicas that compete for it,
// until it is released or `duration` passes without a renewal. What the outbox relay and the
// credit applier use so that one replica at a time does their work.

// Takes the free lease `key` for `owner`, or renews it when `owner` holds it already; true when
// `owner` holds it afterwards, false when another does. A failed call (UNAVAILABLE...) cannot
// tell: callers behave as if they did not hold it.
absl::StatusOr<bool> TakeLease(Pool& pool, const std::string& key, const std::string& owner,
                               absl::Duration duration);

// Gives the lease up if `owner` holds it (another's is left alone).
absl::Status ReleaseLease(Pool& pool, const std::string& key, const std::string& owner);

}  // namespace firegrid::redis
