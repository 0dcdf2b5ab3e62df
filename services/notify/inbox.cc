#include "services/notify/inbox.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/common/page_token.h"
#include "libs/common/status.h"
#include "libs/redis/atomic_write.h"
#include "services/notify/recipients.h"

namespace firegrid::notify {
namespace {

using google::protobuf::util::TimeUtil;
using Pre = redis::AtomicWrite::Precondition;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

}  // namespace

Inbox::Inbox(redis::Pool* pool, std::string prefix, Clock* clock, IdGenerator* ids,
             InboxOptions options)
    : pool_(pool), prefix_(std::move(prefix)), clock_(clock), ids_(ids), options_(options) {}

bool Inbox::IsCursor(const std::string& s) {
  std::vector<std::string> parts = absl::StrSplit(s, '-');
  uint64_t a, b;
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], &a) && absl::SimpleAtoi(parts[1], &b);
}

void Inbox::AddDelivery(const std::vector<std::string>& recipients, const v1::Notification& tmpl,
                        absl::Time now, redis::AtomicWrite* w) {
  const std::string ms = absl::StrCat(absl::ToUnixMillis(now));
  for (const std::string& r : recipients) {
    v1::Notification n = tmpl;
    n.set_notification_id(ids_->NewId("ntf"));
    n.set_recipient(r);
    n.clear_cursor();
    n.clear_read();
    n.clear_acknowledged();
    if (!n.has_created_at()) *n.mutable_created_at() = Ts(now);
    const std::string bytes = n.SerializeAsString();
    // Never trimmed here: retention (Trim) decides what may go.
    w->commands.push_back({"XADD", InboxStreamKey(prefix_, r), "*", kNotificationField, bytes});
    w->commands.push_back({"SADD", prefix_ + ":recipients", r});
    w->commands.push_back({"HSET", Key("n", n.notification_id()), "data", bytes, "recipient", r,
                           "tier", n.tier_path(), "read", "0", "ack", "0"});
    w->commands.push_back({"ZADD", Key("unread", r), ms, n.notification_id()});
    if (n.requires_ack()) {
      const absl::Duration timeout =
          n.priority() == v1::PRIORITY_URGENT ? options_.urgent_ack_timeout : options_.ack_timeout;
      const std::string due = absl::StrCat(absl::ToUnixMillis(now + timeout));
      w->commands.push_back({"SET", Key("timer", n.notification_id()), due});
      w->commands.push_back({"ZADD", prefix_ + ":timers", due, n.notification_id()});
    }
  }
}

void Inbox::AddFeedEntry(const std::vector<std::string>& recipients, redis::AtomicWrite* w) {
  w->commands.push_back({"XADD", FeedStreamKey(prefix_), "MAXLEN", "~", absl::StrCat(kFeedMaxLen),
                         "*", kFeedRecipientsField, absl::StrJoin(recipients, "\n")});
}

