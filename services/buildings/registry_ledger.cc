#include "absl/strings/str_cat.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "libs/redis/read_model_check.h"
#include "services/buildings/access.h"
#include "services/buildings/ledger.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using internal::Ts;

absl::StatusOr<v1::Ledger> Registry::GetLedger(const P& p, const v1::GetLedgerRequest& req) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kInternalService})) {
    return Denied(p, "read the ledger");
  }
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, req.tier_path(), "tier_path"));
  if (!IsDivisionCode(scope)) return InvalidField("tier_path", "must be a 6, 9 or 12-digit code");
  const absl::Time now = clock_->Now();
  FG_ASSIGN_OR_RETURN(std::optional<LedgerTally> counted, store_->CountedLedger(scope, now));
  FG_ASSIGN_OR_RETURN(auto names, UnitNames(scope));
  if (counted.has_value()) return LedgerFromTally(scope, *counted, names, now);
  // No counters (not built yet, or a store without them): count by a scan.
  FG_ASSIGN_OR_RETURN(auto buildings, ScanAll(scope));
  return ComputeLedger(scope, buildings, names, now);
}

absl::StatusOr<readmodels::v1::CheckReadModelsResponse> Registry::CheckReadModels(
    const P& p, const readmodels::v1::CheckReadModelsRequest& req) {
  FG_RETURN_IF_ERROR(redis::AuthorizeReadModelCheck(p));
  FG_ASSIGN_OR_RETURN(int max, redis::MaxDifferences(req));
  FG_ASSIGN_OR_RETURN(std::optional<redis::CounterCheck> check, store_->CheckLedgerCounters());
  if (!check.has_value()) {
    // A store without counters (MemoryStore) counts the ledger at every read: nothing to check.
    return redis::ReadModelCheckResponse("none (the ledger is counted at every read)", 0, {}, max);
  }
  return redis::ReadModelCheckResponse("ledger counters", check->records, check->differences, max);
}

absl::StatusOr<v1::CsvDocument> Registry::ExportLedgerCsv(const P& p,
                                                          const v1::ExportLedgerCsvRequest& req) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kInternalService})) {
    return Denied(p, "export the ledger");
  }
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, req.tier_path(), "tier_path"));
  if (!IsDivisionCode(scope)) return InvalidField("tier_path", "must be a 6, 9 or 12-digit code");
  FG_ASSIGN_OR_RETURN(auto buildings, ScanAll(scope));
  FG_ASSIGN_OR_RETURN(auto names, UnitNames(scope));
  v1::CsvDocument doc;
  doc.set_filename(absl::StrCat("ledger-", scope, "-",
                                absl::FormatTime("%Y%m%d", clock_->Now(), calendar_.zone), ".csv"));
  doc.set_content(LedgerCsv(buildings, names));
  doc.set_rows(static_cast<int>(buildings.size()));
  return doc;
}

}  // namespace firegrid::buildings
