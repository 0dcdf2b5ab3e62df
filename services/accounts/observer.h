#pragma once

#include "firegrid/audit/v1/audit.pb.h"
#include "libs/audit/audit_log.h"
#include "libs/server/metrics.h"
#include "services/accounts/service.h"

namespace firegrid::accounts {

// The audit record of a sign-in, refresh or sign-out (these calls carry no bearer token, so the
// audit interceptor, which records authenticated callers, does not see them): method, the user
// as object ("user:<username>"), the user as principal when the call succeeded, the status
// code, and detail "outcome=<outcome> client=<address>". Never the password, the code or a
// token.
audit::AuditRecord SignInAuditRecord(const SignInEvent& event);

// Appends each event to `log` and counts it in firegrid_accounts_sign_in_total{method,outcome}
// of `metrics`. An append that fails is logged; the call's answer stands.
SignInObserver AuditingObserver(audit::AuditLog* log, server::MetricsRegistry* metrics);

}  // namespace firegrid::accounts
