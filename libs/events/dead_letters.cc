#include "libs/events/dead_letters.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "libs/events/topics.h"

namespace firegrid::events {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

}  // namespace

// ----- KafkaDlqReader --------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<KafkaDlqReader>> KafkaDlqReader::Create(
    const std::string& bootstrap_servers, const std::map<std::string, std::string>& extra,
    absl::Duration timeout) {
  if (bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("dead-letter reader: bootstrap servers are required");
  }
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", bootstrap_servers},
      // Required by the client; never joined (partitions are assigned, offsets never committed).
      {"group.id", "firegrid-dead-letter-reader"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      {"client.id", "firegrid-dead-letter-reader"},
      {"fetch.wait.max.ms", "50"},
  };
  for (const auto& [k, v] : extra) props[k] = v;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("dead-letter reader: ", k, ": ", err));
    }
  }
  std::unique_ptr<KafkaDlqReader> r(new KafkaDlqReader());
  r->timeout_ = timeout;
  absl::MutexLock lock(&r->mu_);
  r->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (r->consumer_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("dead-letter reader: ", err));
  }
  return r;
}

KafkaDlqReader::~KafkaDlqReader() {
  absl::MutexLock lock(&mu_);
  if (consumer_ != nullptr) consumer_->close();
}

absl::StatusOr<std::vector<DlqRecord>> KafkaDlqReader::Read(const std::string& dlq_topic,
                                                            int64_t from_offset, int max) {
  absl::MutexLock lock(&mu_);
  std::vector<DlqRecord> out;
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(timeout_));
  int64_t low = 0, high = 0;
  RdKafka::ErrorCode err =
      consumer_->query_watermark_offsets(dlq_topic, 0, &low, &high, timeout_ms);
  if (err == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART || err == RdKafka::ERR__UNKNOWN_TOPIC) return out;
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("dead letters of ", dlq_topic, ": ", RdKafka::err2str(err)));
  }
  const int64_t start = std::max(from_offset, low);
  if (start >= high || max <= 0) return out;
  const int64_t end = std::min<int64_t>(high, start + max);
  std::vector<RdKafka::TopicPartition*> parts = {
      RdKafka::TopicPartition::create(dlq_topic, 0, start)};
  err = consumer_->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  if (err != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("assign ", dlq_topic, ": ", RdKafka::err2str(err)));
  }
  const absl::Time deadline = absl::Now() + timeout_;
  absl::Status failure;
  bool complete = false;
  while (!complete && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(100));
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      complete = m->topic_name() == dlq_topic;
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      failure = absl::UnavailableError(absl::StrCat("read ", dlq_topic, ": ", m->errstr()));
      break;
    }
    if (m->topic_name() != dlq_topic || m->offset() < start) continue;  // a stale fetch
    DlqRecord r;
    r.offset = m->offset();
    r.time = absl::FromUnixMillis(m->timestamp().timestamp);
    if (m->key() != nullptr) r.key = *m->key();
    r.value.assign(static_cast<const char*>(m->payload()), m->len());
    if (RdKafka::Headers* h = m->headers(); h != nullptr) {
      for (const RdKafka::Headers::Header& header : h->get_all()) {
        r.headers.emplace_back(
            header.key(),
            header.value() == nullptr
                ? std::string()
                : std::string(static_cast<const char*>(header.value()), header.value_size()));
      }
    }
    out.push_back(std::move(r));
    complete = out.back().offset + 1 >= end;
  }
  consumer_->unassign();
  if (!failure.ok()) return failure;
  if (!complete) {
    // The records are there (below the high watermark) but did not arrive in time.
    return absl::DeadlineExceededError(
        absl::StrCat("reading ", dlq_topic, " from offset ", start, " timed out"));
  }
  return out;
}

// ----- LazyDlqReader ---------------------------------------------------------------------------

absl::StatusOr<DlqReader*> LazyDlqReader::Reader() {
  absl::MutexLock lock(&mu_);
  if (reader_ == nullptr) {
    absl::StatusOr<std::unique_ptr<DlqReader>> made = make_();
    if (!made.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot read dead letters: ", made.status().message()));
    }
    if (*made == nullptr) return absl::UnavailableError("cannot read dead letters: no reader");
    reader_ = std::move(*made);
  }
  return reader_.get();
}

