// The fan-out hub against an in-memory inbox source: delivery by recipient, the bounded
// per-stream buffer, the replay → live hand-over, heartbeats.
#include "services/notify/fanout.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::notify {
namespace {

using ::testing::ElementsAreArray;

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

// Inboxes and the feed in memory, as Redis holds them: cursors "<n>-0" ascending.
class FakeSource final : public InboxSource {
 public:
  // Appends one notification to each recipient's inbox and one feed entry naming them.
  void Append(const std::vector<std::string>& recipients, const std::string& title) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const std::string& r : recipients) {
        v1::Notification n;
        n.set_recipient(r);
        n.set_title(title);
        n.set_cursor(absl::StrCat(++seq_, "-0"));
        inboxes_[r].push_back(n);
      }
      feed_.push_back({absl::StrCat(++seq_, "-0"), recipients});
    }
    cv_.notify_all();
  }
  // Called (without the lock) after each ReadAfter computed its answer, with the recipient and
  // the cursor read after: a write "between" the read and what comes after it.
  void OnReadAfter(std::function<void(const std::string&, const std::string&)> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    hook_ = std::move(hook);
  }

  absl::StatusOr<std::string> LastFeedId() override {
    std::lock_guard<std::mutex> lock(mu_);
    return feed_.empty() ? std::string("0-0") : feed_.back().id;
  }
  absl::StatusOr<std::vector<FeedEntry>> WaitFeed(const std::string& after,
                                                  absl::Duration timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    auto newer = [&] {
      std::vector<FeedEntry> out;
      for (const FeedEntry& e : feed_) {
        if (CursorBefore(after, e.id)) out.push_back(e);
      }
      return out;
    };
    cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return !newer().empty(); });
    return newer();
  }
  absl::StatusOr<std::vector<v1::Notification>> ReadAfter(const std::string& recipient,
                                                          const std::string& cursor,
                                                          int count) override {
    std::vector<v1::Notification> out;
    std::function<void(const std::string&, const std::string&)> hook;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const v1::Notification& n : inboxes_[recipient]) {
        if (static_cast<int>(out.size()) >= count) break;
        if (CursorBefore(cursor, n.cursor())) out.push_back(n);
      }
      if (!out.empty() && CursorBefore(newest_read_[recipient], out.back().cursor())) {
        newest_read_[recipient] = out.back().cursor();
      }
      hook = hook_;
    }
    if (hook) hook(recipient, cursor);
    return out;
  }
  // The newest cursor any ReadAfter of the recipient has returned.
  std::string NewestRead(const std::string& recipient) {
    std::lock_guard<std::mutex> lock(mu_);
    return newest_read_[recipient];
  }
  absl::StatusOr<std::string> LastCursor(const std::string& recipient) override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto& inbox = inboxes_[recipient];
    return inbox.empty() ? std::string() : inbox.back().cursor();
  }
  std::vector<std::string> CursorsOf(const std::string& recipient) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& n : inboxes_[recipient]) out.push_back(n.cursor());
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t seq_ = 0;
  std::map<std::string, std::vector<v1::Notification>> inboxes_;
  std::vector<FeedEntry> feed_;
  std::map<std::string, std::string> newest_read_;
  std::function<void(const std::string&, const std::string&)> hook_;
};

// A client of one stream: takes each message as soon as it is written (or, `slow`, takes the
// first and never finishes reading it).
class Client {
 public:
  Client(std::map<std::string, std::string> cursors, size_t max_buffer, Clock* clock,
         bool slow = false)
      : slow_(slow) {
    sub_ =
        std::make_shared<Subscription>(std::move(cursors), max_buffer, clock, [this] { Pump(); });
  }
  ~Client() {
    stop_ = true;
    if (pacer_.joinable()) pacer_.join();
  }
  // Reads on a thread of its own, one message every `pace`, instead of at once in the wake-up
  // (so that the stream's buffer really fills).
  void Pace(absl::Duration pace) {
    paced_ = true;
    pacer_ = std::thread([this, pace] {
      while (!stop_) {
        Subscription::Message m;
        grpc::Status st;
        switch (sub_->Next(&m, &st)) {
          case Subscription::Step::kWrite: {
            {
              std::lock_guard<std::mutex> lock(mu_);
              got_.push_back(m);
            }
            absl::SleepFor(pace);
            sub_->WriteDone();
            break;
          }
          case Subscription::Step::kFinish: {
            std::lock_guard<std::mutex> lock(mu_);
            finished_ = st;
            return;
          }
          case Subscription::Step::kNone:
            absl::SleepFor(absl::Microseconds(100));
            break;
        }
      }
    });
  }
  std::shared_ptr<Subscription> sub() { return sub_; }

