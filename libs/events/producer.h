#pragma once

#include <atomic>
#include <cstdint>
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

namespace RdKafka {
class Producer;
}  // namespace RdKafka

namespace firegrid::events {

// One Kafka record to publish.
struct Message {
  std::string topic;
  std::string key;
  std::string value;
  // Record headers, e.g. the W3C "traceparent" / "tracestate" of the event (see OutboxRelay).
  // Not part of equality: a record is its topic, key and value.
  std::vector<std::pair<std::string, std::string>> headers = {};

  friend bool operator==(const Message& a, const Message& b) {
    return a.topic == b.topic && a.key == b.key && a.value == b.value;
  }
};

// Publishes records and says, per record, whether the broker acknowledged it.
class Producer {
 public:
  virtual ~Producer() = default;

  // Sends every message and returns once each one is acknowledged by the broker (OK) or has
  // failed or timed out, one status per message, in input order. Messages with the same topic and
  // key keep their order. Codes: DEADLINE_EXCEEDED (not acknowledged in time: the message may
  // still arrive later, so a retry may duplicate it), INVALID_ARGUMENT (the broker can never take
  // it, e.g. too large), UNAVAILABLE (anything else, worth retrying).
  virtual std::vector<absl::Status> SendBatch(const std::vector<Message>& messages,
                                              absl::Duration timeout) = 0;
};

struct ProducerOptions {
  std::string bootstrap_servers;
  std::string client_id = "firegrid";
  // Extra librdkafka properties, applied last (they override the defaults below), e.g.
  // {"message.timeout.ms", "5000"} or security settings.
  std::map<std::string, std::string> extra;
};

// A librdkafka producer: enable.idempotence=true (acks=all, ordered retries without duplicates),
// delivery reports for every message, message.timeout.ms 10 s and reconnect backoff ≤ 1 s by
// default. A background thread serves delivery reports. Thread-safe.
//
// For SendBatch to report a final outcome for every message, pass a timeout longer than
// message.timeout.ms; with a shorter one, messages still queued when it returns are reported as
// DEADLINE_EXCEEDED but may still be delivered afterwards.
class KafkaProducer final : public Producer {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaProducer>> Create(ProducerOptions options);
  // Waits up to 5 s for queued messages, then drops what is left.
  ~KafkaProducer() override;
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  std::vector<absl::Status> SendBatch(const std::vector<Message>& messages,
                                      absl::Duration timeout) override;

  // OK when the cluster answers a metadata request within `timeout`; UNAVAILABLE otherwise.
  // INTERNAL once the producer hit a fatal error (it must be recreated; readiness should fail).
  absl::Status Check(absl::Duration timeout);

  // The message.timeout.ms in effect.
  absl::Duration message_timeout() const { return message_timeout_; }

  // The value of a librdkafka property as the running client has it ("" when unset), e.g.
  // "security.protocol": what the service's settings came to.
  std::string Property(const std::string& name) const;

 private:
  class DeliveryReporter;
  KafkaProducer() = default;
  void PollLoop();

  std::unique_ptr<DeliveryReporter> reporter_;
  std::unique_ptr<RdKafka::Producer> producer_;
  absl::Duration message_timeout_ = absl::Seconds(10);
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

// A Producer for tests: records what it "delivers" and can be told to fail.
class FakeProducer final : public Producer {
 public:
  std::vector<absl::Status> SendBatch(const std::vector<Message>& messages,
                                      absl::Duration timeout) override;

  // The next `n` messages (counted across batches) fail with `status` instead of being delivered.
  void FailNext(int n, absl::Status status = absl::UnavailableError("fake broker down"));
  // Every message fails with `status` until cleared with absl::OkStatus().
  void FailAll(absl::Status status);

  // Messages delivered so far, in delivery order.
  std::vector<Message> messages() const;
  // Messages delivered to `topic`.
  std::vector<Message> messages(const std::string& topic) const;
  int batches() const;  // SendBatch calls so far
  void Clear();

 private:
  mutable absl::Mutex mu_;
  std::vector<Message> delivered_ ABSL_GUARDED_BY(mu_);
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status fail_next_status_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_all_ ABSL_GUARDED_BY(mu_);
  int batches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace firegrid::events