absl::StatusOr<std::vector<DlqRecord>> LazyDlqReader::Read(const std::string& dlq_topic,
                                                           int64_t from_offset, int max) {
  FG_ASSIGN_OR_RETURN(DlqReader * reader, Reader());
  // Outside the lock: the reader is never replaced, and serialises its own reads as it needs.
  return reader->Read(dlq_topic, from_offset, max);
}

// ----- FakeDlqReader ---------------------------------------------------------------------------

int64_t FakeDlqReader::Append(const std::string& dlq_topic, DlqRecord record) {
  absl::MutexLock lock(&mu_);
  std::vector<DlqRecord>& records = topics_[dlq_topic];
  record.offset = static_cast<int64_t>(records.size());
  records.push_back(std::move(record));
  return records.back().offset;
}

void FakeDlqReader::Truncate(const std::string& dlq_topic, int64_t offset) {
  absl::MutexLock lock(&mu_);
  low_[dlq_topic] = offset;
}

absl::StatusOr<std::vector<DlqRecord>> FakeDlqReader::Read(const std::string& dlq_topic,
                                                           int64_t from_offset, int max) {
  absl::MutexLock lock(&mu_);
  std::vector<DlqRecord> out;
  const std::vector<DlqRecord>& records = topics_[dlq_topic];
  for (int64_t o = std::max(from_offset, low_[dlq_topic]);
       o < static_cast<int64_t>(records.size()) && static_cast<int>(out.size()) < max; ++o) {
    out.push_back(records[o]);
  }
  return out;
}

// ----- State stores ----------------------------------------------------------------------------

absl::StatusOr<std::map<std::string, dlv1::DeadLetterEntry>> MemoryDeadLetterStateStore::Get(
    const std::vector<std::string>& ids) {
  absl::MutexLock lock(&mu_);
  std::map<std::string, dlv1::DeadLetterEntry> out;
  for (const std::string& id : ids) {
    auto it = actions_.find(id);
    if (it != actions_.end()) out[id] = it->second;
  }
  return out;
}

absl::StatusOr<std::pair<bool, dlv1::DeadLetterEntry>> MemoryDeadLetterStateStore::RecordOnce(
    const std::string& id, const dlv1::DeadLetterEntry& action) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = actions_.emplace(id, action);
  return std::make_pair(inserted, it->second);
}

std::string RedisDeadLetterStateStore::Key(const std::string& id) const {
  return absl::StrCat(key_prefix_, ":dlq:", id);
}

absl::StatusOr<std::map<std::string, dlv1::DeadLetterEntry>> RedisDeadLetterStateStore::Get(
    const std::vector<std::string>& ids) {
  std::map<std::string, dlv1::DeadLetterEntry> out;
  if (ids.empty()) return out;
  std::vector<std::string> args = {"MGET"};
  for (const std::string& id : ids) args.push_back(Key(id));
  FG_ASSIGN_OR_RETURN(redis::Reply reply, pool_->Command(args));
  if (reply.type != redis::Reply::Type::kArray || reply.elements.size() != ids.size()) {
    return absl::InternalError("MGET of dead-letter states: unexpected reply");
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (reply.elements[i].IsNil()) continue;
    dlv1::DeadLetterEntry e;
    if (!e.ParseFromString(reply.elements[i].str)) {
      return absl::DataLossError(absl::StrCat("dead-letter state of ", ids[i], " does not decode"));
    }
    out[ids[i]] = std::move(e);
  }
  return out;
}

absl::StatusOr<std::pair<bool, dlv1::DeadLetterEntry>> RedisDeadLetterStateStore::RecordOnce(
    const std::string& id, const dlv1::DeadLetterEntry& action) {
  dlv1::DeadLetterEntry stored;
  stored.set_state(action.state());
  stored.set_acted_by(action.acted_by());
  *stored.mutable_acted_at() = action.acted_at();
  stored.set_drop_reason(action.drop_reason());
  FG_ASSIGN_OR_RETURN(redis::Reply set,
                      pool_->Command({"SET", Key(id), stored.SerializeAsString(), "NX"}));
  if (!set.IsNil()) return std::make_pair(true, stored);
  FG_ASSIGN_OR_RETURN(auto existing, Get({id}));
  auto it = existing.find(id);
  if (it == existing.end()) {
    return absl::AbortedError(absl::StrCat("dead-letter state of ", id, " changed; try again"));
  }
  return std::make_pair(false, it->second);
}

// ----- Ids -------------------------------------------------------------------------------------

