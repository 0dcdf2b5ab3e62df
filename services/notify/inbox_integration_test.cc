// Inboxes against a real redis-server: one notification per recipient however often an event is
// redelivered, replay + live reading without gap or duplicate (also across a reconnect),
// unread-first listing, and re-notification of unacknowledged tasks exactly once with two
// instances and a fake clock.
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "firegrid/credit/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "services/notify/inbox.h"
#include "services/notify/recipients.h"
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

// The plans of one event go in one atomic write with one feed entry (the consumer's path), each
// once per its own key: a redelivery writes nothing, and an event whose first plan was delivered
// before (by a release that wrote each plan alone) gets only its other plan now.
TEST_F(InboxTest, AnEventsPlansAreWrittenTogetherAndEachStillOncePerItsKey) {
  const std::vector<std::string> tasks_to = {"org:500109.fire_rescue", "org:500109001002"};
  const std::vector<std::string> info_to = {"org:500109.housing", "org:500109001002"};
  const v1::Notification task = Task("task", /*ack=*/true);
  const v1::Notification info = Task("info");
  auto feed_length = [&] {
    absl::StatusOr<redis::Reply> r = pool_->Command({"XLEN", FeedStreamKey(prefix_)});
    return r.ok() ? r->integer : -1;
  };
  auto inbox_size = [&](const std::string& r) {
    auto got = inbox_->ReadAfter(r, "", 100);
    return got.ok() ? static_cast<int>(got->size()) : -1;
  };

  std::vector<Notifier::Delivery> both = {{&tasks_to, &task, "evt_1:0"},
                                          {&info_to, &info, "evt_1:1"}};
  absl::StatusOr<std::vector<bool>> now = inbox_->NotifyEach(both);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_THAT(*now, ::testing::ElementsAre(true, true));
  EXPECT_EQ(feed_length(), 1);
  EXPECT_EQ(inbox_size("org:500109.fire_rescue"), 1);
  EXPECT_EQ(inbox_size("org:500109.housing"), 1);
  EXPECT_EQ(inbox_size("org:500109001002"), 2);  // the task and the information

  now = inbox_->NotifyEach(both);  // redelivered
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_THAT(*now, ::testing::ElementsAre(false, false));
  EXPECT_EQ(feed_length(), 1);
  EXPECT_EQ(inbox_size("org:500109001002"), 2);

  // evt_2's first plan was delivered alone before.
  ASSERT_TRUE(inbox_->Notify(tasks_to, task, "evt_2:0").ok());
  std::vector<Notifier::Delivery> second = {{&tasks_to, &task, "evt_2:0"},
                                            {&info_to, &info, "evt_2:1"}};
  now = inbox_->NotifyEach(second);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_THAT(*now, ::testing::ElementsAre(false, true));
  EXPECT_EQ(inbox_size("org:500109.fire_rescue"), 2);
  EXPECT_EQ(inbox_size("org:500109.housing"), 2);
  EXPECT_EQ(inbox_size("org:500109001002"), 4);
  EXPECT_EQ(inbox_->NotifyEach(second)->size(), 2u);
  EXPECT_EQ(inbox_size("org:500109001002"), 4);
}

