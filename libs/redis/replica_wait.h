#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/redis/pool.h"
#include "libs/redis/reply.h"

namespace firegrid::redis {

// PoolOptions::wait_replicas: the WAIT a write sends after itself on the same connection (in the
// same pipeline), or nullopt when the pool asks for no acknowledgement.
std::optional<std::vector<std::string>> ReplicaWaitCommand(const PoolOptions& options);

// OK when WAIT's reply counts at least wait_replicas replicas; otherwise UNAVAILABLE, naming how
// many acknowledged (the write itself may still have happened).
absl::Status CheckReplicaWait(const PoolOptions& options, const Reply& wait_reply);

}  // namespace firegrid::redis
