#include "libs/events/consumer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/common/trace.h"
#include "libs/events/topics.h"

namespace firegrid::events {
namespace {

// Deletes the TopicPartition objects librdkafka hands out.
struct PartitionList {
  std::vector<RdKafka::TopicPartition*> items;
  PartitionList() = default;
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  ~PartitionList() { RdKafka::TopicPartition::destroy(items); }
};

// The trace headers of a received record (the only ones a consumer reads).
std::vector<std::pair<std::string, std::string>> TraceHeadersOf(RdKafka::Message& m) {
  std::vector<std::pair<std::string, std::string>> out;
  RdKafka::Headers* headers = m.headers();  // owned by the message
  if (headers == nullptr) return out;
  for (const auto& key : {trace::kTraceparentHeader, trace::kTracestateHeader}) {
    RdKafka::Headers::Header h = headers->get_last(std::string(key));
    if (h.err() == RdKafka::ERR_NO_ERROR && h.value() != nullptr) {
      out.emplace_back(std::string(key),
                       std::string(static_cast<const char*>(h.value()), h.value_size()));
    }
  }
  return out;
}

}  // namespace

ReceivedMessage ReceivedFrom(RdKafka::Message& m) {
  return {m.topic_name(), m.partition(), m.offset(), m.key() != nullptr ? *m.key() : std::string(),
          std::string(static_cast<const char*>(m.payload()), m.len()), TraceHeadersOf(m)};
}

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

bool IsDone(const absl::Status& status) { return status.ok() || absl::IsAlreadyExists(status); }

absl::Duration RetryBackoff::Next() {
  absl::Duration d = initial_;
  for (int i = 0; i < attempts_ && d < max_; ++i) d *= 2;
  ++attempts_;
  return std::min(d, max_);
}

// ---------------------------------------------------------------------------------------------

MessageProcessor::MessageProcessor(Handler handler, Producer* dlq, std::string consumer_group,
                                   Clock* clock, absl::Duration dlq_timeout)
    : handler_(std::move(handler)),
      dlq_(dlq),
      group_(std::move(consumer_group)),
      clock_(clock),
      dlq_timeout_(dlq_timeout) {}

namespace {

std::string HeaderValue(const ReceivedMessage& m, absl::string_view key) {
  for (const auto& [k, v] : m.headers) {
    if (k == key) return v;
  }
  return "";
}

// The event's context continued as a child span: the envelope's, else the headers'.
trace::Context EventContext(const ReceivedMessage& m, const Envelope* envelope) {
  if (envelope != nullptr && !envelope->trace().traceparent().empty()) {
    return trace::ContinueOrStart(envelope->trace().traceparent(), envelope->trace().tracestate());
  }
  return trace::ContinueOrStart(HeaderValue(m, trace::kTraceparentHeader),
                                HeaderValue(m, trace::kTracestateHeader));
}

}  // namespace

Decision MessageProcessor::Process(const ReceivedMessage& message) {
  absl::StatusOr<Envelope> envelope = ParseEnvelope(message.value);
  trace::Scope scope(EventContext(message, envelope.ok() ? &*envelope : nullptr));
  if (!envelope.ok()) return DeadLetter(message, envelope.status());
  Decision d = Handle(*envelope);
  if (d.outcome == Outcome::kDeadLettered) d = DeadLetter(message, d.status);
  log::Debug("event handled", {{"event_id", envelope->event_id()},
                               {"type", envelope->type()},
                               {"topic", message.topic},
                               {"partition", message.partition},
                               {"offset", message.offset},
                               {"outcome", d.outcome == Outcome::kDone    ? "done"
                                           : d.outcome == Outcome::kRetry ? "retry"
                                                                          : "dead_lettered"},
                               {"status", d.status.ToString()}});
  return d;
}

Decision MessageProcessor::Handle(const Envelope& envelope) {
  absl::Status status;
  try {
    status = handler_(envelope);
  } catch (const std::exception& e) {
    // Handlers report errors as Status; an exception is a bug, treated like INTERNAL.
    status = absl::InternalError(absl::StrCat("handler threw: ", e.what()));
  } catch (...) {
    status = absl::InternalError("handler threw a non-standard exception");
  }
  if (IsDone(status)) return {Outcome::kDone, status};
  if (IsRetryable(status)) return {Outcome::kRetry, status};
  return {Outcome::kDeadLettered, status};  // Process() sends it
}

Decision MessageProcessor::DeadLetter(const ReceivedMessage& message, const absl::Status& reason) {
  events::DeadLetter letter;
  letter.set_topic(message.topic);
  letter.set_partition(message.partition);
  letter.set_offset(message.offset);
  letter.set_key(message.key);
  letter.set_value(message.value);
  letter.set_reason(reason.ToString());
  letter.set_consumer_group(group_);
  *letter.mutable_failed_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_->Now()));
  Message out{DlqTopic(message.topic), message.key, letter.SerializeAsString()};
  if (const trace::Context* t = trace::Current()) {
    out.headers.emplace_back(std::string(trace::kTraceparentHeader), trace::FormatTraceparent(*t));
    if (!t->tracestate.empty()) {
      out.headers.emplace_back(std::string(trace::kTracestateHeader), t->tracestate);
    }
  }
  auto send = [&] {
    std::vector<absl::Status> sent = dlq_->SendBatch({out}, dlq_timeout_);
    return sent.empty() ? absl::InternalError("no delivery status") : sent[0];
  };
  absl::Status send_status = send();
  if (absl::IsInvalidArgument(send_status) && !letter.value().empty()) {
    // The broker can never take this dead letter (the original plus its wrapping exceeds the
    // message size limit): retrying would hold the partition for good. Send it without the
    // original value, which stays readable at topic / partition / offset while retained.
    letter.set_omitted_value_bytes(static_cast<int64_t>(letter.value().size()));
    letter.clear_value();
    out.value = letter.SerializeAsString();
    send_status = send();
  }
  if (!send_status.ok()) {
    // Keep the offset unstored; the message is processed again and dead-lettered then.
    return {Outcome::kRetry,
            absl::UnavailableError(absl::StrCat("dead letter to ", out.topic,
                                                " not sent: ", send_status.ToString(),
                                                "; reason was: ", reason.ToString()))};
  }
  log::Warn("message dead-lettered", {{"topic", message.topic},
                                      {"partition", message.partition},
                                      {"offset", message.offset},
                                      {"group", group_},
                                      {"reason", reason.ToString()}});
  return {Outcome::kDeadLettered, reason};
}

