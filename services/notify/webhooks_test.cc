// Hermetic tests of the webhooks module's RPCs: the checks that reject a request before Redis is
// touched (the pool points at a port nothing listens on, so a call that reached Redis would fail
// with UNAVAILABLE instead of the expected code).
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
