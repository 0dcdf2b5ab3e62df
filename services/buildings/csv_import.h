#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "services/buildings/csv.h"

namespace firegrid::buildings {

namespace v1 = ::firegrid::buildings::v1;

// The CSV import format (docs/csv-import.md): its columns, and the conversion of one row into
// the client-settable fields of a building. Errors go to the response, one per bad cell, with
// the file's line and the column's name.

// Rows per import and errors reported per import.
inline constexpr int kMaxReportedImportErrors = 200;

// Column name (lower case) → index in the row.
using ImportColumns = std::map<std::string, int>;

// Reads the header row; unknown, duplicate and missing required columns are added to `resp`.
ImportColumns ReadImportHeader(const CsvRecord& header, v1::ImportBuildingsCsvResponse* resp);

// Adds a row error unless kMaxReportedImportErrors are already reported.
void AddImportError(v1::ImportBuildingsCsvResponse* resp, int line, const std::string& column,
                    absl::string_view message);

// The building one data row describes (validated as CreateBuilding validates), or nullopt after
// adding the row's errors to `resp`. `width` is the header's field count.
std::optional<v1::Building> BuildingFromImportRow(const CsvRecord& rec, const ImportColumns& cols,
                                                  size_t width, absl::Time now,
                                                  v1::ImportBuildingsCsvResponse* resp);

}  // namespace firegrid::buildings
