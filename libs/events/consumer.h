#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/common/clock.h"
#include "libs/events/envelope.h"
#include "libs/events/producer.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
}  // namespace RdKafka

namespace firegrid::events {

// A consumer's effect for one event. Return OK when done; ALREADY_EXISTS also counts as done (it
// is what redis::AtomicWrite returns for a repeated once_key, i.e. a duplicate delivery).
// Retryable codes (see IsRetryable) make the consumer try the same event again later; any other
// code is permanent and sends the message to the topic's dead-letter topic.
using Handler = std::function<absl::Status(const Envelope&)>;

// UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED, INTERNAL and UNKNOWN.
bool IsRetryable(const absl::Status& status);
// OK or ALREADY_EXISTS.
bool IsDone(const absl::Status& status);

// A record as received from Kafka.
struct ReceivedMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// A record librdkafka delivered without error, copied out (its trace headers the only headers
// kept: the only ones a consumer reads).
ReceivedMessage ReceivedFrom(RdKafka::Message& m);

// What became of one delivery attempt.
enum class Outcome {
  kDone,          // handled (or a duplicate): store the offset
  kRetry,         // retryable failure, or the dead letter could not be sent: try again later
  kDeadLettered,  // undecodable or permanently failed; sent to <topic>.dlq: store the offset
};

struct Decision {
  Outcome outcome = Outcome::kDone;
  // The handler's status, or the parse / dead-letter error behind the outcome.
  absl::Status status;
};

// The decision logic of a consumer, without Kafka: decode, handle, and decide done / retry /
// dead-letter. Dead letters are sent through `dlq` to DlqTopic(topic) with the original key.
// The handler (and a dead letter) runs in a child span of the event's trace context (the
// envelope's, else the message's traceparent / tracestate headers, else a new trace), current
// on the thread, so that its logs and the events it causes carry the trace; dead letters carry
// it as headers. One debug line per handled event names its id and type.
class MessageProcessor {
 public:
  MessageProcessor(Handler handler, Producer* dlq, std::string consumer_group,
                   Clock* clock = RealClock::Get(), absl::Duration dlq_timeout = absl::Seconds(15));

  Decision Process(const ReceivedMessage& message);

 private:
  Decision Handle(const Envelope& envelope);  // runs the handler; kDeadLettered = permanent
  Decision DeadLetter(const ReceivedMessage& message, const absl::Status& reason);

  Handler handler_;
  Producer* dlq_;
  std::string group_;
  Clock* clock_;
  absl::Duration dlq_timeout_;
};

// Exponential back-off: initial, 2×initial, ... capped at max.
class RetryBackoff {
 public:
  RetryBackoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max) {}
  absl::Duration Next();
  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  int attempts_ = 0;
};

struct ConsumerOptions {
  std::string bootstrap_servers;
  std::string group_id;
  std::vector<std::string> topics;
  Handler handler;
  // Where dead letters go; must outlive the consumer. Required.
  Producer* dlq_producer = nullptr;
  std::string client_id = "firegrid";
  // A retryable failure holds its partition (order is kept) and is retried after these delays.
  absl::Duration retry_initial_backoff = absl::Milliseconds(100);
  absl::Duration retry_max_backoff = absl::Seconds(30);
  absl::Duration dlq_timeout = absl::Seconds(15);
  // How long the group waits for a member that stopped heartbeating (a crashed replica) before
  // its partitions move (session.timeout.ms); heartbeats go every third of it, at most every
  // second. A stock Kafka broker refuses less than its group.min.session.timeout.ms (6 s); the
  // dev broker takes any value. A clean Stop() leaves the group at once and waits for nothing.
  absl::Duration session_timeout = absl::Seconds(3);
  // Static membership (group.instance.id, KIP-345), unique per replica and stable across its
  // restarts (e.g. the pod name): on a real Kafka a restarted member takes its partitions back
  // at once instead of waiting out the session timeout. Empty: dynamic membership.
  std::string group_instance_id;
  // What to do when the group's committed offset of a partition is no longer on the log (the
  // consumer fell behind the topic's retention; the events in between are gone). false (the
  // default): alert (an ERROR log, RetentionGaps(), health) and stop consuming that partition
  // until an operator decides. true: alert the same way, then go on from the log start (the
  // recovery step of the runbook in libs/events/README.md, once the gap has been dealt with).
  bool skip_retention_gap = false;
  // Extra librdkafka properties, applied last.
  std::map<std::string, std::string> extra;
};

// An at-least-once Kafka consumer in a consumer group (cooperative-sticky assignment: a
// rebalance moves only the partitions that change owner). Offsets are committed automatically, but
// a message's offset is stored (made committable) only once it is done: handled, a duplicate, or
// dead-lettered. A retryable failure pauses the message's partition and retries the message
// with back-off until it succeeds or the consumer stops; other partitions go on. A partition the
// group has no committed offset for starts at the earliest offset; one whose committed offset
// fell off the log (retention) is never skipped silently: see skip_retention_gap.
class Consumer {
 public:
  using Options = ConsumerOptions;

