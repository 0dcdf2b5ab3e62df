#include "libs/redis/read_model_check.h"

#include <algorithm>

#include "libs/auth/scope.h"
#include "libs/common/status.h"

namespace firegrid::redis {
namespace {

constexpr int kDefaultMaxDifferences = 100;
constexpr int kMaxMaxDifferences = 1000;

}  // namespace

absl::Status AuthorizeReadModelCheck(const auth::Principal& p) {
  return auth::RequireRole(p, {auth::Role::kDistrictAdmin}, "check read models");
}

absl::StatusOr<int> MaxDifferences(const readmodels::v1::CheckReadModelsRequest& req) {
  if (req.max_differences() < 0 || req.max_differences() > kMaxMaxDifferences) {
    return InvalidField("max_differences", "must be between 0 and 1000");
  }
  return req.max_differences() == 0 ? kDefaultMaxDifferences : req.max_differences();
}

readmodels::v1::CheckReadModelsResponse ReadModelCheckResponse(
    std::string read_model, int64_t records, const std::vector<CounterDifference>& differences,
    int max) {
  readmodels::v1::CheckReadModelsResponse out;
  out.set_read_model(std::move(read_model));
  out.set_records(records);
  out.set_difference_count(static_cast<int64_t>(differences.size()));
  const size_t n = std::min(differences.size(), static_cast<size_t>(std::max(max, 0)));
  for (size_t i = 0; i < n; ++i) {
    auto* d = out.add_differences();
    d->set_key(differences[i].key);
    d->set_field(differences[i].field);
    d->set_live(differences[i].live);
    d->set_rebuilt(differences[i].rebuilt);
  }
  return out;
}

}  // namespace firegrid::redis
