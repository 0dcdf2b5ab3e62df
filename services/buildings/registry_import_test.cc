#include <iconv.h>

#include <fstream>
#include <map>
#include <sstream>

#include "google/protobuf/util/message_differencer.h"
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

// ----- Encodings, upsert, round trip, the documented sample -----

std::string ReadSample() {
  std::ifstream f(FIREGRID_SAMPLE_CSV, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// UTF-8 → GB18030, as Excel on a Chinese Windows PC writes a CSV.
std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* dst = out.data();
  size_t dst_left = out.size();
  EXPECT_NE(iconv(cd, &in, &in_left, &dst, &dst_left), static_cast<size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - dst_left);
  return out;
}

std::map<std::string, v1::Building> ByName(Registry& registry, const Principal& p) {
  v1::ListBuildingsRequest req;
  req.set_page_size(500);
  std::map<std::string, v1::Building> out;
  auto list = registry.ListBuildings(p, req);
  EXPECT_TRUE(list.ok()) << list.status();
  if (!list.ok()) return out;
  for (const auto& b : list->buildings()) out[b.name()] = b;
  return out;
}

TEST_F(CsvImportTest, TheDocumentedSampleImports) {
  v1::ImportBuildingsCsvRequest req;
  req.set_content(ReadSample());
  auto r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->errors().empty()) << r->DebugString();
  EXPECT_EQ(r->imported(), 6);
  EXPECT_EQ(r->created(), 6);
  EXPECT_EQ(r->encoding(), "UTF-8");
  auto all = ByName(registry_, admin_);
  ASSERT_EQ(all.count("凤凰大厦 (商住, 东塔)"), 1u);
  EXPECT_TRUE(all["凤凰大厦 (商住, 东塔)"].large_mixed_use());
  EXPECT_EQ(all["缙云商场"].use(), v1::BUILDING_USE_MALL);
  // Parties: English and Chinese role names, organisations and persons, an empty cell.
  const v1::Building& jialing = all["嘉陵苑 1 栋"];
  ASSERT_EQ(jialing.parties_size(), 5);
  EXPECT_EQ(jialing.parties(0).role(), subjects::v1::PARTY_ROLE_OWNER);
  EXPECT_EQ(jialing.parties(0).credit_code(), kOwnerCode);
  EXPECT_EQ(jialing.parties(3).role(), subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY);
  EXPECT_EQ(jialing.parties(4).person_id(), "500109********1232");  // masked for admins too
  const v1::Building& fenghuang = all["凤凰大厦 (商住, 东塔)"];
  ASSERT_EQ(fenghuang.parties_size(), 6);
  EXPECT_EQ(fenghuang.parties(2).role(), subjects::v1::PARTY_ROLE_PROPERTY_COMPANY);
  EXPECT_EQ(fenghuang.parties(5).role(), subjects::v1::PARTY_ROLE_OCCUPANT);
  EXPECT_EQ(fenghuang.parties(5).person_id(), "110105********002X");
  EXPECT_EQ(all["缙云商场"].parties_size(), 0);
  // Stored whole.
  auto stored = store_.GetBuilding(jialing.building_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->parties(4).person_id(), kPersonId);
}

TEST_F(CsvImportTest, BadPartiesAreReportedWithLineColumnEntryAndReason) {
  const std::string header =
      "name,address,tier_path,latitude,longitude,use,height_m,floors_above_ground,parties\n";
  v1::ImportBuildingsCsvRequest req;
  req.set_content(header +
                  "甲栋,地址,500109001001,29.8,106.4,residential,60,20,"
                  "owner:甲公司:91500109MA5U0001A4; owner:乙公司:91500109MA5U0002B9\n"
                  "乙栋,地址,500109001001,29.8,106.4,residential,60,20,landlord:某人:x\n"
                  "丙栋,地址,500109001001,29.8,106.4,residential,60,20,"
                  "occupant:张伟:id:500109198513121232\n"
                  "丁栋,地址,500109001001,29.8,106.4,residential,60,20,"
                  "owner:甲公司:91500109MA5U0001A4;owner:甲 公司:91500109ma5u0001a4\n"
                  "戊栋,地址,500109001001,29.8,106.4,residential,60,20,"
                  "owner:甲公司:91500109MA5U0001A4;occupant:张伟:id:500109198503121232\n");
  auto r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->errors_size(), 4) << r->DebugString();
  for (const auto& e : r->errors()) EXPECT_EQ(e.column(), "parties");
  EXPECT_EQ(r->errors(0).line(), 2);
  EXPECT_EQ(r->errors(0).message(),
            "entry 2 (乙公司): credit_code: check character is 9, but the first 17 characters "
            "give 8 (GB 32100)");
  EXPECT_EQ(r->errors(1).line(), 3);
  EXPECT_THAT(r->errors(1).message(), HasSubstr("entry 1: unknown role 'landlord'"));
  EXPECT_EQ(r->errors(2).line(), 4);
  EXPECT_THAT(r->errors(2).message(),
              HasSubstr("entry 1 (张伟): person_id: characters 7-14 are not a valid birth date"));
  EXPECT_EQ(r->errors(3).line(), 5);
  EXPECT_EQ(r->errors(3).message(),
            "entry 2 (甲 公司): names the same party in the same role as entry 1");
  EXPECT_EQ(r->imported(), 0);
  EXPECT_TRUE(store_.outbox().empty());
}