// The consumer's path (NotifyEvent into the real inbox): a ledger record that moves the level
// comes as ScoreChanged and LevelChanged, each possibly redelivered; every recipient gets one
// credit notification for it. The next record is a notification of its own.
TEST_F(InboxTest, TheScoreAndLevelEventsOfOneCreditRecordAreOneNotificationPerRecipient) {
  namespace cv1 = ::firegrid::credit::v1;
  cv1::SubjectRef subject;
  subject.set_subject_id("org:91500109MA5U5T9X8G");
  subject.set_name("缙云物业");
  subject.add_notify_subjects("mgr-1");
  subject.set_supervising_org_unit("500109.fire_rescue");
  subject.add_tier_paths("500109001002");
  cv1::LedgerRecord record;
  record.set_record_id("org:91500109MA5U5T9X8G#4");
  record.set_rules_version("2026.1");
  record.set_rule_id("hazard.overdue");
  record.set_delta(-8);
  record.set_score_after(87);
  record.set_level_after(cv1::LEVEL_B);
  cv1::LevelChanged level;
  *level.mutable_subject() = subject;
  *level.mutable_record() = record;
  level.set_from(cv1::LEVEL_A);
  level.set_to(cv1::LEVEL_B);
  cv1::ScoreChanged score;
  *score.mutable_subject() = subject;
  *score.mutable_record() = record;
  score.set_score_before(95);
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  const events::Envelope level_env = events::NewEnvelope(level, "credit", "", "", t, ids_);
  const events::Envelope score_env = events::NewEnvelope(score, "credit", "", "", t, ids_);
  for (const events::Envelope* env : {&level_env, &score_env, &level_env, &score_env}) {
    ASSERT_TRUE(NotifyEvent(*env, inbox_.get()).ok());
  }
  for (const std::string r : {"person:mgr-1", "org:500109.fire_rescue"}) {
    auto got = inbox_->ReadAfter(r, "", 100);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), 1u) << r;
    EXPECT_EQ((*got)[0].kind(), v1::KIND_CREDIT);
    EXPECT_EQ((*got)[0].event_id(), level_env.event_id());  // the first to arrive
    EXPECT_EQ((*got)[0].credit_subject_id(), "org:91500109MA5U5T9X8G");
  }
  cv1::ScoreChanged next = score;
  next.mutable_record()->set_record_id("org:91500109MA5U5T9X8G#5");
  ASSERT_TRUE(NotifyEvent(events::NewEnvelope(next, "credit", "", "", t, ids_), inbox_.get()).ok());
  auto got = inbox_->ReadAfter("person:mgr-1", "", 100);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 2u);
}