absl::Status Inbox::Notify(const std::vector<std::string>& recipients, const v1::Notification& tmpl,
                           const std::string& once_key) {
  if (recipients.empty()) return absl::OkStatus();
  redis::AtomicWrite w;
  w.once_key = Key("once", once_key);
  AddDelivery(recipients, tmpl, clock_->Now(), &w);
  AddFeedEntry(recipients, &w);
  FG_RETURN_IF_ERROR(redis::Execute(*pool_, w));
  if (options_.on_notified) options_.on_notified(tmpl, static_cast<int>(recipients.size()));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<bool>> Inbox::NotifyEach(const std::vector<Delivery>& deliveries) {
  std::vector<const Delivery*> to_write;  // those with recipients
  for (const Delivery& d : deliveries) {
    if (!d.recipients->empty()) to_write.push_back(&d);
  }
  absl::flat_hash_set<std::string> keys;
  for (const Delivery* d : to_write) keys.insert(d->once_key);
  // One alone, or two sharing a key (the second must then be ALREADY_EXISTS): one by one.
  if (to_write.size() < 2 || keys.size() < to_write.size()) return Notifier::NotifyEach(deliveries);
  // All in one atomic write, claiming every once key: the first as the write's own, the others
  // as preconditions and SETs. When any was used before (a redelivered event, or a plan sharing
  // its key with another event's), each delivery goes alone, and only the new ones are written.
  redis::AtomicWrite w;
  w.once_key = Key("once", to_write[0]->once_key);
  const std::string ttl_ms = absl::StrCat(absl::ToInt64Milliseconds(w.once_ttl));
  for (size_t i = 1; i < to_write.size(); ++i) {
    const std::string key = Key("once", to_write[i]->once_key);
    w.preconditions.push_back({Pre::Kind::kAbsent, key, "", "", absl::StatusCode::kAlreadyExists,
                               absl::StrCat("already applied: ", key)});
    w.commands.push_back({"SET", key, "1", "PX", ttl_ms});
  }
  const absl::Time now = clock_->Now();
  std::vector<std::string> feed;
  for (const Delivery* d : to_write) {
    AddDelivery(*d->recipients, *d->notification, now, &w);
    for (const std::string& r : *d->recipients) {
      if (std::find(feed.begin(), feed.end(), r) == feed.end()) feed.push_back(r);
    }
  }
  AddFeedEntry(feed, &w);
  absl::Status s = redis::Execute(*pool_, w);
  if (s.code() == absl::StatusCode::kAlreadyExists) return Notifier::NotifyEach(deliveries);
  FG_RETURN_IF_ERROR(s);
  std::vector<bool> now_delivered(deliveries.size(), false);
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const Delivery& d = deliveries[i];
    now_delivered[i] = true;
    if (options_.on_notified && !d.recipients->empty()) {
      options_.on_notified(*d.notification, static_cast<int>(d.recipients->size()));
    }
  }
  return now_delivered;
}

absl::StatusOr<v1::Notification> Inbox::Decode(const std::string& bytes,
                                               const std::string& cursor) {
  v1::Notification n;
  if (!n.ParseFromString(bytes)) return absl::DataLossError("corrupt notification");
  n.set_cursor(cursor);
  return n;
}

absl::Status Inbox::AppendEntries(const redis::Reply& entries, std::vector<v1::Notification>* out) {
  for (const auto& entry : entries.elements) {
    if (entry.elements.size() != 2) continue;
    const auto& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str != kNotificationField) continue;
      FG_ASSIGN_OR_RETURN(v1::Notification n, Decode(fields[i + 1].str, entry.elements[0].str));
      out->push_back(std::move(n));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Notification>> Inbox::ReadAfter(const std::string& recipient,
                                                               const std::string& cursor,
                                                               int count) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"XRANGE", InboxStreamKey(prefix_, recipient),
                                                      cursor.empty() ? "-" : "(" + cursor, "+",
                                                      "COUNT", absl::StrCat(count)}));
  std::vector<v1::Notification> out;
  FG_RETURN_IF_ERROR(AppendEntries(r, &out));
  return out;
}

absl::StatusOr<std::string> Inbox::LastCursor(const std::string& recipient) {
  FG_ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Command({"XREVRANGE", InboxStreamKey(prefix_, recipient), "+", "-", "COUNT", "1"}));
  if (r.elements.empty() || r.elements[0].elements.empty()) return std::string();
  return r.elements[0].elements[0].str;
}

absl::StatusOr<std::vector<v1::Notification>> Inbox::WaitAfter(
    redis::Pool::Dedicated& connection, const std::map<std::string, std::string>& cursors,
    absl::Duration timeout) {
  std::vector<std::string> cmd = {
      "XREAD",
      "COUNT",
      "500",
      "BLOCK",
      absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))),
      "STREAMS"};
  for (const auto& [r, c] : cursors) cmd.push_back(InboxStreamKey(prefix_, r));
  for (const auto& [r, c] : cursors) cmd.push_back(c.empty() ? "0-0" : c);
  FG_ASSIGN_OR_RETURN(redis::Reply reply, connection.Command(cmd, timeout + absl::Seconds(2)));
  std::vector<v1::Notification> out;
  for (const auto& stream : reply.elements) {
    if (stream.elements.size() == 2) FG_RETURN_IF_ERROR(AppendEntries(stream.elements[1], &out));
  }
  return out;
}

absl::StatusOr<std::string> Inbox::LastFeedId() {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"XREVRANGE", FeedStreamKey(prefix_), "+", "-",
                                                      "COUNT", "1"}));
  if (r.elements.empty() || r.elements[0].elements.empty()) return std::string("0-0");
  return r.elements[0].elements[0].str;
}

