// The webhook store against a real redis-server: webhooks with their cursors, intake exactly
// once across two stores, the endpoint lease, and recording an attempt once.
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "services/notify/inbox_keys.h"
#include "services/notify/webhook_delivery.h"
#include "services/notify/webhook_store.h"
#include "tests/support/shared_redis.h"

namespace firegrid::notify {
namespace {

constexpr char kOrg[] = "500109.urban_management";

class WebhookStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    prefix_ = "ws" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool();
    store_ = std::make_unique<WebhookStore>(pool_.get(), prefix_, &clock_);
  }

  void AddToInbox(const std::string& id) {
    v1::Notification n;
    n.set_notification_id(id);
    n.set_kind(v1::KIND_HAZARD_TASK);
    ASSERT_TRUE(pool_
                    ->Command({"XADD", InboxStreamKey(prefix_, OrgRecipient(kOrg)), "*",
                               kNotificationField, n.SerializeAsString()})
                    .ok());
  }

  v1::Webhook Hook(bool enabled = true) {
    v1::Webhook w;
    w.set_org_unit(kOrg);
    w.set_url("https://hooks.example.gov.cn/firegrid");
    w.set_secret("0123456789abcdef");
    w.set_enabled(enabled);
    return w;
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<WebhookStore> store_;
};

TEST_F(WebhookStoreTest, PutKeepsTheSecretAndANewWebhookStartsAtTheInboxEnd) {
  AddToInbox("ntf_before");
  ASSERT_TRUE(store_->Put(Hook()).ok());
  auto got = store_->Get(kOrg);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->secret(), "0123456789abcdef");
  auto hooks = store_->LoadEnabledHooks();
  ASSERT_TRUE(hooks.ok());
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ((*hooks)[0].org_unit, kOrg);
  EXPECT_EQ(*store_->HaveNewEntries(*hooks), std::vector<bool>{false});  // ntf_before not taken
  AddToInbox("ntf_after");
  EXPECT_EQ(*store_->HaveNewEntries(*hooks), std::vector<bool>{true});
  // A disabled webhook is not loaded for dispatch.
  ASSERT_TRUE(store_->Put(Hook(false)).ok());
  EXPECT_TRUE(store_->LoadEnabledHooks()->empty());
  EXPECT_EQ(store_->Get("500109.housing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(WebhookStoreTest, IntakeByTwoStoresMakesOneDeliveryPerNotification) {
  ASSERT_TRUE(store_->Put(Hook()).ok());
  for (int i = 0; i < 5; ++i) AddToInbox("ntf_" + std::to_string(i));
  WebhookStore other(pool_.get(), prefix_, &clock_);
  const auto hooks = *store_->LoadEnabledHooks();
  ASSERT_TRUE(store_->Intake(hooks[0], 200).ok());
  ASSERT_TRUE(other.Intake(hooks[0], 200).ok());  // the cursor moved: takes nothing
  auto list = store_->ListDeliveries(kOrg, 50);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->deliveries_size(), 5);
  EXPECT_EQ(list->deliveries(0).notification_id(), "ntf_4");  // newest first
  for (const auto& d : list->deliveries()) EXPECT_EQ(d.state(), kDeliveryPending);
  EXPECT_EQ(*store_->HaveDue(hooks, clock_.Now()), std::vector<bool>{true});
}

TEST_F(WebhookStoreTest, LeaseIsExclusiveHandsOnDueDeliveriesAndIsReleased) {
  ASSERT_TRUE(store_->Put(Hook()).ok());
  AddToInbox("ntf_0");
  AddToInbox("ntf_1");
  const auto hooks = *store_->LoadEnabledHooks();
  ASSERT_TRUE(store_->Intake(hooks[0], 200).ok());
  auto first = store_->Claim(kOrg, clock_.Now(), "a/1", absl::Seconds(10));
  ASSERT_TRUE(first.ok() && first->has_value());
  // Held: nobody else claims.
  EXPECT_FALSE(store_->Claim(kOrg, clock_.Now(), "b/1", absl::Seconds(10))->has_value());
  // Record the first as delivered; the holder gets the next due one, then nothing (released).
  auto attempt = store_->LoadAttempt(kOrg, **first);
  ASSERT_TRUE(attempt.ok());
  ASSERT_EQ(attempt->state, WebhookStore::Attempt::State::kReady);
  ApplyAttemptOutcome({200, ""}, clock_.Now(), WebhookOptions{}, &attempt->delivery);
  ASSERT_TRUE(store_->RecordAttempt(kOrg, attempt->attempts, attempt->delivery).ok());
  // Recording the same attempt again is refused.
  EXPECT_EQ(store_->RecordAttempt(kOrg, attempt->attempts, attempt->delivery).code(),
            absl::StatusCode::kAborted);
  auto next = store_->Next(kOrg, clock_.Now(), "a/1", absl::Seconds(10));
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_NE(**next, **first);
  EXPECT_EQ(store_->LoadAttempt(kOrg, **first)->state, WebhookStore::Attempt::State::kNotPending);
  // Another token cannot hand on or release the lease.
  EXPECT_FALSE(store_->Next(kOrg, clock_.Now(), "b/1", absl::Seconds(10))->has_value());
  ASSERT_TRUE(store_->Release(kOrg, "a/1").ok());
  EXPECT_TRUE(store_->Claim(kOrg, clock_.Now(), "b/2", absl::Seconds(10))->has_value());
}

TEST_F(WebhookStoreTest, DeleteRemovesWebhookDeliveriesAndLog) {
  ASSERT_TRUE(store_->Put(Hook()).ok());
  AddToInbox("ntf_0");
  const auto hooks = *store_->LoadEnabledHooks();
  ASSERT_TRUE(store_->Intake(hooks[0], 200).ok());
  const std::string id = store_->ListDeliveries(kOrg, 10)->deliveries(0).delivery_id();
  ASSERT_TRUE(store_->Delete(kOrg).ok());
  EXPECT_EQ(store_->Get(kOrg).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetDelivery(id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListDeliveries(kOrg, 10)->deliveries_size(), 0);
  EXPECT_EQ(store_->Delete(kOrg).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace firegrid::notify
