#include "libs/events/producer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/common/logging.h"

namespace firegrid::events {
namespace {

// What SendBatch waits on: one status per message, filled in by delivery reports.
struct Batch {
  absl::Mutex mu;
  std::vector<absl::Status> statuses ABSL_GUARDED_BY(mu);
  size_t pending ABSL_GUARDED_BY(mu) = 0;
};

// The msg_opaque of one produced message. Owned by librdkafka until its delivery report, which
// deletes it; shares the batch so a SendBatch that timed out leaves nothing dangling.
struct Ticket {
  std::shared_ptr<Batch> batch;
  size_t index;
};

absl::Status DeliveryStatus(RdKafka::ErrorCode err, const std::string& errstr) {
  switch (err) {
    case RdKafka::ERR_NO_ERROR:
      return absl::OkStatus();
    case RdKafka::ERR__MSG_TIMED_OUT:
      return absl::DeadlineExceededError(absl::StrCat("not acknowledged in time: ", errstr));
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_INVALID_MSG:
    case RdKafka::ERR_INVALID_MSG_SIZE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    case RdKafka::ERR_INVALID_RECORD:
      return absl::InvalidArgumentError(absl::StrCat("rejected by the broker: ", errstr));
    default:
      return absl::UnavailableError(absl::StrCat("kafka: ", errstr));
  }
}

void Complete(Ticket* ticket, absl::Status status) {
  {
    absl::MutexLock lock(&ticket->batch->mu);
    ticket->batch->statuses[ticket->index] = std::move(status);
    --ticket->batch->pending;
  }
  delete ticket;
}

// Logs librdkafka's error events, at most once per code every 10 s (a down broker reports on
// every reconnect attempt).
class LogEvents final : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_LOG) {
      log::Fields f = {{"facility", event.fac()}, {"detail", event.str()}};
      if (event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
        log::Warn("kafka producer log", f);
      } else {
        log::Debug("kafka producer log", f);
      }
      return;
    }
    if (event.type() != RdKafka::Event::EVENT_ERROR) return;
    absl::Time now = absl::Now();
    int code = static_cast<int>(event.err());
    {
      absl::MutexLock lock(&mu_);
      if (code == last_code_ && now - last_logged_ < absl::Seconds(10)) return;
      last_code_ = code;
      last_logged_ = now;
    }
    log::Warn("kafka producer error", {{"error", RdKafka::err2str(event.err())},
                                       {"detail", event.str()},
                                       {"fatal", event.fatal()}});
  }

 private:
  absl::Mutex mu_;
  int last_code_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_logged_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

LogEvents* ProducerEventLogger() {
  static LogEvents* logger = new LogEvents();
  return logger;
}

}  // namespace

class KafkaProducer::DeliveryReporter final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* ticket = static_cast<Ticket*>(message.msg_opaque());
    if (ticket == nullptr) return;
    Complete(ticket, DeliveryStatus(message.err(), message.errstr()));
  }
};

absl::StatusOr<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(ProducerOptions options) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("kafka producer: bootstrap servers are required");
  }
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"client.id", options.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", "10000"},
      {"linger.ms", "5"},
      {"reconnect.backoff.ms", "100"},
      {"reconnect.backoff.max.ms", "1000"},
  };
  for (const auto& [k, v] : options.extra) props[k] = v;

  std::unique_ptr<KafkaProducer> p(new KafkaProducer());
  p->reporter_ = std::make_unique<DeliveryReporter>();
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", k, "=", v, ": ", err));
    }
  }
  if (conf->set("dr_cb", p->reporter_.get(), err) != RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", static_cast<RdKafka::EventCb*>(ProducerEventLogger()), err) !=
          RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka producer: ", err));
  }
  int64_t timeout_ms = 0;
  if (absl::SimpleAtoi(props["message.timeout.ms"], &timeout_ms)) {
    p->message_timeout_ = absl::Milliseconds(timeout_ms);
  }
  p->producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (p->producer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", err));
  }
  p->poller_ = std::thread([raw = p.get()] { raw->PollLoop(); });
  return p;
}

KafkaProducer::~KafkaProducer() {
  if (producer_ != nullptr) {
    producer_->flush(5000);
    // Fail what is left so that every ticket's delivery report runs and frees it.
    producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    producer_->flush(1000);
  }
  stop_ = true;
  // Wake the poll thread at once instead of letting its poll wait run out.
  if (producer_ != nullptr) {
    if (rd_kafka_queue_t* q = rd_kafka_queue_get_main(producer_->c_ptr()); q != nullptr) {
      rd_kafka_queue_yield(q);
      rd_kafka_queue_destroy(q);
    }
  }
  if (poller_.joinable()) poller_.join();
  if (producer_ != nullptr) producer_->poll(0);
  producer_.reset();
}

