#include "services/notify/webhooks.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "httplib.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/script.h"
#include "services/notify/inbox_keys.h"

namespace firegrid::notify {
namespace {

using auth::Principal;
using auth::Role;
using google::protobuf::util::TimeUtil;

constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMinSecretBytes = 16;
constexpr size_t kMaxSecretBytes = 1024;
constexpr size_t kMaxOrgUnitBytes = 128;
constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 200;
// Inbox entries taken per atomic write, and pages per org unit per round.
constexpr int kIntakeBatch = 100;
constexpr int kIntakePages = 10;
// Attempts one worker makes in a row for one endpoint after a success.
constexpr int kMaxChain = 20;
constexpr char kPending[] = "pending";
constexpr char kDelivered[] = "delivered";
constexpr char kFailed[] = "failed";

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

bool IsOrgUnitChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

absl::Status ValidateOrgUnit(absl::string_view org_unit, absl::string_view field) {
  if (org_unit.empty()) return InvalidField(field, "required");
  if (org_unit.size() > kMaxOrgUnitBytes ||
      !std::all_of(org_unit.begin(), org_unit.end(), IsOrgUnitChar)) {
    return InvalidField(field, "must be an org unit code ([0-9A-Za-z._-], at most 128 bytes)");
  }
  return absl::OkStatus();
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

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

void SetTimeouts(httplib::ClientImpl& client, absl::Duration timeout) {
  const int64_t us = std::max<int64_t>(absl::ToInt64Microseconds(timeout), 1000);
  const time_t sec = static_cast<time_t>(us / 1'000'000);
  const time_t usec = static_cast<time_t>(us % 1'000'000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
}

}  // namespace

// ---- Building blocks ----

std::string HmacSha256Hex(absl::string_view key, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // A zero-length key is valid HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &len) == nullptr) {
    return "";
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), static_cast<size_t>(len)));
}

std::string WebhookSignature(absl::string_view secret, absl::string_view body) {
  return absl::StrCat("sha256=", HmacSha256Hex(secret, body));
}

absl::StatusOr<WebhookUrl> ParseWebhookUrl(absl::string_view url, bool allow_http,
                                           absl::string_view field) {
  if (url.empty()) return InvalidField(field, "required");
  if (url.size() > kMaxUrlBytes) return InvalidField(field, "must be at most 2048 bytes");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return InvalidField(field, "must not contain spaces or control characters");
    }
  }
  WebhookUrl out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.https = true;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    if (!allow_http) return InvalidField(field, "must be an https:// URL");
  } else {
    return InvalidField(
        field, allow_http ? "must be an http:// or https:// URL" : "must be an https:// URL");
  }
  if (absl::StrContains(rest, '#')) return InvalidField(field, "must not have a fragment");
  const size_t end = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, end);
  absl::string_view path = end == absl::string_view::npos ? "" : rest.substr(end);
  if (absl::StrContains(authority, '@')) {
    return InvalidField(field, "must not contain user info (use the secret to authenticate)");
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos || close == 0) {
      return InvalidField(field, "has a malformed IPv6 host");
    }
    absl::string_view host = authority.substr(0, close);
    for (char c : host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return InvalidField(field, "has a malformed IPv6 host");
      }
    }
    out.host = std::string(host);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return InvalidField(field, "has a malformed host");
      port_text = after;
      if (port_text.empty()) return InvalidField(field, "has an empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    absl::string_view host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return InvalidField(field, "has an empty port");
    }
    if (host.empty()) return InvalidField(field, "must have a host");
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) {
      return InvalidField(field, "has a malformed host");
    }
    out.host = std::string(host);
  }
  out.port = out.https ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
        !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return InvalidField(field, "has a port outside 1..65535");
    }
    out.port = port;
  }
  if (path.empty()) {
    out.path = "/";
  } else if (path.front() == '?') {
    out.path = absl::StrCat("/", path);
  } else {
    out.path = std::string(path);
  }
  return out;
}

