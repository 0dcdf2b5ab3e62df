#include "libs/redis/lease.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "libs/redis/script.h"

namespace firegrid::redis {
namespace {

// KEYS[1] lease key; ARGV[1] owner, ARGV[2] lease in ms. Takes a free lease or renews our own.
const Script& LeaseScript() {
  static const Script* script = new Script(R"lua(
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
)lua");
  return *script;
}

// KEYS[1] lease key; ARGV[1] owner. Deletes the lease only if we hold it.
const Script& ReleaseScript() {
  static const Script* script = new Script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua");
  return *script;
}

}  // namespace

absl::StatusOr<bool> TakeLease(Pool& pool, const std::string& key, const std::string& owner,
                               absl::Duration duration) {
  absl::StatusOr<Reply> r = LeaseScript().Run(
      pool, {key}, {owner, absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(duration)))});
  if (!r.ok()) return r.status();
  return r->type == Reply::Type::kInteger && r->integer == 1;
}

absl::Status ReleaseLease(Pool& pool, const std::string& key, const std::string& owner) {
  return ReleaseScript().Run(pool, {key}, {owner}).status();
}

}  // namespace firegrid::redis
