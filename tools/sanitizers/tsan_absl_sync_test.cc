// In a TSan build (FIREGRID_SANITIZE=thread): each test here passes data between threads under
// an absl synchronisation primitive without any other ordering. Without tsan_absl_sync.cc, TSan
// does not see Debian's uninstrumented abseil order anything and reports a data race, which
// ends the process (halt_on_error) and fails the test.
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace {

TEST(TsanAbslSyncTest, MutexLockOrdersIncrementsOfEveryThread) {
  absl::Mutex mu;
  int counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        absl::MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(counter, 2000);
}

TEST(TsanAbslSyncTest, ReaderLockSeesWhatAWriterWroteUnderTheLock) {
  absl::Mutex mu;
  int value = 0;
  bool written = false;
  std::thread writer([&] {
    absl::MutexLock lock(&mu);
    value = 42;
    written = true;
  });
  int seen = 0;
  while (true) {
    absl::ReaderMutexLock lock(&mu);
    if (written) {
      seen = value;
      break;
    }
  }
  writer.join();
  EXPECT_EQ(seen, 42);
}

TEST(TsanAbslSyncTest, TryLockOrdersLikeLock) {
  absl::Mutex mu;
  int value = 0;
  bool written = false;
  std::thread writer([&] {
    absl::MutexLock lock(&mu);
    value = 7;
    written = true;
  });
  int seen = 0;
  bool done = false;
  while (!done) {
    if (!mu.TryLock()) continue;
    done = written;
    if (done) seen = value;
    mu.Unlock();
  }
  writer.join();
  EXPECT_EQ(seen, 7);
}

TEST(TsanAbslSyncTest, LockWhenSeesWhatTheSignallingThreadWrote) {
  absl::Mutex mu;
  int value = 0;
  bool ready = false;
  std::thread writer([&] {
    absl::MutexLock lock(&mu);
    value = 1;
    ready = true;
  });
  mu.LockWhen(absl::Condition(&ready));
  EXPECT_EQ(value, 1);
  value = 2;
  mu.Unlock();
  writer.join();
}

TEST(TsanAbslSyncTest, AwaitReleasesTheLockAndSeesWhatOthersWrote) {
  absl::Mutex mu;
  int value = 0;
  bool ready = false;
  mu.Lock();
  std::thread writer([&] {
    absl::MutexLock lock(&mu);  // Only possible while the main thread awaits.
    value = 3;
    ready = true;
  });
  EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(60)));
  EXPECT_EQ(value, 3);
  mu.Unlock();
  writer.join();
}

TEST(TsanAbslSyncTest, CondVarWaitSeesWhatTheSignallingThreadWrote) {
  absl::Mutex mu;
  absl::CondVar cv;
  int value = 0;
  bool ready = false;
  std::thread writer([&] {
    absl::MutexLock lock(&mu);
    value = 4;
    ready = true;
    cv.Signal();
  });
  {
    absl::MutexLock lock(&mu);
    while (!ready) cv.Wait(&mu);
    EXPECT_EQ(value, 4);
  }
  writer.join();
}

TEST(TsanAbslSyncTest, NotificationPublishesWhatWasWrittenBeforeNotify) {
  absl::Notification done;
  int value = 0;
  std::thread writer([&] {
    value = 5;
    done.Notify();
  });
  done.WaitForNotification();
  EXPECT_EQ(value, 5);
  writer.join();
}

// The waiter finds the notification already notified and never takes its mutex.
TEST(TsanAbslSyncTest, NotificationAlreadyNotifiedStillPublishes) {
  absl::Notification done;
  absl::Notification written;
  int value = 0;
  std::thread writer([&] {
    value = 6;
    done.Notify();
    written.Notify();
  });
  EXPECT_TRUE(written.WaitForNotificationWithTimeout(absl::Seconds(60)));
  done.WaitForNotification();
  EXPECT_EQ(value, 6);
  writer.join();
}

}  // namespace