// ---------------------------------------------------------------------------------------------

// The consumer's librdkafka callbacks. rebalance_cb runs inside consume() and close(), on the
// consumer's own threads; event_cb's log events come from librdkafka's threads, which may outlive
// the Consumer when its client is kept until exit (~Consumer), so it reads only its own copy of
// the group id.
class Consumer::Rebalancer final : public RdKafka::RebalanceCb, public RdKafka::EventCb {
 public:
  explicit Rebalancer(Consumer* owner) : owner_(owner), group_id_(owner->options_.group_id) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    std::vector<PartitionKey> keys;
    for (auto* p : partitions) keys.emplace_back(p->topic(), p->partition());
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      owner_->ever_assigned_ = true;
      if (cooperative) {
        std::unique_ptr<RdKafka::Error> e(consumer->incremental_assign(partitions));
        owner_->assigned_ += static_cast<int>(partitions.size());
      } else {
        consumer->assign(partitions);
        owner_->OnRevoked({});  // an eager assignment replaces everything
        owner_->assigned_ = static_cast<int>(partitions.size());
      }
      log::Info("partitions assigned",
                {{"group", owner_->options_.group_id}, {"count", partitions.size()}});
    } else {
      owner_->OnRevoked(keys);
      if (cooperative) {
        std::unique_ptr<RdKafka::Error> e(consumer->incremental_unassign(partitions));
        owner_->assigned_ -= static_cast<int>(partitions.size());
      } else {
        consumer->unassign();
        owner_->assigned_ = 0;
      }
      log::Info("partitions revoked",
                {{"group", owner_->options_.group_id}, {"count", partitions.size()}});
    }
  }

  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_LOG) {
      log::Fields f = {{"group", group_id_}, {"facility", event.fac()}, {"detail", event.str()}};
      if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
        log::Warn("kafka consumer log", f);
      } else {
        log::Debug("kafka consumer log", f);
      }
      return;
    }
    if (event.type() != RdKafka::Event::EVENT_ERROR) return;
    absl::Time now = absl::Now();
    int code = static_cast<int>(event.err());
    if (code == last_code_ && now - last_logged_ < absl::Seconds(10)) return;
    last_code_ = code;
    last_logged_ = now;
    log::Warn("kafka consumer error", {{"group", group_id_},
                                       {"error", RdKafka::err2str(event.err())},
                                       {"detail", event.str()},
                                       {"fatal", event.fatal()}});
  }

 private:
  Consumer* owner_;
  const std::string group_id_;
  // Error events are served by consume(), on the consuming thread.
  int last_code_ = 0;
  absl::Time last_logged_ = absl::InfinitePast();
};

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(Options options) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("consumer: bootstrap servers are required");
  }
  if (options.group_id.empty()) return absl::InvalidArgumentError("consumer: group_id is required");
  if (options.topics.empty()) return absl::InvalidArgumentError("consumer: no topics");
  if (!options.handler) return absl::InvalidArgumentError("consumer: handler is required");
  if (options.dlq_producer == nullptr) {
    return absl::InvalidArgumentError("consumer: a producer for dead letters is required");
  }
  if (options.session_timeout < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("consumer: session_timeout must be at least 100 ms");
  }
  if (options.retry_initial_backoff <= absl::ZeroDuration() ||
      options.retry_max_backoff < options.retry_initial_backoff) {
    return absl::InvalidArgumentError("consumer: retry backoff must be > 0 and max >= initial");
  }
  std::unique_ptr<Consumer> c(new Consumer(std::move(options)));
  const Options& o = c->options_;
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", o.bootstrap_servers},
      {"group.id", o.group_id},
      {"client.id", o.client_id},
      {"enable.auto.commit", "true"},
      {"enable.auto.offset.store", "false"},
      // A partition without a committed offset also comes here; OnOffsetReset starts it at the
      // beginning. "earliest" would silently jump over a retention gap.
      {"auto.offset.reset", "error"},
      {"enable.partition.eof", "false"},
      {"session.timeout.ms", absl::StrCat(absl::ToInt64Milliseconds(o.session_timeout))},
      {"heartbeat.interval.ms", absl::StrCat(std::clamp<int64_t>(
                                    absl::ToInt64Milliseconds(o.session_timeout) / 3, 1, 1000))},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"reconnect.backoff.ms", "100"},
      {"reconnect.backoff.max.ms", "1000"},
      // Fetched and not yet handled, at most (librdkafka's default is 64 MiB a consumer): a
      // consumer far behind holds this much of the backlog in memory, and a replica may run
      // several members of a group (Runtime::AddConsumer). 16 MiB is still seconds of work.
      {"queued.max.messages.kbytes", "16384"},
  };
  if (!o.group_instance_id.empty()) props["group.instance.id"] = o.group_instance_id;
  for (const auto& [k, v] : o.extra) props[k] = v;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("consumer: ", k, "=", v, ": ", err));
    }
  }
  c->rebalancer_ = std::make_unique<Rebalancer>(c.get());
  if (conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(c->rebalancer_.get()), err) !=
          RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", static_cast<RdKafka::EventCb*>(c->rebalancer_.get()), err) !=
          RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("consumer: ", err));
  }
  c->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (c->consumer_ == nullptr) return absl::InvalidArgumentError(absl::StrCat("consumer: ", err));
  return c;
}