TEST_F(CsvImportTest, AFileWithoutThePartiesColumnLeavesThePartiesAsRegistered) {
  v1::ImportBuildingsCsvRequest req;
  req.set_content(ReadSample());
  ASSERT_TRUE(registry_.ImportBuildingsCsv(street_, req).ok());
  store_.ClearOutbox();
  req.set_content(
      "name,address,tier_path,latitude,longitude,use,height_m,floors_above_ground\n"
      "嘉陵苑 1 栋,北碚区天生路 1 号,500109001001,29.8254321,106.4361234,residential,60,20\n");
  auto r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->updated(), 1) << r->DebugString();
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u);
  auto payload = events::Unpack<v1::BuildingUpdated>(evs[0]);
  ASSERT_TRUE(payload.ok());
  EXPECT_THAT(payload->changed_fields(), ::testing::ElementsAre("height_m"));
  EXPECT_EQ(payload->building().parties_size(), 5);
}

TEST_F(CsvImportTest, Gb18030FileImportsLikeItsUtf8Original) {
  const std::string utf8 = ReadSample();
  v1::ImportBuildingsCsvRequest req;
  req.set_content(ToGb18030(utf8));
  ASSERT_NE(req.content(), utf8);
  auto r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->errors().empty()) << r->DebugString();
  EXPECT_EQ(r->encoding(), "GB18030");
  EXPECT_EQ(r->created(), 6);
  auto all = ByName(registry_, admin_);
  EXPECT_EQ(all.count("嘉陵苑 1 栋"), 1u);
  EXPECT_EQ(all["嘉陵苑 1 栋"].address(), "北碚区天生路 1 号");
  // The same file in UTF-8 with a BOM is the same buildings: nothing new.
  req.set_content("\xEF\xBB\xBF" + utf8);
  r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->encoding(), "UTF-8 with BOM");
  EXPECT_EQ(r->created(), 0);
  EXPECT_EQ(r->unchanged(), 6);
}

TEST_F(CsvImportTest, UnknownEncodingIsInvalidArgumentNamingIt) {
  v1::ImportBuildingsCsvRequest req;
  req.set_content(std::string("\xFF\xFEn\0a\0", 6));
  auto s = registry_.ImportBuildingsCsv(street_, req).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("UTF-16LE"));
}

TEST_F(CsvImportTest, ImportingTheSameFileTwiceCreatesNoDuplicates) {
  v1::ImportBuildingsCsvRequest req;
  req.set_content(ReadSample());
  auto first = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  store_.ClearOutbox();
  auto second = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->errors().empty()) << second->DebugString();
  EXPECT_EQ(second->created(), 0);
  EXPECT_EQ(second->unchanged(), 6);
  EXPECT_EQ(second->imported(), 6);
  EXPECT_EQ(std::vector<std::string>(second->building_ids().begin(), second->building_ids().end()),
            std::vector<std::string>(first->building_ids().begin(), first->building_ids().end()));
  EXPECT_TRUE(store_.outbox().empty());  // nothing changed, nothing published
  EXPECT_EQ(ByName(registry_, admin_).size(), 6u);
}

