#include "services/monitoring/pusher.h"

#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace firegrid::monitoring {
namespace {

using firegrid::testing::WaitUntil;

// Fails the first `failures` pushes of each event, records the rest.
class FakeNotifyLink final : public NotifyLink {
 public:
  explicit FakeNotifyLink(int failures) : failures_(failures) {}
  absl::Status Push(const ::firegrid::events::v1::Envelope& e) override {
    std::lock_guard<std::mutex> l(mu_);
    if (attempts_[e.event_id()]++ < failures_) return absl::UnavailableError("notify down");
    pushed_.push_back(e.event_id());
    return absl::OkStatus();
  }
  std::vector<std::string> pushed() {
    std::lock_guard<std::mutex> l(mu_);
    return pushed_;
  }
  int attempts(const std::string& id) {
    std::lock_guard<std::mutex> l(mu_);
    return attempts_[id];
  }

 private:
  int failures_;
  std::mutex mu_;
  std::map<std::string, int> attempts_;
  std::vector<std::string> pushed_;
};

::firegrid::events::v1::Envelope Event(const std::string& id) {
  ::firegrid::events::v1::Envelope e;
  e.set_event_id(id);
  return e;
}

TEST(PusherTest, PushesEveryEnqueuedEnvelopeOnce) {
  FakeNotifyLink link(0);
  std::atomic<int> ok{0};
  Pusher pusher(&link, {.on_result = [&](bool pushed, absl::Duration) { ok += pushed; }});
  pusher.Start();
  for (int i = 0; i < 20; ++i) pusher.Enqueue(Event("evt_" + std::to_string(i)));
  ASSERT_TRUE(WaitUntil([&] { return link.pushed().size() == 20; }, absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil([&] { return ok.load() == 20; }, absl::Seconds(10)));
  EXPECT_EQ(pusher.pushed(), 20);
  EXPECT_EQ(pusher.failed(), 0);
}

TEST(PusherTest, RetriesAFailedPushWithBackOffUntilItGoesThrough) {
  FakeNotifyLink link(2);
  Pusher pusher(&link, {.attempts = 4, .backoff = absl::Milliseconds(10)});
  pusher.Start();
  pusher.Enqueue(Event("evt_a"));
  ASSERT_TRUE(WaitUntil([&] { return pusher.pushed() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(link.attempts("evt_a"), 3);
}

TEST(PusherTest, GivesUpAfterItsAttemptsAndLeavesTheEventToKafka) {
  FakeNotifyLink link(100);
  std::atomic<int> failed{0};
  Pusher pusher(&link, {.attempts = 3,
                        .backoff = absl::Milliseconds(5),
                        .on_result = [&](bool pushed, absl::Duration) { failed += !pushed; }});
  pusher.Start();
  pusher.Enqueue(Event("evt_b"));
  ASSERT_TRUE(WaitUntil([&] { return failed.load() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(link.attempts("evt_b"), 3);
  EXPECT_EQ(pusher.failed(), 1);
}

TEST(PusherTest, AFullQueueNeverBlocksTheCaller) {
  FakeNotifyLink link(0);
  Pusher pusher(&link, {.queue_limit = 3});  // not started: nothing is taken off the queue
  for (int i = 0; i < 5; ++i) pusher.Enqueue(Event("evt_" + std::to_string(i)));
  EXPECT_EQ(pusher.overflowed(), 2);
  pusher.Start();
  ASSERT_TRUE(WaitUntil([&] { return pusher.pushed() == 3; }, absl::Seconds(10)));
}

TEST(PusherTest, StopPushesWhatIsQueued) {
  FakeNotifyLink link(0);
  Pusher pusher(&link, {.threads = 1});
  for (int i = 0; i < 5; ++i) pusher.Enqueue(Event("evt_" + std::to_string(i)));
  pusher.Start();
  pusher.Stop();
  EXPECT_EQ(link.pushed().size(), 5u);
}

}  // namespace
}  // namespace firegrid::monitoring