Consumer::Consumer(Options options)
    : options_(std::move(options)),
      processor_(options_.handler, options_.dlq_producer, options_.group_id, RealClock::Get(),
                 options_.dlq_timeout) {}

namespace {

// Closed clients kept until the process exits (~Consumer); reachable from here, so a leak checker
// does not report them.
struct KeptClients {
  absl::Mutex mu;
  std::vector<std::pair<RdKafka::KafkaConsumer*, RdKafka::RebalanceCb*>> clients
      ABSL_GUARDED_BY(mu);
};

KeptClients& Kept() {
  static KeptClients* kept = new KeptClients();
  return *kept;
}

}  // namespace

Consumer::~Consumer() {
  Stop();
  if (!closed_ && consumer_ != nullptr) {
    consumer_->close();
    closed_ = true;
  }
  if (consumer_ != nullptr && started_ && !ever_assigned_ && DestroyBeforeFirstAssignmentAborts()) {
    log::Info(
        "consumer stopped before its first assignment: its closed Kafka client is kept "
        "until the process exits (librdkafka < 2.3.0 aborts when destroying it, #4312)",
        {{"group", options_.group_id}, {"librdkafka", RdKafka::version_str()}});
    KeptClients& kept = Kept();
    absl::MutexLock lock(&kept.mu);
    kept.clients.emplace_back(consumer_.release(), rebalancer_.release());
  }
}