  std::vector<std::string> Cursors(const std::string& recipient = "") {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& m : got_) {
      if (m->has_notification() &&
          (recipient.empty() || m->notification().recipient() == recipient)) {
        out.push_back(m->notification().cursor());
      }
    }
    return out;
  }
  bool caught_up() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& m : got_) {
      if (m->caught_up()) return true;
    }
    return false;
  }
  int heartbeats() {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& m : got_) n += m->heartbeat() ? 1 : 0;
    return n;
  }
  // Index of caught_up among the messages (-1: not yet).
  int caught_up_at() {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < got_.size(); ++i) {
      if (got_[i]->caught_up()) return static_cast<int>(i);
    }
    return -1;
  }
  size_t messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_.size();
  }
  std::optional<grpc::Status> finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }

 private:
  void Pump() {
    if (paced_) return;
    while (true) {
      Subscription::Message m;
      grpc::Status st;
      switch (sub_->Next(&m, &st)) {
        case Subscription::Step::kWrite: {
          std::lock_guard<std::mutex> lock(mu_);
          got_.push_back(m);
          if (slow_) return;  // the write never completes
          break;
        }
        case Subscription::Step::kFinish: {
          std::lock_guard<std::mutex> lock(mu_);
          finished_ = st;
          return;
        }
        case Subscription::Step::kNone:
          return;
      }
      sub_->WriteDone();
    }
  }

  const bool slow_;
  std::atomic<bool> paced_{false};
  std::atomic<bool> stop_{false};
  std::thread pacer_;
  std::shared_ptr<Subscription> sub_;
  std::mutex mu_;
  std::vector<Subscription::Message> got_;
  std::optional<grpc::Status> finished_;
};

class FanoutHubTest : public ::testing::Test {
 protected:
  void Start(FanoutOptions o = {}) {
    o.feed_wait = absl::Milliseconds(50);
    hub_ = std::make_unique<FanoutHub>(&source_, &clock_, o);
    hub_->Start();
    ASSERT_TRUE(WaitUntil([&] { return hub_->reading(); }));
  }
  void TearDown() override {
    if (hub_) hub_->Stop();
  }
  // Opens a client and waits for its caught_up.
  std::unique_ptr<Client> Open(std::map<std::string, std::string> cursors, size_t max_buffer = 256,
                               bool slow = false, bool live_only = false) {
    auto c = std::make_unique<Client>(std::move(cursors), max_buffer, &clock_, slow);
    hub_->Add(c->sub(), live_only);
    if (!slow) {
      EXPECT_TRUE(WaitUntil([&] { return c->caught_up(); }));
    }
    return c;
  }

  FakeClock clock_;
  FakeSource source_;
  std::unique_ptr<FanoutHub> hub_;
};

TEST_F(FanoutHubTest, LiveNotificationReachesEveryStreamOfItsRecipientAndNoOther) {
  Start();
  auto a = Open({{"org:x", ""}});
  auto b = Open({{"org:x", ""}, {"person:b", ""}});
  auto c = Open({{"org:y", ""}});
  source_.Append({"org:x"}, "fire");
  source_.Append({"person:b"}, "for b");
  ASSERT_TRUE(WaitUntil([&] { return a->Cursors().size() == 1 && b->Cursors().size() == 2; }));
  EXPECT_THAT(a->Cursors(), ElementsAreArray(source_.CursorsOf("org:x")));
  EXPECT_THAT(b->Cursors("org:x"), ElementsAreArray(source_.CursorsOf("org:x")));
  EXPECT_THAT(b->Cursors("person:b"), ElementsAreArray(source_.CursorsOf("person:b")));
  source_.Append({"org:y"}, "marker");
  ASSERT_TRUE(WaitUntil([&] { return c->Cursors().size() == 1; }));
  EXPECT_THAT(c->Cursors(), ElementsAreArray(source_.CursorsOf("org:y")));
  EXPECT_EQ(a->Cursors().size(), 1u);
}

