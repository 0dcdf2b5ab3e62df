#include "libs/audit/recorder.h"

#include <array>

#include "absl/strings/match.h"
#include "google/protobuf/descriptor.h"
#include "libs/common/logging.h"

namespace firegrid::audit {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr std::array<absl::string_view, 7> kReadPrefixes = {"Get",       "List",  "Find", "Export",
                                                            "Subscribe", "Check", "Watch"};
constexpr absl::string_view kAuditService = "/firegrid.audit.v1.AuditService/";

// The object-id fields of the firegrid APIs, most specific first.
constexpr std::array<absl::string_view, 10> kObjectIdFields = {
    "hazard_id", "building_id", "notification_id", "hydrant_id", "station_id",
    "device_id", "subject_id",  "org_unit",        "code",       "dead_letter_id"};

std::string FindIn(const Message& m, int depth) {
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (absl::string_view name : kObjectIdFields) {
    const FieldDescriptor* f = d->FindFieldByName(std::string(name));
    if (f != nullptr && !f->is_repeated() && f->type() == FieldDescriptor::TYPE_STRING) {
      std::string v = r->GetString(m, f);
      if (!v.empty()) return v;
    }
  }
  if (depth == 0) return "";
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated() || f->type() != FieldDescriptor::TYPE_MESSAGE || !r->HasField(m, f)) {
      continue;
    }
    std::string v = FindIn(r->GetMessage(m, f), depth - 1);
    if (!v.empty()) return v;
  }
  return "";
}

}  // namespace

bool IsMutation(absl::string_view method) {
  if (absl::StartsWith(method, kAuditService)) return false;  // reading the log is no change
  if (size_t slash = method.rfind('/'); slash != absl::string_view::npos) {
    method = method.substr(slash + 1);
  }
  for (absl::string_view p : kReadPrefixes) {
    if (absl::StartsWith(method, p)) return false;
  }
  return !method.empty();
}

std::string ObjectIdOf(const Message& request, const Message* response) {
  if (response != nullptr) {
    std::string id = FindIn(*response, 1);
    if (!id.empty()) return id;
  }
  return FindIn(request, 1);
}

void Recorder::Record(absl::string_view method, const auth::Principal& who,
                      absl::string_view object_id, absl::string_view result_code,
                      absl::string_view trace_id) {
  if (!IsMutation(method)) return;
  AuditRecord r;
  r.set_method(std::string(method));
  r.set_object_id(std::string(object_id));
  r.set_principal(who.subject);
  r.set_role(std::string(auth::RoleName(who.role)));
  r.set_tier_path(who.tier_path);
  r.set_org_unit(who.org_unit);
  r.set_result_code(std::string(result_code));
  r.set_trace_id(std::string(trace_id));
  absl::StatusOr<AuditRecord> appended = log_->Append(std::move(r));
  if (!appended.ok()) {
    failures_.fetch_add(1);
    log::Error("audit record not appended", {{"method", std::string(method)},
                                             {"object_id", std::string(object_id)},
                                             {"error", std::string(appended.status().message())}});
  }
}

}  // namespace firegrid::audit
