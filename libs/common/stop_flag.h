#pragma once

#include <condition_variable>
#include <mutex>

#include "absl/time/time.h"

namespace firegrid {

// A stop request that loops sleep on between rounds (timer loops, the outbox relay, readiness
// checks): WaitFor() returns at once when Stop() is called.
//
// Why not absl::Notification / Mutex::AwaitWithTimeout: absl turns a timeout into an absolute
// deadline on the wall clock (absl::Now() + d) and waits for it in the kernel. When the wall
// clock is stepped (NTP, a VM resumed, or the e2e suite's faked clock — tests/support/
// fake_time.h), such a wait lasts as long as the step. These waits measure the interval on the
// monotonic clock (std::chrono::steady_clock), so a loop always wakes after `d`.
class StopFlag {
 public:
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }

  // Clears a stop, for a loop that is started again; only while nobody waits.
  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = false;
  }

  bool stopped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stopped_;
  }

  // Waits until Stop() or until `d` has passed on the monotonic clock; true when stopped.
  bool WaitFor(absl::Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(d), [this] { return stopped_; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace firegrid