absl::Status AuthorizeWebhookOrgUnit(const Principal& principal, absl::string_view org_unit) {
  const std::string& tier = principal.tier_path;
  bool allowed = false;
  if (!tier.empty() && !org_unit.empty()) {
    switch (principal.role) {
      case Role::kDistrictAdmin:
        allowed = absl::StartsWith(org_unit, tier);
        break;
      case Role::kDepartmentOfficer:
        allowed = !principal.department.empty() &&
                  org_unit == absl::StrCat(tier, ".", principal.department);
        break;
      case Role::kStreetOfficer:
      case Role::kCommunityWorker:
        allowed = org_unit == tier;
        break;
      default:
        break;
    }
  }
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("role ", auth::RoleName(principal.role),
                                                  " may not manage the webhook of org unit ",
                                                  org_unit));
}

OrgUnitRegistry RedisOrgUnitRegistry(redis::Pool* pool, std::string buildings_prefix) {
  return [pool, prefix = std::move(buildings_prefix)](
             const std::string& org_unit) -> absl::StatusOr<bool> {
    FG_ASSIGN_OR_RETURN(redis::Reply r,
                        pool->Command({"EXISTS", absl::StrCat(prefix, ":ou:", org_unit)}));
    return r.integer == 1;
  };
}

absl::Duration RetryBackoff(int failed_attempts, const WebhookOptions& options) {
  absl::Duration d = options.initial_backoff;
  for (int i = 1; i < failed_attempts && d < options.max_backoff; ++i) d *= 2;
  return std::min(d, options.max_backoff);
}

void ApplyAttemptOutcome(const AttemptOutcome& outcome, absl::Time now,
                         const WebhookOptions& options, v1::Delivery* delivery) {
  delivery->set_attempts(delivery->attempts() + 1);
  delivery->set_last_http_status(outcome.http_status);
  *delivery->mutable_updated_at() = ToProto(now);
  if (outcome.http_status >= 200 && outcome.http_status < 300) {
    delivery->set_state(kDelivered);
    delivery->clear_last_error();
    delivery->clear_next_attempt_at();
    return;
  }
  delivery->set_last_error(outcome.http_status != 0 ? absl::StrCat("HTTP ", outcome.http_status)
                                                    : outcome.error);
  if (delivery->attempts() >= options.max_attempts) {
    delivery->set_state(kFailed);
    delivery->clear_next_attempt_at();
    return;
  }
  delivery->set_state(kPending);
  *delivery->mutable_next_attempt_at() = ToProto(now + RetryBackoff(delivery->attempts(), options));
}

// ---- Webhooks ----

