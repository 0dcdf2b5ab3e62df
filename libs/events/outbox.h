#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/stop_flag.h"
#include "libs/events/producer.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"

namespace firegrid::events {

// The outbox of a service is a Redis stream (e.g. "fg:buildings:outbox") whose entries have the
// fields "topic", "key" and "value" (the serialized Envelope).
inline constexpr absl::string_view kOutboxTopicField = "topic";
inline constexpr absl::string_view kOutboxKeyField = "key";
inline constexpr absl::string_view kOutboxValueField = "value";

// The outbox entry for `message`. Add it to the AtomicWrite that changes the state, so that the
// state change and its event are written together or not at all:
//   write.appends.push_back(OutboxAppend("fg:buildings:outbox", {topic, building_id, bytes}));
redis::AtomicWrite::StreamAppend OutboxAppend(absl::string_view outbox_key, const Message& message);

struct OutboxRelayOptions {
  std::string outbox_key;  // required
  // The lease that lets one relay of all replicas publish. Default: outbox_key + ":relay-lease".
  std::string lock_key;
  // This replica's name in the lease; unique per process. Default: host:pid:random.
  std::string owner_id;
  // Entries that can never be published (missing fields, or refused by the broker as invalid)
  // are moved here instead of blocking the outbox forever. Default: outbox_key + ":dead".
  std::string dead_key;
  // Entries one round reads, publishes and deletes at most. A round costs about the same for
  // 10 entries as for 1,000 (its Redis round trips and the broker's acknowledgement, waiting for
  // a CPU on a busy machine): with 100, a hazards relay published about 1,100 events/s at
  // 1,000 reports/s on two cores and its outbox grew to 3,800 entries; with 1,000 it kept up
  // (bench/README.md, notify_latency_bench).
  int batch_size = 1000;
  // How long a lease lasts without renewal: a crashed leader's replacement (another replica, or
  // the restarted process, whose owner id differs) takes over after at most lease +
  // renew_interval. A running relay renews it every renew_interval on a thread of its own, so
  // a batch may take longer than the lease; Stop() releases it at once.
  absl::Duration lease = absl::Seconds(2);
  // How often a running relay renews its lease, and how often a standby tries to take it.
  // The lease must cover at least two renewals. A round asks Redis for the lease only when its
  // last renewal (timed on the monotonic clock from before the request was sent) is older than
  // half the lease, so a running relay's rounds do not ask at all.
  absl::Duration renew_interval = absl::Milliseconds(500);
  // How long one batch may wait for the broker's acknowledgements (SendBatch timeout). Keep it
  // longer than the producer's message.timeout.ms so every message has a final outcome.
  absl::Duration delivery_timeout = absl::Seconds(12);
  // Longest block waiting for new entries (XREAD BLOCK), and how often a standby checks the lease.
  absl::Duration idle_wait = absl::Seconds(2);
  // Back-off after a failed batch (broker or Redis unavailable), doubling up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
};

// Publishes a service's outbox to Kafka: reads the oldest entries, sends them, and deletes only
// those the broker confirmed, stopping at the first failure so that order is kept. Nothing is
// lost while the broker is down; entries stay until confirmed. Delivery is at-least-once (a crash
// between the broker's ack and the delete republishes), so consumers dedupe by event id.
//
// Of all relays sharing one outbox (one per replica), only the holder of a Redis lease publishes.
class OutboxRelay {
 public:
  using Options = OutboxRelayOptions;

  // INVALID_ARGUMENT for inconsistent options. `pool` and `producer` must outlive the relay.
  static absl::StatusOr<std::unique_ptr<OutboxRelay>> Create(redis::Pool* pool, Producer* producer,
                                                             Options options);
  ~OutboxRelay();  // Stop()
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  // One round: takes the lease (or renews it when half of it has passed since the last renewal),
  // publishes up to batch_size of the oldest entries and
  // deletes the confirmed ones. Returns how many were published (0 when the outbox is empty or
  // another relay holds the lease), or the first delivery error / a Redis error (entries before
  // the failed one are deleted, it and later ones stay).
  absl::StatusOr<int> RunOnce();

  // Runs rounds on a thread: blocks for new entries when idle, backs off after errors, retries
  // the lease while standing by; a second thread renews the lease every renew_interval.
  // Stop() ends both threads and releases the lease.
  void Start();
  void Stop();

  // Entries waiting in the outbox (XLEN), for the backlog gauge; -1 when Redis is unreachable.
  int64_t Backlog();
  // How long the oldest entry has waited (its stream id's time against the local clock; zero
  // when the outbox is empty), for the firegrid_outbox_oldest_age_seconds gauge.
  absl::StatusOr<absl::Duration> OldestAge();

  bool is_leader() const { return leader_.load(); }
  // Entries this relay has published (and deleted) since it was created.
  int64_t published() const { return published_.load(); }
  const Options& options() const { return options_; }

 private:
  OutboxRelay(redis::Pool* pool, Producer* producer, Options options);
  absl::StatusOr<bool> TakeLease();
  // True while this relay holds the lease and its last renewal is younger than half the lease.
  bool LeaseFresh() const;
  void ReleaseLease();
  void Loop();
  void KeepLease();
  // Waits for `d` or until Stop(); false when stopping.
  bool Sleep(absl::Duration d);

  redis::Pool* const pool_;
  Producer* const producer_;
  const Options options_;
  std::atomic<bool> leader_{false};
  // When the lease last taken or renewed runs out, in nanoseconds of std::chrono::steady_clock
  // (0: not held), counted from before its request was sent.
  std::atomic<int64_t> lease_until_ns_{0};
  std::atomic<int64_t> published_{0};

  // Entry id after which new entries appear (everything up to it was published or moved);
  // used only by RunOnce and the relay thread, never concurrently.
  std::string last_id_ = "0-0";

  // Redis client id of the connection blocked in XREAD (-1: none), so that Stop() can wake it
  // with CLIENT UNBLOCK instead of waiting out the block.
  std::atomic<int64_t> blocked_client_id_{-1};

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool exited_ ABSL_GUARDED_BY(mu_) = false;
  StopFlag stop_;  // the relay's sleeps between rounds (monotonic, see stop_flag.h)
  std::thread thread_;
  std::thread lease_thread_;
};

}  // namespace firegrid::events
