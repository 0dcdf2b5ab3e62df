#include "services/buildings/csv_import.h"

#include "gtest/gtest.h"

namespace firegrid::buildings {
namespace {

const absl::Time kNow = absl::FromCivil(absl::CivilDay(2026, 11, 23), absl::UTCTimeZone());

CsvRecord Row(int line, std::vector<std::string> fields) { return CsvRecord{line, fields}; }

const CsvRecord kHeader = Row(1, {"name", "address", "tier_path", "latitude", "longitude", "use",
                                  "height_m", "floors_above_ground", "three_nos"});

TEST(CsvImportHeader, ReportsUnknownDuplicateAndMissingColumns) {
  v1::ImportBuildingsCsvResponse resp;
  ReadImportHeader(Row(1, {"Name", "name", "colour"}), &resp);
  std::vector<std::string> got;
  for (const auto& e : resp.errors()) got.push_back(e.column() + ":" + e.message());
  EXPECT_NE(std::find(got.begin(), got.end(), "name:duplicate column"), got.end());
  EXPECT_NE(std::find(got.begin(), got.end(), "colour:unknown column"), got.end());
  EXPECT_NE(std::find(got.begin(), got.end(), "address:required column missing"), got.end());
}

TEST(CsvImportRow, ConvertsAGoodRowWithShortEnumAndYesNoFlags) {
  v1::ImportBuildingsCsvResponse resp;
  const ImportColumns cols = ReadImportHeader(kHeader, &resp);
  ASSERT_TRUE(resp.errors().empty());
  auto b = BuildingFromImportRow(
      Row(2, {"A 1", "Road 1", "500109001001", "29.8", "106.4", "residential", "60", "20", "yes"}),
      cols, kHeader.fields.size(), kNow, &resp);
  ASSERT_TRUE(b.has_value()) << resp.DebugString();
  EXPECT_EQ(b->use(), v1::BUILDING_USE_RESIDENTIAL);
  EXPECT_DOUBLE_EQ(b->height_m(), 60);
  EXPECT_TRUE(b->three_nos());
}

TEST(CsvImportRow, BadCellsAreReportedWithLineAndColumn) {
  v1::ImportBuildingsCsvResponse resp;
  const ImportColumns cols = ReadImportHeader(kHeader, &resp);
  EXPECT_FALSE(BuildingFromImportRow(Row(7, {"A", "R", "500109001001", "north", "106.4", "castle",
                                             "60", "20", "maybe"}),
                                     cols, kHeader.fields.size(), kNow, &resp)
                   .has_value());
  std::vector<std::string> got;
  for (const auto& e : resp.errors()) {
    EXPECT_EQ(e.line(), 7);
    got.push_back(e.column());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"latitude", "three_nos", "use"}));
}

TEST(CsvImportRow, WrongFieldCountIsOneError) {
  v1::ImportBuildingsCsvResponse resp;
  const ImportColumns cols = ReadImportHeader(kHeader, &resp);
  EXPECT_FALSE(BuildingFromImportRow(Row(3, {"A", "R"}), cols, kHeader.fields.size(), kNow, &resp));
  ASSERT_EQ(resp.errors_size(), 1);
  EXPECT_EQ(resp.errors(0).message(), "has 2 fields, the header 9");
}

}  // namespace
}  // namespace firegrid::buildings