TEST_F(InboxTest, OnNotifiedCountsRecipientsOfNewNotificationsAndRenotificationsOnly) {
  InboxOptions o;
  std::map<v1::Kind, int> pushed;
  o.on_notified = [&](const v1::Notification& n, int recipients) {
    pushed[n.kind()] += recipients;
  };
  inbox_ = std::make_unique<Inbox>(pool_.get(), prefix_, &clock_, &ids_, o);
  const std::vector<std::string> to = {"org:500109.urban_management", "org:500109001002"};
  ASSERT_TRUE(inbox_->Notify(to, Task("a", true), "evt_1:0").ok());
  EXPECT_EQ(inbox_->Notify(to, Task("a", true), "evt_1:0").code(),
            absl::StatusCode::kAlreadyExists);  // redelivered: not pushed again
  EXPECT_EQ(pushed[v1::KIND_HAZARD_TASK], 2);
  clock_.Advance(absl::Hours(5));
  EXPECT_EQ(*inbox_->FireRenotifications(), 2);
  EXPECT_EQ(pushed[v1::KIND_ESCALATION], 2);
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
  const std::string acked_id = list->notifications(2).notification_id();
  auto ack = inbox_->Acknowledge(acked_id, "grid-1", "已安排人员核查");
  ASSERT_TRUE(ack.ok());
  EXPECT_TRUE(ack->acknowledged());
  EXPECT_EQ(ack->acknowledged_by(), "grid-1");
  EXPECT_EQ(ack->acknowledgement_note(), "已安排人员核查");
  // The note is stored: Get and List show it; a second acknowledgement keeps the first note.
  EXPECT_EQ(inbox_->Get(acked_id)->acknowledgement_note(), "已安排人员核查");
  EXPECT_EQ(inbox_->Acknowledge(acked_id, "grid-1", "another")->acknowledgement_note(),
            "已安排人员核查");
  auto listed = inbox_->List({r}, false, 10, "");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->notifications_size(), 3);
  EXPECT_EQ(listed->notifications(2).notification_id(), acked_id);
  EXPECT_EQ(listed->notifications(2).acknowledgement_note(), "已安排人员核查");
  EXPECT_EQ(inbox_->Acknowledge(acked_id, "grid-1", std::string(1001, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto page = inbox_->List({r}, true, 1, "");
  ASSERT_EQ(page->notifications_size(), 1);
  EXPECT_FALSE(page->next_page_token().empty());
  auto page2 = inbox_->List({r}, true, 1, page->next_page_token());
  ASSERT_EQ(page2->notifications_size(), 1);
  EXPECT_TRUE(page2->next_page_token().empty());
}

// Lists every page of `recipients` and returns the titles in listing order, each page's size
// checked against the page size.
std::vector<v1::Notification> ListAll(Inbox& inbox, const std::vector<std::string>& recipients,
                                      bool unread_only, int page_size, int* pages) {
  std::vector<v1::Notification> all;
  std::string token;
  *pages = 0;
  do {
    auto page = inbox.List(recipients, unread_only, page_size, token);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    EXPECT_LE(page->notifications_size(), page_size);
    for (const auto& n : page->notifications()) all.push_back(n);
    token = page->next_page_token();
    EXPECT_EQ(token.find('|'), std::string::npos);  // opaque
    ++*pages;
  } while (!token.empty() && *pages < 1000);
  return all;
}

TEST_F(InboxTest, ListPagesThroughAllOfMoreThan500NotificationsUnreadFirstNewestFirst) {
  const std::string community = "org:500109001002";
  const std::string person = "person:cw-1";
  constexpr int kCommunity = 714;
  for (int i = 0; i < kCommunity; ++i) {
    ASSERT_TRUE(
        inbox_->Notify({community}, Task("c" + std::to_string(i)), "c" + std::to_string(i)).ok());
    if (i % 25 == 0) {
      ASSERT_TRUE(
          inbox_->Notify({person}, Task("p" + std::to_string(i)), "p" + std::to_string(i)).ok());
    }
  }
  // Every third community notification read (by position): 238 read, 476 unread.
  std::vector<v1::Notification> stream;
  std::string after;
  while (true) {
    auto batch = inbox_->ReadAfter(community, after, 200);
    ASSERT_TRUE(batch.ok());
    if (batch->empty()) break;
    for (const auto& n : *batch) stream.push_back(n);
    after = batch->back().cursor();
  }
  ASSERT_EQ(stream.size(), static_cast<size_t>(kCommunity));
  std::set<std::string> read;
  for (int i = 0; i < kCommunity; i += 3) {
    ASSERT_TRUE(inbox_->MarkRead(stream[i].notification_id()).ok());
    read.insert(stream[i].notification_id());
  }

  int pages = 0;
  const std::vector<v1::Notification> all =
      ListAll(*inbox_, {community, person}, false, 200, &pages);
  const size_t persons = 29;  // i = 0, 25, ..., 700
  ASSERT_EQ(all.size(), kCommunity + persons);
  EXPECT_GE(pages, 4);
  std::set<std::string> seen;
  for (const auto& n : all) EXPECT_TRUE(seen.insert(n.notification_id()).second) << "duplicate";
  // Unread first, then read; within each, newest (latest inbox position) first.
  const size_t unread = kCommunity + persons - read.size();
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].read(), i >= unread) << i;
    EXPECT_EQ(read.count(all[i].notification_id()) == 1, all[i].read()) << i;
  }
  auto newer = [](const v1::Notification& a, const v1::Notification& b) {
    // Same Redis clock for both inboxes: stream ids compare across them.
    auto ms = [](const std::string& c) { return std::stoull(c.substr(0, c.find('-'))); };
    auto seq = [](const std::string& c) { return std::stoull(c.substr(c.find('-') + 1)); };
    return std::make_pair(ms(a.cursor()), seq(a.cursor())) >=
           std::make_pair(ms(b.cursor()), seq(b.cursor()));
  };
  for (size_t i = 1; i < all.size(); ++i) {
    if (i == unread) continue;
    EXPECT_TRUE(newer(all[i - 1], all[i])) << i;
  }
  EXPECT_EQ(all.front().title(), "c713");

  // Unread only: exactly the unread ones, across pages.
  const std::vector<v1::Notification> unread_list =
      ListAll(*inbox_, {community, person}, true, 200, &pages);
  EXPECT_EQ(unread_list.size(), unread);
  for (const auto& n : unread_list) EXPECT_FALSE(n.read());

  // A token is bound to its listing.
  auto first = inbox_->List({community}, false, 10, "");
  ASSERT_TRUE(first.ok());
  auto other = inbox_->List({person}, false, 10, first->next_page_token());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(InboxTest, ListWithASmallScanBudgetStillReachesEveryNotificationInOrder) {
  InboxOptions o;
  o.list_scan_budget = 7;
  inbox_ = std::make_unique<Inbox>(pool_.get(), prefix_, &clock_, &ids_, o);
  const std::string r = "org:500109001002";
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(inbox_->Notify({r}, Task("n" + std::to_string(i)), "n" + std::to_string(i)).ok());
  }
  const auto written = inbox_->ReadAfter(r, "", 100);
  ASSERT_TRUE(written.ok());
  for (int i = 10; i < 30; ++i) {  // the 20 newest read: the 10 unread ones are the oldest
    ASSERT_TRUE(inbox_->MarkRead((*written)[i].notification_id()).ok());
  }
  int pages = 0;
  const std::vector<v1::Notification> all = ListAll(*inbox_, {r}, false, 4, &pages);
  std::vector<std::string> titles;
  for (const auto& n : all) titles.push_back(n.title());
  std::vector<std::string> expected;
  for (int i = 9; i >= 0; --i) expected.push_back("n" + std::to_string(i));
  for (int i = 29; i >= 10; --i) expected.push_back("n" + std::to_string(i));
  EXPECT_EQ(titles, expected);
}

