// Hermetic tests of the webhooks module: signatures, URL validation, authorisation, the retry
// schedule, and the RPC checks that reject a request before Redis is touched (the pool points at
// a port nothing listens on, so a call that reached Redis would fail with UNAVAILABLE instead of
// the expected code).
#include "services/notify/webhooks.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace firegrid::notify {
namespace {

using auth::Principal;
using auth::Role;
using google::protobuf::util::TimeUtil;
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

// ---- Signatures ----

TEST(WebhookSignatureTest, HmacSha256MatchesRfc4231TestVectors) {
  // RFC 4231 test case 1: key = 20 bytes of 0x0b, data = "Hi There".
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // RFC 4231 test case 2: key = "Jefe".
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignatureTest, SignatureHeaderIsSha256PrefixedLowercaseHex) {
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignatureTest, SignatureDependsOnSecretAndEveryBodyByte) {
  const std::string body = R"({"notificationId":"ntf_1"})";
  const std::string sig = WebhookSignature("0123456789abcdef", body);
  EXPECT_NE(sig, WebhookSignature("0123456789abcdeg", body));
  EXPECT_NE(sig, WebhookSignature("0123456789abcdef", body + " "));
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

// ---- Retry schedule ----

TEST(WebhookBackoffTest, BackoffDoublesFromInitialUpToMax) {
  WebhookOptions o;
  o.initial_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(10);
  EXPECT_EQ(RetryBackoff(1, o), absl::Seconds(1));
  EXPECT_EQ(RetryBackoff(2, o), absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(3, o), absl::Seconds(4));
  EXPECT_EQ(RetryBackoff(4, o), absl::Seconds(8));
  EXPECT_EQ(RetryBackoff(5, o), absl::Seconds(10));
  EXPECT_EQ(RetryBackoff(60, o), absl::Seconds(10));  // no overflow
}

TEST(WebhookBackoffTest, FailedAttemptsScheduleRetriesThenFailAfterMaxAttempts) {
  WebhookOptions o;
  o.max_attempts = 4;
  o.initial_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(3);
  FakeClock clock;
  v1::Delivery d;
  d.set_state("pending");
  const absl::Duration expected_waits[] = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(3)};
  for (int i = 0; i < 3; ++i) {
    ApplyAttemptOutcome({500, ""}, clock.Now(), o, &d);
    EXPECT_EQ(d.attempts(), i + 1);
    EXPECT_EQ(d.state(), "pending");
    EXPECT_EQ(d.last_http_status(), 500);
    EXPECT_EQ(d.last_error(), "HTTP 500");
    EXPECT_EQ(TimeUtil::TimestampToMilliseconds(d.next_attempt_at()),
              absl::ToUnixMillis(clock.Now() + expected_waits[i]));
    EXPECT_EQ(TimeUtil::TimestampToMilliseconds(d.updated_at()), absl::ToUnixMillis(clock.Now()));
    clock.Advance(expected_waits[i]);
  }
  ApplyAttemptOutcome({0, kNoResponseError, "transport: Connection"}, clock.Now(), o, &d);
  EXPECT_EQ(d.attempts(), 4);
  EXPECT_EQ(d.state(), "failed");
  EXPECT_EQ(d.last_http_status(), 0);
  EXPECT_EQ(d.last_error(), kNoResponseError);
  EXPECT_FALSE(d.has_next_attempt_at());
}

TEST(WebhookBackoffTest, Any2xxIsDeliveredAndOtherStatusesAreFailures) {
  FakeClock clock;
  WebhookOptions o;
  for (int status : {200, 201, 202, 204, 299}) {
    v1::Delivery d;
    d.set_state("pending");
    d.set_last_error("HTTP 500");
    ApplyAttemptOutcome({status, ""}, clock.Now(), o, &d);
    EXPECT_EQ(d.state(), "delivered") << status;
    EXPECT_EQ(d.last_error(), "") << status;
    EXPECT_FALSE(d.has_next_attempt_at());
  }
  for (int status : {100, 301, 302, 400, 404, 429, 503}) {
    v1::Delivery d;
    d.set_state("pending");
    ApplyAttemptOutcome({status, ""}, clock.Now(), o, &d);
    EXPECT_EQ(d.state(), "pending") << status;
    EXPECT_EQ(d.last_error(), absl::StrCat("HTTP ", status));
  }
}

// ---- RPC checks before Redis ----

class WebhooksRpcTest : public ::testing::Test {
 protected:
  WebhooksRpcTest() {
    redis::PoolOptions o;
    o.port = 1;  // nothing listens there: any Redis access would fail with UNAVAILABLE
    o.connect_timeout = absl::Milliseconds(100);
    pool_ = redis::Pool::Create(o);
    webhooks_ = std::make_unique<Webhooks>(pool_.get(), "fg:notify", WebhookOptions{}, &clock_);
  }

