#pragma once

#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "libs/audit/personal_data.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/common/working_days.h"
#include "services/buildings/rules.h"
#include "services/buildings/store.h"

namespace firegrid::buildings {

// The buildings domain: validation, authorisation by role and tier, derived fields, events.
// Plain C++ over a Store; the gRPC adapter only authenticates and converts statuses.
//
// Roles (see README.md): district_admin and street_officer manage what lies under their tier
// path; community_worker reads and edits the buildings of its community (not filings);
// department_officer reads under its tier path and records facility status; building_manager
// reads and records facility status for the buildings that name it (by subject) in their
// responsibility chain; internal_service reads everything; service_agency has no access here;
// public_channel may not read buildings, only find its district's nearby (id, name, address,
// tier path).
class Registry {
 public:
  Registry(Store* store, Rules rules, Clock* clock, IdGenerator* ids);

  // Where reads that reveal personal data are recorded (the service's audit log). Without one,
  // such reads are refused (UNAVAILABLE).
  void set_personal_data_audit(audit::RecordSink sink) { personal_data_audit_ = std::move(sink); }

  using P = auth::Principal;
  absl::StatusOr<v1::OrgUnit> UpsertOrgUnit(const P& p, const v1::UpsertOrgUnitRequest& req);
  absl::StatusOr<v1::OrgUnit> GetOrgUnit(const P& p, const v1::GetOrgUnitRequest& req);
  absl::StatusOr<v1::ListOrgUnitsResponse> ListOrgUnits(const P& p,
                                                        const v1::ListOrgUnitsRequest& req);

  absl::StatusOr<v1::Building> CreateBuilding(const P& p, const v1::CreateBuildingRequest& req);
  absl::StatusOr<v1::Building> GetBuilding(const P& p, const v1::GetBuildingRequest& req);
  absl::StatusOr<v1::Building> UpdateBuilding(const P& p, const v1::UpdateBuildingRequest& req);
  absl::StatusOr<v1::ListBuildingsResponse> ListBuildings(const P& p,
                                                          const v1::ListBuildingsRequest& req);

  absl::StatusOr<v1::Building> FileResponsibility(const P& p,
                                                  const v1::FileResponsibilityRequest& req);
  absl::StatusOr<v1::GetResponsibilityHistoryResponse> GetResponsibilityHistory(
      const P& p, const v1::GetResponsibilityHistoryRequest& req);
  absl::StatusOr<v1::Building> SetFacilityStatus(const P& p,
                                                 const v1::SetFacilityStatusRequest& req);
  absl::StatusOr<v1::SetFireAccessResponse> SetFireAccess(const P& p,
                                                          const v1::SetFireAccessRequest& req);
  absl::StatusOr<v1::FireAccessAssessment> AssessFireAccess(const P& p,
                                                            const v1::AssessFireAccessRequest& req);

  absl::StatusOr<v1::Hydrant> RegisterHydrant(const P& p, const v1::RegisterHydrantRequest& req);
  absl::StatusOr<v1::MicroStation> RegisterMicroStation(const P& p,
                                                        const v1::RegisterMicroStationRequest& req);
  absl::StatusOr<v1::FindNearbyResponse> FindNearby(const P& p, const v1::FindNearbyRequest& req);

  absl::StatusOr<v1::Ledger> GetLedger(const P& p, const v1::GetLedgerRequest& req);
  absl::StatusOr<v1::CsvDocument> ExportLedgerCsv(const P& p,
                                                  const v1::ExportLedgerCsvRequest& req);
  absl::StatusOr<v1::ImportBuildingsCsvResponse> ImportBuildingsCsv(
      const P& p, const v1::ImportBuildingsCsvRequest& req);
  // The import of a streamed file: `content` is the whole file, with the larger limits below.
  absl::StatusOr<v1::ImportBuildingsCsvResponse> ImportBuildingsCsvStream(
      const P& p, const std::string& content, bool dry_run);
  absl::StatusOr<v1::CsvDocument> ExportBuildingsCsv(const P& p,
                                                     const v1::ExportBuildingsCsvRequest& req);

  // The ledger counters against a recount of every building (district admins; nothing is
  // written): firegridctl rebuild --check.
  absl::StatusOr<readmodels::v1::CheckReadModelsResponse> CheckReadModels(
      const P& p, const readmodels::v1::CheckReadModelsRequest& req);

  static constexpr int kMaxImportRows = 2000;
  static constexpr size_t kMaxImportBytes = 4 << 20;
  static constexpr int kMaxStreamedImportRows = 100000;
  static constexpr size_t kMaxStreamedImportBytes = 64 << 20;

 private:
  // `b` as the caller may see it (RedactForCaller), errors unchanged.
  static absl::StatusOr<v1::Building> ForCaller(const P& p, absl::StatusOr<v1::Building> b);
  // Loads a building and computes its read-time fields (filing state).
  absl::StatusOr<v1::Building> Load(const std::string& id);
  void Decorate(v1::Building* b) const;
  // Derives class and fire-access results; bumps version and updated_at.
  void Derive(v1::Building* b, absl::Time now) const;
  absl::Status CheckTierExists(const std::string& code, const std::string& field);
  // Loads, lets `mutate` change a copy, and writes it back, retrying a few times when another
  // writer got there first (for calls without a client version).
  absl::StatusOr<v1::Building> ReadModifyWrite(
      const std::string& id, int64_t expected_version,
      const std::function<absl::Status(const v1::Building& before, v1::Building* after,
                                       Outbox* outbox)>& mutate);
  events::Message Event(const google::protobuf::Message& payload, const v1::Building& b,
                        absl::Time now);
  absl::StatusOr<std::vector<v1::Building>> ScanAll(const std::string& prefix);
  absl::StatusOr<std::map<std::string, std::string>> UnitNames(const std::string& prefix);
  absl::StatusOr<v1::ImportBuildingsCsvResponse> Import(const P& p, const std::string& content,
                                                        bool dry_run, int max_rows,
                                                        size_t max_bytes);
  absl::StatusOr<std::string> ScopeOf(const P& p, const std::string& requested,
                                      const std::string& field);

  Store* store_;
  Rules rules_;
  WorkCalendar calendar_;
  Clock* clock_;
  IdGenerator* ids_;
  audit::RecordSink personal_data_audit_;
};

}  // namespace firegrid::buildings
