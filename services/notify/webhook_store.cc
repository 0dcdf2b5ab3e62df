#include "services/notify/webhook_store.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/proto_json.h"
#include "libs/common/status.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/script.h"
#include "services/notify/inbox_keys.h"
#include "services/notify/webhook_delivery.h"

namespace firegrid::notify {
namespace {

using google::protobuf::util::TimeUtil;

// Inbox entries taken per atomic write, and pages per org unit per round.
constexpr int kIntakeBatch = 100;
constexpr int kIntakePages = 10;

// KEYS: due zset, lease. ARGV: now_ms, token, lease_ms.
// Takes the endpoint lease when it is free and a delivery is due; returns that delivery's id.
const redis::Script& ClaimScript() {
  static const redis::Script* script = new redis::Script(R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #due == 0 then return false end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return due[1]
)lua");
  return *script;
}

// Same KEYS and ARGV. For the holder of the lease: the next due delivery (extending the lease),
// or nothing (releasing it). Nothing either when the lease is no longer the caller's.
const redis::Script& NextScript() {
  static const redis::Script* script = new redis::Script(R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return false end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #due == 0 then
  redis.call('DEL', KEYS[2])
  return false
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return due[1]
)lua");
  return *script;
}

// KEYS: lease. ARGV: token. Deletes the lease if it is still the caller's.
const redis::Script& ReleaseScript() {
  static const redis::Script* script = new redis::Script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
)lua");
  return *script;
}

int64_t ToMillis(absl::Time t) { return absl::ToUnixMillis(t); }

std::string Serialize(const google::protobuf::Message& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(t));
}

// The field values of an XRANGE entry's field list.
const redis::Reply* StreamField(const redis::Reply& fields, absl::string_view name) {
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    if (fields.elements[i].str == name) return &fields.elements[i + 1];
  }
  return nullptr;
}

// "dlv_<ULID>" whose time and first random bits are the inbox entry's stream id (<ms>-<seq>),
// the rest random: delivery ids sort in inbox order, and deliveries due at the same millisecond
// (a sorted set orders equal scores by member) are attempted in the order the notifications
// arrived.
std::string DeliveryId(const std::string& cursor, absl::BitGen& gen) {
  int64_t ms = 0;
  uint64_t seq = 0;
  const size_t dash = cursor.find('-');
  if (dash == std::string::npos || !absl::SimpleAtoi(cursor.substr(0, dash), &ms) ||
      !absl::SimpleAtoi(cursor.substr(dash + 1), &seq)) {
    ms = absl::ToUnixMillis(absl::Now());
    seq = 0;
  }
  const uint16_t hi = static_cast<uint16_t>(std::min<uint64_t>(seq, 0xffff));
  return absl::StrCat("dlv_",
                      EncodeUlid(absl::FromUnixMillis(ms), hi, absl::Uniform<uint64_t>(gen)));
}

}  // namespace

OrgUnitRegistry RedisOrgUnitRegistry(redis::Pool* pool, std::string buildings_prefix) {
  return [pool, prefix = std::move(buildings_prefix)](
             const std::string& org_unit) -> absl::StatusOr<bool> {
    FG_ASSIGN_OR_RETURN(redis::Reply r,
                        pool->Command({"EXISTS", absl::StrCat(prefix, ":ou:", org_unit)}));
    return r.integer == 1;
  };
}

WebhookStore::WebhookStore(redis::Pool* pool, std::string prefix, Clock* clock)
    : pool_(pool), prefix_(std::move(prefix)), clock_(clock) {}

std::string WebhookStore::Key(absl::string_view kind, absl::string_view id) const {
  return absl::StrCat(prefix_, ":wh:", kind, id.empty() ? "" : ":", id);
}

absl::Status WebhookStore::Put(const v1::Webhook& stored) {
  const std::string& org = stored.org_unit();

  // A new webhook starts at the inbox's current end (HSETNX keeps the cursor of an existing one).
  FG_ASSIGN_OR_RETURN(redis::Reply last,
                      pool_->Command({"XREVRANGE", InboxStreamKey(prefix_, OrgRecipient(org)), "+",
                                      "-", "COUNT", "1"}));
  std::string start = "0-0";
  if (!last.elements.empty() && !last.elements[0].elements.empty()) {
    start = last.elements[0].elements[0].str;
  }

  redis::AtomicWrite write;
  const std::string hook_key = Key("hook", org);
  write.commands.push_back({"HSET", hook_key, "data", Serialize(stored)});
  write.commands.push_back({"HSETNX", hook_key, "cursor", start});
  write.commands.push_back({"SADD", Key("orgs", ""), org});
  FG_RETURN_IF_ERROR(redis::Execute(*pool_, write));
  return absl::OkStatus();
}

