#include "services/hazards/listing.h"

#include "gtest/gtest.h"
#include "services/hazards/redaction.h"
#include "services/hazards/timestamps.h"

namespace firegrid::hazards {
namespace {

using auth::Role;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

auth::Principal Make(Role role, const std::string& tier, const std::string& department = "") {
  auth::Principal p;
  p.role = role;
  p.tier_path = tier;
  p.subject = "someone";
  p.department = department;
  return p;
}

const Rules& ShippedRules() {
  static const Rules* rules = [] {
    auto r = Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
    EXPECT_TRUE(r.ok()) << r.status();
    return new Rules(*r);
  }();
  return *rules;
}

TEST(ResolveListScope, DefaultsToTheCallersTierAndPinsADepartmentOfficerToTheirDepartment) {
  v1::ListHazardsRequest req;
  auto street = ResolveListScope(Make(Role::kStreetOfficer, "500109001"), req, ShippedRules());
  ASSERT_TRUE(street.ok()) << street.status();
  EXPECT_EQ(street->tier_prefix, "500109001");
  auto dept =
      ResolveListScope(Make(Role::kDepartmentOfficer, "500109", "police"), req, ShippedRules());
  ASSERT_TRUE(dept.ok()) << dept.status();
  EXPECT_EQ(dept->department, "police");
  req.set_department("housing");
  EXPECT_EQ(
      ResolveListScope(Make(Role::kDepartmentOfficer, "500109", "police"), req, ShippedRules())
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST(ResolveListScope, RefusesOtherTiersUnknownDepartmentsAndBadPageSizes) {
  const auth::Principal street = Make(Role::kStreetOfficer, "500109001");
  v1::ListHazardsRequest req;
  req.set_tier_path_prefix("500109002");
  EXPECT_EQ(ResolveListScope(street, req, ShippedRules()).status().code(),
            absl::StatusCode::kPermissionDenied);
  req.Clear();
  req.set_department("nobody");
  EXPECT_EQ(ResolveListScope(street, req, ShippedRules()).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.Clear();
  req.set_page_size(501);
  EXPECT_EQ(ResolveListScope(street, req, ShippedRules()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveListScope(Make(Role::kServiceAgency, "500109"), v1::ListHazardsRequest(),
                             ShippedRules())
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

// A role that may see no hazard is refused the list outright rather than given an empty one:
// service agencies, micro stations (their place is a street or community) and IoT gateways.
TEST(ResolveListScope, RolesThatSeeNoHazardMayNotListThem) {
  auth::Principal station = Make(Role::kMicroStation, "500109001");
  station.org_unit = "mfs_1";
  for (const auth::Principal& p :
       {Make(Role::kServiceAgency, ""), station, Make(Role::kIotGateway, "")}) {
    EXPECT_EQ(ResolveListScope(p, v1::ListHazardsRequest(), ShippedRules()).status().code(),
              absl::StatusCode::kPermissionDenied)
        << auth::RoleName(p.role);
  }
}

TEST(MatchesListing, FiltersDuplicatesStatusesAndOverdue) {
  const auth::Principal admin = Make(Role::kDistrictAdmin, "500109");
  v1::Hazard h;
  h.set_tier_path("500109001002");
  h.set_status(v1::STATUS_RECTIFYING);
  *h.mutable_assignment()->mutable_deadline() = Ts(kNow - absl::Hours(1));
  v1::ListHazardsRequest req;
  EXPECT_TRUE(MatchesListing(admin, req, h, kNow));
  req.set_overdue(false);
  EXPECT_FALSE(MatchesListing(admin, req, h, kNow));
  req.clear_overdue();
  req.add_statuses(v1::STATUS_CLOSED);
  EXPECT_FALSE(MatchesListing(admin, req, h, kNow));
  req.clear_statuses();
  h.set_duplicate_of("hzd_2");
  EXPECT_FALSE(MatchesListing(admin, req, h, kNow));
  req.set_include_duplicates(true);
  EXPECT_TRUE(MatchesListing(admin, req, h, kNow));
}

TEST(MatchesListing, FiltersBySourceUnmatchedChannelAndReportTime) {
  const auth::Principal admin = Make(Role::kDistrictAdmin, "500109");
  v1::Hazard h;
  h.set_tier_path("500109001");
  h.set_status(v1::STATUS_REPORTED);
  h.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
  h.set_channel("wechat");
  h.set_unmatched(true);
  *h.mutable_reported_at() = Ts(kNow);
  v1::ListHazardsRequest req;
  req.add_sources(v1::SOURCE_PUBLIC_TIP_OFF);
  req.set_unmatched_only(true);
  req.set_channel("wechat");
  *req.mutable_reported_after() = Ts(kNow);                      // inclusive
  *req.mutable_reported_before() = Ts(kNow + absl::Seconds(1));  // exclusive
  EXPECT_TRUE(MatchesListing(admin, req, h, kNow));
  v1::ListHazardsRequest other = req;
  other.clear_sources();
  other.add_sources(v1::SOURCE_GRID_INSPECTION);
  EXPECT_FALSE(MatchesListing(admin, other, h, kNow));
  other = req;
  other.set_channel("hotline12345");
  EXPECT_FALSE(MatchesListing(admin, other, h, kNow));
  other = req;
  *other.mutable_reported_before() = Ts(kNow);
  EXPECT_FALSE(MatchesListing(admin, other, h, kNow));
  other = req;
  *other.mutable_reported_after() = Ts(kNow + absl::Seconds(1));
  EXPECT_FALSE(MatchesListing(admin, other, h, kNow));
  h.set_unmatched(false);
  EXPECT_FALSE(MatchesListing(admin, req, h, kNow));
}

TEST(MatchesListing, APublicChannelListsOnlyItsOwnChannelsReportsWhateverItAsks) {
  auth::Principal wechat = Make(Role::kPublicChannel, "500109");
  wechat.subject = "channel:wechat";
  v1::Hazard own;
  own.set_tier_path("500109001002");
  own.set_channel("wechat");
  v1::Hazard other = own;
  other.set_channel("web");
  v1::Hazard staff = own;
  staff.clear_channel();
  v1::ListHazardsRequest req;
  EXPECT_TRUE(MatchesListing(wechat, req, own, kNow));
  EXPECT_FALSE(MatchesListing(wechat, req, other, kNow));
  EXPECT_FALSE(MatchesListing(wechat, req, staff, kNow));
  req.set_channel("web");
  EXPECT_FALSE(MatchesListing(wechat, req, other, kNow));
}

TEST(ResolveListScope, RefusesUnknownSourcesBadChannelsAndBackwardsTimes) {
  const auth::Principal admin = Make(Role::kDistrictAdmin, "500109");
  auto field = [&](const v1::ListHazardsRequest& req) {
    return std::string(ResolveListScope(admin, req, ShippedRules()).status().message());
  };
  v1::ListHazardsRequest req;
  req.add_sources(static_cast<v1::Source>(99));
  EXPECT_NE(field(req).find("sources"), std::string::npos);
  req = v1::ListHazardsRequest();
  req.set_channel("WeChat!");
  EXPECT_NE(field(req).find("channel"), std::string::npos);
  req = v1::ListHazardsRequest();
  *req.mutable_reported_after() = Ts(kNow);
  *req.mutable_reported_before() = Ts(kNow);
  EXPECT_NE(field(req).find("reported_before"), std::string::npos);
  req.mutable_reported_after()->set_nanos(-1);
  EXPECT_NE(field(req).find("reported_after"), std::string::npos);
  req = v1::ListHazardsRequest();
  req.add_sources(v1::SOURCE_PUBLIC_TIP_OFF);
  req.set_channel("hotline12345");
  EXPECT_TRUE(ResolveListScope(admin, req, ShippedRules()).ok());
}

TEST(Redact, ReporterContactMaskedForDistrictAdminsTooAndNeverInEvents) {
  v1::Hazard h;
  h.mutable_reporter()->set_contact("13800000000");
  h.add_audit()->set_action("report");
  EXPECT_EQ(Redact(h, Make(Role::kDistrictAdmin, "500109")).reporter().contact(), "138****0000");
  EXPECT_EQ(Redact(h, Make(Role::kStreetOfficer, "500109001")).reporter().contact(),
            "138****0000");
  EXPECT_EQ(ForEvent(h).reporter().contact(), "");
  EXPECT_EQ(ForEvent(h).audit_size(), 0);
}

TEST(ListScanChunk, ReadsThePageFirstThenTwiceAsMuchEachRoundUpToTheMaximum) {
  EXPECT_EQ(ListScanChunk(20, 0), 20);
  EXPECT_EQ(ListScanChunk(20, 1), 40);
  EXPECT_EQ(ListScanChunk(20, 2), 80);
  EXPECT_EQ(ListScanChunk(20, 4), 320);
  EXPECT_EQ(ListScanChunk(20, 5), kMaxListScanChunk);
  EXPECT_EQ(ListScanChunk(20, 1000), kMaxListScanChunk);
  EXPECT_EQ(ListScanChunk(500, 0), kMaxListScanChunk);
  EXPECT_EQ(ListScanChunk(0, 0), 1);  // never an empty read
}

}  // namespace
}  // namespace firegrid::hazards
