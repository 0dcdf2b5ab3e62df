// DeviceApi::ImportCsv: the device CSV import (docs/device-import.md).
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "services/monitoring/access.h"
#include "services/monitoring/device_api.h"
#include "services/monitoring/device_csv.h"

namespace firegrid::monitoring {
namespace {

// Devices read per round trip when matching the file's rows against the registry.
constexpr size_t kReadBatch = 1000;

}  // namespace

absl::StatusOr<v1::ImportDevicesCsvResponse> DeviceApi::ImportCsv(
    const auth::Principal& p, const v1::ImportDevicesCsvRequest& r) {
  FG_RETURN_IF_ERROR(MayImportDevices(p));
  if (r.csv().size() > kMaxDeviceImportBytes) {
    return InvalidField("csv", absl::StrCat("at most ", kMaxDeviceImportBytes, " bytes"));
  }
  if (!google::protobuf::internal::IsStructurallyValidUTF8(r.csv())) {
    return InvalidField("csv", "is not UTF-8 (save the file as UTF-8)");
  }
  absl::StatusOr<std::vector<buildings::CsvRecord>> parsed = buildings::ParseCsv(r.csv());
  if (!parsed.ok()) return InvalidField("csv", parsed.status().message());
  const std::vector<buildings::CsvRecord>& records = *parsed;
  if (records.empty()) return InvalidField("csv", "is empty; a header row is required");
  if (static_cast<int>(records.size()) - 1 > kMaxDeviceImportRows) {
    return InvalidField("csv", absl::StrCat("at most ", kMaxDeviceImportRows, " rows per import"));
  }
  v1::ImportDevicesCsvResponse resp;
  const DeviceColumns cols = ReadDeviceHeader(records[0], &resp);
  if (!resp.errors().empty()) return resp;
  const size_t width = records[0].fields.size();

  struct Row {
    int line;
    v1::Device device;
  };
  std::vector<Row> rows;
  std::map<std::string, int> line_of_id;
  for (size_t i = 1; i < records.size(); ++i) {
    std::optional<v1::Device> d = DeviceFromRow(records[i], cols, width, &resp);
    if (!d.has_value()) continue;
    auto [first, fresh] = line_of_id.emplace(d->device_id(), records[i].line);
    if (!fresh) {
      AddDeviceImportError(&resp, records[i].line, "device_id",
                           absl::StrCat("also on line ", first->second));
      continue;
    }
    rows.push_back({records[i].line, *std::move(d)});
  }

  // The registered devices of the rows, and the rows' buildings with the caller's right to
  // manage their devices (each building read once).
  std::vector<std::optional<v1::Device>> existing;
  existing.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); i += kReadBatch) {
    std::vector<std::string> ids;
    for (size_t k = i; k < std::min(rows.size(), i + kReadBatch); ++k) {
      ids.push_back(rows[k].device.device_id());
    }
    FG_ASSIGN_OR_RETURN(auto batch, devices_->GetMany(ids));
    for (auto& d : batch) existing.push_back(std::move(d));
  }
  std::map<std::string, absl::StatusOr<v1::BuildingView>> buildings;
  auto building_of = [&](const std::string& id) -> const absl::StatusOr<v1::BuildingView>& {
    auto it = buildings.find(id);
    if (it == buildings.end()) {
      absl::StatusOr<v1::BuildingView> b = devices_->GetBuilding(id);
      if (b.ok()) {
        absl::Status may = MayManageDevices(p, *b);
        if (!may.ok()) b = may;
      }
      it = buildings.emplace(id, std::move(b)).first;
    }
    return it->second;
  };

  struct Write {
    const v1::Device* before;  // null: a new device
    v1::Device after;
    const v1::BuildingView* building;
  };
  std::vector<Write> writes;
  int unchanged = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const absl::StatusOr<v1::BuildingView>& building = building_of(row.device.building_id());
    if (!building.ok()) {
      if (absl::IsNotFound(building.status())) {
        AddDeviceImportError(&resp, row.line, "building_id", "unknown building");
      } else if (absl::IsPermissionDenied(building.status())) {
        AddDeviceImportError(&resp, row.line, "building_id",
                             "you may not manage this building's devices");
      } else {
        return building.status();
      }
      continue;
    }
    if (!existing[i].has_value()) {
      v1::Device d = row.device;
      ApplyDeviceDefaults(&d);
      if (d.status() == v1::DEVICE_STATUS_DECOMMISSIONED) {
        AddDeviceImportError(&resp, row.line, "status", "a new device cannot be decommissioned");
        continue;
      }
      writes.push_back({nullptr, std::move(d), &*building});
      continue;
    }
    const v1::Device& before = *existing[i];
    if (before.building_id() != row.device.building_id()) {
      AddDeviceImportError(&resp, row.line, "building_id",
                           absl::StrCat("the device is registered on building ",
                                        before.building_id(), "; a device stays on its building"));
      continue;
    }
    if (before.type() != row.device.type()) {
      AddDeviceImportError(
          &resp, row.line, "type",
          absl::StrCat("the device is registered as ", v1::DeviceType_Name(before.type()),
                       "; register a new device id for another type"));
      continue;
    }
    v1::Device after = MergeRow(row.device, cols, before);
    if (google::protobuf::util::MessageDifferencer::Equals(before, after)) {
      ++unchanged;
      continue;
    }
    writes.push_back({&before, std::move(after), &*building});
  }
  if (!resp.errors().empty()) return resp;
  int created = 0;
  for (const Write& w : writes) created += w.before == nullptr ? 1 : 0;
  resp.set_created(created);
  resp.set_updated(static_cast<int>(writes.size()) - created);
  resp.set_unchanged(unchanged);
  if (r.dry_run()) return resp;
  // Each device is its own atomic write with its event: a failure part-way leaves the rows
  // before it applied, and importing the file again completes it (they come back unchanged).
  const absl::Time now = clock_->Now();
  for (Write& w : writes) {
    if (w.before == nullptr) {
      FG_RETURN_IF_ERROR(CreateDevice(std::move(w.after), *w.building, now).status());
    } else {
      FG_RETURN_IF_ERROR(WriteUpdate(p, *w.before, std::move(w.after), *w.building, now).status());
    }
  }
  log::Info("devices imported", {{"created", resp.created()},
                                 {"updated", resp.updated()},
                                 {"unchanged", unchanged},
                                 {"subject", p.subject}});
  return resp;
}

}  // namespace firegrid::monitoring
