#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "firegrid/readmodels/v1/readmodels.pb.h"
#include "libs/auth/principal.h"
#include "libs/redis/counters.h"

namespace firegrid::redis {

// The one home of what every service's CheckReadModels shares (protos/firegrid/readmodels):
// who may call it, the bound on the differences returned, and the answer's shape.

// District admins only (PERMISSION_DENIED otherwise): the check reads every record of the
// service, and its answer names keys and counts of every tier.
absl::Status AuthorizeReadModelCheck(const auth::Principal& p);

// The number of differences to return: max_differences, 100 when 0; INVALID_ARGUMENT naming
// max_differences when negative or above 1000.
absl::StatusOr<int> MaxDifferences(const readmodels::v1::CheckReadModelsRequest& req);

// The answer: every difference counted, the first `max` returned (in the order given).
readmodels::v1::CheckReadModelsResponse ReadModelCheckResponse(
    std::string read_model, int64_t records, const std::vector<CounterDifference>& differences,
    int max);

}  // namespace firegrid::redis