bool Consumer::DestroyBeforeFirstAssignmentAborts() { return RdKafka::version() < 0x020300ff; }

int Consumer::KafkaClientsKeptUntilExit() {
  KeptClients& kept = Kept();
  absl::MutexLock lock(&kept.mu);
  return static_cast<int>(kept.clients.size());
}

std::string Consumer::member_id() const {
  return consumer_ == nullptr ? "" : consumer_->memberid();
}

absl::Status Consumer::Start() {
  if (started_) return absl::FailedPreconditionError("consumer already started");
  if (closed_) return absl::FailedPreconditionError("consumer was stopped; create a new one");
  RdKafka::ErrorCode err = consumer_->subscribe(options_.topics);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("consumer: subscribe to ",
                                                   absl::StrJoin(options_.topics, ","), ": ",
                                                   RdKafka::err2str(err)));
  }
  started_ = true;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
  log::Info("consumer started",
            {{"group", options_.group_id}, {"topics", absl::StrJoin(options_.topics, ",")}});
  return absl::OkStatus();
}

void Consumer::Stop() {
  if (!started_ || closed_) return;
  stop_ = true;
  // Wake the consuming thread out of its poll at once instead of letting the wait run out.
  if (rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(consumer_->c_ptr()); q != nullptr) {
    rd_kafka_queue_yield(q);
    rd_kafka_queue_destroy(q);
  }
  if (thread_.joinable()) thread_.join();
  RdKafka::ErrorCode err = consumer_->commitSync();
  if (err != RdKafka::ERR_NO_ERROR && err != RdKafka::ERR__NO_OFFSET) {
    log::Warn("consumer: final commit failed",
              {{"group", options_.group_id}, {"error", RdKafka::err2str(err)}});
  }
  consumer_->close();
  closed_ = true;
  assigned_ = 0;
  {
    absl::MutexLock lock(&lag_mu_);
    lag_.clear();
  }
  log::Info("consumer stopped", {{"group", options_.group_id}});
}

void Consumer::Loop() {
  while (!stop_) {
    RunDueRetries();
    int wait_ms = static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(NextWait())));
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(wait_ms));
    switch (m->err()) {
      case RdKafka::ERR_NO_ERROR:
        Handle(ReceivedFrom(*m));
        break;
      case RdKafka::ERR__TIMED_OUT:
      case RdKafka::ERR__PARTITION_EOF:
        break;
      case RdKafka::ERR__AUTO_OFFSET_RESET:
        OnOffsetReset(m->topic_name(), m->partition(), m->offset(), m->errstr());
        break;
      default:
        log::Warn("consumer: consume error",
                  {{"group", options_.group_id}, {"error", m->errstr()}});
        break;
    }
    if (absl::Now() - lag_refreshed_ >= absl::Seconds(1)) RefreshLag();
  }
}

