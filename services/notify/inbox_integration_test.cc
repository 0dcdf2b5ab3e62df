// Inboxes against a real redis-server: one notification per recipient however often an event is
// redelivered, replay + live reading without gap or duplicate (also across a reconnect),
// unread-first listing, and re-notification of unacknowledged tasks exactly once with two
// instances and a fake clock.
#include <atomic>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/notify/inbox.h"
#include "tests/support/shared_redis.h"

namespace firegrid::notify {
namespace {

class InboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    prefix_ = "nt" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool(4);
    inbox_ = std::make_unique<Inbox>(pool_.get(), prefix_, &clock_, &ids_, InboxOptions{});
  }

  v1::Notification Task(const std::string& title, bool ack = false) {
    v1::Notification n;
    n.set_kind(v1::KIND_HAZARD_TASK);
    n.set_title(title);
    n.set_tier_path("500109001002");
    n.set_requires_ack(ack);
    return n;
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  RandomIdGenerator ids_;
  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<Inbox> inbox_;
};

TEST_F(InboxTest, ARedeliveredEventYieldsEachRecipientsNotificationOnce) {
  const std::vector<std::string> to = {"org:500109.urban_management", "org:500109001002"};
  ASSERT_TRUE(inbox_->Notify(to, Task("a"), "evt_1:0").ok());
  EXPECT_EQ(inbox_->Notify(to, Task("a"), "evt_1:0").code(), absl::StatusCode::kAlreadyExists);
  for (const auto& r : to) {
    auto got = inbox_->ReadAfter(r, "", 100);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u) << r;
    EXPECT_EQ((*got)[0].recipient(), r);
    EXPECT_FALSE((*got)[0].cursor().empty());
  }
}

TEST_F(InboxTest, ReplayThenLiveHasNoGapOrDuplicateAcrossAReconnect) {
  const std::string r = "org:500109001002";
  constexpr int kTotal = 300;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(inbox_->Notify({r}, Task(std::to_string(i)), "pre:" + std::to_string(i)).ok());
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto pool = testing::NewSharedRedisPool(4);
    Inbox other(pool.get(), prefix_, &clock_, &ids_, InboxOptions{});
    for (int i = 100; i < kTotal; ++i) {
      EXPECT_TRUE(other.Notify({r}, Task(std::to_string(i)), "live:" + std::to_string(i)).ok());
    }
  });
  std::vector<std::string> titles;
  // A subscriber that replays, goes live, and drops its connection half-way; a second one
  // resumes from the last cursor the first one saw.
  auto subscribe = [&](std::string cursor, size_t until) {
    auto batch = inbox_->ReadAfter(r, cursor, 1000);
    EXPECT_TRUE(batch.ok());
    for (const auto& n : *batch) {
      if (titles.size() >= until) return cursor;
      titles.push_back(n.title());
      cursor = n.cursor();
    }
    auto conn = pool_->NewDedicated();
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (titles.size() < until && absl::Now() < give_up) {
      auto more = inbox_->WaitAfter(*conn, {{r, cursor}}, absl::Milliseconds(200));
      EXPECT_TRUE(more.ok()) << more.status();
      for (const auto& n : *more) {
        if (titles.size() >= until) return cursor;
        titles.push_back(n.title());
        cursor = n.cursor();
      }
    }
    return cursor;
  };
  const std::string resume = subscribe("", 150);
  subscribe(resume, kTotal);
  writer.join();
  ASSERT_EQ(titles.size(), static_cast<size_t>(kTotal));
  std::set<std::string> unique(titles.begin(), titles.end());
  EXPECT_EQ(unique.size(), titles.size());
  for (int i = 0; i < kTotal; ++i) EXPECT_EQ(titles[i], std::to_string(i)) << "position " << i;
}

TEST_F(InboxTest, ListShowsUnreadFirstAndTracksReadAndAcknowledged) {
  const std::string r = "person:grid-1";
  ASSERT_TRUE(inbox_->Notify({r}, Task("old"), "k1").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(inbox_->Notify({r}, Task("middle"), "k2").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(inbox_->Notify({r}, Task("new", true), "k3").ok());
  auto list = inbox_->List({r}, false, 10, "");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->notifications_size(), 3);
  EXPECT_EQ(list->unread(), 3);
  // Reading the newest puts it after the unread ones.
  ASSERT_TRUE(inbox_->MarkRead(list->notifications(0).notification_id()).ok());
  list = inbox_->List({r}, false, 10, "");
  std::vector<std::string> order;
  for (const auto& n : list->notifications()) order.push_back(n.title());
  EXPECT_THAT(order, ::testing::ElementsAre("middle", "old", "new"));
  EXPECT_EQ(list->unread(), 2);
  auto ack = inbox_->Acknowledge(list->notifications(2).notification_id(), "grid-1");
  ASSERT_TRUE(ack.ok());
  EXPECT_TRUE(ack->acknowledged());
  EXPECT_EQ(ack->acknowledged_by(), "grid-1");
  auto page = inbox_->List({r}, true, 1, "");
  ASSERT_EQ(page->notifications_size(), 1);
  EXPECT_FALSE(page->next_page_token().empty());
  auto page2 = inbox_->List({r}, true, 1, page->next_page_token());
  ASSERT_EQ(page2->notifications_size(), 1);
  EXPECT_TRUE(page2->next_page_token().empty());
}

TEST_F(InboxTest, UnacknowledgedTaskIsRenotifiedOneTierUpExactlyOnce) {
  auto pool2 = testing::NewSharedRedisPool(4);
  Inbox second(pool2.get(), prefix_, &clock_, &ids_, InboxOptions{});
  ASSERT_TRUE(inbox_->Notify({"org:500109001002"}, Task("task", true), "e1").ok());
  ASSERT_TRUE(inbox_->Notify({"org:500109001003"}, Task("acked task", true), "e2").ok());
  auto acked = inbox_->ReadAfter("org:500109001003", "", 10);
  ASSERT_TRUE(inbox_->Acknowledge((*acked)[0].notification_id(), "grid-3").ok());

  EXPECT_EQ(*inbox_->FireRenotifications(), 0);  // not yet due
  clock_.Advance(absl::Hours(4) + absl::Seconds(1));
  std::atomic<int> fired{0};
  std::thread a([&] { fired += inbox_->FireRenotifications().value_or(-100); });
  std::thread b([&] { fired += second.FireRenotifications().value_or(-100); });
  a.join();
  b.join();
  EXPECT_EQ(fired.load(), 1);
  EXPECT_EQ(*inbox_->FireRenotifications(), 0);
  clock_.Advance(absl::Hours(48));
  EXPECT_EQ(*second.FireRenotifications(), 0);
  auto street = inbox_->ReadAfter("org:500109001", "", 10);
  ASSERT_EQ(street->size(), 1u);
  EXPECT_EQ((*street)[0].kind(), v1::KIND_ESCALATION);
  EXPECT_FALSE((*street)[0].renotified_from().empty());
  EXPECT_TRUE(inbox_->ReadAfter("org:500109001", "", 10).ok());
}

TEST_F(InboxTest, RejectsMalformedIds) {
  EXPECT_EQ(inbox_->Get("../x").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(inbox_->Get("ntf_NOPE").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Inbox::IsCursor("1700000000000-0"));
  EXPECT_FALSE(Inbox::IsCursor("abc"));
  EXPECT_FALSE(Inbox::IsCursor("$"));
}

}  // namespace
}  // namespace firegrid::notify
