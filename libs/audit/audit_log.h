#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "firegrid/audit/v1/audit.pb.h"
#include "libs/audit/chain.h"
#include "libs/common/clock.h"
#include "libs/redis/pool.h"
#include "libs/redis/script.h"

namespace firegrid::audit {

struct AuditLogOptions {
  std::string key_prefix;  // e.g. "fg:hazards:audit"
  std::string service;     // written into every record
  // How long a record is kept. Network-operation logs must be kept at least six months in China
  // (Cybersecurity Law, art. 21); a year by default.
  absl::Duration retention = absl::Hours(24 * 365);
};

// One service's audit log in Redis: an append-only hash chain (chain.h) shared by all replicas.
//
// Keys (under key_prefix): `head` = "<sequence> <time ms> <hash>" of the newest record (never
// expires); `r:<sequence>` = the record (serialised AuditRecord), expiring at its time plus the
// retention; `o:<object id>` = a sorted set of the sequences of an object's records. A record's
// time never goes below its predecessor's, so records expire oldest first and the retained
// records are always a suffix of the chain, whose first one is the anchor a check starts from.
//
// Append computes the hash here (Redis's Lua has no SHA-256) and stores the record with a
// compare-and-set on `head` in one script, retrying when another replica appended first: the
// chain never forks. Within a process, appends take turns (concurrent calls would otherwise
// fail each other's compare-and-set and retry over and over), and each starts from the head
// this process wrote last. Calls that arrive while an append is under way are appended together
// by the next one (a group commit: up to 128 consecutive records in one script), so a busy
// process pays one round trip per batch, not per record, and the records of one batch share a
// time.
class AuditLog {
 public:
  AuditLog(redis::Pool* pool, Clock* clock, AuditLogOptions options);

  // Fills sequence, time, service, prev_hash and hash and appends. UNAVAILABLE when Redis is
  // unreachable or the head stays contended.
  absl::StatusOr<AuditRecord> Append(AuditRecord record);

  // Calls waiting for an append under way to end (theirs goes in the next batch).
  int waiting() const;

  struct Page {
    std::vector<AuditRecord> records;  // oldest first
    int64_t next_after = 0;            // pass as after_sequence for the next page; 0: no more
  };
  // The retained records of `object_id` after `after_sequence`, at most `limit`.
  absl::StatusOr<Page> ListByObject(const std::string& object_id, int64_t after_sequence,
                                    int limit);

  // Checks up to `limit` records from `from_sequence` (0: the anchor) against their hashes and
  // their predecessors.
  absl::StatusOr<v1::VerifyAuditChainResponse> Verify(int64_t from_sequence, int limit);

  const AuditLogOptions& options() const { return options_; }

 private:
  struct Head {
    int64_t sequence = 0;
    int64_t time_ms = 0;
    std::string hash;
    std::string raw;  // as stored ("" when the chain is empty)
  };
  absl::StatusOr<Head> ReadHead();
  static absl::StatusOr<Head> ParseHead(const std::string& raw);
  absl::StatusOr<int64_t> FirstRetained(int64_t head_sequence);
  absl::StatusOr<std::vector<std::optional<AuditRecord>>> Fetch(const std::vector<int64_t>& seqs);
  std::string RecordKey(int64_t sequence) const;

  redis::Pool* pool_;
  Clock* clock_;
  AuditLogOptions options_;
  // A call waiting for its record to be appended.
  struct Pending {
    AuditRecord record;
    std::optional<absl::StatusOr<AuditRecord>> result;  // set when appended (or refused)
  };
  // Appends `records` as consecutive records (all or none), filling their chain fields.
  absl::StatusOr<std::vector<AuditRecord>> AppendBatch(std::vector<AuditRecord> records);

  redis::Script append_;
  mutable absl::Mutex queue_mu_;
  absl::CondVar appended_;  // signalled when an append ends
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(queue_mu_);  // waiting, oldest first
  bool appending_ ABSL_GUARDED_BY(queue_mu_) = false;      // one append at a time
  absl::Mutex head_mu_;
  // The head this process wrote, or the one a lost compare-and-set found.
  std::optional<Head> last_head_ ABSL_GUARDED_BY(head_mu_);
  absl::BitGen bitgen_ ABSL_GUARDED_BY(head_mu_);  // the backoff's jitter
};

}  // namespace firegrid::audit