absl::StatusOr<v1::Webhook> WebhookStore::Get(const std::string& org_unit) {
  FG_ASSIGN_OR_RETURN(redis::Reply data, pool_->Command({"HGET", Key("hook", org_unit), "data"}));
  if (data.IsNil()) return absl::NotFoundError(absl::StrCat("no webhook for org unit ", org_unit));
  v1::Webhook webhook;
  if (!webhook.ParseFromString(data.str)) {
    return absl::InternalError(absl::StrCat("corrupt webhook of ", org_unit));
  }
  return webhook;
}

absl::Status WebhookStore::Delete(const std::string& org_unit) {
  const std::string hook_key = Key("hook", org_unit);
  const std::string due_key = Key("due", org_unit);
  const std::string log_key = Key("log", org_unit);
  // The deliveries to remove are read first; the write is conditional on the cursor, so that no
  // intake slipped in between (it would leave deliveries behind). Retried when it did.
  for (int attempt = 0; attempt < 5; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> r,
                        pool_->Pipeline({{"HGET", hook_key, "cursor"},
                                         {"ZRANGE", due_key, "0", "-1"},
                                         {"LRANGE", log_key, "0", "-1"}}));
    for (const redis::Reply& reply : r) {
      if (reply.IsError()) return redis::ErrorReplyToStatus(reply.str);
    }
    if (r[0].IsNil()) {
      return absl::NotFoundError(absl::StrCat("no webhook for org unit ", org_unit));
    }
    redis::AtomicWrite write;
    write.preconditions.push_back({redis::AtomicWrite::Precondition::Kind::kEquals, hook_key,
                                   "cursor", r[0].str, absl::StatusCode::kAborted,
                                   "webhook changed"});
    write.commands.push_back({"DEL", hook_key});
    write.commands.push_back({"SREM", Key("orgs", ""), org_unit});
    write.commands.push_back({"DEL", due_key});
    write.commands.push_back({"DEL", log_key});
    absl::flat_hash_set<std::string> seen;
    for (const redis::Reply* list : {&r[1], &r[2]}) {
      for (const redis::Reply& id : list->elements) {
        if (seen.insert(id.str).second) write.commands.push_back({"DEL", Key("d", id.str)});
      }
    }
    absl::Status st = redis::Execute(*pool_, write);
    if (st.code() == absl::StatusCode::kAborted) continue;
    return st;
  }
  return absl::AbortedError("webhook kept changing; try again");
}

absl::StatusOr<v1::ListDeliveriesResponse> WebhookStore::ListDeliveries(const std::string& org_unit,
                                                                        int limit) {
  FG_ASSIGN_OR_RETURN(redis::Reply ids, pool_->Command({"LRANGE", Key("log", org_unit), "0",
                                                        std::to_string(limit - 1)}));
  v1::ListDeliveriesResponse out;
  if (ids.elements.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  for (const redis::Reply& id : ids.elements) cmds.push_back({"HGET", Key("d", id.str), "d"});
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> data, pool_->Pipeline(cmds));
  for (const redis::Reply& d : data) {
    if (d.IsError()) return redis::ErrorReplyToStatus(d.str);
    if (d.IsNil()) continue;  // expired
    if (!out.add_deliveries()->ParseFromString(d.str)) {
      return absl::InternalError("corrupt delivery record");
    }
  }
  return out;
}

absl::StatusOr<v1::Delivery> WebhookStore::GetDelivery(const std::string& delivery_id) {
  FG_ASSIGN_OR_RETURN(redis::Reply d, pool_->Command({"HGET", Key("d", delivery_id), "d"}));
  if (d.IsNil()) return absl::NotFoundError(absl::StrCat("no delivery ", delivery_id));
  v1::Delivery delivery;
  if (!delivery.ParseFromString(d.str)) return absl::InternalError("corrupt delivery record");
  return delivery;
}

absl::StatusOr<std::vector<WebhookStore::Hook>> WebhookStore::LoadEnabledHooks() {
  FG_ASSIGN_OR_RETURN(redis::Reply orgs, pool_->Command({"SMEMBERS", Key("orgs", "")}));
  std::vector<std::string> names;
  for (const redis::Reply& o : orgs.elements) names.push_back(o.str);
  std::sort(names.begin(), names.end());
  std::vector<Hook> hooks;
  if (names.empty()) return hooks;
  std::vector<std::vector<std::string>> cmds;
  for (const std::string& org : names)
    cmds.push_back({"HMGET", Key("hook", org), "data", "cursor"});
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  for (size_t i = 0; i < names.size(); ++i) {
    const redis::Reply& r = replies[i];
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
    if (r.elements.size() != 2 || r.elements[0].IsNil() || r.elements[1].IsNil()) continue;
    Hook hook;
    hook.org_unit = names[i];
    if (!hook.webhook.ParseFromString(r.elements[0].str)) {
      log::Error("corrupt webhook record", {{"org_unit", names[i]}});
      continue;
    }
    if (!hook.webhook.enabled()) continue;
    hook.cursor = r.elements[1].str;
    hooks.push_back(std::move(hook));
  }
  return hooks;
}

