#include "services/credit/directory.h"

namespace firegrid::credit {

absl::Status BuildingDirectory::Put(const std::string& building_id, const Entry& entry) {
  return pool_
      ->Command({"HSET", prefix_ + ":bld:" + building_id, "name", entry.name, "tier",
                 entry.tier_path})
      .status();
}

absl::StatusOr<std::optional<BuildingDirectory::Entry>> BuildingDirectory::Get(
    const std::string& building_id) const {
  auto r = pool_->Command({"HMGET", prefix_ + ":bld:" + building_id, "name", "tier"});
  if (!r.ok()) return r.status();
  if (r->elements.size() != 2 || r->elements[1].IsNil()) return std::nullopt;
  return Entry{r->elements[0].str, r->elements[1].str};
}

}  // namespace firegrid::credit