absl::Duration Consumer::NextWait() const {
  absl::Duration wait = absl::Milliseconds(100);
  absl::Time now = absl::Now();
  for (const auto& [tp, r] : retries_) wait = std::min(wait, r.due - now);
  return std::max(wait, absl::ZeroDuration());
}

void Consumer::Handle(const ReceivedMessage& message) {
  PartitionKey tp{message.topic, message.partition};
  // While a partition waits for a retry, later messages already fetched are dropped; they are
  // fetched again once it resumes (ResumeAt seeks back).
  if (retries_.count(tp) > 0) return;
  auto next = next_offset_.find(tp);
  if (next == next_offset_.end()) {
    next_offset_[tp] = message.offset;
  } else if (message.offset < next->second) {
    return;  // already done (a stale fetch from before a seek)
  }
  Decision d = processor_.Process(message);
  if (d.outcome == Outcome::kRetry) {
    Retry r{message, absl::InfinitePast(),
            RetryBackoff(options_.retry_initial_backoff, options_.retry_max_backoff)};
    absl::Duration delay = r.backoff.Next();
    r.due = absl::Now() + delay;
    log::Warn("consumer: retrying later", {{"group", options_.group_id},
                                           {"topic", message.topic},
                                           {"partition", message.partition},
                                           {"offset", message.offset},
                                           {"error", d.status.ToString()},
                                           {"retry_in_ms", absl::ToInt64Milliseconds(delay)}});
    Pause(tp);
    retries_.emplace(tp, std::move(r));
    return;
  }
  MarkDone(message, d.outcome);
}

void Consumer::RunDueRetries() {
  absl::Time now = absl::Now();
  for (auto it = retries_.begin(); it != retries_.end() && !stop_;) {
    Retry& r = it->second;
    if (r.due > now) {
      ++it;
      continue;
    }
    Decision d = processor_.Process(r.message);
    if (d.outcome == Outcome::kRetry) {
      absl::Duration delay = r.backoff.Next();
      r.due = absl::Now() + delay;
      log::Warn("consumer: retry failed", {{"group", options_.group_id},
                                           {"topic", r.message.topic},
                                           {"partition", r.message.partition},
                                           {"offset", r.message.offset},
                                           {"attempt", r.backoff.attempts()},
                                           {"error", d.status.ToString()},
                                           {"retry_in_ms", absl::ToInt64Milliseconds(delay)}});
      ++it;
      continue;
    }
    MarkDone(r.message, d.outcome);
    PartitionKey tp = it->first;
    int64_t resume_at = r.message.offset + 1;
    it = retries_.erase(it);
    ResumeAt(tp, resume_at);
  }
}

void Consumer::MarkDone(const ReceivedMessage& message, Outcome outcome) {
  PartitionList list;
  list.items.push_back(
      RdKafka::TopicPartition::create(message.topic, message.partition, message.offset + 1));
  RdKafka::ErrorCode err = consumer_->offsets_store(list.items);
  if (err != RdKafka::ERR_NO_ERROR) {
    // E.g. the partition was revoked meanwhile: its new owner processes the message again.
    log::Warn("consumer: offset not stored", {{"group", options_.group_id},
                                              {"topic", message.topic},
                                              {"partition", message.partition},
                                              {"offset", message.offset},
                                              {"error", RdKafka::err2str(err)}});
  }
  next_offset_[{message.topic, message.partition}] = message.offset + 1;
  if (outcome == Outcome::kDeadLettered) {
    ++dead_lettered_;
    {
      absl::MutexLock lock(&lag_mu_);
      ++dead_lettered_by_topic_[message.topic];
    }
  } else {
    ++done_;
  }
}

void Consumer::Pause(const PartitionKey& tp) {
  PartitionList list;
  list.items.push_back(RdKafka::TopicPartition::create(tp.first, tp.second));
  RdKafka::ErrorCode err = consumer_->pause(list.items);
  if (err != RdKafka::ERR_NO_ERROR) {
    log::Warn("consumer: pause failed",
              {{"topic", tp.first}, {"partition", tp.second}, {"error", RdKafka::err2str(err)}});
  }
}

