// Webhook configuration checks: URLs and who may manage an org unit's webhook.
#include "services/notify/webhook_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::notify {
namespace {

using auth::Principal;
using auth::Role;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Principal Make(Role role, const std::string& tier, const std::string& department = "") {
  Principal p;
  p.subject = "user-1";
  p.role = role;
  p.tier_path = tier;
  p.department = department;
  return p;
}

// ---- URLs ----

TEST(WebhookUrlTest, SplitsHttpsUrlIntoHostDefaultPortAndPathWithQuery) {
  auto u = ParseWebhookUrl("https://hooks.cqbb.gov.cn/fire/notify?src=firegrid", false);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "hooks.cqbb.gov.cn");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/fire/notify?src=firegrid");
}

TEST(WebhookUrlTest, AcceptsHttpWithPortAndDefaultsPathToRoot) {
  auto u = ParseWebhookUrl("http://10.0.0.7:8080", true);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_FALSE(u->https);
  EXPECT_EQ(u->host, "10.0.0.7");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/");
  auto q = ParseWebhookUrl("http://example.org?x=1", true);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->port, 80);
  EXPECT_EQ(q->path, "/?x=1");
}

TEST(WebhookUrlTest, AcceptsBracketedIpv6Literal) {
  auto u = ParseWebhookUrl("https://[::1]:9443/h", false);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9443);
}

TEST(WebhookUrlTest, RejectsHttpWhenNotAllowed) {
  auto u = ParseWebhookUrl("http://example.org/h", false);
  EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(u.status().message()), HasSubstr("https"));
}

TEST(WebhookUrlTest, RejectsMalformedUrlsNamingTheField) {
  for (const std::string bad : {
           "",                              // required
           "ftp://example.org/",            // scheme
           "example.org/hook",              // no scheme
           "HTTPS://example.org/",          // scheme must be lowercase
           "https://",                      // no host
           "https:///path",                 // no host
           "https://:8080/",                // no host
           "https://user:pw@example.org/",  // user info
           "https://example.org/h#frag",    // fragment
           "https://example.org/a b",       // space
           "https://example.org/\n",        // control character
           "https://example.org:0/",        // port out of range
           "https://example.org:65536/",    // port out of range
           "https://example.org:80a/",      // port not a number
           "https://example.org:/",         // empty port
           "https://exa$mple.org/",         // bad host character
           "https://[::1/",                 // unclosed IPv6
           "https://[zz::1]/",              // not an IPv6 literal
       }) {
    auto u = ParseWebhookUrl(bad, true);
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(u.status().message()), StartsWith("webhook.url: ")) << bad;
  }
}

TEST(WebhookUrlTest, AcceptsUrlOf2048BytesAndRejectsOneByteMore) {
  const std::string base = "https://example.org/";
  const std::string ok = base + std::string(2048 - base.size(), 'a');
  EXPECT_TRUE(ParseWebhookUrl(ok, false).ok());
  auto too_long = ParseWebhookUrl(ok + "a", false);
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_long.status().message()), HasSubstr("2048"));
}

// ---- Authorisation ----

TEST(WebhookAuthTest, DistrictAdminManagesEveryOrgUnitUnderItsDistrict) {
  const Principal admin = Make(Role::kDistrictAdmin, "500109");
  EXPECT_TRUE(AuthorizeWebhookOrgUnit(admin, "500109").ok());
  EXPECT_TRUE(AuthorizeWebhookOrgUnit(admin, "500109001").ok());
  EXPECT_TRUE(AuthorizeWebhookOrgUnit(admin, "500109001002").ok());
  EXPECT_TRUE(AuthorizeWebhookOrgUnit(admin, "500109.urban_management").ok());
  EXPECT_EQ(AuthorizeWebhookOrgUnit(admin, "500110.urban_management").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeWebhookOrgUnit(admin, "500110001").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(WebhookAuthTest, DepartmentOfficerManagesOnlyItsOwnDepartment) {
  const Principal officer = Make(Role::kDepartmentOfficer, "500109", "urban_management");
  EXPECT_TRUE(AuthorizeWebhookOrgUnit(officer, "500109.urban_management").ok());
  for (const std::string other : {"500109.education", "500109", "500109001",
                                  "500110.urban_management", "500109.urban_management_x"}) {
    EXPECT_EQ(AuthorizeWebhookOrgUnit(officer, other).code(), absl::StatusCode::kPermissionDenied)
        << other;
  }
  const Principal no_department = Make(Role::kDepartmentOfficer, "500109", "");
  EXPECT_EQ(AuthorizeWebhookOrgUnit(no_department, "500109.").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(WebhookAuthTest, StreetOfficerAndCommunityWorkerManageOnlyTheirOwnOrgUnit) {
  const Principal street = Make(Role::kStreetOfficer, "500109001");
  EXPECT_TRUE(AuthorizeWebhookOrgUnit(street, "500109001").ok());
  EXPECT_EQ(AuthorizeWebhookOrgUnit(street, "500109001002").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeWebhookOrgUnit(street, "500109").code(), absl::StatusCode::kPermissionDenied);
  const Principal worker = Make(Role::kCommunityWorker, "500109001002");
  EXPECT_TRUE(AuthorizeWebhookOrgUnit(worker, "500109001002").ok());
  EXPECT_EQ(AuthorizeWebhookOrgUnit(worker, "500109001").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(WebhookAuthTest, OtherRolesAndPrincipalsWithoutTierPathAreDenied) {
  for (Role role :
       {Role::kBuildingManager, Role::kServiceAgency, Role::kInternalService, Role::kUnspecified}) {
    EXPECT_EQ(AuthorizeWebhookOrgUnit(Make(role, "500109"), "500109").code(),
              absl::StatusCode::kPermissionDenied)
        << auth::RoleName(role);
  }
  // An empty tier path is a prefix of everything; it must not grant anything.
  EXPECT_EQ(AuthorizeWebhookOrgUnit(Make(Role::kDistrictAdmin, ""), "500109").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeWebhookOrgUnit(Make(Role::kStreetOfficer, ""), "").code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace firegrid::notify
