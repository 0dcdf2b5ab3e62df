#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/redis/pool.h"

namespace firegrid::redis {

// One atomic, conditional write: preconditions are checked, then every command and every stream
// append runs in one MULTI/EXEC, so a state change and its outbox entry are written together or
// not at all. The keys the preconditions and the once key read are WATCHed from their read to
// EXEC: if one changes in between, nothing is written and the write starts again from the
// reads (docs/adr/0013).
struct AtomicWrite {
  struct Precondition {
    enum class Kind {
      kEquals,  // GET key (or HGET key field) == value
      kAbsent,  // key (or hash field) does not exist
      kExists,  // key (or hash field) exists
    };
    Kind kind = Kind::kEquals;
    std::string key;
    std::string field;  // empty: the key itself; otherwise a hash field
    std::string value;  // for kEquals
    // The status returned when this precondition fails, e.g. absl::StatusCode::kAborted for a
    // stale version, kNotFound for a missing object, kAlreadyExists for a duplicate.
    absl::StatusCode code_on_failure = absl::StatusCode::kAborted;
    std::string message_on_failure;  // e.g. "building bld_1 is at version 4, not 3"
  };

  // Consumer idempotency: when set, the write happens only if `once_key` did not exist, and
  // `once_key` is set (with `once_ttl`) in the same transaction. A repeated write returns
  // ALREADY_EXISTS and changes nothing.
  std::string once_key;
  absl::Duration once_ttl = absl::Hours(24 * 30);

  std::vector<Precondition> preconditions;

  // Write commands, run in order, e.g. {"HSET", key, "data", bytes, "version", "4"}.
  // Argument 1 of each command must be its key (all the usual write commands: SET, DEL, HSET,
  // HDEL, ZADD, ZREM, SADD, SREM, GEOADD, XADD, RPUSH, EXPIRE, ...).
  std::vector<std::vector<std::string>> commands;

  // Appends to streams: XADD stream * field value [field value ...]. Used for the outbox.
  struct StreamAppend {
    std::string stream;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  std::vector<StreamAppend> appends;
};

// Runs the write. OK, or the failing precondition's code and message, or ALREADY_EXISTS for a
// repeated `once_key`, or UNAVAILABLE / INTERNAL from Redis, or ABORTED when the keys it reads
// changed between read and EXEC on each of 10 attempts. Before any write, every key a command
// needs of a type (HSET a hash, ZADD a sorted set, ...) is checked to hold that type or nothing,
// so that a key of the wrong type cannot stop the writes half-way: INTERNAL "<COMMAND> on
// <key>, which holds a <type>", nothing written. (Those keys are not watched: a key given
// another type between the check and EXEC by a writer outside firegrid fails its command inside
// EXEC, INTERNAL naming it, after the commands before it were written.) A write whose own
// commands give a key two types (HSET then ZADD, without a DEL or SET between) is
// INVALID_ARGUMENT, before anything is sent.
absl::Status Execute(Pool& pool, const AtomicWrite& write);

// How many attempts of this process's atomic writes lost the race for a watched key (EXEC
// refused, read again) since it started: the counter behind
// firegrid_redis_atomic_write_conflicts_total. Process-wide, thread-safe.
int64_t AtomicWriteConflicts();

}  // namespace firegrid::redis
