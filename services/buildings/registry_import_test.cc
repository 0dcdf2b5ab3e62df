#include "services/buildings/csv.h"
#include "services/buildings/registry_test_support.h"

namespace firegrid::buildings::registry_testing {
namespace {

using CsvImportTest = RegistryTest;

TEST_F(CsvImportTest, CsvImportIsAllOrNothingAndReportsEveryBadRow) {
  const std::string header =
      "name,address,tier_path,latitude,longitude,use,height_m,floors_above_ground,three_nos\n";
  const std::string bad = header +
                          "甲栋,地址,500109001001,29.8,106.4,residential,60,20,no\n"
                          "乙栋,地址,500109001001,29.8,106.4,castle,60,20,no\n"
                          "丙栋,地址,500109002001,29.8,106.4,office,60,20,no\n"
                          "丁栋,地址,500109001001,29.8,106.4,office,tall,20,maybe\n";
  v1::ImportBuildingsCsvRequest req;
  req.set_content(bad);
  auto r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->imported(), 0);
  EXPECT_EQ(r->rows(), 4);
  ASSERT_EQ(r->errors_size(), 4);
  EXPECT_EQ(r->errors(0).line(), 3);
  EXPECT_EQ(r->errors(0).column(), "use");
  EXPECT_EQ(r->errors(1).line(), 4);
  EXPECT_EQ(r->errors(1).column(), "tier_path");  // other street: out of scope
  EXPECT_EQ(r->errors(2).line(), 5);
  EXPECT_EQ(r->errors(2).column(), "height_m");
  EXPECT_EQ(r->errors(3).column(), "three_nos");
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(registry_.ListBuildings(admin_, {})->buildings_size(), 0);

  req.set_content(header +
                  "甲栋,地址,500109001001,29.8,106.4,residential,60,20,no\n"
                  "\"乙栋, 东\",地址,500109001002,29.8,106.4,OFFICE,30,10,yes\n");
  req.set_dry_run(true);
  r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->errors().empty());
  EXPECT_EQ(r->imported(), 0);
  req.set_dry_run(false);
  r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->imported(), 2);
  EXPECT_EQ(store_.outbox().size(), 2u);
  auto list = registry_.ListBuildings(admin_, {});
  ASSERT_EQ(list->buildings_size(), 2);
  EXPECT_EQ(list->buildings(1).name(), "乙栋, 东");
  EXPECT_TRUE(list->buildings(1).three_nos());
}

TEST_F(CsvImportTest, CsvImportChecksTheHeader) {
  v1::ImportBuildingsCsvRequest req;
  req.set_content("name,colour\nx,red\n");
  auto r = registry_.ImportBuildingsCsv(admin_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_GE(r->errors_size(), 2);
  EXPECT_EQ(r->errors(0).line(), 1);
  req.set_content("");
  EXPECT_EQ(registry_.ImportBuildingsCsv(admin_, req).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_.ImportBuildingsCsv(worker_a_, req).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
