// The thread pools callback methods are served on (callback_unary.h).
#include "libs/server/callback_unary.h"

#include <atomic>
#include <memory>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace firegrid::server {
namespace {

// What the jobs of a test share; each job holds it, so it outlives the last of them.
struct Shared {
  std::atomic<int> started{0};
  absl::Notification all_started;
  absl::Notification release;
  absl::Notification read_ran;
  absl::Notification write_ran;
};

// Blocks `count` threads of `threads` until s->release; returns once they all run.
void OccupyThreads(Threads threads, int count, const std::shared_ptr<Shared>& s) {
  for (int i = 0; i < count; ++i) {
    internal::RunOn(threads, [s, count] {
      if (s->started.fetch_add(1) + 1 == count) s->all_started.Notify();
      s->release.WaitForNotification();
    });
  }
  ASSERT_TRUE(s->all_started.WaitForNotificationWithTimeout(absl::Seconds(30)))
      << "the pool did not run " << count << " jobs at once";
}

TEST(CallbackThreadsTest, AWriteRunsWhileEveryReadThreadIsBusyAndTheQueuedReadWaits) {
  auto s = std::make_shared<Shared>();
  OccupyThreads(Threads::kRead, internal::kReadThreads, s);
  internal::RunOn(Threads::kRead, [s] { s->read_ran.Notify(); });
  internal::RunOn(Threads::kWrite, [s] { s->write_ran.Notify(); });
  EXPECT_TRUE(s->write_ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_FALSE(s->read_ran.HasBeenNotified()) << "a read ran while every read thread was held";
  s->release.Notify();
  EXPECT_TRUE(s->read_ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

TEST(CallbackThreadsTest, AReadRunsWhileEveryWriteThreadIsBusy) {
  auto s = std::make_shared<Shared>();
  OccupyThreads(Threads::kWrite, internal::kWriteThreads, s);
  internal::RunOn(Threads::kRead, [s] { s->read_ran.Notify(); });
  EXPECT_TRUE(s->read_ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
  s->release.Notify();
}

}  // namespace
}  // namespace firegrid::server
