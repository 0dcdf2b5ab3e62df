#include "libs/redis/schema.h"

#include <unistd.h>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/redis/lease.h"
#include "libs/redis/script.h"

namespace firegrid::redis {
namespace {

// KEYS[1] the version key; ARGV[1] the version expected ("" = no key), ARGV[2] the new one.
// Sets it only if it is still the expected one: 1, else 0.
const Script& StepScript() {
  static const Script* script = new Script(R"lua(
local v = redis.call('GET', KEYS[1])
if (v == false and ARGV[1] == '') or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua");
  return *script;
}

struct Found {
  int version = kInitialSchemaVersion;
  bool unversioned = true;
};

absl::StatusOr<Found> Read(Pool& pool, const std::string& key) {
  absl::StatusOr<Reply> r = pool.Command({"GET", key});
  if (!r.ok()) return r.status();
  Found f;
  if (r->IsNil()) return f;
  if (!absl::SimpleAtoi(r->str, &f.version) || f.version < 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(key, " holds \"", r->str, "\", not a schema version"));
  }
  f.unversioned = false;
  return f;
}

// Moves the version from `from` to `to`; ABORTED when another writer moved it first.
absl::Status Step(Pool& pool, const std::string& key, const Found& from, int to) {
  absl::StatusOr<Reply> r = StepScript().Run(
      pool, {key}, {from.unversioned ? "" : absl::StrCat(from.version), absl::StrCat(to)});
  if (!r.ok()) return r.status();
  if (r->type != Reply::Type::kInteger || r->integer != 1) {
    return absl::AbortedError(absl::StrCat(key, " moved while it was being set to ", to));
  }
  return absl::OkStatus();
}

absl::Status Validate(const Schema& schema) {
  if (schema.version < kInitialSchemaVersion) {
    return absl::InvalidArgumentError(absl::StrCat("schema version ", schema.version, " < 1"));
  }
  if (static_cast<int>(schema.migrations.size()) != schema.version - kInitialSchemaVersion) {
    return absl::InvalidArgumentError(absl::StrCat("schema version ", schema.version, " needs ",
                                                   schema.version - kInitialSchemaVersion,
                                                   " migrations, has ", schema.migrations.size()));
  }
  for (size_t i = 0; i < schema.migrations.size(); ++i) {
    const Migration& m = schema.migrations[i];
    if (m.to != kInitialSchemaVersion + static_cast<int>(i) + 1 || !m.apply) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration ", i, " (", m.name, ") must lead to version ",
                       kInitialSchemaVersion + i + 1, " and have a function; it leads to ", m.to));
    }
  }
  return absl::OkStatus();
}

std::string DefaultOwner() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  absl::BitGen gen;
  return absl::StrCat(host, ":", getpid(), ":",
                      absl::Hex(absl::Uniform<uint32_t>(gen), absl::kZeroPad8));
}

bool Retryable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsAborted(s) || absl::IsDeadlineExceeded(s);
}

}  // namespace

std::string SchemaVersionKey(const std::string& key_prefix) {
  return absl::StrCat(key_prefix, ":schema:version");
}
std::string SchemaLeaseKey(const std::string& key_prefix) {
  return absl::StrCat(key_prefix, ":schema:lease");
}

absl::StatusOr<int> ReadSchemaVersion(Pool& pool, const std::string& key_prefix) {
  absl::StatusOr<Found> f = Read(pool, SchemaVersionKey(key_prefix));
  if (!f.ok()) return f.status();
  return f->version;
}

absl::StatusOr<SchemaOutcome> EnsureSchema(Pool& pool, const std::string& key_prefix,
                                           const Schema& schema, const SchemaOptions& options) {
  if (absl::Status s = Validate(schema); !s.ok()) return s;
  const std::string owner = options.owner.empty() ? DefaultOwner() : options.owner;
  const std::string key = SchemaVersionKey(key_prefix);
  const std::string lease = SchemaLeaseKey(key_prefix);
  const absl::Time deadline = options.clock->Now() + options.wait;
  SchemaOutcome out;
  bool first = true;
  absl::Status last;
  // One round: read; done, refused, or migrate under the lease. A round that cannot finish
  // (Redis away, another replica migrating, the version moved) waits and reads again.
  for (;; first = false) {
    if (!first) {
      if (options.clock->Now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            key, ": not at schema version ", schema.version, " after ",
            absl::FormatDuration(options.wait), last.ok() ? "" : ": ", last.message()));
      }
      absl::SleepFor(options.poll);
    }
    absl::StatusOr<Found> found = Read(pool, key);
    if (!found.ok()) {
      if (!Retryable(found.status())) return found.status();
      last = found.status();
      continue;
    }
    if (first) {
      out.found = found->version;
      out.unversioned = found->unversioned;
    }
    if (found->version > schema.version) {
      return absl::FailedPreconditionError(absl::StrCat(
          key, " is at schema version ", found->version, ", newer than version ", schema.version,
          " that this release knows: run a release that knows version ", found->version,
          ", or roll the keyspace back to version ", schema.version,
          " as docs/upgrades.md describes"));
    }
    if (found->version == schema.version && !found->unversioned) {
      out.version = schema.version;
      return out;
    }
    if (found->version == schema.version) {  // unversioned data at version 1: stamp it
      absl::Status s = Step(pool, key, *found, schema.version);
      if (s.ok()) {
        out.version = schema.version;
        return out;
      }
      if (!Retryable(s)) return s;
      last = s;
      continue;
    }
    absl::StatusOr<bool> held = TakeLease(pool, lease, owner, options.lease);
    if (!held.ok()) {
      if (!Retryable(held.status())) return held.status();
      last = held.status();
      continue;
    }
    if (!*held) {
      last = absl::AbortedError("another replica migrates");
      continue;
    }
    // Under the lease: read again (the last holder may have finished), then step by step.
    absl::Status s;
    found = Read(pool, key);
    if (!found.ok()) {
      s = found.status();
    } else if (found->version > schema.version) {
      s = absl::AbortedError("a newer release migrated meanwhile");  // refused next round
    }
    for (const Migration& m : schema.migrations) {
      if (!s.ok()) break;
      if (m.to <= found->version) continue;
      absl::StatusOr<bool> renewed = TakeLease(pool, lease, owner, options.lease);
      if (!renewed.ok() || !*renewed) {
        s = renewed.ok() ? absl::AbortedError("the migration lease was lost") : renewed.status();
        break;
      }
      log::Info("migrating the keyspace", {{"prefix", key_prefix},
                                           {"from", absl::StrCat(found->version)},
                                           {"to", absl::StrCat(m.to)},
                                           {"migration", m.name}});
      s = m.apply(pool, key_prefix);
      if (!s.ok()) break;
      s = Step(pool, key, *found, m.to);
      if (!s.ok()) break;
      found->version = m.to;
      found->unversioned = false;
      ++out.applied;
    }
    // Releasing is a courtesy (the lease expires anyway): a failure here changes nothing.
    (void)ReleaseLease(pool, lease, owner);
    if (s.ok()) {
      out.version = schema.version;
      return out;
    }
    if (!Retryable(s)) return s;
    last = s;
  }
}

}  // namespace firegrid::redis
