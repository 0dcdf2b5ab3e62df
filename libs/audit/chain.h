#pragma once

#include <string>

#include "absl/status/status.h"
#include "firegrid/audit/v1/audit.pb.h"

namespace firegrid::audit {

using AuditRecord = ::firegrid::audit::v1::AuditRecord;

// The hash chain of an audit log. Each record's `hash` is the hex SHA-256 of
//   prev_hash || "\n" || deterministic protobuf bytes of the record with `hash` cleared,
// and its `prev_hash` is the previous record's `hash`. Changing, removing or reordering a
// record breaks every link after it; only the newest records can be cut without a trace that
// the chain shows, which the head sequence and the record's times reveal.
std::string HashRecord(const AuditRecord& record);

// OK when `record` hashes right and follows `previous` (sequence + 1, prev_hash = its hash).
// With `previous` null (the oldest retained record), only its own hash is checked.
// DATA_LOSS naming what does not match otherwise.
absl::Status VerifyLink(const AuditRecord* previous, const AuditRecord& record);

}  // namespace firegrid::audit
