#include "tests/support/authz_matrix.h"

#include <algorithm>
#include <string>
#include <vector>

#include "firegrid/audit/v1/audit.grpc.pb.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"

namespace firegrid::authz_matrix {
namespace {

std::vector<std::string> Names(const std::vector<Row>& rows) {
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(RowName({rows[i], i}));
  return out;
}

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Every caller gets a row in each of its relations: allowed pairs OK, filtered and hidden ones
// as marked, everything else the rule's refusal; plus the three token rows.
TEST(AuthzMatrixExpand, AllowedPairsAreOkAndEveryOtherPairIsRefused) {
  const std::vector<Row> rows =
      Expand({{.rpc = "GetThing",
               .allowed = {{Caller::kStreetOfficer, InScope()}},
               .filtered = {{Caller::kDistrictAdmin, InScope()}},
               .hidden = {{Caller::kCommunityWorker, {Relation::kOwn}}}}});
  const auto names = Names(rows);
  EXPECT_TRUE(Has(names, "GetThing_StreetOfficer_Own_Ok"));
  EXPECT_TRUE(Has(names, "GetThing_StreetOfficer_Parent_Denied"));
  EXPECT_TRUE(Has(names, "GetThing_StreetOfficer_Sibling_Denied"));
  EXPECT_TRUE(Has(names, "GetThing_StreetOfficer_OtherDistrict_Denied"));
  EXPECT_TRUE(Has(names, "GetThing_DistrictAdmin_Own_Filtered"));
  EXPECT_TRUE(Has(names, "GetThing_CommunityWorker_Own_Hidden"));
  EXPECT_TRUE(Has(names, "GetThing_BuildingManager_Named_Denied"));
  EXPECT_TRUE(Has(names, "GetThing_NoToken_Any_Unauthenticated"));
  EXPECT_TRUE(Has(names, "GetThing_ExpiredToken_Any_Unauthenticated"));
  EXPECT_TRUE(Has(names, "GetThing_BadToken_Any_Unauthenticated"));
  // District callers have no parent or sibling unit.
  EXPECT_FALSE(Has(names, "GetThing_DistrictAdmin_Parent_Denied"));
  int rows_per_caller = 0;
  for (const Row& r : rows) rows_per_caller += r.caller == Caller::kStreetOfficer;
  EXPECT_EQ(rows_per_caller, 4);
}

TEST(AuthzMatrixExpand, TokenFreeCallsExpectTheirOutcomeWithoutAToken) {
  const auto names = Names(Expand({{.rpc = "SignIn", .without_token = Expect::kOk}}));
  EXPECT_TRUE(Has(names, "SignIn_NoToken_Any_Ok"));
  EXPECT_TRUE(Has(names, "SignIn_BadToken_Any_Ok"));
}

TEST(AuthzMatrixPlaces, ObjectsLieWhereTheRelationSays) {
  EXPECT_EQ(ObjectTier(Caller::kStreetOfficer, Relation::kOwn), kHomeCommunity);
  EXPECT_EQ(ObjectTier(Caller::kStreetOfficer, Relation::kParent), kHomeDistrict);
  EXPECT_EQ(ObjectTier(Caller::kStreetOfficer, Relation::kSibling), kSiblingStreetCommunity);
  EXPECT_EQ(ObjectTier(Caller::kCommunityWorker, Relation::kParent), kHomeStreet);
  EXPECT_EQ(ObjectTier(Caller::kCommunityWorker, Relation::kSibling), kSiblingCommunity);
  EXPECT_EQ(ObjectTier(Caller::kDistrictAdmin, Relation::kParent), "");
  EXPECT_EQ(ObjectTier(Caller::kDistrictAdmin, Relation::kOtherDistrict), kOtherDistrictCommunity);
}

// A service with a method the table lacks, and a table row of no method, are both reported.
TEST(AuthzMatrixCoverage, NamesMethodsWithoutRulesAndRulesOfNoMethod) {
  const google::protobuf::ServiceDescriptor* audit =
      audit::v1::ListAuditRecordsRequest::descriptor()->file()->FindServiceByName("AuditService");
  ASSERT_NE(audit, nullptr);
  Coverage c = CoverageOf(*audit, {{.rpc = "ListAuditRecords"}, {.rpc = "Nonexistent"}});
  EXPECT_EQ(c.missing, std::vector<std::string>{"VerifyAuditChain"});
  EXPECT_EQ(c.unknown, std::vector<std::string>{"Nonexistent"});
  c = CoverageOf(*audit, {{.rpc = "ListAuditRecords"}, {.rpc = "VerifyAuditChain"}});
  EXPECT_TRUE(c.missing.empty());
  EXPECT_TRUE(c.unknown.empty());
}

// The callers' tokens pass the claim rules every service applies (auth::ResolveCaller); the
// bad and expired ones do not verify.
TEST(AuthzMatrixTokens, RoleTokensVerifyAndTheBadOnesDoNot) {
  Tokens tokens;
  auto verifier = tokens.Verifier();
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  for (Caller c : RoleCallers()) {
    auto p = verifier->Verify(tokens.For(c, now), now);
    ASSERT_TRUE(p.ok()) << CallerName(c) << ": " << p.status();
    EXPECT_EQ(p->role, PrincipalOf(c).role);
    EXPECT_EQ(p->tier_path, PrincipalOf(c).tier_path);
  }
  EXPECT_EQ(verifier->Verify(tokens.For(Caller::kExpiredToken, now), now).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(verifier->Verify(tokens.For(Caller::kBadToken, now), now).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(tokens.For(Caller::kNoToken, now), "");
}

}  // namespace
}  // namespace firegrid::authz_matrix