  struct PartitionLag {
    std::string topic;
    int32_t partition = 0;
    int64_t lag = 0;  // high watermark − next offset to process
  };

  // Validates the options and creates the Kafka client (it connects on Start).
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(Options options);
  // Stop(), then destroys the Kafka client, except in one case: librdkafka before 2.3.0 aborts
  // the process when it destroys a cooperative-sticky member that joined its group but never
  // received an assignment (librdkafka issue #4312: a member stopped between its JoinGroup and
  // its first SyncGroup, as in a rolling restart). Such a client, already closed, is kept until
  // the process exits instead (KafkaClientsKeptUntilExit counts them).
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Subscribes and starts the consuming thread.
  absl::Status Start();
  // Ends the thread, commits the stored offsets and leaves the group. Idempotent; a stopped
  // consumer cannot be started again (create a new one).
  void Stop();

  // A partition whose committed offset is no longer on the log: the events in
  // [committed_offset, log_start) were never processed by this group.
  struct RetentionGap {
    std::string topic;
    int32_t partition = 0;
    int64_t committed_offset = 0;  // the next offset the group would have processed
    int64_t log_start = -1;        // the partition's first offset now (-1: unknown)
    bool skipped = false;          // skip_retention_gap: consuming went on from log_start
  };

  // Per assigned partition, as of the last refresh (about every second); for the lag gauge.
  // Empty after Stop().
  std::vector<PartitionLag> Lag() const;
  // Partitions currently assigned to this member (0 before the group has been joined).
  int assigned_partitions() const { return assigned_.load(); }
  // The member id the group coordinator gave this member ("" before it joined).
  std::string member_id() const;
  // Closed Kafka clients of destroyed consumers that this process keeps until it exits (see
  // ~Consumer).
  static int KafkaClientsKeptUntilExit();
  // Whether this librdkafka aborts when destroying a member that never had an assignment (before
  // 2.3.0: issue #4312, fixed by pull request #4381), so that ~Consumer keeps such a client.
  static bool DestroyBeforeFirstAssignmentAborts();
  // Messages done (handled or duplicate) and dead-lettered since Start.
  int64_t done() const { return done_.load(); }
  int64_t dead_lettered() const { return dead_lettered_.load(); }
  // Dead letters since Start, by the topic the message came from.
  std::map<std::string, int64_t> DeadLetteredByTopic() const;
  // Retention gaps met since Start, one per partition (the latest), stopped ones and skipped
  // ones; a stopped partition stays listed until it is revoked from this member.
  std::vector<RetentionGap> RetentionGaps() const;
  // OK, or FAILED_PRECONDITION naming each partition stopped at a retention gap (for health).
  absl::Status Check() const;

 private:
  class Rebalancer;
  struct Retry {
    ReceivedMessage message;
    absl::Time due;
    RetryBackoff backoff;
  };
  using PartitionKey = std::pair<std::string, int32_t>;

  explicit Consumer(Options options);
  void Loop();
  void Handle(const ReceivedMessage& message);
  void RunDueRetries();
  void MarkDone(const ReceivedMessage& message, Outcome outcome);
  void Pause(const PartitionKey& tp);
  void ResumeAt(const PartitionKey& tp, int64_t offset);
  void OnRevoked(const std::vector<PartitionKey>& partitions);
  void RefreshLag();
  void OnOffsetReset(const std::string& topic, int32_t partition, int64_t offset,
                     const std::string& reason);
  // Whether `tp` is in this member's assignment now.
  bool Assigned(const PartitionKey& tp);
  // Restarts fetching `tp` at `offset` (an offset or RdKafka::Topic::OFFSET_BEGINNING).
  void Reassign(const PartitionKey& tp, int64_t offset);
  absl::Duration NextWait() const;

  Options options_;
  MessageProcessor processor_;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;

  // Owned by the consuming thread.
  std::map<PartitionKey, Retry> retries_;
  std::map<PartitionKey, int64_t> next_offset_;  // first offset not yet done
  absl::Time lag_refreshed_ = absl::InfinitePast();

  mutable absl::Mutex lag_mu_;
  std::vector<PartitionLag> lag_ ABSL_GUARDED_BY(lag_mu_);
  std::map<std::string, int64_t> dead_lettered_by_topic_ ABSL_GUARDED_BY(lag_mu_);
  std::map<PartitionKey, RetentionGap> gaps_ ABSL_GUARDED_BY(lag_mu_);

  std::atomic<int> assigned_{0};
  std::atomic<bool> ever_assigned_{false};  // an assignment (even empty) came since Start
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> dead_lettered_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  bool started_ = false;
  bool closed_ = false;
};

}  // namespace firegrid::events
