#include "services/notify/inbox.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
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

absl::Status Inbox::Notify(const std::vector<std::string>& recipients, const v1::Notification& tmpl,
                           const std::string& once_key) {
  if (recipients.empty()) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  redis::AtomicWrite w;
  w.once_key = Key("once", once_key);
  for (const std::string& r : recipients) {
    v1::Notification n = tmpl;
    n.set_notification_id(ids_->NewId("ntf"));
    n.set_recipient(r);
    n.clear_cursor();
    n.clear_read();
    n.clear_acknowledged();
    if (!n.has_created_at()) *n.mutable_created_at() = Ts(now);
    const std::string bytes = n.SerializeAsString();
    const std::string ms = absl::StrCat(absl::ToUnixMillis(now));
    w.commands.push_back({"XADD", InboxStreamKey(prefix_, r), "MAXLEN", "~",
                          absl::StrCat(options_.max_per_recipient), "*", kNotificationField,
                          bytes});
    w.commands.push_back({"HSET", Key("n", n.notification_id()), "data", bytes, "recipient", r,
                          "tier", n.tier_path(), "read", "0", "ack", "0"});
    w.commands.push_back({"ZADD", Key("unread", r), ms, n.notification_id()});
    if (n.requires_ack()) {
      const std::string due = absl::StrCat(absl::ToUnixMillis(now + options_.ack_timeout));
      w.commands.push_back({"SET", Key("timer", n.notification_id()), due});
      w.commands.push_back({"ZADD", prefix_ + ":timers", due, n.notification_id()});
    }
  }
  return redis::Execute(*pool_, w);
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

absl::StatusOr<v1::Notification> Inbox::Get(const std::string& id) {
  if (!IsWellFormedId(id, "ntf")) {
    return absl::InvalidArgumentError("notification_id: is not a notification id");
  }
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HMGET", Key("n", id), "data", "read", "ack",
                                                      "ack_at", "ack_by"}));
  if (r.elements.size() != 5 || r.elements[0].IsNil()) {
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

absl::StatusOr<v1::Notification> Inbox::Acknowledge(const std::string& id,
                                                    const std::string& subject) {
  FG_ASSIGN_OR_RETURN(v1::Notification n, Get(id));
  if (n.acknowledged()) return n;
  const absl::Time now = clock_->Now();
  redis::AtomicWrite w;
  w.commands.push_back({"HSET", Key("n", id), "read", "1", "ack", "1", "ack_at",
                        absl::StrCat(absl::ToUnixMillis(now)), "ack_by", subject});
  w.commands.push_back({"ZREM", Key("unread", n.recipient()), id});
  w.commands.push_back({"DEL", Key("timer", id)});
  w.commands.push_back({"ZREM", prefix_ + ":timers", id});
  FG_RETURN_IF_ERROR(redis::Execute(*pool_, w));
  n.set_read(true);
  n.set_acknowledged(true);
  *n.mutable_acknowledged_at() = Ts(now);
  n.set_acknowledged_by(subject);
  return n;
}

absl::StatusOr<v1::ListInboxResponse> Inbox::List(const std::vector<std::string>& recipients,
                                                  bool unread_only, int page_size,
                                                  const std::string& page_token) {
  int offset = 0;
  if (!page_token.empty() && (!absl::SimpleAtoi(page_token, &offset) || offset < 0)) {
    return absl::InvalidArgumentError("page_token: not a token of this listing");
  }
  std::vector<std::vector<std::string>> cmds;
  for (const auto& r : recipients) {
    cmds.push_back({"XREVRANGE", InboxStreamKey(prefix_, r), "+", "-", "COUNT",
                    absl::StrCat(options_.list_window)});
    cmds.push_back({"ZCARD", Key("unread", r)});
  }
  v1::ListInboxResponse resp;
  if (cmds.empty()) return resp;
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  std::vector<v1::Notification> all;
  int unread = 0;
  for (size_t i = 0; i + 1 < replies.size(); i += 2) {
    if (replies[i].IsError()) return absl::InternalError(replies[i].str);
    unread += static_cast<int>(replies[i + 1].integer);
    FG_RETURN_IF_ERROR(AppendEntries(replies[i], &all));
  }
  resp.set_unread(unread);
  if (!all.empty()) {
    std::vector<std::vector<std::string>> state;
    for (const auto& n : all) {
      state.push_back({"HMGET", Key("n", n.notification_id()), "read", "ack", "ack_by"});
    }
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> states, pool_->Pipeline(state));
    for (size_t i = 0; i < all.size(); ++i) {
      if (states[i].elements.size() == 3) {
        all[i].set_read(states[i].elements[0].str == "1");
        all[i].set_acknowledged(states[i].elements[1].str == "1");
        all[i].set_acknowledged_by(states[i].elements[2].str);
      }
    }
  }
  if (unread_only) {
    all.erase(std::remove_if(all.begin(), all.end(), [](const auto& n) { return n.read(); }),
              all.end());
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const v1::Notification& a, const v1::Notification& b) {
                     if (a.read() != b.read()) return !a.read();
                     const int64_t ta = TimeUtil::TimestampToNanoseconds(a.created_at());
                     const int64_t tb = TimeUtil::TimestampToNanoseconds(b.created_at());
                     if (ta != tb) return ta > tb;
                     return a.notification_id() > b.notification_id();
                   });
  const int end = std::min<int>(static_cast<int>(all.size()), offset + page_size);
  for (int i = offset; i < end; ++i) *resp.add_notifications() = all[i];
  if (end < static_cast<int>(all.size())) resp.set_next_page_token(absl::StrCat(end));
  return resp;
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