std::string DeadLetterId(const std::string& dlq_topic, int64_t offset) {
  return absl::StrCat(dlq_topic, ":", offset);
}

absl::StatusOr<std::pair<std::string, int64_t>> ParseDeadLetterId(const std::string& id) {
  if (id.empty()) return InvalidField("dead_letter_id", "is required");
  size_t colon = id.rfind(':');
  int64_t offset = -1;
  if (colon == std::string::npos || !IsDlqTopic(id.substr(0, colon)) ||
      !absl::SimpleAtoi(id.substr(colon + 1), &offset) || offset < 0) {
    return InvalidField("dead_letter_id",
                        "must be <topic>.dlq:<offset>, e.g. firegrid.buildings.events.v1.dlq:0");
  }
  return std::make_pair(id.substr(0, colon), offset);
}

// ----- DeadLetterDesk --------------------------------------------------------------------------

DeadLetterDesk::DeadLetterDesk(DlqReader* reader, Producer* producer, DeadLetterStateStore* states,
                               DeadLetterDeskOptions options, Clock* clock)
    : reader_(reader),
      producer_(producer),
      states_(states),
      options_(std::move(options)),
      clock_(clock) {}

std::vector<std::string> DeadLetterDesk::topics() const {
  std::vector<std::string> out;
  for (const auto& [topic, groups] : options_.groups_by_topic) out.push_back(topic);
  return out;
}

absl::StatusOr<std::string> DeadLetterDesk::ConsumedTopic(const std::string& topic,
                                                          absl::string_view field) const {
  if (topic.empty()) return InvalidField(field, "is required");
  std::string original = topic;
  if (IsDlqTopic(topic)) original = topic.substr(0, topic.size() - kDlqSuffix.size());
  if (options_.groups_by_topic.count(original) == 0) {
    return InvalidField(
        field, absl::StrCat("'", topic, "' is not a topic this service consumes (it consumes ",
                            absl::StrJoin(topics(), ", "), ")"));
  }
  return original;
}

std::optional<DeadLetterDesk::Loaded> DeadLetterDesk::Decode(const std::string& original_topic,
                                                             const std::string& dlq_topic,
                                                             DlqRecord record) const {
  Loaded l;
  if (!l.letter.ParseFromString(record.value)) return std::nullopt;
  const std::set<std::string>& groups = options_.groups_by_topic.at(original_topic);
  if (groups.count(l.letter.consumer_group()) == 0) return std::nullopt;
  dlv1::DeadLetterEntry& e = l.entry;
  e.set_dead_letter_id(DeadLetterId(dlq_topic, record.offset));
  e.set_topic(l.letter.topic().empty() ? original_topic : l.letter.topic());
  e.set_partition(l.letter.partition());
  e.set_offset(l.letter.offset());
  e.set_dlq_offset(record.offset);
  if (l.letter.has_failed_at()) {
    *e.mutable_failed_at() = l.letter.failed_at();
  } else {
    *e.mutable_failed_at() = ToProto(record.time);
  }
  e.set_key(l.letter.key());
  e.set_omitted_value_bytes(l.letter.omitted_value_bytes());
  if (absl::StatusOr<Envelope> env = ParseEnvelope(l.letter.value()); env.ok()) {
    e.set_event_id(env->event_id());
    e.set_event_type(env->type());
  }
  e.set_reason(l.letter.reason());
  e.set_consumer_group(l.letter.consumer_group());
  e.set_state(dlv1::DEAD_LETTER_STATE_PENDING);
  l.record = std::move(record);
  return l;
}

namespace {

void ApplyAction(const dlv1::DeadLetterEntry& action, dlv1::DeadLetterEntry* entry) {
  entry->set_state(action.state());
  entry->set_acted_by(action.acted_by());
  *entry->mutable_acted_at() = action.acted_at();
  entry->set_drop_reason(action.drop_reason());
}

std::string Describe(const dlv1::DeadLetterEntry& e) {
  std::string what = e.state() == dlv1::DEAD_LETTER_STATE_REPLAYED ? "replayed" : "dropped";
  return absl::StrCat(
      e.dead_letter_id(), " was ", what, " by ", e.acted_by(), " at ",
      absl::FormatTime(absl::RFC3339_sec,
                       absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(e.acted_at())),
                       absl::UTCTimeZone()),
      e.drop_reason().empty() ? "" : absl::StrCat(" (", e.drop_reason(), ")"));
}