TEST_F(FanoutHubTest, ReplayStartsAfterTheClientsCursorAndCaughtUpComesBeforeLive) {
  Start();
  for (int i = 0; i < 5; ++i) source_.Append({"org:x"}, "old");
  const std::vector<std::string> all = source_.CursorsOf("org:x");
  auto c = Open({{"org:x", all[1]}});
  EXPECT_THAT(c->Cursors(), ElementsAreArray(all.begin() + 2, all.end()));
  EXPECT_EQ(c->caught_up_at(), 3);
  source_.Append({"org:x"}, "new");
  ASSERT_TRUE(WaitUntil([&] { return c->Cursors().size() == 4; }));
  EXPECT_EQ(c->Cursors().back(), source_.CursorsOf("org:x").back());
}

TEST_F(FanoutHubTest, LiveOnlyStreamSkipsTheInboxAndGetsOnlyWhatComesAfter) {
  Start();
  for (int i = 0; i < 3; ++i) source_.Append({"org:x"}, "old");
  auto c = Open({{"org:x", ""}}, 256, false, /*live_only=*/true);
  EXPECT_EQ(c->caught_up_at(), 0);
  source_.Append({"org:x"}, "new");
  ASSERT_TRUE(WaitUntil([&] { return c->Cursors().size() == 1; }));
  EXPECT_EQ(c->Cursors()[0], source_.CursorsOf("org:x").back());
}

TEST_F(FanoutHubTest, FullBufferEndsOnlyTheSlowStreamAbortedWhileOthersReceiveEverything) {
  Start();
  auto fast = Open({{"org:x", ""}}, 4);
  auto slow = Open({{"org:x", ""}}, 4, /*slow=*/true);
  ASSERT_TRUE(WaitUntil([&] { return slow->messages() == 1; }));  // caught_up, never read
  for (int i = 0; i < 20; ++i) source_.Append({"org:x"}, "burst");
  ASSERT_TRUE(WaitUntil([&] { return fast->Cursors().size() == 20; }));
  source_.Append({"org:x"}, "after the burst");  // finds the slow stream's buffer full
  ASSERT_TRUE(WaitUntil([&] { return fast->Cursors().size() == 21; }));
  EXPECT_THAT(fast->Cursors(), ElementsAreArray(source_.CursorsOf("org:x")));
  EXPECT_FALSE(fast->finished().has_value());
  ASSERT_TRUE(WaitUntil([&] { return slow->finished().has_value(); }));
  EXPECT_EQ(slow->finished()->error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(slow->finished()->error_message(), kFellBehindMessage);
}

// Notifications written while the replay reads (between its pages, and concurrently all along)
// arrive exactly once and in order, with a buffer much smaller than the backlog (the replay
// parks until the client drains it).
TEST_F(FanoutHubTest, WritesDuringReplayArriveOnceInOrderAcrossTheSwitchToLive) {
  Start({.max_buffer = 16, .page = 10});
  for (int i = 0; i < 95; ++i) source_.Append({"org:x"}, "backlog");
  std::atomic<int> hooked{0};
  source_.OnReadAfter([&](const std::string& r, const std::string&) {
    if (r == "org:x" && hooked.fetch_add(1) < 5) source_.Append({"org:x"}, "between pages");
  });
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 100 && !stop; ++i) {
      source_.Append({"org:x"}, "concurrent");
      absl::SleepFor(absl::Microseconds(200));
    }
  });
  auto c = Open({{"org:x", ""}}, 16);
  writer.join();
  source_.OnReadAfter(nullptr);
  source_.Append({"org:x"}, "last");
  const std::vector<std::string> all = source_.CursorsOf("org:x");
  ASSERT_EQ(all.size(), 201u);
  ASSERT_TRUE(WaitUntil([&] { return c->Cursors().size() >= all.size(); })) << c->Cursors().size();
  EXPECT_THAT(c->Cursors(), ElementsAreArray(all));
  EXPECT_FALSE(c->finished().has_value());
}

