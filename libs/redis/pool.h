#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/redis/reply.h"

namespace firegrid::redis {

struct PoolOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // Redis with Sentinel: when `sentinels` ("host:port" each) is non-empty, host and port are
  // ignored and every new connection asks the sentinels, in order, for the address of
  // `master_name` (SENTINEL get-master-addr-by-name), then checks with ROLE that it reached the
  // master. After a failover the broken connections are dropped and the next ones find the
  // promoted replica; a connection that finds itself on a replica (a demoted master answers
  // READONLY) is dropped too.
  std::vector<std::string> sentinels;
  std::string master_name;
  // Replication is asynchronous: a write the master acknowledged is lost when the master dies
  // before a replica has it. With wait_replicas > 0 every atomic write and script (Execute,
  // Script::Run: the services' writes, audit appends, leases) is followed by WAIT on the same
  // connection, and the call fails UNAVAILABLE unless that many replicas acknowledged it within
  // wait_timeout (the write may still have happened: callers retry, and the writes are
  // idempotent).
  int wait_replicas = 0;
  absl::Duration wait_timeout = absl::Seconds(1);
  std::string user;      // an ACL user (AUTH user password); "": the default user
  std::string password;  // AUTH when non-empty
  int db = 0;            // SELECT when non-zero
  int size = 8;          // connections kept at most
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(3);
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(5);
};

// Parses "host:port" into options (keeps the other fields).
absl::Status ParseAddress(const std::string& host_port, PoolOptions* options);

// A thread-safe pool of hiredis connections (a redisContext is not thread-safe: each command
// borrows one connection exclusively). Connections are made lazily; a connection that fails with
// an I/O error is dropped, and reconnecting backs off exponentially (initial_backoff doubling to
// max_backoff) while Redis stays unreachable: calls during a backoff window fail fast with
// UNAVAILABLE instead of piling up on connect timeouts. One success resets the backoff.
class Pool {
 public:
  static std::unique_ptr<Pool> Create(PoolOptions options, Clock* clock = RealClock::Get());
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs one command, binary-safe (arguments may hold any bytes).
  // Transport failure → UNAVAILABLE. A Redis error reply → ErrorReplyToStatus(). Otherwise the
  // reply.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);

  // Runs commands in one round trip on one connection (not atomic; use MULTI/EXEC or a script for
  // that). Returns one reply per command; error replies are returned as Reply{kError}, not as a
  // failed Status. Transport failure, or a READONLY reply (the connection is on a replica; see
  // PoolOptions::sentinels) → UNAVAILABLE.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // An exchange of several round trips on one borrowed connection, for state that lives on the
  // connection (WATCH ... MULTI ... EXEC). `talk` sends each round trip with `send`, which has
  // Pipeline's rules. The connection goes back to the pool when `talk` returns, or is dropped
  // after a transport failure or a READONLY reply (after which `send` fails UNAVAILABLE without
  // sending). `talk` must leave the connection as it found it (EXEC, DISCARD or UNWATCH before
  // returning). Observed as `name`. Returns what `talk` returns, or UNAVAILABLE when no
  // connection could be had.
  using Send = absl::FunctionRef<absl::StatusOr<std::vector<Reply>>(
      const std::vector<std::vector<std::string>>& commands)>;
  absl::Status Converse(absl::string_view name, absl::FunctionRef<absl::Status(Send send)> talk);

  // PING; the readiness check of a service that depends on Redis.
  absl::Status Ping();

  const PoolOptions& options() const;

  // A dedicated connection outside the pool for blocking commands (XREAD BLOCK, BLPOP) that
  // would otherwise starve the pool. Same reconnect rules (and the same backoff window). Calls on
  // one Dedicated are serialized; it may outlive the Pool (not the Clock). `timeout` bounds the
  // reply wait: give it more than the command's own BLOCK time; <= 0 means the pool's
  // command_timeout, InfiniteDuration() none.
  class Dedicated {
   public:
    virtual ~Dedicated() = default;
    virtual absl::StatusOr<Reply> Command(const std::vector<std::string>& args,
                                          absl::Duration timeout) = 0;
  };
  std::unique_ptr<Dedicated> NewDedicated();

 private:
  struct Impl;
  explicit Pool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace firegrid::redis