TEST_F(InboxTest, RetentionDropsOnlyOldReadNotificationsAndNeverAnUnacknowledgedTask) {
  InboxOptions o;
  o.retention = absl::Hours(24);
  inbox_ = std::make_unique<Inbox>(pool_.get(), prefix_, &clock_, &ids_, o);
  const std::string r = "org:500109001002";
  // Old ones: an unread information, a read information, a read but unacknowledged task, an
  // acknowledged task, an unread task.
  auto add = [&](const std::string& title, bool ack) {
    EXPECT_TRUE(inbox_->Notify({r}, Task(title, ack), title).ok());
    auto all = inbox_->ReadAfter(r, "", 100);
    return all->back().notification_id();
  };
  add("old unread info", false);
  const std::string read_info = add("old read info", false);
  ASSERT_TRUE(inbox_->MarkRead(read_info).ok());
  const std::string read_task = add("old read unacknowledged task", true);
  ASSERT_TRUE(inbox_->MarkRead(read_task).ok());
  const std::string acked_task = add("old acknowledged task", true);
  ASSERT_TRUE(inbox_->Acknowledge(acked_task, "cw-1").ok());
  add("old unread task", true);
  clock_.Advance(absl::Hours(25));
  const std::string young = add("young read info", false);
  ASSERT_TRUE(inbox_->MarkRead(young).ok());

  auto dropped = inbox_->Trim();
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 2);
  std::vector<std::string> left;
  const auto remaining = inbox_->ReadAfter(r, "", 100);
  ASSERT_TRUE(remaining.ok());
  for (const auto& n : *remaining) left.push_back(n.title());
  EXPECT_THAT(left, ::testing::ElementsAre("old unread info", "old read unacknowledged task",
                                           "old unread task", "young read info"));
  EXPECT_EQ(inbox_->Get(read_info).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(inbox_->Get(acked_task).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*inbox_->Trim(), 0);  // nothing more to drop
}