Webhooks::Webhooks(redis::Pool* pool, std::string prefix, WebhookOptions options, Clock* clock)
    : pool_(pool),
      prefix_(std::move(prefix)),
      options_(std::move(options)),
      clock_(clock),
      instance_(ids_.NewId("whk")) {
  const int n = std::max(1, options_.workers);
  threads_.reserve(n);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

Webhooks::~Webhooks() { Stop(); }

std::string Webhooks::Key(absl::string_view kind, absl::string_view id) const {
  return absl::StrCat(prefix_, ":wh:", kind, id.empty() ? "" : ":", id);
}

absl::StatusOr<v1::Webhook> Webhooks::Set(const Principal& principal, const v1::Webhook& webhook) {
  FG_RETURN_IF_ERROR(ValidateOrgUnit(webhook.org_unit(), "webhook.org_unit"));
  FG_RETURN_IF_ERROR(AuthorizeWebhookOrgUnit(principal, webhook.org_unit()));
  FG_ASSIGN_OR_RETURN(WebhookUrl url, ParseWebhookUrl(webhook.url(), options_.allow_http));
  if (std::optional<IpAddress> literal = ParseNumericHost(url.host)) {
    if (absl::Status st = CheckAddress(*literal, options_.destination); !st.ok()) {
      return InvalidField("webhook.url", st.message());
    }
  }
  if (webhook.secret().size() < kMinSecretBytes) {
    return InvalidField("webhook.secret", "must be at least 16 bytes");
  }
  if (webhook.secret().size() > kMaxSecretBytes) {
    return InvalidField("webhook.secret", "must be at most 1024 bytes");
  }
  const std::string& org = webhook.org_unit();
  if (options_.org_units) {
    FG_ASSIGN_OR_RETURN(bool registered, options_.org_units(org));
    if (!registered) return InvalidField("webhook.org_unit", "is not a registered org unit");
  }

  // A new webhook starts at the inbox's current end (HSETNX keeps the cursor of an existing one).
  FG_ASSIGN_OR_RETURN(redis::Reply last,
                      pool_->Command({"XREVRANGE", InboxStreamKey(prefix_, OrgRecipient(org)), "+",
                                      "-", "COUNT", "1"}));
  std::string start = "0-0";
  if (!last.elements.empty() && !last.elements[0].elements.empty()) {
    start = last.elements[0].elements[0].str;
  }

  v1::Webhook stored = webhook;
  *stored.mutable_updated_at() = ToProto(clock_->Now());
  redis::AtomicWrite write;
  const std::string hook_key = Key("hook", org);
  write.commands.push_back({"HSET", hook_key, "data", Serialize(stored)});
  write.commands.push_back({"HSETNX", hook_key, "cursor", start});
  write.commands.push_back({"SADD", Key("orgs", ""), org});
  FG_RETURN_IF_ERROR(redis::Execute(*pool_, write));
  log::Info("webhook set",
            {{"org_unit", org}, {"enabled", stored.enabled()}, {"by", principal.subject}});
  stored.clear_secret();
  return stored;
}

absl::StatusOr<v1::Webhook> Webhooks::Get(const Principal& principal, const std::string& org_unit) {
  FG_RETURN_IF_ERROR(ValidateOrgUnit(org_unit, "org_unit"));
  FG_RETURN_IF_ERROR(AuthorizeWebhookOrgUnit(principal, org_unit));
  FG_ASSIGN_OR_RETURN(redis::Reply data, pool_->Command({"HGET", Key("hook", org_unit), "data"}));
  if (data.IsNil()) return absl::NotFoundError(absl::StrCat("no webhook for org unit ", org_unit));
  v1::Webhook webhook;
  if (!webhook.ParseFromString(data.str)) {
    return absl::InternalError(absl::StrCat("corrupt webhook of ", org_unit));
  }
  webhook.clear_secret();
  return webhook;
}

absl::StatusOr<v1::DeleteWebhookResponse> Webhooks::Delete(const Principal& principal,
                                                           const std::string& org_unit) {
  FG_RETURN_IF_ERROR(ValidateOrgUnit(org_unit, "org_unit"));
  FG_RETURN_IF_ERROR(AuthorizeWebhookOrgUnit(principal, org_unit));
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
    FG_RETURN_IF_ERROR(st);
    log::Info("webhook deleted", {{"org_unit", org_unit}, {"by", principal.subject}});
    return v1::DeleteWebhookResponse();
  }
  return absl::AbortedError("webhook kept changing; try again");
}

absl::StatusOr<v1::ListDeliveriesResponse> Webhooks::ListDeliveries(const Principal& principal,
                                                                    const std::string& org_unit,
                                                                    int limit) {
  FG_RETURN_IF_ERROR(ValidateOrgUnit(org_unit, "org_unit"));
  FG_RETURN_IF_ERROR(AuthorizeWebhookOrgUnit(principal, org_unit));
  if (limit < 0) return InvalidField("limit", "must not be negative");
  if (limit == 0) limit = kDefaultListLimit;
  limit = std::min({limit, kMaxListLimit, std::max(1, options_.log_size)});
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

absl::StatusOr<v1::Delivery> Webhooks::GetDelivery(const std::string& delivery_id) {
  FG_ASSIGN_OR_RETURN(redis::Reply d, pool_->Command({"HGET", Key("d", delivery_id), "d"}));
  if (d.IsNil()) return absl::NotFoundError(absl::StrCat("no delivery ", delivery_id));
  v1::Delivery delivery;
  if (!delivery.ParseFromString(d.str)) return absl::InternalError("corrupt delivery record");
  return delivery;
}

// ---- Dispatcher ----

absl::StatusOr<std::vector<Webhooks::Hook>> Webhooks::LoadHooks() {
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

absl::Status Webhooks::Intake(const Hook& hook) {
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
      std::string body;
      if (!google::protobuf::util::MessageToJsonString(n, &body).ok()) {
        log::Error("notification not convertible to JSON", {{"org_unit", org}, {"cursor", next}});
        continue;
      }
      v1::Delivery d;
      d.set_delivery_id(DeliveryId(next, gen));
      d.set_org_unit(org);
      d.set_notification_id(n.notification_id());
      d.set_state(kPending);
      *d.mutable_next_attempt_at() = ToProto(now);
      *d.mutable_updated_at() = ToProto(now);
      write.commands.push_back({"HSET", Key("d", d.delivery_id()), "d", Serialize(d), "attempts",
                                "0", "body", body, "kind", v1::Kind_Name(n.kind())});
      write.commands.push_back({"ZADD", due_key, now_ms, d.delivery_id()});
      write.commands.push_back({"LPUSH", log_key, d.delivery_id()});
    }
    write.commands.push_back(
        {"LTRIM", log_key, "0", std::to_string(std::max(1, options_.log_size) - 1)});
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

absl::StatusOr<int> Webhooks::RunOnce() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::FailedPreconditionError("webhooks stopped");
  }
  FG_ASSIGN_OR_RETURN(std::vector<Hook> hooks, LoadHooks());
  // One round trip tells which inboxes have something new.
  std::vector<std::vector<std::string>> peek;
  for (const Hook& hook : hooks) {
    peek.push_back({"XRANGE", InboxStreamKey(prefix_, OrgRecipient(hook.org_unit)),
                    absl::StrCat("(", hook.cursor), "+", "COUNT", "1"});
  }
  std::vector<redis::Reply> fresh;
  if (!peek.empty()) {
    FG_ASSIGN_OR_RETURN(fresh, pool_->Pipeline(peek));
  }
  for (size_t i = 0; i < hooks.size(); ++i) {
    const Hook& hook = hooks[i];
    if (!fresh[i].IsError() && fresh[i].elements.empty()) continue;
    absl::Status st = Intake(hook);
    if (!st.ok()) {
      log::Warn("webhook intake failed",
                {{"org_unit", hook.org_unit}, {"error", std::string(st.message())}});
      if (st.code() == absl::StatusCode::kUnavailable) return st;
    }
  }
  return Dispatch(hooks);
}