absl::StatusOr<std::vector<FeedEntry>> Inbox::WaitFeed(redis::Pool::Dedicated& connection,
                                                       const std::string& after,
                                                       absl::Duration timeout) {
  FG_ASSIGN_OR_RETURN(
      redis::Reply reply,
      connection.Command({"XREAD", "COUNT", "1000", "BLOCK",
                          absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))),
                          "STREAMS", FeedStreamKey(prefix_), after},
                         timeout + absl::Seconds(2)));
  std::vector<FeedEntry> out;
  for (const auto& stream : reply.elements) {
    if (stream.elements.size() != 2) continue;
    for (const auto& entry : stream.elements[1].elements) {
      if (entry.elements.size() != 2) continue;
      FeedEntry e;
      e.id = entry.elements[0].str;
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str != kFeedRecipientsField) continue;
        for (absl::string_view r : absl::StrSplit(fields[i + 1].str, '\n', absl::SkipEmpty())) {
          e.recipients.emplace_back(r);
        }
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

absl::StatusOr<v1::Notification> Inbox::Get(const std::string& id) {
  if (!IsWellFormedId(id, "ntf")) {
    return absl::InvalidArgumentError("notification_id: is not a notification id");
  }
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HMGET", Key("n", id), "data", "read", "ack",
                                                      "ack_at", "ack_by", "ack_note"}));
  if (r.elements.size() != 6 || r.elements[0].IsNil()) {
    return absl::NotFoundError(absl::StrCat("no notification ", id));
  }
  FG_ASSIGN_OR_RETURN(v1::Notification n, Decode(r.elements[0].str, ""));
  n.set_read(r.elements[1].str == "1");
  n.set_acknowledged(r.elements[2].str == "1");
  int64_t at = 0;
  if (absl::SimpleAtoi(r.elements[3].str, &at) && at > 0) {
    *n.mutable_acknowledged_at() = Ts(absl::FromUnixMillis(at));
  }
  n.set_acknowledged_by(r.elements[4].str);
  n.set_acknowledgement_note(r.elements[5].str);
  return n;
}

absl::StatusOr<v1::Notification> Inbox::MarkRead(const std::string& id) {
  FG_ASSIGN_OR_RETURN(v1::Notification n, Get(id));
  redis::AtomicWrite w;
  w.commands.push_back({"HSET", Key("n", id), "read", "1"});
  w.commands.push_back({"ZREM", Key("unread", n.recipient()), id});
  FG_RETURN_IF_ERROR(redis::Execute(*pool_, w));
  n.set_read(true);
  return n;
}

absl::Status ValidateAckNote(absl::string_view note, absl::string_view field) {
  if (note.size() > kMaxAckNoteBytes) {
    return InvalidField(field, absl::StrCat("at most ", kMaxAckNoteBytes, " bytes"));
  }
  if (!google::protobuf::internal::IsStructurallyValidUTF8(note.data(),
                                                           static_cast<int>(note.size()))) {
    return InvalidField(field, "not valid UTF-8");
  }
  for (char c : note) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) {
      return InvalidField(field, "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Notification> Inbox::Acknowledge(const std::string& id,
                                                    const std::string& subject,
                                                    const std::string& note) {
  FG_RETURN_IF_ERROR(ValidateAckNote(note));
  FG_ASSIGN_OR_RETURN(v1::Notification n, Get(id));
  if (n.acknowledged()) return n;
  const absl::Time now = clock_->Now();
  redis::AtomicWrite w;
  w.commands.push_back({"HSET", Key("n", id), "read", "1", "ack", "1", "ack_at",
                        absl::StrCat(absl::ToUnixMillis(now)), "ack_by", subject, "ack_note",
                        note});
  w.commands.push_back({"ZREM", Key("unread", n.recipient()), id});
  w.commands.push_back({"DEL", Key("timer", id)});
  w.commands.push_back({"ZREM", prefix_ + ":timers", id});
  FG_RETURN_IF_ERROR(redis::Execute(*pool_, w));
  n.set_read(true);
  n.set_acknowledged(true);
  *n.mutable_acknowledged_at() = Ts(now);
  n.set_acknowledged_by(subject);
  n.set_acknowledgement_note(note);
  return n;
}

absl::Status Inbox::FillState(std::vector<v1::Notification>* notifications) {
  if (notifications->empty()) return absl::OkStatus();
  std::vector<std::vector<std::string>> cmds;
  for (const auto& n : *notifications) {
    cmds.push_back(
        {"HMGET", Key("n", n.notification_id()), "read", "ack", "ack_at", "ack_by", "ack_note"});
  }
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> states, pool_->Pipeline(cmds));
  for (size_t i = 0; i < notifications->size(); ++i) {
    if (states[i].IsError()) return redis::ErrorReplyToStatus(states[i].str);
    const auto& f = states[i].elements;
    if (f.size() != 5) continue;
    v1::Notification& n = (*notifications)[i];
    n.set_read(f[0].str == "1");
    n.set_acknowledged(f[1].str == "1");
    int64_t at = 0;
    if (absl::SimpleAtoi(f[2].str, &at) && at > 0) {
      *n.mutable_acknowledged_at() = Ts(absl::FromUnixMillis(at));
    }
    n.set_acknowledged_by(f[3].str);
    n.set_acknowledgement_note(f[4].str);
  }
  return absl::OkStatus();
}