std::string OmittedValue(const dlv1::DeadLetterEntry& e) {
  return absl::StrCat("the record (", e.omitted_value_bytes(),
                      " bytes) was too large to carry in the dead letter; it is at ", e.topic(),
                      " partition ", e.partition(), " offset ", e.offset(),
                      " while the topic retains it");
}

}  // namespace

absl::StatusOr<dlv1::ListDeadLettersResponse> DeadLetterDesk::List(
    const dlv1::ListDeadLettersRequest& req) {
  FG_ASSIGN_OR_RETURN(std::string original, ConsumedTopic(req.topic(), "topic"));
  if (req.page_size() < 0 || req.page_size() > 500) {
    return InvalidField("page_size", "must be between 0 and 500");
  }
  if (!dlv1::DeadLetterState_IsValid(req.state())) {
    return InvalidField("state", "is not a dead-letter state");
  }
  const int limit = req.page_size() == 0 ? 50 : req.page_size();
  const std::string dlq_topic = DlqTopic(original);
  const std::string listing = absl::StrCat("dlq\n", dlq_topic, "\n", req.state());
  FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
  int64_t next = 0;
  if (!cursor.empty() && (!absl::SimpleAtoi(cursor, &next) || next < 0)) {
    return InvalidField("page_token", "is not a token of this listing");
  }
  dlv1::ListDeadLettersResponse out;
  int scanned = 0;
  bool more = true;
  while (out.dead_letters_size() < limit && scanned < options_.max_scan) {
    const int chunk = std::min(200, options_.max_scan - scanned);
    FG_ASSIGN_OR_RETURN(std::vector<DlqRecord> records, reader_->Read(dlq_topic, next, chunk));
    if (records.empty()) {
      more = false;
      break;
    }
    std::vector<Loaded> page;
    for (DlqRecord& r : records) {
      ++scanned;
      next = r.offset + 1;
      if (std::optional<Loaded> l = Decode(original, dlq_topic, std::move(r)); l.has_value()) {
        page.push_back(*std::move(l));
      }
    }
    std::vector<std::string> ids;
    for (const Loaded& l : page) ids.push_back(l.entry.dead_letter_id());
    FG_ASSIGN_OR_RETURN(auto actions, states_->Get(ids));
    for (Loaded& l : page) {
      auto it = actions.find(l.entry.dead_letter_id());
      if (it != actions.end()) ApplyAction(it->second, &l.entry);
      if (req.state() != dlv1::DEAD_LETTER_STATE_UNSPECIFIED && l.entry.state() != req.state()) {
        continue;
      }
      *out.add_dead_letters() = std::move(l.entry);
      if (out.dead_letters_size() == limit) {
        // The page is full: go on after this one next time.
        next = out.dead_letters(limit - 1).dlq_offset() + 1;
        break;
      }
    }
  }
  if (more) {
    // More records may follow (a full page, or the scan bound): the next page starts there.
    std::vector<DlqRecord> peek;
    FG_ASSIGN_OR_RETURN(peek, reader_->Read(dlq_topic, next, 1));
    if (!peek.empty()) out.set_next_page_token(EncodePageToken(listing, absl::StrCat(next)));
  }
  return out;
}

absl::StatusOr<DeadLetterDesk::Loaded> DeadLetterDesk::Load(const std::string& id) {
  FG_ASSIGN_OR_RETURN(auto parsed, ParseDeadLetterId(id));
  const auto& [dlq_topic, offset] = parsed;
  absl::StatusOr<std::string> original = ConsumedTopic(dlq_topic, "dead_letter_id");
  if (!original.ok()) return original.status();
  FG_ASSIGN_OR_RETURN(std::vector<DlqRecord> records, reader_->Read(dlq_topic, offset, 1));
  if (records.empty() || records[0].offset != offset) {
    return absl::NotFoundError(absl::StrCat("dead letter ", id, " not found"));
  }
  std::optional<Loaded> l = Decode(*original, dlq_topic, std::move(records[0]));
  if (!l.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("dead letter ", id, " not found among this service's consumer groups"));
  }
  FG_ASSIGN_OR_RETURN(auto actions, states_->Get({id}));
  if (auto it = actions.find(id); it != actions.end()) ApplyAction(it->second, &l->entry);
  return *std::move(l);
}