int Webhooks::Dispatch(const std::vector<Hook>& hooks) {
  if (hooks.empty()) return 0;
  const std::string now_ms = std::to_string(ToMillis(clock_->Now()));
  // One round trip finds the org units with something due.
  std::vector<std::vector<std::string>> cmds;
  for (const Hook& hook : hooks) {
    cmds.push_back({"ZRANGEBYSCORE", Key("due", hook.org_unit), "-inf", now_ms, "LIMIT", "0", "1"});
  }
  absl::StatusOr<std::vector<redis::Reply>> due = pool_->Pipeline(cmds);
  if (!due.ok()) {
    log::Warn("webhook dispatch failed", {{"error", std::string(due.status().message())}});
    return 0;
  }
  std::vector<const Hook*> candidates;
  for (size_t i = 0; i < hooks.size(); ++i) {
    if (!(*due)[i].IsError() && !(*due)[i].elements.empty()) candidates.push_back(&hooks[i]);
  }
  if (candidates.empty()) return 0;
  // Rotate the starting point so that, with more endpoints due than workers, each gets a turn.
  const size_t start = rotation_.fetch_add(1) % candidates.size();
  std::rotate(candidates.begin(), candidates.begin() + start, candidates.end());

  const int64_t lease_ms = absl::ToInt64Milliseconds(4 * options_.request_timeout) + 5000;
  int started = 0;
  for (const Hook* hook : candidates) {
    if (!ReserveWorker()) break;
    std::string token = absl::StrCat(instance_, "/", lease_seq_.fetch_add(1));
    absl::StatusOr<redis::Reply> claimed =
        ClaimScript().Run(*pool_, {Key("due", hook->org_unit), Key("lease", hook->org_unit)},
                          {now_ms, token, std::to_string(lease_ms)});
    if (!claimed.ok() || claimed->type != redis::Reply::Type::kString) {
      if (!claimed.ok()) {
        log::Warn("webhook claim failed", {{"org_unit", hook->org_unit},
                                           {"error", std::string(claimed.status().message())}});
      }
      ReleaseWorker();
      continue;
    }
    Submit([this, org = hook->org_unit, token, id = claimed->str]() mutable {
      RunEndpoint(org, token, std::move(id));
    });
    ++started;
  }
  return started;
}

