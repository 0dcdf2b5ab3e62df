#include <algorithm>

#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "services/buildings/access.h"
#include "services/buildings/csv.h"
#include "services/buildings/csv_encoding.h"
#include "services/buildings/csv_import.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using internal::Ts;

absl::StatusOr<v1::ImportBuildingsCsvResponse> Registry::ImportBuildingsCsv(
    const P& p, const v1::ImportBuildingsCsvRequest& req) {
  return Import(p, req.content(), req.dry_run(), kMaxImportRows, kMaxImportBytes);
}

absl::StatusOr<v1::ImportBuildingsCsvResponse> Registry::ImportBuildingsCsvStream(
    const P& p, const std::string& content, bool dry_run) {
  return Import(p, content, dry_run, kMaxStreamedImportRows, kMaxStreamedImportBytes);
}

absl::StatusOr<v1::ImportBuildingsCsvResponse> Registry::Import(const P& p,
                                                                const std::string& content,
                                                                bool dry_run, int max_rows,
                                                                size_t max_bytes) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer}))
    return Denied(p, "import buildings");
  if (content.size() > max_bytes) {
    return InvalidField("content", absl::StrCat("at most ", max_bytes, " bytes"));
  }
  FG_ASSIGN_OR_RETURN(const std::string text, DecodeImportText(content));
  auto parsed = ParseCsv(text);
  if (!parsed.ok()) return InvalidField("content", parsed.status().message());
  const std::vector<CsvRecord>& records = *parsed;
  if (records.empty()) return InvalidField("content", "is empty; a header row is required");
  if (static_cast<int>(records.size()) - 1 > max_rows) {
    return InvalidField("content", absl::StrCat("at most ", max_rows, " rows per import"));
  }
  v1::ImportBuildingsCsvResponse resp;
  resp.set_encoding(DetectImportEncoding(content));
  const ImportColumns col = ReadImportHeader(records[0], &resp);
  resp.set_rows(static_cast<int>(records.size()) - 1);
  if (!resp.errors().empty()) return resp;

  const absl::Time now = clock_->Now();
  // Buildings already registered in the caller's scope, by natural key: a row matching one
  // updates it (or leaves it unchanged) instead of creating a duplicate.
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, "", "tier_path"));
  FG_ASSIGN_OR_RETURN(std::vector<v1::Building> registered, ScanAll(scope));
  std::map<std::string, const v1::Building*> by_key;
  for (const auto& b : registered) by_key.emplace(ImportKey(b), &b);

  std::map<std::string, absl::Status> tier_checked;
  std::map<std::string, int> line_of_key;
  std::vector<v1::Building> created;
  Outbox created_events;
  struct Update {
    const v1::Building* before;
    v1::Building after;
    std::vector<std::string> changed;
  };
  std::vector<Update> updates;
  std::vector<std::string> ids;  // per row, in file order
  int unchanged = 0;
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
    const std::string key = ImportKey(b);
    auto [first, fresh] = line_of_key.emplace(key, rec.line);
    if (!fresh) {
      AddImportError(&resp, rec.line, "name",
                     absl::StrCat("same tier_path, name and address as line ", first->second));
      continue;
    }
    auto existing = by_key.find(key);
    if (existing != by_key.end()) {
      Update u{existing->second, *existing->second, {}};
      u.changed = ApplyImportedFields(b, col, &u.after);
      ids.push_back(u.before->building_id());
      if (u.changed.empty()) {
        ++unchanged;
      } else {
        Derive(&u.after, now);
        updates.push_back(std::move(u));
      }
      continue;
    }
    b.set_building_id(ids_->NewId("bld"));
    *b.mutable_created_at() = Ts(now);
    Derive(&b, now);
    v1::BuildingRegistered payload;
    *payload.mutable_building() = b;
    created_events.push_back(Event(payload, b, now));
    ids.push_back(b.building_id());
    created.push_back(std::move(b));
  }
  if (!resp.errors().empty()) return resp;
  resp.set_created(static_cast<int>(created.size()));
  resp.set_updated(static_cast<int>(updates.size()));
  resp.set_unchanged(unchanged);
  if (dry_run) return resp;
  // New buildings are created together, up to kCreateBatch per atomic write; each update is its
  // own versioned write (a crash in between leaves some rows applied, and importing the file
  // again completes it).
  constexpr size_t kCreateBatch = 2000;
  for (size_t i = 0; i < created.size(); i += kCreateBatch) {
    const size_t end = std::min(created.size(), i + kCreateBatch);
    FG_RETURN_IF_ERROR(store_->CreateBuildings(
        std::vector<v1::Building>(created.begin() + i, created.begin() + end), {},
        Outbox(created_events.begin() + i, created_events.begin() + end)));
  }
  for (const Update& u : updates) {
    v1::BuildingUpdated payload;
    *payload.mutable_building() = u.after;
    for (const auto& path : u.changed) payload.add_changed_fields(path);
    FG_RETURN_IF_ERROR(
        store_->UpdateBuilding(*u.before, u.after, nullptr, {Event(payload, u.after, now)}));
  }
  resp.set_imported(static_cast<int>(ids.size()));
  for (const auto& id : ids) resp.add_building_ids(id);
  log::Info("buildings imported", {{"created", created.size()},
                                   {"updated", updates.size()},
                                   {"unchanged", unchanged},
                                   {"subject", p.subject}});
  return resp;
}

absl::StatusOr<v1::CsvDocument> Registry::ExportBuildingsCsv(
    const P& p, const v1::ExportBuildingsCsvRequest& req) {
  if (!auth::HasRole(p, {Role::kDistrictAdmin, Role::kStreetOfficer, Role::kCommunityWorker,
                         Role::kDepartmentOfficer, Role::kInternalService})) {
    return Denied(p, "export buildings");
  }
  const bool reveal = req.reveal_personal_data() && p.role != Role::kInternalService;
  if (reveal && p.role != Role::kDistrictAdmin) {
    return Denied(p, "export identity numbers (reveal_personal_data)");
  }
  FG_ASSIGN_OR_RETURN(std::string scope, ScopeOf(p, req.tier_path(), "tier_path"));
  if (!IsDivisionCode(scope)) return InvalidField("tier_path", "must be a 6, 9 or 12-digit code");
  FG_ASSIGN_OR_RETURN(auto buildings, ScanAll(scope));
  if (reveal) {
    FG_RETURN_IF_ERROR(audit::RecordPersonalDataRead(
        personal_data_audit_, "/firegrid.buildings.v1.BuildingService/ExportBuildingsCsv", p, scope,
        {"parties.person_id"}));
  } else {
    for (auto& b : buildings) RedactForCaller(p, &b);
  }
  v1::CsvDocument doc;
  doc.set_filename(absl::StrCat("buildings-", scope, "-",
                                absl::FormatTime("%Y%m%d", clock_->Now(), calendar_.zone), ".csv"));
  doc.set_content(BuildingsImportCsv(buildings));
  doc.set_rows(static_cast<int>(buildings.size()));
  return doc;
}

}  // namespace firegrid::buildings