// The replay is held up (its first read waits until the fan-out has fetched them) while five
// buffers' worth of live notifications arrive: the stream is not ended for them; the replay
// reads them from the inbox, and everything arrives once, in order, then caught_up.
TEST_F(FanoutHubTest, LiveNotificationsOutnumberingTheBufferDuringReplayDoNotEndTheStream) {
  Start({.max_buffer = 4, .page = 10});
  for (int i = 0; i < 30; ++i) source_.Append({"org:x"}, "backlog");
  std::atomic<bool> held{false};
  source_.OnReadAfter([&](const std::string& r, const std::string& cursor) {
    // The replay's first read starts after "" (the fan-out's after the newest at registration).
    if (r != "org:x" || !cursor.empty() || held.exchange(true)) return;
    for (int i = 0; i < 20; ++i) source_.Append({"org:x"}, "live during the replay");
    const std::string newest = source_.CursorsOf("org:x").back();
    EXPECT_TRUE(WaitUntil([&] { return source_.NewestRead("org:x") == newest; }));
  });
  auto c = Open({{"org:x", ""}}, 4);
  ASSERT_TRUE(held);
  source_.OnReadAfter(nullptr);
  EXPECT_THAT(c->Cursors(), ElementsAreArray(source_.CursorsOf("org:x")));
  EXPECT_EQ(c->caught_up_at(), 50);
  EXPECT_FALSE(c->finished().has_value());
}

// A backlog far larger than the buffer, read by a client slower than the replay: the replay
// parks when the buffer is full and goes on when the client has drained half of it, until
// everything and caught_up arrived.
TEST_F(FanoutHubTest, ReplayParksOnAFullBufferAndResumesAsTheClientDrainsIt) {
  Start({.max_buffer = 8, .page = 5});
  for (int i = 0; i < 100; ++i) source_.Append({"org:x"}, "backlog");
  auto c = std::make_unique<Client>(std::map<std::string, std::string>{{"org:x", ""}}, 8, &clock_);
  c->Pace(absl::Microseconds(300));
  hub_->Add(c->sub(), /*live_only=*/false);
  ASSERT_TRUE(WaitUntil([&] { return c->caught_up(); })) << c->Cursors().size();
  EXPECT_THAT(c->Cursors(), ElementsAreArray(source_.CursorsOf("org:x")));
  EXPECT_FALSE(c->finished().has_value());
}

// Heartbeat 40 ms: the timer ticks every 5 ms, and a stream is due after 35 ms idle (the
// interval less one tick) on the fake clock.
TEST_F(FanoutHubTest, HeartbeatGoesToAStreamIdleForTheHeartbeatIntervalOnly) {
  Start({.heartbeat = absl::Milliseconds(40)});
  auto c = Open({{"org:x", ""}});
  absl::SleepFor(absl::Milliseconds(100));  // every shard visited, the fake clock standing still
  EXPECT_EQ(c->heartbeats(), 0);
  clock_.Advance(absl::Milliseconds(30));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(c->heartbeats(), 0);
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_TRUE(WaitUntil([&] { return c->heartbeats() == 1; }));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(c->heartbeats(), 1);
}

// Many streams opened at once get their heartbeats spread over the interval, not all at one tick.
TEST_F(FanoutHubTest, HeartbeatsOfStreamsOpenedTogetherAreSpreadOverTheInterval) {
  Start({.heartbeat = absl::Milliseconds(200)});  // 20 shards, a tick every 10 ms
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 200; ++i) clients.push_back(Open({{"org:x", ""}}));
  clock_.Advance(absl::Milliseconds(200));  // all due at once
  auto with_heartbeat = [&] {
    int n = 0;
    for (auto& c : clients) n += c->heartbeats() > 0 ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(WaitUntil([&] { return with_heartbeat() > 0; }));
  const int first = with_heartbeat();
  EXPECT_LT(first, 100) << "half the streams or more got theirs in the same tick";
  EXPECT_TRUE(WaitUntil([&] { return with_heartbeat() == 200; }));
}

TEST_F(FanoutHubTest, EndAllFinishesEveryStreamWithTheStatusAndRemoveForgetsIt) {
  Start();
  auto a = Open({{"org:x", ""}});
  auto b = Open({{"org:y", ""}});
  EXPECT_EQ(hub_->streams(), 2);
  EXPECT_EQ(hub_->watched_recipients(), 2);
  hub_->EndAll(grpc::Status::OK);
  ASSERT_TRUE(a->finished().has_value());
  ASSERT_TRUE(b->finished().has_value());
  EXPECT_TRUE(a->finished()->ok());
  hub_->Remove(a->sub().get());
  hub_->Remove(b->sub().get());
  EXPECT_EQ(hub_->streams(), 0);
  EXPECT_EQ(hub_->watched_recipients(), 0);
}

TEST_F(FanoutHubTest, StreamAddedAfterStopEndsUnavailableInsteadOfWaitingForever) {
  Start();
  hub_->Stop();
  auto c = std::make_unique<Client>(std::map<std::string, std::string>{{"org:x", ""}}, 8, &clock_);
  hub_->Add(c->sub(), /*live_only=*/false);
  ASSERT_TRUE(c->finished().has_value());
  EXPECT_EQ(c->finished()->error_code(), grpc::StatusCode::UNAVAILABLE);
}