  static v1::Webhook Valid() {
    v1::Webhook w;
    w.set_org_unit("500109.urban_management");
    w.set_url("https://hooks.example.gov.cn/firegrid");
    w.set_secret("0123456789abcdef");
    w.set_enabled(true);
    return w;
  }

  FakeClock clock_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<Webhooks> webhooks_;
  const Principal admin_ = Make(Role::kDistrictAdmin, "500109");
};

TEST_F(WebhooksRpcTest, SetRejectsShortSecretNamingTheField) {
  v1::Webhook w = Valid();
  w.set_secret("0123456789abcde");  // 15 bytes
  auto r = webhooks_->Set(admin_, w);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), StartsWith("webhook.secret: "));
  w.clear_secret();
  EXPECT_THAT(std::string(webhooks_->Set(admin_, w).status().message()),
              StartsWith("webhook.secret: "));
}

TEST_F(WebhooksRpcTest, SetRejectsMissingOrgUnitAndBadUrl) {
  v1::Webhook w = Valid();
  w.clear_org_unit();
  auto r = webhooks_->Set(admin_, w);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), StartsWith("webhook.org_unit: "));
  w = Valid();
  w.set_org_unit("500109:inbox");  // not an org unit code (and would break the key layout)
  EXPECT_THAT(std::string(webhooks_->Set(admin_, w).status().message()),
              StartsWith("webhook.org_unit: "));
  w = Valid();
  w.set_url("gopher://x");
  r = webhooks_->Set(admin_, w);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), StartsWith("webhook.url: "));
}

TEST_F(WebhooksRpcTest, HttpUrlIsRejectedWhenAllowHttpIsOff) {
  WebhookOptions o;
  o.allow_http = false;
  Webhooks strict(pool_.get(), "fg:notify", o, &clock_);
  v1::Webhook w = Valid();
  w.set_url("http://hooks.example.gov.cn/firegrid");
  auto r = strict.Set(admin_, w);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), StartsWith("webhook.url: "));
}

TEST_F(WebhooksRpcTest, UrlWithANonGlobalAddressLiteralIsRefusedInEveryForm) {
  WebhookOptions o;
  o.allow_http = true;
  Webhooks local(pool_.get(), "fg:notify", o, &clock_);
  for (const char* url :
       {"http://127.0.0.1:9464/metrics", "http://[::1]:6379/", "http://2130706433:80/",
        "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/", "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/",
        "http://172.16.0.1/", "http://100.64.0.1/", "http://[fd00::1]/", "http://[fe80::1]/",
        "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/", "https://255.255.255.255/"}) {
    v1::Webhook w = Valid();
    w.set_url(url);
    auto r = local.Set(admin_, w);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(std::string(r.status().message()), StartsWith("webhook.url: ")) << url;
  }
}

TEST_F(WebhooksRpcTest, EveryRpcDeniesAnOrgUnitOutsideThePrincipalsScope) {
  const Principal other = Make(Role::kDepartmentOfficer, "500109", "education");
  EXPECT_EQ(webhooks_->Set(other, Valid()).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(webhooks_->Get(other, "500109.urban_management").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(webhooks_->Delete(other, "500109.urban_management").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(webhooks_->ListDeliveries(other, "500109.urban_management", 10).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(WebhooksRpcTest, ReadRpcsRequireOrgUnitAndListRejectsNegativeLimit) {
  EXPECT_THAT(std::string(webhooks_->Get(admin_, "").status().message()), StartsWith("org_unit: "));
  EXPECT_THAT(std::string(webhooks_->Delete(admin_, "").status().message()),
              StartsWith("org_unit: "));
  EXPECT_THAT(std::string(webhooks_->ListDeliveries(admin_, "", 1).status().message()),
              StartsWith("org_unit: "));
  auto r = webhooks_->ListDeliveries(admin_, "500109001", -1);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), StartsWith("limit: "));
}

TEST_F(WebhooksRpcTest, RunOnceAfterStopIsRefusedAndStopIsIdempotent) {
  webhooks_->Stop();
  webhooks_->Stop();
  EXPECT_EQ(webhooks_->RunOnce().status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace firegrid::notify