void Webhooks::RunEndpoint(const std::string& org_unit, const std::string& lease_token,
                           std::string delivery_id) {
  const std::string due_key = Key("due", org_unit);
  const std::string lease_key = Key("lease", org_unit);
  const int64_t lease_ms = absl::ToInt64Milliseconds(4 * options_.request_timeout) + 5000;
  for (int n = 0;; ++n) {
    const AttemptEnd end = AttemptOne(org_unit, delivery_id);
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
    }
    if (end == AttemptEnd::kFailed || end == AttemptEnd::kLostEndpoint || stopping ||
        n + 1 >= kMaxChain) {
      break;
    }
    absl::StatusOr<redis::Reply> next = NextScript().Run(
        *pool_, {due_key, lease_key},
        {std::to_string(ToMillis(clock_->Now())), lease_token, std::to_string(lease_ms)});
    if (!next.ok()) break;
    // Nothing more due (the script released the lease), or the lease is no longer ours.
    if (next->type != redis::Reply::Type::kString) return;
    delivery_id = next->str;
  }
  absl::StatusOr<redis::Reply> released = ReleaseScript().Run(*pool_, {lease_key}, {lease_token});
  if (!released.ok()) {
    // The lease then expires by itself.
    log::Warn("webhook lease release failed",
              {{"org_unit", org_unit}, {"error", std::string(released.status().message())}});
  }
}

Webhooks::AttemptEnd Webhooks::AttemptOne(const std::string& org_unit,
                                          const std::string& delivery_id) {
  const std::string dkey = Key("d", delivery_id);
  const std::string due_key = Key("due", org_unit);
  absl::StatusOr<std::vector<redis::Reply>> r = pool_->Pipeline(
      {{"HGET", Key("hook", org_unit), "data"}, {"HMGET", dkey, "d", "attempts", "body", "kind"}});
  if (!r.ok() || (*r)[0].IsError() || (*r)[1].IsError()) {
    log::Warn("webhook attempt: redis read failed", {{"org_unit", org_unit}});
    return AttemptEnd::kLostEndpoint;
  }
  v1::Webhook webhook;
  if ((*r)[0].IsNil() || !webhook.ParseFromString((*r)[0].str) || !webhook.enabled()) {
    return AttemptEnd::kLostEndpoint;  // deleted or disabled meanwhile
  }
  const std::vector<redis::Reply>& f = (*r)[1].elements;
  v1::Delivery delivery;
  if (f.size() != 4 || f[0].IsNil() || !delivery.ParseFromString(f[0].str) ||
      delivery.state() != kPending) {
    // Gone (expired, deleted) or already finished: it has no business in the due set.
    pool_->Command({"ZREM", due_key, delivery_id}).IgnoreError();
    return AttemptEnd::kSkipped;
  }
  const std::string attempts = f[1].str;
  absl::StatusOr<WebhookUrl> url = ParseWebhookUrl(webhook.url(), options_.allow_http);
  AttemptOutcome outcome;
  if (url.ok()) {
    outcome = Send(*url, webhook.secret(), delivery_id, f[3].str, f[2].str);
  } else {
    // E.g. http:// stored while allowed, then allow_http turned off.
    outcome.error = kNoResponseError;
    outcome.detail = std::string(url.status().message());
  }
  const absl::Time now = clock_->Now();
  ApplyAttemptOutcome(outcome, now, options_, &delivery);

  redis::AtomicWrite write;
  write.preconditions.push_back({redis::AtomicWrite::Precondition::Kind::kEquals, dkey, "attempts",
                                 attempts, absl::StatusCode::kAborted, "attempt already recorded"});
  write.commands.push_back(
      {"HSET", dkey, "d", Serialize(delivery), "attempts", std::to_string(delivery.attempts())});
  if (delivery.state() == kPending) {
    write.commands.push_back(
        {"ZADD", due_key,
         std::to_string(TimeUtil::TimestampToMilliseconds(delivery.next_attempt_at())),
         delivery_id});
  } else {
    write.commands.push_back({"ZREM", due_key, delivery_id});
    write.commands.push_back(
        {"PEXPIRE", dkey, std::to_string(absl::ToInt64Milliseconds(kDeliveryRetention))});
  }
  absl::Status st = redis::Execute(*pool_, write);
  log::Fields fields = {{"org_unit", org_unit},
                        {"delivery_id", delivery_id},
                        {"notification_id", delivery.notification_id()},
                        {"attempts", delivery.attempts()},
                        {"state", delivery.state()},
                        {"http_status", delivery.last_http_status()}};
  if (!delivery.last_error().empty()) fields["error"] = delivery.last_error();
  if (!outcome.detail.empty()) fields["detail"] = outcome.detail;
  if (!st.ok()) {
    // ABORTED: another replica recorded this attempt (our lease had expired); or deleted.
    fields["record_error"] = std::string(st.message());
    log::Warn("webhook attempt not recorded", fields);
    return AttemptEnd::kLostEndpoint;
  }
  if (delivery.state() == kDelivered) {
    log::Info("webhook delivered", fields);
    return AttemptEnd::kDelivered;
  }
  if (delivery.state() == kFailed) {
    log::Warn("webhook delivery failed for good", fields);
  } else {
    log::Info("webhook attempt failed; will retry", fields);
  }
  return AttemptEnd::kFailed;
}