absl::Status WebhookStore::Intake(const Hook& hook, int log_size) {
  const std::string& org = hook.org_unit;
  const std::string stream = InboxStreamKey(prefix_, OrgRecipient(org));
  const std::string hook_key = Key("hook", org);
  const std::string due_key = Key("due", org);
  const std::string log_key = Key("log", org);
  std::string cursor = hook.cursor;
  absl::BitGen gen;
  for (int page = 0; page < kIntakePages; ++page) {
    FG_ASSIGN_OR_RETURN(redis::Reply entries,
                        pool_->Command({"XRANGE", stream, absl::StrCat("(", cursor), "+", "COUNT",
                                        std::to_string(kIntakeBatch)}));
    if (entries.elements.empty()) return absl::OkStatus();
    const absl::Time now = clock_->Now();
    const std::string now_ms = std::to_string(ToMillis(now));
    redis::AtomicWrite write;
    write.preconditions.push_back({redis::AtomicWrite::Precondition::Kind::kEquals, hook_key,
                                   "cursor", cursor, absl::StatusCode::kAborted, "cursor moved"});
    std::string next = cursor;
    for (const redis::Reply& entry : entries.elements) {
      if (entry.elements.size() != 2) continue;
      next = entry.elements[0].str;
      const redis::Reply* bytes = StreamField(entry.elements[1], kNotificationField);
      v1::Notification n;
      if (bytes == nullptr || !n.ParseFromString(bytes->str)) {
        log::Error("unreadable inbox entry skipped by webhooks",
                   {{"org_unit", org}, {"cursor", next}});
        continue;
      }
      n.set_cursor(next);
      if (n.recipient().empty()) n.set_recipient(OrgRecipient(org));
      // The same JSON as `firegridctl --output json`: proto field names, enum values in the
      // CLI's spelling ("hazard_task"), RFC 3339 times (libs/common/proto_json.h).
      absl::StatusOr<std::string> json = MessageToJson(n, {.multiline = false});
      if (!json.ok()) {
        log::Error("notification not convertible to JSON", {{"org_unit", org}, {"cursor", next}});
        continue;
      }
      const std::string body = *std::move(json);
      v1::Delivery d;
      d.set_delivery_id(DeliveryId(next, gen));
      d.set_org_unit(org);
      d.set_notification_id(n.notification_id());
      d.set_state(kDeliveryPending);
      *d.mutable_next_attempt_at() = ToProto(now);
      *d.mutable_updated_at() = ToProto(now);
      // The trace's span for this delivery is fixed here, like the body: every retry sends it.
      write.commands.push_back({"HSET", Key("d", d.delivery_id()), "d", Serialize(d), "attempts",
                                "0", "body", body, "kind",
                                EnumLabel(v1::Kind_descriptor(), n.kind()), "traceparent",
                                WebhookTraceparent(n.trace_id(), gen)});
      write.commands.push_back({"ZADD", due_key, now_ms, d.delivery_id()});
      write.commands.push_back({"LPUSH", log_key, d.delivery_id()});
    }
    write.commands.push_back({"LTRIM", log_key, "0", std::to_string(std::max(1, log_size) - 1)});
    write.commands.push_back({"HSET", hook_key, "cursor", next});
    absl::Status st = redis::Execute(*pool_, write);
    // Another replica took these entries (or the webhook was deleted): nothing left to do here.
    if (st.code() == absl::StatusCode::kAborted) return absl::OkStatus();
    FG_RETURN_IF_ERROR(st);
    cursor = next;
    if (static_cast<int>(entries.elements.size()) < kIntakeBatch) return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<bool>> WebhookStore::HaveNewEntries(const std::vector<Hook>& hooks) {
  std::vector<bool> out(hooks.size(), false);
  if (hooks.empty()) return out;
  // One round trip tells which inboxes have something new.
  std::vector<std::vector<std::string>> peek;
  for (const Hook& hook : hooks) {
    peek.push_back({"XRANGE", InboxStreamKey(prefix_, OrgRecipient(hook.org_unit)),
                    absl::StrCat("(", hook.cursor), "+", "COUNT", "1"});
  }
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> fresh, pool_->Pipeline(peek));
  for (size_t i = 0; i < hooks.size(); ++i) {
    out[i] = fresh[i].IsError() || !fresh[i].elements.empty();
  }
  return out;
}

absl::StatusOr<std::vector<bool>> WebhookStore::HaveDue(const std::vector<Hook>& hooks,
                                                        absl::Time now) {
  std::vector<bool> out(hooks.size(), false);
  if (hooks.empty()) return out;
  const std::string now_ms = std::to_string(ToMillis(now));
  // One round trip finds the org units with something due.
  std::vector<std::vector<std::string>> cmds;
  for (const Hook& hook : hooks) {
    cmds.push_back({"ZRANGEBYSCORE", Key("due", hook.org_unit), "-inf", now_ms, "LIMIT", "0", "1"});
  }
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> due, pool_->Pipeline(cmds));
  for (size_t i = 0; i < hooks.size(); ++i) {
    out[i] = !due[i].IsError() && !due[i].elements.empty();
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> WebhookStore::Claim(const std::string& org_unit,
                                                               absl::Time now,
                                                               const std::string& token,
                                                               absl::Duration lease) {
  FG_ASSIGN_OR_RETURN(redis::Reply claimed,
                      ClaimScript().Run(*pool_, {Key("due", org_unit), Key("lease", org_unit)},
                                        {std::to_string(ToMillis(now)), token,
                                         std::to_string(absl::ToInt64Milliseconds(lease))}));
  if (claimed.type != redis::Reply::Type::kString) return std::nullopt;
  return claimed.str;
}

absl::StatusOr<std::optional<std::string>> WebhookStore::Next(const std::string& org_unit,
                                                              absl::Time now,
                                                              const std::string& token,
                                                              absl::Duration lease) {
  FG_ASSIGN_OR_RETURN(redis::Reply next,
                      NextScript().Run(*pool_, {Key("due", org_unit), Key("lease", org_unit)},
                                       {std::to_string(ToMillis(now)), token,
                                        std::to_string(absl::ToInt64Milliseconds(lease))}));
  if (next.type != redis::Reply::Type::kString) return std::nullopt;
  return next.str;
}

absl::Status WebhookStore::Release(const std::string& org_unit, const std::string& token) {
  return ReleaseScript().Run(*pool_, {Key("lease", org_unit)}, {token}).status();
}

absl::StatusOr<WebhookStore::Attempt> WebhookStore::LoadAttempt(const std::string& org_unit,
                                                                const std::string& delivery_id) {
  const std::string dkey = Key("d", delivery_id);
  FG_ASSIGN_OR_RETURN(
      std::vector<redis::Reply> r,
      pool_->Pipeline({{"HGET", Key("hook", org_unit), "data"},
                       {"HMGET", dkey, "d", "attempts", "body", "kind", "traceparent"}}));
  if (r[0].IsError()) return redis::ErrorReplyToStatus(r[0].str);
  if (r[1].IsError()) return redis::ErrorReplyToStatus(r[1].str);
  Attempt a;
  if (r[0].IsNil() || !a.webhook.ParseFromString(r[0].str) || !a.webhook.enabled()) {
    a.state = Attempt::State::kNoEndpoint;  // deleted or disabled meanwhile
    return a;
  }
  const std::vector<redis::Reply>& f = r[1].elements;
  if (f.size() != 5 || f[0].IsNil() || !a.delivery.ParseFromString(f[0].str) ||
      a.delivery.state() != kDeliveryPending) {
    // Gone (expired, deleted) or already finished: it has no business in the due set.
    pool_->Command({"ZREM", Key("due", org_unit), delivery_id}).IgnoreError();
    a.state = Attempt::State::kNotPending;
    return a;
  }
  a.attempts = f[1].str;
  a.body = f[2].str;
  a.kind = f[3].str;
  a.traceparent = f[4].str;
  return a;
}

absl::Status WebhookStore::RecordAttempt(const std::string& org_unit, const std::string& attempts,
                                         const v1::Delivery& delivery) {
  const std::string& delivery_id = delivery.delivery_id();
  const std::string dkey = Key("d", delivery_id);
  const std::string due_key = Key("due", org_unit);
  redis::AtomicWrite write;
  write.preconditions.push_back({redis::AtomicWrite::Precondition::Kind::kEquals, dkey, "attempts",
                                 attempts, absl::StatusCode::kAborted, "attempt already recorded"});
  write.commands.push_back(
      {"HSET", dkey, "d", Serialize(delivery), "attempts", std::to_string(delivery.attempts())});
  if (delivery.state() == kDeliveryPending) {
    write.commands.push_back(
        {"ZADD", due_key,
         std::to_string(TimeUtil::TimestampToMilliseconds(delivery.next_attempt_at())),
         delivery_id});
  } else {
    write.commands.push_back({"ZREM", due_key, delivery_id});
    write.commands.push_back(
        {"PEXPIRE", dkey, std::to_string(absl::ToInt64Milliseconds(kDeliveryRetention))});
  }
  return redis::Execute(*pool_, write);
}

}  // namespace firegrid::notify
