#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "firegrid/audit/v1/audit.pb.h"
#include "libs/audit/audit_log.h"
#include "libs/auth/principal.h"

namespace firegrid::audit {

// Reads that reveal personal data (docs/privacy.md, docs/adr/0009-personal-data.md). Ordinary
// reads show personal data masked and are not audited (IsMutation); a read that asks for it
// unmasked (`reveal_personal_data`) is allowed only to the roles docs/privacy.md names, and each
// one is recorded here, in the service's audit log, before the answer leaves: who read which
// fields of which object, when. When the record cannot be appended the read is refused
// (UNAVAILABLE): no unmasked answer without its record.

// Appends one record; the service's AuditLog in production (AppendTo), a vector in tests.
using RecordSink = std::function<absl::Status(AuditRecord)>;

// A sink appending to `log` (the append fills sequence, time, service and the chain).
RecordSink AppendTo(AuditLog* log);

// The record of a revealing read: `method` the full gRPC method, `object_id` the object read,
// the caller as principal, result_code "OK", detail "revealed=<field>,<field>" (the fields as
// docs/privacy.md names them, e.g. "reporter.name,reporter.contact"), never the values.
AuditRecord PersonalDataReadRecord(absl::string_view method, const auth::Principal& who,
                                   absl::string_view object_id,
                                   const std::vector<std::string>& fields);

// Appends the record of a revealing read to `sink`; UNAVAILABLE "personal data read not
// audited: ..." when there is no sink or the append fails (the caller then refuses the read).
absl::Status RecordPersonalDataRead(const RecordSink& sink, absl::string_view method,
                                    const auth::Principal& who, absl::string_view object_id,
                                    const std::vector<std::string>& fields);

}  // namespace firegrid::audit
