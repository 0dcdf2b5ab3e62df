#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "services/buildings/access.h"
#include "services/buildings/csv.h"
#include "services/buildings/csv_import.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"

namespace firegrid::buildings {

using auth::Role;
using internal::Ts;

absl::StatusOr<v1::ImportBuildingsCsvResponse> Registry::ImportBuildingsCsv(
    const P& p, const v1::ImportBuildingsCsvRequest& req) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer}))
    return Denied(p, "import buildings");
  if (req.content().size() > kMaxImportBytes) {
    return InvalidField("content", absl::StrCat("at most ", kMaxImportBytes, " bytes"));
  }
  auto parsed = ParseCsv(req.content());
  if (!parsed.ok()) return InvalidField("content", parsed.status().message());
  const std::vector<CsvRecord>& records = *parsed;
  if (records.empty()) return InvalidField("content", "is empty; a header row is required");
  if (static_cast<int>(records.size()) - 1 > kMaxImportRows) {
    return InvalidField("content", absl::StrCat("at most ", kMaxImportRows, " rows per import"));
  }
  v1::ImportBuildingsCsvResponse resp;
  const ImportColumns col = ReadImportHeader(records[0], &resp);
  resp.set_rows(static_cast<int>(records.size()) - 1);
  if (!resp.errors().empty()) return resp;

  const absl::Time now = clock_->Now();
  std::map<std::string, absl::Status> tier_checked;
  std::vector<v1::Building> buildings;
  Outbox outbox;
  for (size_t ri = 1; ri < records.size(); ++ri) {
    const CsvRecord& rec = records[ri];
    std::optional<v1::Building> row =
        BuildingFromImportRow(rec, col, records[0].fields.size(), now, &resp);
    if (!row.has_value()) continue;
    v1::Building b = std::move(*row);
    auto checked = tier_checked.find(b.tier_path());
    if (checked == tier_checked.end()) {
      absl::Status tier = auth::RequireTier(p, b.tier_path());
      if (tier.ok()) tier = CheckTierExists(b.tier_path(), "tier_path");
      checked = tier_checked.emplace(b.tier_path(), tier).first;
    }
    if (!checked->second.ok()) {
      const std::string msg(checked->second.message());
      AddImportError(&resp, rec.line, "tier_path",
                     checked->second.code() == absl::StatusCode::kPermissionDenied
                         ? "is outside the caller's tier"
                         : msg.substr(msg.find(':') == std::string::npos ? 0 : msg.find(':') + 2));
      continue;
    }
    b.set_building_id(ids_->NewId("bld"));
    *b.mutable_created_at() = Ts(now);
    Derive(&b, now);
    v1::BuildingRegistered payload;
    *payload.mutable_building() = b;
    outbox.push_back(Event(payload, b, now));
    buildings.push_back(std::move(b));
  }
  if (!resp.errors().empty() || req.dry_run()) return resp;
  FG_RETURN_IF_ERROR(store_->CreateBuildings(buildings, {}, outbox));
  resp.set_imported(static_cast<int>(buildings.size()));
  for (const auto& b : buildings) resp.add_building_ids(b.building_id());
  log::Info("buildings imported", {{"count", buildings.size()}, {"subject", p.subject}});
  return resp;
}

}  // namespace firegrid::buildings