Subscription::Message Note(const std::string& recipient, int n) {
  auto m = std::make_shared<v1::SubscribeResponse>();
  m->mutable_notification()->set_recipient(recipient);
  m->mutable_notification()->set_cursor(absl::StrCat(n, "-0"));
  return m;
}

std::vector<std::string> CursorsFromTo(int first, int last) {
  std::vector<std::string> out;
  for (int n = first; n <= last; ++n) out.push_back(absl::StrCat(n, "-0"));
  return out;
}

// The hub's catch-up as steps: live notifications that arrive while the replay reads wait for
// caught_up, and follow it once each.
TEST(SubscriptionTest, LiveNotificationsDuringReplayFollowCaughtUpOnceEach) {
  FakeClock clock;
  Client c({{"org:x", ""}}, 4, &clock);
  auto s = c.sub();
  s->Replay({Note("org:x", 1), Note("org:x", 2)});
  s->Deliver({Note("org:x", 2), Note("org:x", 3)});  // 2 also came by the replay
  s->Deliver({Note("org:x", 4)});
  EXPECT_THAT(c.Cursors(), ElementsAreArray(CursorsFromTo(1, 2)));
  s->Replay({Note("org:x", 3)});  // the replay's last page saw 3, not 4
  EXPECT_TRUE(s->CaughtUp());
  EXPECT_THAT(c.Cursors(), ElementsAreArray(CursorsFromTo(1, 4)));
  EXPECT_EQ(c.caught_up_at(), 3);
  EXPECT_TRUE(s->live());
}

// More live notifications than the buffer holds arrive during the replay: they are let go, not
// the stream; CaughtUp says to read on, and what the replay then reads arrives once, in order.
TEST(SubscriptionTest, LiveNotificationsBeyondTheBufferDuringReplayAreReadAgainNotEndingTheStream) {
  FakeClock clock;
  Client c({{"org:x", ""}}, 4, &clock);
  auto s = c.sub();
  s->Replay({Note("org:x", 1), Note("org:x", 2)});
  for (int n = 3; n <= 12; ++n) s->Deliver({Note("org:x", n)});
  EXPECT_FALSE(s->ended());
  EXPECT_FALSE(s->CaughtUp());  // 3..12 were let go: read on
  EXPECT_FALSE(s->live());
  EXPECT_EQ(s->cursor("org:x"), "2-0");
  std::vector<Subscription::Message> rest;
  for (int n = 3; n <= 12; ++n) rest.push_back(Note("org:x", n));
  s->Replay(rest);
  s->Deliver({Note("org:x", 12), Note("org:x", 13)});
  EXPECT_TRUE(s->CaughtUp());
  s->Deliver({Note("org:x", 13), Note("org:x", 14)});
  EXPECT_THAT(c.Cursors(), ElementsAreArray(CursorsFromTo(1, 14)));
  EXPECT_EQ(c.caught_up_at(), 12);
  EXPECT_FALSE(c.finished().has_value());
}

// Once live, a stream still holding max_buffer unwritten messages when a batch comes is ended.
TEST(SubscriptionTest, LiveStreamStillHoldingAFullBufferIsEndedFellBehind) {
  FakeClock clock;
  Client c({{"org:x", ""}}, 2, &clock, /*slow=*/true);
  auto s = c.sub();
  EXPECT_TRUE(s->CaughtUp());  // written, never completed: in flight
  s->Deliver({Note("org:x", 1), Note("org:x", 2)});
  EXPECT_FALSE(s->ended());
  s->Deliver({Note("org:x", 3)});
  ASSERT_TRUE(c.finished().has_value());
  EXPECT_EQ(c.finished()->error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(c.finished()->error_message(), kFellBehindMessage);
}

TEST(CursorBeforeTest, ComparesCursorsNumericallyWithEmptyFirst) {
  EXPECT_TRUE(CursorBefore("", "1-0"));
  EXPECT_FALSE(CursorBefore("1-0", ""));
  EXPECT_TRUE(CursorBefore("9-5", "10-0"));
  EXPECT_TRUE(CursorBefore("10-1", "10-2"));
  EXPECT_FALSE(CursorBefore("10-2", "10-2"));
}

}  // namespace
}  // namespace firegrid::notify
