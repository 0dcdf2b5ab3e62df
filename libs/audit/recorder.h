#pragma once

#include <string>

#include "absl/status/status.h"
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

// The id of the object a call addressed or created: the first non-empty string field, searched
// in the request and then in the response (top level, then one message level down), among
// kObjectIdFields in that order. "" when there is none.
std::string ObjectIdOf(const google::protobuf::Message& request,
                       const google::protobuf::Message* response);

// What the gRPC adapters call after every state-changing RPC, whatever its outcome (a refused
// call is audited too). An append that fails is logged; the caller's result stands (the change
// is already made, and the client must learn that).
class Recorder {
 public:
  explicit Recorder(AuditLog* log) : log_(log) {}

  // `who` is null when the caller did not authenticate. Reads (see IsMutation) are skipped.
  void Record(absl::string_view method, const auth::Principal* who,
              const google::protobuf::Message& request, const google::protobuf::Message* response,
              const absl::Status& result, absl::string_view trace_id = "");

 private:
  AuditLog* log_;
};

}  // namespace firegrid::audit