void Consumer::ResumeAt(const PartitionKey& tp, int64_t offset) {
  std::unique_ptr<RdKafka::TopicPartition> at(
      RdKafka::TopicPartition::create(tp.first, tp.second, offset));
  RdKafka::ErrorCode err = consumer_->seek(*at, /*timeout_ms=*/5000);
  if (err != RdKafka::ERR_NO_ERROR) {
    log::Warn("consumer: seek failed", {{"topic", tp.first},
                                        {"partition", tp.second},
                                        {"offset", offset},
                                        {"error", RdKafka::err2str(err)}});
  }
  PartitionList list;
  list.items.push_back(RdKafka::TopicPartition::create(tp.first, tp.second));
  err = consumer_->resume(list.items);
  if (err != RdKafka::ERR_NO_ERROR) {
    log::Warn("consumer: resume failed",
              {{"topic", tp.first}, {"partition", tp.second}, {"error", RdKafka::err2str(err)}});
  }
}

void Consumer::OnRevoked(const std::vector<PartitionKey>& partitions) {
  if (partitions.empty()) {
    retries_.clear();
    next_offset_.clear();
  }
  for (const PartitionKey& tp : partitions) {
    retries_.erase(tp);
    next_offset_.erase(tp);
  }
  {
    // A stopped partition is no longer this member's to report (its next owner meets the gap
    // again); skipped gaps stay listed.
    absl::MutexLock lock(&lag_mu_);
    for (auto it = gaps_.begin(); it != gaps_.end();) {
      bool revoked = partitions.empty() ||
                     std::find(partitions.begin(), partitions.end(), it->first) != partitions.end();
      it = revoked && !it->second.skipped ? gaps_.erase(it) : std::next(it);
    }
  }
  lag_refreshed_ = absl::InfinitePast();
}

void Consumer::OnOffsetReset(const std::string& topic, int32_t partition, int64_t offset,
                             const std::string& reason) {
  PartitionKey tp{topic, partition};
  next_offset_.erase(tp);
  if (offset < 0) {
    // The group has no committed offset for the partition: it starts at the beginning.
    log::Debug("consumer: no committed offset, starting at the beginning",
               {{"group", options_.group_id}, {"topic", topic}, {"partition", partition}});
    Reassign(tp, RdKafka::Topic::OFFSET_BEGINNING);
    return;
  }
  int64_t low = -1, high = -1;
  RdKafka::ErrorCode err =
      consumer_->query_watermark_offsets(topic, partition, &low, &high, /*timeout_ms=*/5000);
  if (err == RdKafka::ERR_NO_ERROR && low >= 0 && offset >= low && offset <= high) {
    // Out of range only for a moment (e.g. a leader change): the offset is on the log now.
    log::Warn("consumer: offset out of range, on the log again; resuming",
              {{"group", options_.group_id},
               {"topic", topic},
               {"partition", partition},
               {"offset", offset},
               {"reason", reason}});
    Reassign(tp, offset);
    return;
  }
  if (!Assigned(tp)) return;  // revoked meanwhile: its new owner meets the gap
  RetentionGap gap{topic, partition, offset, err == RdKafka::ERR_NO_ERROR ? low : -1,
                   options_.skip_retention_gap};
  log::Error(
      "consumer: committed offset is no longer on the log (fell behind the topic's retention); "
      "events were never processed",
      {{"group", options_.group_id},
       {"topic", topic},
       {"partition", partition},
       {"committed_offset", offset},
       {"log_start", gap.log_start},
       {"log_end", err == RdKafka::ERR_NO_ERROR ? high : -1},
       {"lost", gap.log_start >= 0 ? std::max<int64_t>(0, gap.log_start - offset) : -1},
       {"action", gap.skipped ? "skipped to the log start (skip_retention_gap)"
                              : "partition stopped; see the runbook in libs/events/README.md"},
       {"reason", reason}});
  {
    absl::MutexLock lock(&lag_mu_);
    gaps_[tp] = gap;
  }
  // Without skip_retention_gap librdkafka has already stopped fetching the partition.
  if (gap.skipped) Reassign(tp, RdKafka::Topic::OFFSET_BEGINNING);
}

