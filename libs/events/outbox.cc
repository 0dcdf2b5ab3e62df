#include "libs/events/outbox.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/common/trace.h"
#include "libs/events/envelope.h"
#include "libs/redis/lease.h"
#include "libs/redis/script.h"

namespace firegrid::events {
namespace {

std::string DefaultOwner() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  absl::BitGen gen;
  return absl::StrFormat("%s:%d:%08x", host, static_cast<int>(getpid()),
                         absl::Uniform<uint32_t>(gen));
}

// The event's W3C trace context as Kafka headers, so that consumers (and tools that read only
// headers) continue its trace.
std::vector<std::pair<std::string, std::string>> TraceHeaders(const std::string& value) {
  Envelope envelope;
  if (!envelope.ParseFromString(value) || envelope.trace().traceparent().empty()) return {};
  std::vector<std::pair<std::string, std::string>> headers = {
      {std::string(trace::kTraceparentHeader), envelope.trace().traceparent()}};
  if (!envelope.trace().tracestate().empty()) {
    headers.emplace_back(std::string(trace::kTracestateHeader), envelope.trace().tracestate());
  }
  return headers;
}

struct Entry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  bool well_formed = false;
  Message message;
};

absl::StatusOr<std::vector<Entry>> ParseXRange(const redis::Reply& reply) {
  if (reply.IsNil()) return std::vector<Entry>{};
  if (reply.type != redis::Reply::Type::kArray) {
    return absl::InternalError("XRANGE: unexpected reply type");
  }
  std::vector<Entry> out;
  for (const redis::Reply& item : reply.elements) {
    if (item.type != redis::Reply::Type::kArray || item.elements.size() != 2) {
      return absl::InternalError("XRANGE: malformed entry");
    }
    Entry e;
    e.id = item.elements[0].str;
    const redis::Reply& fields = item.elements[1];
    bool has_topic = false, has_key = false, has_value = false;
    for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
      const std::string& f = fields.elements[i].str;
      const std::string& v = fields.elements[i + 1].str;
      e.fields.emplace_back(f, v);
      if (f == kOutboxTopicField) {
        e.message.topic = v;
        has_topic = true;
      } else if (f == kOutboxKeyField) {
        e.message.key = v;
        has_key = true;
      } else if (f == kOutboxValueField) {
        e.message.value = v;
        has_value = true;
      }
    }
    e.well_formed = has_topic && has_key && has_value && !e.message.topic.empty();
    if (e.well_formed) e.message.headers = TraceHeaders(e.message.value);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

redis::AtomicWrite::StreamAppend OutboxAppend(absl::string_view outbox_key,
                                              const Message& message) {
  redis::AtomicWrite::StreamAppend append;
  append.stream = std::string(outbox_key);
  append.fields = {{std::string(kOutboxTopicField), message.topic},
                   {std::string(kOutboxKeyField), message.key},
                   {std::string(kOutboxValueField), message.value}};
  return append;
}

absl::StatusOr<std::unique_ptr<OutboxRelay>> OutboxRelay::Create(redis::Pool* pool,
                                                                 Producer* producer,
                                                                 Options options) {
  if (pool == nullptr || producer == nullptr) {
    return absl::InvalidArgumentError("outbox relay: pool and producer are required");
  }
  if (options.outbox_key.empty()) {
    return absl::InvalidArgumentError("outbox relay: outbox_key is required");
  }
  if (options.lock_key.empty()) options.lock_key = absl::StrCat(options.outbox_key, ":relay-lease");
  if (options.dead_key.empty()) options.dead_key = absl::StrCat(options.outbox_key, ":dead");
  if (options.owner_id.empty()) options.owner_id = DefaultOwner();
  if (options.batch_size <= 0) {
    return absl::InvalidArgumentError("outbox relay: batch_size must be > 0");
  }
  if (options.delivery_timeout <= absl::ZeroDuration() ||
      options.idle_wait <= absl::ZeroDuration() ||
      options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "outbox relay: timeouts must be > 0 and max_backoff >= initial_backoff");
  }
  if (options.renew_interval <= absl::ZeroDuration() ||
      options.lease < 2 * options.renew_interval) {
    return absl::InvalidArgumentError(
        absl::StrCat("outbox relay: lease (", absl::FormatDuration(options.lease),
                     ") must cover two renewals (renew_interval ",
                     absl::FormatDuration(options.renew_interval), ")"));
  }
  return std::unique_ptr<OutboxRelay>(new OutboxRelay(pool, producer, std::move(options)));
}

OutboxRelay::OutboxRelay(redis::Pool* pool, Producer* producer, Options options)
    : pool_(pool), producer_(producer), options_(std::move(options)) {}

OutboxRelay::~OutboxRelay() { Stop(); }

