#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "libs/redis/pool.h"

namespace firegrid::credit {

// What the credit service knows of buildings, from the buildings events: name and community
// code by building id ("P:bld:<id>" hashes). Lets an explicit registration link a subject to a
// building by id. Not part of the history: the facts carry what they need.
class BuildingDirectory {
 public:
  struct Entry {
    std::string name;
    std::string tier_path;
  };
  BuildingDirectory(redis::Pool* pool, std::string key_prefix)
      : pool_(pool), prefix_(std::move(key_prefix)) {}
  virtual ~BuildingDirectory() = default;

  virtual absl::Status Put(const std::string& building_id, const Entry& entry);
  virtual absl::StatusOr<std::optional<Entry>> Get(const std::string& building_id) const;

 private:
  redis::Pool* pool_;
  std::string prefix_;
};

}  // namespace firegrid::credit