// A place in the merged listing order: inbox position (stream id), then recipient. Listed in
// descending order.
struct InboxPos {
  uint64_t ms = 0;
  uint64_t seq = 0;
  std::string recipient;
  friend bool operator<(const InboxPos& a, const InboxPos& b) {
    return std::tie(a.ms, a.seq, a.recipient) < std::tie(b.ms, b.seq, b.recipient);
  }
  std::string StreamId() const { return absl::StrCat(ms, "-", seq); }
};

namespace {

using Pos = InboxPos;

std::optional<Pos> ParsePos(absl::string_view stream_id, absl::string_view recipient) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(stream_id, '-');
  Pos p;
  if (!absl::SimpleAtoi(parts.first, &p.ms) || !absl::SimpleAtoi(parts.second, &p.seq)) {
    return std::nullopt;
  }
  p.recipient = std::string(recipient);
  return p;
}

// The cursor inside a ListInbox page token: "<phase>:" or "<phase>:<stream id>:<recipient>",
// phase "u" (unread) or "r" (read).
struct ListCursor {
  bool unread_phase = true;
  std::optional<Pos> after;
};

std::string EncodeListCursor(const ListCursor& c) {
  std::string out = c.unread_phase ? "u:" : "r:";
  if (c.after) absl::StrAppend(&out, c.after->StreamId(), ":", c.after->recipient);
  return out;
}

absl::StatusOr<ListCursor> DecodeListCursor(absl::string_view text) {
  ListCursor c;
  if (text.empty()) return c;
  const absl::Status bad = InvalidField("page_token", "not a token of this listing");
  if (text.size() < 2 || text[1] != ':' || (text[0] != 'u' && text[0] != 'r')) return bad;
  c.unread_phase = text[0] == 'u';
  text.remove_prefix(2);
  if (text.empty()) return c;
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) return bad;
  c.after = ParsePos(text.substr(0, colon), text.substr(colon + 1));
  if (!c.after) return bad;
  return c;
}

}  // namespace

