#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "libs/audit/audit_log.h"
#include "libs/auth/principal.h"

namespace firegrid::audit {

// True for the methods that change state: every method except those named Get*, List*, Find*,
// Export*, Subscribe*, Check* and Watch* (reads) and the AuditService's own. `method` is
// "/pkg.Service/Method" or "Method" (firegrid names its RPCs so that this holds; a new read
// that does not start with one of these words is audited as a change, never the reverse).
bool IsMutation(absl::string_view method);

// The id of the object a call created or changed: the one its response names (a report's new
// hazard, not the building it is about), else the one its request addresses; the first
// non-empty string field among kObjectIdFields, at the top level, then one message level down.
// "" when there is none. `response` is null for a failed call.
std::string ObjectIdOf(const google::protobuf::Message& request,
                       const google::protobuf::Message* response);

// Appends one audit record per state-changing call (see IsMutation), whatever its outcome (a
// refused call is audited too). An append that fails is logged and counted; the caller's result
// stands (the change is already made, and the client must learn that). Called by the audit
// interceptor (interceptor.h) for every firegrid service; the services write no audit code.
class Recorder {
 public:
  explicit Recorder(AuditLog* log) : log_(log) {}

  // `result_code` is the gRPC status code name ("OK", "PERMISSION_DENIED", ...). Calls whose
  // method is a read are skipped.
  void Record(absl::string_view method, const auth::Principal& who, absl::string_view object_id,
              absl::string_view result_code, absl::string_view trace_id);

  int64_t failures() const { return failures_.load(); }

 private:
  AuditLog* log_;
  std::atomic<int64_t> failures_{0};
};

}  // namespace firegrid::audit
