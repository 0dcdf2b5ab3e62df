#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "services/buildings/csv.h"

namespace firegrid::buildings {


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

// The natural key an import matches existing buildings by: tier_path, name and address (as
// stored, after trimming). Importing a row whose key is registered updates that building.
std::string ImportKey(const v1::Building& b);

// Copies the fields of `row` whose columns the file has into `target`; returns the changed
// fields' paths ("name", "location", "height_m", ...), empty when nothing changed.
std::vector<std::string> ApplyImportedFields(const v1::Building& row, const ImportColumns& cols,
                                             v1::Building* target);

// The buildings in the import's format, header first, every column, one row per building:
// importing it back changes nothing.
std::string BuildingsImportCsv(const std::vector<v1::Building>& buildings);

}  // namespace firegrid::buildings
