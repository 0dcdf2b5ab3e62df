#include "libs/redis/replica_wait.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace firegrid::redis {

std::optional<std::vector<std::string>> ReplicaWaitCommand(const PoolOptions& o) {
  if (o.wait_replicas <= 0) return std::nullopt;
  return std::vector<std::string>{
      "WAIT", absl::StrCat(o.wait_replicas),
      absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(o.wait_timeout)))};
}

absl::Status CheckReplicaWait(const PoolOptions& o, const Reply& acked) {
  if (!acked.IsError() && acked.integer >= o.wait_replicas) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("redis: the write reached ", acked.IsError() ? 0 : acked.integer, " of ",
                   o.wait_replicas, " replicas within ", absl::FormatDuration(o.wait_timeout)));
}

}  // namespace firegrid::redis
