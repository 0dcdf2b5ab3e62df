#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "services/buildings/csv.h"

namespace firegrid::monitoring {

// The device CSV import format (docs/device-import.md): its columns, and the conversion of one
// row into the client-settable fields of a device. Errors go to the response, one per bad
// cell, with the file's line and the column's name.

inline constexpr size_t kMaxDeviceImportBytes = 8 << 20;  // ImportDevicesCsvRequest.csv
inline constexpr int kMaxDeviceImportRows = 20000;
inline constexpr int kMaxReportedDeviceImportErrors = 200;

// Column name (lower case) → index in the row.
using DeviceColumns = std::map<std::string, int>;

// Reads the header row; unknown, duplicate and missing required columns (device_id, type,
// building_id) are added to `resp` (line 1).
DeviceColumns ReadDeviceHeader(const buildings::CsvRecord& header,
                               v1::ImportDevicesCsvResponse* resp);

// Adds a row error unless kMaxReportedDeviceImportErrors are already reported.
void AddDeviceImportError(v1::ImportDevicesCsvResponse* resp, int line, const std::string& column,
                          absl::string_view message);

// The device one data row describes, its cells parsed (type, facility and status by name,
// heartbeat_period_s in whole seconds) and checked as RegisterDevice checks them (the defaults
// filled for cells left empty), or nullopt after adding the row's errors to `resp`. `width` is
// the header's field count.
std::optional<v1::Device> DeviceFromRow(const buildings::CsvRecord& rec, const DeviceColumns& cols,
                                        size_t width, v1::ImportDevicesCsvResponse* resp);

// The device `existing` becomes when the row is imported over it: the updatable fields whose
// columns the file has, where an empty status or heartbeat_period_s cell keeps the stored
// value. The caller refuses a row whose type or building differs from the stored device's.
v1::Device MergeRow(const v1::Device& row, const DeviceColumns& cols, const v1::Device& existing);

// Reads a type, facility or status cell: the short name in any case ("hydrant_pressure",
// "in-service") or the full enum name ("DEVICE_TYPE_HYDRANT_PRESSURE"). False for anything
// else, including the unspecified value.
bool ParseDeviceType(absl::string_view cell, v1::DeviceType* out);
bool ParseFacility(absl::string_view cell, ::firegrid::buildings::v1::FacilityKind* out);
bool ParseDeviceStatus(absl::string_view cell, v1::DeviceStatus* out);

}  // namespace firegrid::monitoring