TEST_F(CsvImportTest, ARowMatchingARegisteredBuildingUpdatesIt) {
  v1::ImportBuildingsCsvRequest req;
  const std::string header =
      "name,address,tier_path,latitude,longitude,use,height_m,"
      "floors_above_ground\n";
  req.set_content(header + "甲栋,天生路 1 号,500109001001,29.8,106.4,residential,30,10\n");
  ASSERT_TRUE(registry_.ImportBuildingsCsv(street_, req).ok());
  store_.ClearOutbox();
  req.set_content(header +
                  "甲栋,天生路 1 号,500109001001,29.8,106.4,residential,60,20\n"
                  "乙栋,天生路 1 号,500109001001,29.8,106.4,residential,60,20\n"
                  "乙栋,天生路 1 号,500109001001,29.8,106.4,office,60,20\n");
  auto dup = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(dup.ok());
  ASSERT_EQ(dup->errors_size(), 1);  // the same key twice in one file
  EXPECT_EQ(dup->errors(0).line(), 4);
  EXPECT_THAT(dup->errors(0).message(), HasSubstr("line 3"));
  req.set_content(header + "甲栋,天生路 1 号,500109001001,29.8,106.4,residential,60,20\n");
  auto r = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->updated(), 1);
  EXPECT_EQ(r->created(), 0);
  auto all = ByName(registry_, admin_);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_DOUBLE_EQ(all["甲栋"].height_m(), 60);
  EXPECT_EQ(all["甲栋"].building_class(), v1::BUILDING_CLASS_I);  // re-derived
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type(), "firegrid.buildings.v1.BuildingUpdated");
}

// A district admin's revealing export (identity numbers unmasked, audited) imports back
// unchanged, parties included.
TEST_F(CsvImportTest, RegistryExportImportsBackUnchanged) {
  std::vector<audit::AuditRecord> records;
  registry_.set_personal_data_audit([&](audit::AuditRecord r) {
    records.push_back(std::move(r));
    return absl::OkStatus();
  });
  v1::ExportBuildingsCsvRequest reveal;
  reveal.set_reveal_personal_data(true);
  v1::ImportBuildingsCsvRequest req;
  req.set_content(ReadSample());
  ASSERT_TRUE(registry_.ImportBuildingsCsv(street_, req).ok());
  // A building whose name a spreadsheet would read as a formula, and one made by hand.
  v1::CreateBuildingRequest create;
  *create.mutable_building() = Fields(kCommunityB);
  create.mutable_building()->set_name("=HYPERLINK(\"x\")");
  create.mutable_building()->mutable_location()->set_latitude(29.812345678901);
  ASSERT_TRUE(registry_.CreateBuilding(admin_, create).ok());
  const auto before = ByName(registry_, admin_);

  auto exported = registry_.ExportBuildingsCsv(admin_, reveal);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->rows(), 7);
  store_.ClearOutbox();
  req.set_content(exported->content());
  EXPECT_THAT(exported->content(), HasSubstr("occupant:张伟:id:500109198503121232"));
  auto back = registry_.ImportBuildingsCsv(admin_, req);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->errors().empty()) << back->DebugString();
  EXPECT_EQ(back->unchanged(), 7);
  EXPECT_EQ(back->created() + back->updated(), 0);
  EXPECT_TRUE(store_.outbox().empty());
  const auto after = ByName(registry_, admin_);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [name, b] : before) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(b, after.at(name))) << name;
  }
  auto again = registry_.ExportBuildingsCsv(admin_, reveal);
  EXPECT_EQ(again->content(), exported->content());
  // The ledger summary is a different export.
  EXPECT_NE(registry_.ExportLedgerCsv(street_, {})->content(), exported->content());
}

// Anyone else's export shows identity numbers masked, so it cannot bring them back: its import
// is refused naming the row, the column and the masked entry, and changes nothing.
TEST_F(CsvImportTest, AMaskedExportCannotBeImportedBackOverIdentityNumbers) {
  v1::ImportBuildingsCsvRequest req;
  req.set_content(ReadSample());
  ASSERT_TRUE(registry_.ImportBuildingsCsv(street_, req).ok());
  store_.ClearOutbox();
  auto exported = registry_.ExportBuildingsCsv(street_, v1::ExportBuildingsCsvRequest());
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_THAT(exported->content(), HasSubstr("occupant:张伟:id:500109********1232"));
  EXPECT_THAT(exported->content(), ::testing::Not(HasSubstr(kPersonId)));
  EXPECT_THAT(exported->content(), HasSubstr(kOwnerCode));  // organisations are not masked
  req.set_content(exported->content());
  auto back = registry_.ImportBuildingsCsv(street_, req);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->errors_size(), 2) << back->DebugString();  // the two rows naming persons
  EXPECT_EQ(back->errors(0).column(), "parties");
  EXPECT_THAT(back->errors(0).message(), HasSubstr("entry 5 (张伟): person_id:"));
  EXPECT_THAT(back->errors(0).message(), HasSubstr("the identity number is masked"));
  EXPECT_EQ(back->imported(), 0);
  EXPECT_TRUE(store_.outbox().empty());
  EXPECT_EQ(store_.GetBuilding(back->building_ids_size() > 0 ? back->building_ids(0) : "bld_0001")
                ->parties(4)
                .person_id(),
            kPersonId);
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