absl::StatusOr<dlv1::DeadLetterDetail> DeadLetterDesk::Get(const std::string& dead_letter_id) {
  FG_ASSIGN_OR_RETURN(Loaded l, Load(dead_letter_id));
  dlv1::DeadLetterDetail out;
  *out.mutable_entry() = l.entry;
  for (const auto& [k, v] : l.record.headers) (*out.mutable_headers())[k] = v;
  out.set_value(l.letter.value());
  absl::StatusOr<Envelope> env = ParseEnvelope(l.letter.value());
  if (l.letter.omitted_value_bytes() > 0) {
    out.set_decode_error(OmittedValue(l.entry));
  } else if (env.ok()) {
    *out.mutable_envelope() = *std::move(env);
  } else {
    out.set_decode_error(std::string(env.status().message()));
  }
  return out;
}

absl::StatusOr<dlv1::ReplayDeadLetterResponse> DeadLetterDesk::Replay(
    const std::string& dead_letter_id, const std::string& actor) {
  FG_ASSIGN_OR_RETURN(Loaded l, Load(dead_letter_id));
  if (l.entry.state() != dlv1::DEAD_LETTER_STATE_PENDING) {
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(l.entry), "; a dead letter is replayed at most once"));
  }
  if (l.letter.omitted_value_bytes() > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(OmittedValue(l.entry), "; it cannot be replayed from the dead letter"));
  }
  absl::StatusOr<Envelope> env = ParseEnvelope(l.letter.value());
  if (!env.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(dead_letter_id, " is not an event (", env.status().message(),
                     "): replaying it would only dead-letter it again; drop it instead"));
  }
  Message m{l.entry.topic(), l.letter.key(), l.letter.value()};
  for (const auto& [k, v] : l.record.headers) {
    if (k == "traceparent" || k == "tracestate") m.headers.emplace_back(k, v);
  }
  std::vector<absl::Status> sent = producer_->SendBatch({m}, options_.publish_timeout);
  absl::Status s = sent.empty() ? absl::InternalError("no delivery status") : sent[0];
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("replay of ", dead_letter_id, " to ",
                                               l.entry.topic(), " not acknowledged: ", s.message(),
                                               "; it stays pending"));
  }
  dlv1::DeadLetterEntry action;
  action.set_state(dlv1::DEAD_LETTER_STATE_REPLAYED);
  action.set_acted_by(actor);
  *action.mutable_acted_at() = ToProto(clock_->Now());
  // Recorded even when another replay got there first: both published the same event, which its
  // consumers apply once.
  FG_ASSIGN_OR_RETURN(auto recorded, states_->RecordOnce(dead_letter_id, action));
  ApplyAction(recorded.second, &l.entry);
  dlv1::ReplayDeadLetterResponse out;
  out.set_dead_letter_id(dead_letter_id);
  *out.mutable_entry() = std::move(l.entry);
  return out;
}

absl::StatusOr<dlv1::DropDeadLetterResponse> DeadLetterDesk::Drop(const std::string& dead_letter_id,
                                                                  const std::string& reason,
                                                                  const std::string& actor) {
  FG_RETURN_IF_ERROR(ParseDeadLetterId(dead_letter_id).status());
  if (reason.empty()) return InvalidField("reason", "is required: why the event is given up");
  if (reason.size() > 1000) return InvalidField("reason", "must be at most 1000 bytes");
  FG_ASSIGN_OR_RETURN(Loaded l, Load(dead_letter_id));
  if (l.entry.state() != dlv1::DEAD_LETTER_STATE_PENDING) {
    return absl::FailedPreconditionError(Describe(l.entry));
  }
  dlv1::DeadLetterEntry action;
  action.set_state(dlv1::DEAD_LETTER_STATE_DROPPED);
  action.set_acted_by(actor);
  *action.mutable_acted_at() = ToProto(clock_->Now());
  action.set_drop_reason(reason);
  FG_ASSIGN_OR_RETURN(auto recorded, states_->RecordOnce(dead_letter_id, action));
  if (!recorded.first) {
    dlv1::DeadLetterEntry e = l.entry;
    ApplyAction(recorded.second, &e);
    return absl::FailedPreconditionError(Describe(e));
  }
  ApplyAction(recorded.second, &l.entry);
  dlv1::DropDeadLetterResponse out;
  out.set_dead_letter_id(dead_letter_id);
  *out.mutable_entry() = std::move(l.entry);
  return out;
}

}  // namespace firegrid::events