AttemptOutcome Webhooks::Send(const WebhookUrl& url, const std::string& secret,
                              const std::string& delivery_id, const std::string& kind,
                              const std::string& body) {
  absl::StatusOr<IpAddress> address = ResolveDestination(
      url.host, options_.destination, options_.resolver ? options_.resolver : SystemResolver());
  if (!address.ok()) {
    AttemptOutcome refused;
    refused.error = kNoResponseError;
    refused.detail = absl::StrCat("destination: ", address.status().message());
    return refused;
  }
  return Post(url, *address, secret, delivery_id, kind, body);
}

AttemptOutcome Webhooks::Post(const WebhookUrl& url, const IpAddress& address,
                              const std::string& secret, const std::string& delivery_id,
                              const std::string& kind, const std::string& body) {
  AttemptOutcome outcome;
  outcome.error = kNoResponseError;
  try {
    std::unique_ptr<httplib::ClientImpl> client;
    if (url.https) {
      client = std::make_unique<httplib::SSLClient>(url.host, url.port);
    } else {
      client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
    }
    if (!client->is_valid()) {
      outcome.detail = "TLS client could not be initialised";
      return outcome;
    }
    // Connect to the address that was checked, not to a second lookup of the name (the name
    // still goes into Host, SNI and the certificate check).
    client->set_hostname_addr_map({{url.host, address.ToString()}});
    SetTimeouts(*client, options_.request_timeout);
    client->set_follow_location(false);
    client->set_keep_alive(false);

    httplib::Request req;
    req.method = "POST";
    req.path = url.path;
    req.headers = {{"Content-Type", "application/json"},
                   {"User-Agent", "firegrid-notify-webhooks/1"},
                   {"X-Firegrid-Delivery", delivery_id},
                   {"X-Firegrid-Event", kind},
                   {"X-Firegrid-Signature", WebhookSignature(secret, body)}};
    req.body = body;
    // The status line and headers are all we need: stop before the body, so that a large or
    // endless response body cannot hold a worker.
    int status = 0;
    req.response_handler = [&status](const httplib::Response& res) {
      status = res.status;
      return false;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    client->send(req, res, error);
    if (status > 0) {
      outcome.http_status = status;
      outcome.error.clear();
    } else {
      outcome.detail = absl::StrCat("transport: ", httplib::to_string(error));
    }
  } catch (const std::exception& e) {
    outcome.http_status = 0;
    outcome.detail = absl::StrCat("transport: ", e.what());
  }
  return outcome;
}

// ---- Worker pool ----

bool Webhooks::ReserveWorker() {
  absl::MutexLock lock(&mu_);
  if (stopping_ || busy_ >= static_cast<int>(threads_.size())) return false;
  ++busy_;
  return true;
}

void Webhooks::ReleaseWorker() {
  absl::MutexLock lock(&mu_);
  --busy_;
}

void Webhooks::Submit(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

void Webhooks::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Webhooks::HasWorkOrStopping));
      if (queue_.empty()) return;  // stopping, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
    ReleaseWorker();
  }
}

// A worker exits only when stopping and nothing is queued or reserved: a RunOnce that reserved a
// worker before Stop() still gets its claimed attempt run.
bool Webhooks::HasWorkOrStopping() const { return !queue_.empty() || (stopping_ && busy_ == 0); }
bool Webhooks::Idle() const { return busy_ == 0; }

void Webhooks::WaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &Webhooks::Idle));
}

void Webhooks::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (joined_) return;
    stopping_ = true;
    joined_ = true;
  }
  // Workers drain the queue (tasks already claimed) and exit.
  for (std::thread& t : threads_) t.join();
}

}  // namespace firegrid::notify