TEST_F(InboxTest, RetentionCapDropsReadNotificationsBeyondTheNewestButKeepsTasksAndUnread) {
  InboxOptions o;
  o.max_per_recipient = 3;
  inbox_ = std::make_unique<Inbox>(pool_.get(), prefix_, &clock_, &ids_, o);
  const std::string r = "org:500109001002";
  for (int i = 0; i < 8; ++i) {
    const bool task = i < 2;  // the two oldest are tasks nobody acknowledged
    ASSERT_TRUE(
        inbox_->Notify({r}, Task("n" + std::to_string(i), task), "n" + std::to_string(i)).ok());
  }
  const auto written = inbox_->ReadAfter(r, "", 100);
  ASSERT_TRUE(written.ok());
  for (const auto& n : *written) {
    if (n.title() != "n2") {  // n2 stays unread
      ASSERT_TRUE(inbox_->MarkRead(n.notification_id()).ok());
    }
  }
  // 8 entries, cap 3: the 5 oldest are beyond it; of those the tasks (n0, n1) and the unread n2
  // stay, n3 and n4 go.
  EXPECT_EQ(*inbox_->Trim(), 2);
  std::vector<std::string> left;
  const auto remaining = inbox_->ReadAfter(r, "", 100);
  ASSERT_TRUE(remaining.ok());
  for (const auto& n : *remaining) left.push_back(n.title());
  EXPECT_THAT(left, ::testing::ElementsAre("n0", "n1", "n2", "n5", "n6", "n7"));
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

// A fire alarm (PRIORITY_URGENT) unacknowledged for 3 minutes goes one tier up: the station to
// its community; an ordinary task delivered at the same moment waits its 4 hours.
TEST_F(InboxTest, UnacknowledgedUrgentNotificationIsRenotifiedAfterThreeMinutesNormalTasksAreNot) {
  v1::Notification fire = Task("火警：金科大厦 12层", true);
  fire.set_kind(v1::KIND_FIRE_ALARM);
  fire.set_priority(v1::PRIORITY_URGENT);
  ASSERT_TRUE(inbox_->Notify({"org:mfs_01"}, fire, "evt_fire:0").ok());
  ASSERT_TRUE(inbox_->Notify({"org:500109.urban_management"}, Task("task", true), "e1").ok());

  clock_.Advance(absl::Minutes(3) - absl::Seconds(1));
  EXPECT_EQ(*inbox_->FireRenotifications(), 0);  // not yet due
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(*inbox_->FireRenotifications(), 1);
  auto community = inbox_->ReadAfter("org:500109001002", "", 10);
  ASSERT_TRUE(community.ok());
  ASSERT_EQ(community->size(), 1u);
  EXPECT_EQ((*community)[0].kind(), v1::KIND_ESCALATION);
  EXPECT_EQ((*community)[0].priority(), v1::PRIORITY_URGENT);
  EXPECT_FALSE((*community)[0].renotified_from().empty());
  // The ordinary task is not due before its own timeout.
  EXPECT_TRUE(inbox_->ReadAfter("org:500109", "", 10)->empty());
  clock_.Advance(absl::Hours(4) - absl::Minutes(3));
  EXPECT_EQ(*inbox_->FireRenotifications(), 1);
  EXPECT_EQ(inbox_->ReadAfter("org:500109", "", 10)->size(), 1u);
}

TEST_F(InboxTest, AcknowledgedUrgentNotificationIsNotRenotified) {
  v1::Notification fire = Task("火警", true);
  fire.set_kind(v1::KIND_FIRE_ALARM);
  fire.set_priority(v1::PRIORITY_URGENT);
  ASSERT_TRUE(inbox_->Notify({"org:mfs_01"}, fire, "evt_fire:0").ok());
  auto got = inbox_->ReadAfter("org:mfs_01", "", 10);
  ASSERT_TRUE(inbox_->Acknowledge((*got)[0].notification_id(), "duty-1", "已出动").ok());
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(*inbox_->FireRenotifications(), 0);
  EXPECT_TRUE(inbox_->ReadAfter("org:500109001002", "", 10)->empty());
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