absl::StatusOr<bool> Inbox::ScanPhase(const std::vector<std::string>& recipients, bool unread,
                                      std::optional<Pos>* after, int want, int* budget,
                                      std::vector<std::pair<InboxPos, v1::Notification>>* out) {
  while (*budget > 0) {
    const int batch = std::min(std::max(want - static_cast<int>(out->size()) + 1, 50), *budget);
    std::vector<std::vector<std::string>> cmds;
    for (const std::string& r : recipients) {
      std::string bound = "+";
      if (*after) {
        bound = r < (*after)->recipient ? (*after)->StreamId() : "(" + (*after)->StreamId();
      }
      cmds.push_back(
          {"XREVRANGE", InboxStreamKey(prefix_, r), bound, "-", "COUNT", absl::StrCat(batch)});
    }
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
    std::vector<std::pair<Pos, v1::Notification>> merged;
    std::optional<Pos> cutoff;  // entries below it may hide behind a full batch
    for (size_t i = 0; i < recipients.size(); ++i) {
      if (replies[i].IsError()) return redis::ErrorReplyToStatus(replies[i].str);
      std::vector<v1::Notification> got;
      FG_RETURN_IF_ERROR(AppendEntries(replies[i], &got));
      for (v1::Notification& n : got) {
        std::optional<Pos> pos = ParsePos(n.cursor(), recipients[i]);
        if (!pos) continue;
        n.set_recipient(recipients[i]);
        merged.emplace_back(std::move(*pos), std::move(n));
      }
      if (static_cast<int>(replies[i].elements.size()) == batch) {
        std::optional<Pos> last =
            ParsePos(replies[i].elements.back().elements[0].str, recipients[i]);
        if (last && (!cutoff || *cutoff < *last)) cutoff = last;
      }
    }
    std::sort(merged.begin(), merged.end(),
              [](const auto& a, const auto& b) { return b.first < a.first; });
    if (cutoff) {
      merged.erase(std::find_if(merged.begin(), merged.end(),
                                [&](const auto& e) { return e.first < *cutoff; }),
                   merged.end());
    }
    if (merged.empty()) return true;  // nothing below `after`: the phase is over
    std::vector<v1::Notification> taken;
    taken.reserve(merged.size());
    for (auto& e : merged) taken.push_back(std::move(e.second));
    FG_RETURN_IF_ERROR(FillState(&taken));
    for (size_t i = 0; i < taken.size(); ++i) {
      --*budget;
      *after = merged[i].first;
      if (taken[i].read() != unread) out->emplace_back(merged[i].first, std::move(taken[i]));
      if (static_cast<int>(out->size()) >= want || *budget <= 0) return false;
    }
    if (!cutoff) return true;
  }
  return false;
}

absl::StatusOr<v1::ListInboxResponse> Inbox::List(const std::vector<std::string>& recipients,
                                                  bool unread_only, int page_size,
                                                  const std::string& page_token) {
  std::vector<std::string> sorted = recipients;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  const std::string listing =
      absl::StrCat("inbox\n", absl::StrJoin(sorted, ","), "\n", unread_only ? "unread" : "all");
  FG_ASSIGN_OR_RETURN(std::string cursor_text, DecodePageToken(page_token, listing));
  FG_ASSIGN_OR_RETURN(ListCursor cursor, DecodeListCursor(cursor_text));
  if (!cursor.unread_phase && unread_only) {
    return InvalidField("page_token", "not a token of this listing");
  }
  v1::ListInboxResponse resp;
  if (sorted.empty()) return resp;
  std::vector<std::vector<std::string>> counts;
  for (const auto& r : sorted) counts.push_back({"ZCARD", Key("unread", r)});
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> unread, pool_->Pipeline(counts));
  int total_unread = 0;
  for (const redis::Reply& u : unread) {
    if (u.IsError()) return redis::ErrorReplyToStatus(u.str);
    total_unread += static_cast<int>(u.integer);
  }
  resp.set_unread(total_unread);

  // One more than the page is looked for, so that the last page says it is the last.
  const int want = std::max(1, page_size);
  int budget = std::max(1, options_.list_scan_budget);
  std::vector<std::pair<InboxPos, v1::Notification>> found;
  std::vector<bool> found_unread_phase;
  bool more = false;
  while (true) {
    FG_ASSIGN_OR_RETURN(bool exhausted, ScanPhase(sorted, cursor.unread_phase, &cursor.after,
                                                  want + 1, &budget, &found));
    found_unread_phase.resize(found.size(), cursor.unread_phase);
    if (static_cast<int>(found.size()) > want) {
      // A further one exists: the page ends at the want-th, the next starts after it.
      found.resize(want);
      cursor =
          ListCursor{.unread_phase = found_unread_phase[want - 1], .after = found[want - 1].first};
      more = true;
      break;
    }
    if (!exhausted) {  // scan budget spent: go on from the last entry examined
      more = true;
      break;
    }
    if (!cursor.unread_phase || unread_only) break;  // the end
    cursor = ListCursor{.unread_phase = false, .after = std::nullopt};
    if (budget <= 0) {
      more = true;
      break;
    }
  }
  if (more) resp.set_next_page_token(EncodePageToken(listing, EncodeListCursor(cursor)));
  for (auto& [pos, n] : found) *resp.add_notifications() = std::move(n);
  return resp;
}

