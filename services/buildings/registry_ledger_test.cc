#include "services/buildings/registry_test_support.h"

#include "services/buildings/csv.h"

namespace firegrid::buildings::registry_testing {
namespace {

using LedgerRpcTest = RegistryTest;

TEST_F(LedgerRpcTest, LedgerReflectsFilingAndIsScoped) {
  v1::Building a = Create(admin_, kCommunityA);
  Create(admin_, kCommunityB);
  Create(admin_, kCommunityC);
  v1::FileResponsibilityRequest req;
  req.set_building_id(a.building_id());
  req.set_expected_version(a.version());
  *req.mutable_chain() = Chain();
  req.mutable_filing()->set_document_number("doc-1");
  *req.mutable_filing()->mutable_filed_at() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(clock_.Now()));
  ASSERT_TRUE(registry_.FileResponsibility(street_, req).ok());
  auto ledger = registry_.GetLedger(street_, v1::GetLedgerRequest());
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ(ledger->tier_path(), kStreet);
  EXPECT_EQ(ledger->name(), "天生街道");
  EXPECT_EQ(ledger->totals().buildings(), 2);
  EXPECT_EQ(ledger->totals().responsibility_filed(), 1);
  EXPECT_DOUBLE_EQ(ledger->totals().responsibility_filed_pct(), 50.0);
  ASSERT_EQ(ledger->rows_size(), 2);
  EXPECT_EQ(ledger->rows(0).name(), "凤凰社区");
  v1::GetLedgerRequest other;
  other.set_tier_path(kOtherStreet);
  EXPECT_EQ(registry_.GetLedger(street_, other).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto csv = registry_.ExportLedgerCsv(street_, v1::ExportLedgerCsvRequest());
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(csv->rows(), 2);
  EXPECT_THAT(csv->filename(), HasSubstr("500109001"));
  auto parsed = ParseCsv(csv->content());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 3u);
}

}  // namespace
}  // namespace firegrid::buildings::registry_testing