namespace {

int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<bool> OutboxRelay::TakeLease() {
  // Redis starts the lease's time when it runs the request, after this reading: the lease
  // lasts at least until sent + lease on this machine's clock.
  const int64_t sent = MonotonicNanos();
  absl::StatusOr<bool> r =
      redis::TakeLease(*pool_, options_.lock_key, options_.owner_id, options_.lease);
  if (!r.ok()) {
    // We cannot tell whether we still hold it: behave as if not.
    lease_until_ns_ = 0;
    leader_ = false;
    return r.status();
  }
  const bool held = *r;
  lease_until_ns_ = held ? sent + absl::ToInt64Nanoseconds(options_.lease) : 0;
  if (held != leader_.exchange(held)) {
    log::Info(held ? "outbox relay took the lease" : "outbox relay lost the lease",
              {{"outbox", options_.outbox_key}, {"owner", options_.owner_id}});
  }
  return held;
}

bool OutboxRelay::LeaseFresh() const {
  // lease_until_ns_ is 0 whenever the lease is not held.
  return MonotonicNanos() + absl::ToInt64Nanoseconds(options_.lease / 2) < lease_until_ns_.load();
}

void OutboxRelay::ReleaseLease() {
  lease_until_ns_ = 0;
  if (!leader_.exchange(false)) return;
  absl::Status r = redis::ReleaseLease(*pool_, options_.lock_key, options_.owner_id);
  if (!r.ok()) {
    log::Warn("outbox relay could not release its lease (it expires by itself)",
              {{"outbox", options_.outbox_key}, {"error", r.ToString()}});
  }
}

absl::StatusOr<int> OutboxRelay::RunOnce() {
  // A running relay's lease thread renews the lease every renew_interval, so its rounds find
  // it fresh and spend no round trip on it. The lease can be lost while fresh only if Redis
  // loses the key (a failover to a replica that had not received it, or a manual DEL); the
  // lease thread then finds out at its next renewal, as a round would have at its start.
  bool leader = LeaseFresh();
  if (!leader) {
    FG_ASSIGN_OR_RETURN(leader, TakeLease());
  }
  if (!leader) return 0;

  FG_ASSIGN_OR_RETURN(redis::Reply range,
                      pool_->Command({"XRANGE", options_.outbox_key, "-", "+", "COUNT",
                                      absl::StrCat(options_.batch_size)}));
  FG_ASSIGN_OR_RETURN(std::vector<Entry> entries, ParseXRange(range));
  if (entries.empty()) return 0;

  std::vector<Message> messages;
  std::vector<size_t> message_of(entries.size(), SIZE_MAX);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].well_formed) continue;
    message_of[i] = messages.size();
    messages.push_back(entries[i].message);
  }
  std::vector<absl::Status> statuses;
  if (!messages.empty()) statuses = producer_->SendBatch(messages, options_.delivery_timeout);

  // Walk in order: confirmed entries are deleted, unpublishable ones moved aside; stop at the
  // first entry that may still be published later, so nothing overtakes it.
  std::vector<std::string> confirmed;
  std::vector<const Entry*> dead;
  std::vector<std::string> dead_reasons;
  absl::Status first_error;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (message_of[i] == SIZE_MAX) {
      dead.push_back(&e);
      dead_reasons.push_back("entry lacks topic, key or value");
      continue;
    }
    const absl::Status& s = statuses[message_of[i]];
    if (s.ok()) {
      confirmed.push_back(e.id);
    } else if (absl::IsInvalidArgument(s)) {
      dead.push_back(&e);
      dead_reasons.push_back(s.ToString());
    } else {
      first_error = s;
      break;
    }
  }

  if (!dead.empty()) {
    std::vector<std::vector<std::string>> tx = {{"MULTI"}};
    std::vector<std::string> xdel = {"XDEL", options_.outbox_key};
    for (size_t i = 0; i < dead.size(); ++i) {
      std::vector<std::string> xadd = {"XADD",   options_.dead_key, "*", "outbox_id", dead[i]->id,
                                       "reason", dead_reasons[i]};
      for (const auto& [f, v] : dead[i]->fields) {
        xadd.push_back(f);
        xadd.push_back(v);
      }
      tx.push_back(std::move(xadd));
      xdel.push_back(dead[i]->id);
      log::Error("outbox entry can never be published; moved to the dead stream",
                 {{"outbox", options_.outbox_key},
                  {"dead_stream", options_.dead_key},
                  {"entry", dead[i]->id},
                  {"reason", dead_reasons[i]}});
    }
    tx.push_back(std::move(xdel));
    tx.push_back({"EXEC"});
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(tx));
    if (replies.empty() || replies.back().IsError() || replies.back().IsNil()) {
      return absl::InternalError(absl::StrCat("outbox relay: moving dead entries failed: ",
                                              replies.empty() ? "" : replies.back().str));
    }
  }
  if (!confirmed.empty()) {
    std::vector<std::string> xdel = {"XDEL", options_.outbox_key};
    xdel.insert(xdel.end(), confirmed.begin(), confirmed.end());
    // If this fails the entries stay and are published again later: at-least-once.
    FG_RETURN_IF_ERROR(pool_->Command(xdel).status());
    published_ += static_cast<int64_t>(confirmed.size());
  }
  // Entries are handled in id order, so the last one removed is the newest removed.
  for (size_t i = 0; i < entries.size(); ++i) {
    bool removed =
        std::find(confirmed.begin(), confirmed.end(), entries[i].id) != confirmed.end() ||
        std::any_of(dead.begin(), dead.end(), [&](const Entry* d) { return d == &entries[i]; });
    if (!removed) break;
    last_id_ = entries[i].id;
  }
  if (!first_error.ok()) {
    return absl::Status(first_error.code(),
                        absl::StrCat("outbox relay: published ", confirmed.size(), " of ",
                                     entries.size(), "; then: ", first_error.message()));
  }
  return static_cast<int>(confirmed.size());
}