bool Consumer::Assigned(const PartitionKey& tp) {
  PartitionList assignment;
  if (consumer_->assignment(assignment.items) != RdKafka::ERR_NO_ERROR) return false;
  for (RdKafka::TopicPartition* p : assignment.items) {
    if (p->topic() == tp.first && p->partition() == tp.second) return true;
  }
  return false;
}

void Consumer::Reassign(const PartitionKey& tp, int64_t offset) {
  if (!Assigned(tp)) return;  // revoked meanwhile: its new owner starts it
  PartitionList list;
  list.items.push_back(RdKafka::TopicPartition::create(tp.first, tp.second, offset));
  if (consumer_->rebalance_protocol() == "COOPERATIVE") {
    std::unique_ptr<RdKafka::Error> out(consumer_->incremental_unassign(list.items));
    std::unique_ptr<RdKafka::Error> in(consumer_->incremental_assign(list.items));
    if (out != nullptr || in != nullptr) {
      log::Warn("consumer: reassigning a partition failed",
                {{"group", options_.group_id},
                 {"topic", tp.first},
                 {"partition", tp.second},
                 {"error", out != nullptr ? out->str() : in->str()}});
    }
    return;
  }
  // Eager assignment: the whole assignment again, the other partitions from their positions.
  PartitionList all;
  if (consumer_->assignment(all.items) != RdKafka::ERR_NO_ERROR) return;
  consumer_->position(all.items);
  for (RdKafka::TopicPartition* p : all.items) {
    if (p->topic() == tp.first && p->partition() == tp.second) p->set_offset(offset);
  }
  consumer_->assign(all.items);
}

std::vector<Consumer::RetentionGap> Consumer::RetentionGaps() const {
  absl::MutexLock lock(&lag_mu_);
  std::vector<RetentionGap> out;
  for (const auto& [tp, gap] : gaps_) out.push_back(gap);
  return out;
}

absl::Status Consumer::Check() const {
  std::vector<std::string> stopped;
  for (const RetentionGap& g : RetentionGaps()) {
    if (!g.skipped) {
      stopped.push_back(absl::StrCat(g.topic, "[", g.partition, "] at ", g.committed_offset,
                                     " (log starts at ", g.log_start, ")"));
    }
  }
  if (stopped.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "group ", options_.group_id, " stopped at a retention gap: ", absl::StrJoin(stopped, ", ")));
}

void Consumer::RefreshLag() {
  lag_refreshed_ = absl::Now();
  std::vector<PartitionLag> out;
  PartitionList assignment;
  if (consumer_->assignment(assignment.items) != RdKafka::ERR_NO_ERROR) return;
  consumer_->position(assignment.items);
  for (RdKafka::TopicPartition* p : assignment.items) {
    int64_t low = -1, high = -1;
    if (consumer_->get_watermark_offsets(p->topic(), p->partition(), &low, &high) !=
            RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    int64_t next = -1;
    auto it = next_offset_.find({p->topic(), p->partition()});
    if (it != next_offset_.end()) {
      next = it->second;
    } else if (p->offset() >= 0) {
      next = p->offset();
    }
    if (next < 0) continue;
    out.push_back({p->topic(), p->partition(), std::max<int64_t>(0, high - next)});
  }
  absl::MutexLock lock(&lag_mu_);
  lag_ = std::move(out);
}

std::vector<Consumer::PartitionLag> Consumer::Lag() const {
  absl::MutexLock lock(&lag_mu_);
  return lag_;
}

}  // namespace firegrid::events

namespace firegrid::events {

std::map<std::string, int64_t> Consumer::DeadLetteredByTopic() const {
  absl::MutexLock lock(&lag_mu_);
  return dead_lettered_by_topic_;
}

}  // namespace firegrid::events
