#include "libs/audit/personal_data.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace firegrid::audit {

RecordSink AppendTo(AuditLog* log) {
  return [log](AuditRecord r) { return log->Append(std::move(r)).status(); };
}

AuditRecord PersonalDataReadRecord(absl::string_view method, const auth::Principal& who,
                                   absl::string_view object_id,
                                   const std::vector<std::string>& fields) {
  AuditRecord r;
  r.set_method(std::string(method));
  r.set_object_id(std::string(object_id));
  r.set_principal(who.subject);
  r.set_role(std::string(auth::RoleName(who.role)));
  r.set_tier_path(who.tier_path);
  r.set_org_unit(who.org_unit);
  r.set_result_code("OK");
  r.set_detail(absl::StrCat("revealed=", absl::StrJoin(fields, ",")));
  return r;
}

absl::Status RecordPersonalDataRead(const RecordSink& sink, absl::string_view method,
                                    const auth::Principal& who, absl::string_view object_id,
                                    const std::vector<std::string>& fields) {
  if (!sink) return absl::UnavailableError("personal data read not audited: no audit log");
  absl::Status s = sink(PersonalDataReadRecord(method, who, object_id, fields));
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("personal data read not audited: ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace firegrid::audit
