#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "firegrid/events/v1/dead_letters.pb.h"
#include "libs/common/clock.h"
#include "libs/events/envelope.h"
#include "libs/events/producer.h"
#include "libs/redis/pool.h"

namespace RdKafka {
class KafkaConsumer;
}  // namespace RdKafka

// Dead letters you can act on: the records of "<topic>.dlq" (see consumer.h) listed, shown,
// replayed to their original topic or dropped, for the consumer groups of one service. What
// was done with a dead letter is kept in the service's Redis; Kafka keeps every record.
namespace firegrid::events {

namespace dlv1 = ::firegrid::events::v1;

// A record as read from a dead-letter topic.
struct DlqRecord {
  int64_t offset = 0;
  absl::Time time;  // the record's timestamp
  std::string key;
  std::string value;  // a serialized DeadLetter
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// Reads a dead-letter topic (one partition, kDlqTopicPartitions) by offset, outside any
// consumer group.
class DlqReader {
 public:
  virtual ~DlqReader() = default;
  // Up to `max` records at or after `from_offset`, in offset order; fewer (or none) at the end
  // of the topic. Records removed by retention are skipped.
  virtual absl::StatusOr<std::vector<DlqRecord>> Read(const std::string& dlq_topic,
                                                      int64_t from_offset, int max) = 0;
};

// DlqReader over a Kafka cluster: one assigned (not subscribed) consumer, reused under a lock.
class KafkaDlqReader final : public DlqReader {
 public:
  // `extra`: librdkafka properties applied last (security settings).
  static absl::StatusOr<std::unique_ptr<KafkaDlqReader>> Create(
      const std::string& bootstrap_servers, const std::map<std::string, std::string>& extra = {},
      absl::Duration timeout = absl::Seconds(5));
  ~KafkaDlqReader() override;

  absl::StatusOr<std::vector<DlqRecord>> Read(const std::string& dlq_topic, int64_t from_offset,
                                              int max) override;

 private:
  KafkaDlqReader() = default;
  absl::Mutex mu_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_ ABSL_GUARDED_BY(mu_);
  absl::Duration timeout_;
};

// A DlqReader made on first use: the first Read calls `make` (under a lock, so once however
// many Reads arrive together) and every later Read goes to the reader it made. When `make`
// fails, that Read is UNAVAILABLE naming the cause and the next Read calls `make` again. For
// readers that are costly to hold and rarely read (a Kafka client's threads and connections,
// for the few operator calls of DeadLetterService).
class LazyDlqReader final : public DlqReader {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<DlqReader>>()>;
  explicit LazyDlqReader(Factory make) : make_(std::move(make)) {}

  absl::StatusOr<std::vector<DlqRecord>> Read(const std::string& dlq_topic, int64_t from_offset,
                                              int max) override;

 private:
  // The reader, made now unless made before.
  absl::StatusOr<DlqReader*> Reader();
  const Factory make_;
  absl::Mutex mu_;
  std::unique_ptr<DlqReader> reader_ ABSL_GUARDED_BY(mu_);  // set once, kept to the end
};

// A DlqReader for tests: the records appended, offsets 0, 1, ... per topic.
class FakeDlqReader final : public DlqReader {
 public:
  // Appends a record (its offset is the topic's next) and returns its offset.
  int64_t Append(const std::string& dlq_topic, DlqRecord record);
  // Records before `offset` are gone, as if removed by retention.
  void Truncate(const std::string& dlq_topic, int64_t offset);
  absl::StatusOr<std::vector<DlqRecord>> Read(const std::string& dlq_topic, int64_t from_offset,
                                              int max) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<DlqRecord>> topics_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> low_ ABSL_GUARDED_BY(mu_);
};

// What an operator did with a dead letter: state (replayed or dropped), who, when, why.
// Written once per dead letter; a dead letter without one is pending.
class DeadLetterStateStore {
 public:
  virtual ~DeadLetterStateStore() = default;
  // The recorded actions of `ids` that have one.
  virtual absl::StatusOr<std::map<std::string, dlv1::DeadLetterEntry>> Get(
      const std::vector<std::string>& ids) = 0;
  // Records `action` (its state, acted_by, acted_at, drop_reason) for `id` unless an action is
  // recorded already: then returns that one and records nothing (ALREADY_EXISTS is not used, so
  // that callers can tell what happened first).
  virtual absl::StatusOr<std::pair<bool, dlv1::DeadLetterEntry>> RecordOnce(
      const std::string& id, const dlv1::DeadLetterEntry& action) = 0;
};

class MemoryDeadLetterStateStore final : public DeadLetterStateStore {
 public:
  absl::StatusOr<std::map<std::string, dlv1::DeadLetterEntry>> Get(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::pair<bool, dlv1::DeadLetterEntry>> RecordOnce(
      const std::string& id, const dlv1::DeadLetterEntry& action) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, dlv1::DeadLetterEntry> actions_ ABSL_GUARDED_BY(mu_);
};

// In Redis: "<key_prefix>:dlq:<dead letter id>" holds the action (a serialized DeadLetterEntry
// with only the action's fields), written with SET NX; no expiry (kept as long as the audit).
class RedisDeadLetterStateStore final : public DeadLetterStateStore {
 public:
  RedisDeadLetterStateStore(redis::Pool* pool, std::string key_prefix)
      : pool_(pool), key_prefix_(std::move(key_prefix)) {}
  absl::StatusOr<std::map<std::string, dlv1::DeadLetterEntry>> Get(
      const std::vector<std::string>& ids) override;
  absl::StatusOr<std::pair<bool, dlv1::DeadLetterEntry>> RecordOnce(
      const std::string& id, const dlv1::DeadLetterEntry& action) override;