absl::StatusOr<int> Inbox::Trim(int scan_limit) {
  FG_ASSIGN_OR_RETURN(redis::Reply recipients,
                      pool_->Command({"SMEMBERS", prefix_ + ":recipients"}));
  const absl::Time now = clock_->Now();
  int dropped = 0;
  for (const redis::Reply& r : recipients.elements) {
    FG_RETURN_IF_ERROR(TrimRecipient(r.str, now, scan_limit, &dropped));
  }
  return dropped;
}

absl::Status Inbox::TrimRecipient(const std::string& recipient, absl::Time now, int scan_limit,
                                  int* dropped) {
  const std::string stream = InboxStreamKey(prefix_, recipient);
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> r,
                      pool_->Pipeline({{"XLEN", stream},
                                       {"XRANGE", stream, "-", "+", "COUNT",
                                        absl::StrCat(std::max(1, scan_limit))}}));
  if (r[0].IsError()) return redis::ErrorReplyToStatus(r[0].str);
  if (r[1].IsError()) return redis::ErrorReplyToStatus(r[1].str);
  const int64_t excess = r[0].integer - options_.max_per_recipient;
  std::vector<v1::Notification> oldest;
  FG_RETURN_IF_ERROR(AppendEntries(r[1], &oldest));
  FG_RETURN_IF_ERROR(FillState(&oldest));
  const absl::Time horizon = now - options_.retention;
  redis::AtomicWrite w;
  for (size_t i = 0; i < oldest.size(); ++i) {
    const v1::Notification& n = oldest[i];
    absl::Time created = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(n.created_at()));
    const bool beyond_cap = static_cast<int64_t>(i) < excess;
    const bool expired = created < horizon;
    if (!beyond_cap && !expired) break;  // the rest are younger and within the cap
    const bool unacknowledged_task = n.requires_ack() && !n.acknowledged();
    if (!n.read() || unacknowledged_task) continue;  // kept however old
    w.commands.push_back({"XDEL", stream, n.cursor()});
    w.commands.push_back({"DEL", Key("n", n.notification_id())});
  }
  if (w.commands.empty()) return absl::OkStatus();
  FG_RETURN_IF_ERROR(redis::Execute(*pool_, w));
  *dropped += static_cast<int>(w.commands.size() / 2);
  return absl::OkStatus();
}

absl::StatusOr<int> Inbox::FireRenotifications(int limit) {
  const absl::Time now = clock_->Now();
  FG_ASSIGN_OR_RETURN(
      redis::Reply due,
      pool_->Command({"ZRANGEBYSCORE", prefix_ + ":timers", "-inf",
                      absl::StrCat(absl::ToUnixMillis(now)), "LIMIT", "0", absl::StrCat(limit)}));
  int fired = 0;
  for (const auto& e : due.elements) {
    const std::string id = e.str;
    auto n = Get(id);
    if (n.ok() && !n->acknowledged()) {
      const std::string up = NextTierUp(n->recipient(), n->tier_path());
      if (!up.empty()) {
        v1::Notification again = *n;
        again.set_kind(v1::KIND_ESCALATION);
        again.set_requires_ack(false);
        again.set_renotified_from(id);
        again.set_title("未确认 unacknowledged: " + n->title());
        again.set_body(
            absl::StrCat(n->recipient(), " has not acknowledged this task. ", n->body()));
        again.clear_created_at();
        absl::Status s = Notify({up}, again, "renotify:" + id);
        if (s.ok()) {
          ++fired;
        } else if (s.code() != absl::StatusCode::kAlreadyExists) {
          return s;
        }
      }
    } else if (!n.ok() && n.status().code() != absl::StatusCode::kNotFound) {
      return n.status();
    }
    redis::AtomicWrite consume;
    consume.preconditions.push_back(
        Pre{Pre::Kind::kExists, Key("timer", id), "", "", absl::StatusCode::kAborted, "consumed"});
    consume.commands.push_back({"DEL", Key("timer", id)});
    consume.commands.push_back({"ZREM", prefix_ + ":timers", id});
    absl::Status s = redis::Execute(*pool_, consume);
    if (!s.ok() && s.code() != absl::StatusCode::kAborted) return s;
  }
  return fired;
}

}  // namespace firegrid::notify
