#include "services/accounts/observer.h"

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"

namespace firegrid::accounts {

audit::AuditRecord SignInAuditRecord(const SignInEvent& e) {
  audit::AuditRecord r;
  r.set_method(absl::StrCat("/firegrid.accounts.v1.AccountsService/", e.method));
  if (!e.username.empty()) r.set_object_id(absl::StrCat("user:", e.username));
  if (e.code == absl::StatusCode::kOk && e.user != nullptr) {
    r.set_principal(absl::StrCat("user:", e.user->username()));
    r.set_role(e.user->role());
    r.set_tier_path(e.user->tier_path());
    r.set_org_unit(e.user->org_unit());
  }
  r.set_result_code(absl::StatusCodeToString(e.code));
  r.set_detail(absl::StrCat("outcome=", e.outcome, " client=", e.client_address));
  return r;
}

SignInObserver AuditingObserver(audit::AuditLog* log, server::MetricsRegistry* metrics) {
  server::Family<server::Counter>* counter = &metrics->AddCounter(
      "firegrid_accounts_sign_in_total",
      "Sign-in, refresh and sign-out attempts by method and outcome (see services/accounts)");
  return [log, counter](const SignInEvent& e) {
    counter->Get({{"method", e.method}, {"outcome", e.outcome}}).Increment();
    absl::StatusOr<audit::AuditRecord> appended = log->Append(SignInAuditRecord(e));
    if (!appended.ok()) {
      log::Error("sign-in audit record not appended",
                 {{"method", e.method}, {"error", std::string(appended.status().message())}});
    }
  };
}

}  // namespace firegrid::accounts
