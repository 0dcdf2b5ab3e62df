#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/redis/pool.h"

namespace firegrid::redis {

// A Lua script run with EVALSHA, loaded (EVAL) on NOSCRIPT — e.g. after Redis restarted.
// Errors follow Pool::Command: a script that returns redis.error_reply("ABORTED ...") yields
// absl ABORTED with the rest as the message.
class Script {
 public:
  explicit Script(std::string lua);
  absl::StatusOr<Reply> Run(Pool& pool, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args) const;
  const std::string& sha1() const { return sha1_; }
  const std::string& source() const { return lua_; }

 private:
  std::string lua_;
  std::string sha1_;  // hex SHA-1 of the source, as Redis computes it
};

}  // namespace firegrid::redis
