#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/redis/pool.h"

namespace firegrid::redis {

// The layout of a service's Redis keyspace (everything under its key prefix) carries a schema
// version in "<prefix>:schema:version" (a decimal integer). A release knows the versions up to
// its own and the migrations that lead there; at start (server::Runtime::PrepareKeyspace) it
// brings the keyspace to its version, once, however many replicas start together. How to write
// a migration and how to roll forward and back: docs/upgrades.md.

// The layout every service had before versions were kept: unversioned data is version 1.
inline constexpr int kInitialSchemaVersion = 1;

// One step: brings a keyspace at version `to - 1` to `to`. `apply` must be idempotent (a replica
// that dies midway leaves it half done and the next start runs it again) and additive: the
// release before keeps working on the result (it reads both layouts during a rolling upgrade,
// and a rollback returns to it); removing the old layout is a later release's migration.
struct Migration {
  int to = 0;
  std::string name;  // what it does, for the log
  std::function<absl::Status(Pool& pool, const std::string& key_prefix)> apply;
};

// What a release reads and writes: its version and the migrations to it from version 1 (`to`
// = 2, 3, ..., version, in that order).
struct Schema {
  int version = kInitialSchemaVersion;
  std::vector<Migration> migrations;
};

struct SchemaOptions {
  // Who migrates (the lease owner), unique per process; "": "<host>:<pid>:<random>".
  std::string owner;
  // The migration lease, renewed before every step: a step must finish within it (a longer one
  // renews it itself with TakeLease on SchemaLeaseKey). A dead migrator's lease expires after it.
  absl::Duration lease = absl::Minutes(1);
  // How often a replica looks again while Redis is unreachable or another replica migrates, and
  // for how long in all before it gives up (DEADLINE_EXCEEDED).
  absl::Duration poll = absl::Milliseconds(200);
  absl::Duration wait = absl::Minutes(5);
  Clock* clock = RealClock::Get();
};

// What EnsureSchema found and did.
struct SchemaOutcome {
  int found = 0;             // the version before (1 for unversioned data)
  bool unversioned = false;  // there was no version key: stamped now
  int version = 0;           // the version after: Schema::version
  int applied = 0;           // migrations this call ran (0 when another replica ran them)
};

std::string SchemaVersionKey(const std::string& key_prefix);
std::string SchemaLeaseKey(const std::string& key_prefix);

// Brings the keyspace under `key_prefix` to `schema.version`: reads the version (none: 1),
// applies the migrations above it in order under the migration lease, moving the version one
// step at a time with a check-and-set, and stamps the version when there was none. A replica
// that finds another migrating waits until it is done. FAILED_PRECONDITION naming both versions
// when the keyspace is newer than `schema.version` (a release newer than this one migrated it:
// roll forward, or roll back per docs/upgrades.md); INVALID_ARGUMENT for a schema whose
// migrations do not lead from 1 to its version one step at a time; a migration's error as it
// came (the version stays at the last step done); DEADLINE_EXCEEDED after options.wait.
absl::StatusOr<SchemaOutcome> EnsureSchema(Pool& pool, const std::string& key_prefix,
                                           const Schema& schema, const SchemaOptions& options);

// The version the keyspace is at (1 when unversioned), for tools and tests.
absl::StatusOr<int> ReadSchemaVersion(Pool& pool, const std::string& key_prefix);

}  // namespace firegrid::redis