 private:
  std::string Key(const std::string& id) const;
  redis::Pool* pool_;
  std::string key_prefix_;
};

// The dead letter id: "<dead-letter topic>:<offset>".
std::string DeadLetterId(const std::string& dlq_topic, int64_t offset);
// INVALID_ARGUMENT naming dead_letter_id when `id` is not "<topic>.dlq:<offset>".
absl::StatusOr<std::pair<std::string, int64_t>> ParseDeadLetterId(const std::string& id);

struct DeadLetterDeskOptions {
  // Consumed topic → the service's consumer groups on it. Only dead letters of these groups
  // are the service's; the others on the same "<topic>.dlq" belong to other services.
  std::map<std::string, std::set<std::string>> groups_by_topic;
  // How long a replay may take to be acknowledged by the broker.
  absl::Duration publish_timeout = absl::Seconds(15);
  // The most dead-letter records one List call reads while looking for a page of the service's
  // own (a page may come back short, with a next page token, when other groups' fill the topic).
  int max_scan = 5000;
};

// The dead letters of one service's consumer groups, without gRPC: what DeadLetterService
// (dead_letters_grpc.h) calls after authorising the caller. `actor` is the caller's subject.
class DeadLetterDesk {
 public:
  DeadLetterDesk(DlqReader* reader, Producer* producer, DeadLetterStateStore* states,
                 DeadLetterDeskOptions options, Clock* clock = RealClock::Get());

  absl::StatusOr<dlv1::ListDeadLettersResponse> List(const dlv1::ListDeadLettersRequest& req);
  absl::StatusOr<dlv1::DeadLetterDetail> Get(const std::string& dead_letter_id);
  // Publishes the original record to its topic first, then records the replay: a crash between
  // leaves the dead letter pending, and replaying it again is harmless (consumers de-duplicate
  // by event id), where recording first could mark an event replayed that never was.
  absl::StatusOr<dlv1::ReplayDeadLetterResponse> Replay(const std::string& dead_letter_id,
                                                        const std::string& actor);
  absl::StatusOr<dlv1::DropDeadLetterResponse> Drop(const std::string& dead_letter_id,
                                                    const std::string& reason,
                                                    const std::string& actor);

  // The consumed topics, sorted.
  std::vector<std::string> topics() const;

 private:
  struct Loaded {
    dlv1::DeadLetterEntry entry;
    DeadLetter letter;
    DlqRecord record;
  };
  // The original topic of `topic` (a consumed topic or its ".dlq"); INVALID_ARGUMENT naming
  // `field` when the service consumes no such topic.
  absl::StatusOr<std::string> ConsumedTopic(const std::string& topic,
                                            absl::string_view field) const;
  // The service's dead letter `id` with its state; NOT_FOUND when there is none.
  absl::StatusOr<Loaded> Load(const std::string& id);
  // The entry of a record of the service's groups; nullopt for another group's or an unreadable
  // one (that is not a DeadLetter at all).
  std::optional<Loaded> Decode(const std::string& original_topic, const std::string& dlq_topic,
                               DlqRecord record) const;

  DlqReader* reader_;
  Producer* producer_;
  DeadLetterStateStore* states_;
  DeadLetterDeskOptions options_;
  Clock* clock_;
};

}  // namespace firegrid::events
