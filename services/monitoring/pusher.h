#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "firegrid/events/v1/envelope.pb.h"
#include "services/monitoring/links.h"

namespace firegrid::monitoring {

struct PusherOptions {
  // Push attempts per envelope (the first included), `backoff` doubling between them. When
  // all fail the Kafka path (outbox relay → notify's consumer) still delivers it.
  int attempts = 4;
  absl::Duration backoff = absl::Milliseconds(100);
  int threads = 2;
  // Envelopes waiting; beyond it new ones are left to the Kafka path (counted, logged).
  size_t queue_limit = 10000;
  // After each envelope: whether a push succeeded, and the time from Enqueue to its end.
  std::function<void(bool pushed, absl::Duration latency)> on_result;
};

// The direct path of fire alarms to people: a queue and threads calling NotifyLink::Push for
// each dispatch envelope as soon as it is committed, retrying a few times. Notify delivers each
// (event, recipient) once whichever path comes first, so the retries and the Kafka copy are
// harmless.
class Pusher {
 public:
  Pusher(NotifyLink* link, PusherOptions options = {});
  ~Pusher();  // Stop()
  Pusher(const Pusher&) = delete;
  Pusher& operator=(const Pusher&) = delete;

  void Start();
  // Pushes what is queued (one attempt each) and joins the threads.
  void Stop();
  // Never blocks.
  void Enqueue(const ::firegrid::events::v1::Envelope& envelope);

  int64_t pushed() const { return pushed_.load(); }
  int64_t failed() const { return failed_.load(); }
  int64_t overflowed() const { return overflowed_.load(); }

 private:
  struct Item {
    ::firegrid::events::v1::Envelope envelope;
    absl::Time enqueued;
  };
  void Run();
  void Push(const Item& item);

  NotifyLink* link_;
  PusherOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;       // queued items or stop
  std::condition_variable stop_cv_;  // stop (ends a back-off)
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool started_ = false;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> pushed_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> overflowed_{0};
};

}  // namespace firegrid::monitoring