int64_t OutboxRelay::Backlog() {
  absl::StatusOr<redis::Reply> r = pool_->Command({"XLEN", options_.outbox_key});
  if (!r.ok() || r->type != redis::Reply::Type::kInteger) return -1;
  return r->integer;
}

absl::StatusOr<absl::Duration> OutboxRelay::OldestAge() {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"XRANGE", options_.outbox_key, "-", "+", "COUNT", "1"}));
  FG_ASSIGN_OR_RETURN(std::vector<Entry> entries, ParseXRange(r));
  if (entries.empty()) return absl::ZeroDuration();
  int64_t ms = 0;
  const std::string& id = entries.front().id;
  if (!absl::SimpleAtoi(id.substr(0, id.find('-')), &ms)) {
    return absl::InternalError(absl::StrCat("outbox entry id '", id, "' is not a stream id"));
  }
  return std::max(absl::ZeroDuration(), absl::Now() - absl::FromUnixMillis(ms));
}

void OutboxRelay::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  stop_.Reset();
  exited_ = false;
  thread_ = std::thread([this] {
    Loop();
    absl::MutexLock lock(&mu_);
    exited_ = true;
  });
  lease_thread_ = std::thread([this] { KeepLease(); });
}

void OutboxRelay::KeepLease() {
  while (Sleep(options_.renew_interval)) {
    absl::StatusOr<bool> held = TakeLease();
    if (!held.ok()) {
      log::Debug("outbox relay could not renew its lease",
                 {{"outbox", options_.outbox_key}, {"error", held.status().ToString()}});
    }
  }
}

void OutboxRelay::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  stop_.Stop();
  // Wake the relay if it is blocked waiting for entries; repeat in case it was about to block.
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&exited_), absl::Milliseconds(50))) break;
    }
    int64_t id = blocked_client_id_.load();
    if (id > 0) pool_->Command({"CLIENT", "UNBLOCK", absl::StrCat(id)}).IgnoreError();
  }
  thread_.join();
  if (lease_thread_.joinable()) lease_thread_.join();
  ReleaseLease();
  absl::MutexLock lock(&mu_);
  thread_ = std::thread();
  lease_thread_ = std::thread();
}

bool OutboxRelay::Sleep(absl::Duration d) { return !stop_.WaitFor(d); }

void OutboxRelay::Loop() {
  std::unique_ptr<redis::Pool::Dedicated> blocking = pool_->NewDedicated();
  int64_t blocking_id = -1;  // CLIENT ID of `blocking`'s connection; -1: to be asked
  absl::Duration backoff = options_.initial_backoff;
  auto stopping = [this] {
    absl::MutexLock lock(&mu_);
    return stopping_;
  };
  auto fail = [&](const absl::Status& s, const char* what) {
    log::Warn(what, {{"outbox", options_.outbox_key},
                     {"error", s.ToString()},
                     {"retry_in_ms", absl::ToInt64Milliseconds(backoff)}});
    bool go_on = Sleep(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
    return go_on;
  };
  while (!stopping()) {
    absl::StatusOr<int> published = RunOnce();
    if (!published.ok()) {
      if (!fail(published.status(), "outbox relay round failed")) break;
      continue;
    }
    backoff = options_.initial_backoff;
    if (!leader_) {
      if (!Sleep(options_.renew_interval)) break;  // standby: try the lease again soon
      continue;
    }
    if (*published > 0) continue;
    // Idle: block until an entry newer than the last one we removed arrives, bounded so that the
    // lease is renewed. Stop() wakes it early with CLIENT UNBLOCK, naming the blocking
    // connection by its id, asked once per connection: a failed command drops the connection,
    // and the next wait asks the new one.
    if (blocking_id < 0) {
      absl::StatusOr<redis::Reply> id = blocking->Command({"CLIENT", "ID"}, absl::Seconds(2));
      if (!id.ok()) {
        if (!fail(id.status(), "outbox relay wait failed")) break;
        continue;
      }
      blocking_id = id->integer;
    }
    blocked_client_id_ = blocking_id;
    if (stopping()) break;
    absl::StatusOr<redis::Reply> woke =
        blocking->Command({"XREAD", "COUNT", "1", "BLOCK",
                           absl::StrCat(absl::ToInt64Milliseconds(options_.idle_wait)), "STREAMS",
                           options_.outbox_key, last_id_},
                          options_.idle_wait + absl::Seconds(2));
    blocked_client_id_ = -1;
    if (!woke.ok()) {
      blocking_id = -1;
      if (!fail(woke.status(), "outbox relay wait failed")) break;
    }
  }
}

}  // namespace firegrid::events