void KafkaProducer::PollLoop() {
  while (!stop_) producer_->poll(100);
}

std::vector<absl::Status> KafkaProducer::SendBatch(const std::vector<Message>& messages,
                                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  auto batch = std::make_shared<Batch>();
  {
    absl::MutexLock lock(&batch->mu);
    batch->statuses.assign(messages.size(),
                           absl::DeadlineExceededError("not acknowledged before the send timeout"));
    batch->pending = messages.size();
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    auto* ticket = new Ticket{batch, i};
    while (true) {
      // produce() takes the headers on success and leaves them to us on failure.
      RdKafka::Headers* headers = nullptr;
      if (!m.headers.empty()) {
        headers = RdKafka::Headers::create();
        for (const auto& [k, v] : m.headers) headers->add(k, v);
      }
      RdKafka::ErrorCode err = producer_->produce(
          m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(m.value.data()), m.value.size(), m.key.data(), m.key.size(),
          /*timestamp=*/0, headers, ticket);
      if (err != RdKafka::ERR_NO_ERROR) delete headers;
      if (err == RdKafka::ERR_NO_ERROR) break;
      if (err == RdKafka::ERR__QUEUE_FULL && absl::Now() < deadline) {
        // Serve delivery reports (as the poll thread does) until the queue has room.
        producer_->poll(10);
        continue;
      }
      Complete(ticket, DeliveryStatus(err, RdKafka::err2str(err)));
      break;
    }
  }
  {
    absl::MutexLock lock(&batch->mu);
    auto done = [&batch]() ABSL_SHARED_LOCKS_REQUIRED(batch->mu) { return batch->pending == 0; };
    batch->mu.AwaitWithDeadline(absl::Condition(&done), deadline);
    return batch->statuses;
  }
}

std::string KafkaProducer::Property(const std::string& name) const {
  const rd_kafka_conf_t* conf = rd_kafka_conf(producer_->c_ptr());
  char value[1024];
  size_t size = sizeof(value);
  if (conf == nullptr || rd_kafka_conf_get(conf, name.c_str(), value, &size) != RD_KAFKA_CONF_OK) {
    return "";
  }
  return std::string(value);
}

absl::Status KafkaProducer::Check(absl::Duration timeout) {
  std::string err;
  if (producer_->fatal_error(err) != RdKafka::ERR_NO_ERROR) {
    return absl::InternalError(absl::StrCat("kafka producer fatal error: ", err));
  }
  RdKafka::Metadata* md = nullptr;
  RdKafka::ErrorCode code = producer_->metadata(
      /*all_topics=*/false, nullptr, &md,
      static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))));
  std::unique_ptr<RdKafka::Metadata> owned(md);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka: ", RdKafka::err2str(code)));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------

std::vector<absl::Status> FakeProducer::SendBatch(const std::vector<Message>& messages,
                                                  absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  ++batches_;
  std::vector<absl::Status> out;
  out.reserve(messages.size());
  for (const Message& m : messages) {
    if (!fail_all_.ok()) {
      out.push_back(fail_all_);
    } else if (fail_next_ > 0) {
      --fail_next_;
      out.push_back(fail_next_status_);
    } else {
      delivered_.push_back(m);
      out.push_back(absl::OkStatus());
    }
  }
  return out;
}

void FakeProducer::FailNext(int n, absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_next_ = n;
  fail_next_status_ = std::move(status);
}

void FakeProducer::FailAll(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_all_ = std::move(status);
}

std::vector<Message> FakeProducer::messages() const {
  absl::MutexLock lock(&mu_);
  return delivered_;
}

std::vector<Message> FakeProducer::messages(const std::string& topic) const {
  absl::MutexLock lock(&mu_);
  std::vector<Message> out;
  for (const Message& m : delivered_) {
    if (m.topic == topic) out.push_back(m);
  }
  return out;
}

int FakeProducer::batches() const {
  absl::MutexLock lock(&mu_);
  return batches_;
}

void FakeProducer::Clear() {
  absl::MutexLock lock(&mu_);
  delivered_.clear();
  batches_ = 0;
}

}  // namespace firegrid::events
