#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/redis/atomic_write.h"
#include "nlohmann/json.hpp"
#include "services/accounts/store.h"

namespace firegrid::accounts {
namespace {

using Json = nlohmann::json;
using redis::AtomicWrite;
using Kind = AtomicWrite::Precondition::Kind;

// Throttles are kept an hour after their last change: longer than the failure window and the
// lock, so a lock is never forgotten early.
constexpr int64_t kThrottleKeepSeconds = 3600;

absl::Status Corrupt(absl::string_view what) {
  return absl::InternalError(absl::StrCat("accounts store: corrupt ", what));
}

std::string B64(const std::string& bytes) { return absl::Base64Escape(bytes); }
bool FromB64(const Json& j, const char* name, std::string* out) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return false;
  return absl::Base64Unescape(it->get<std::string>(), out);
}

std::string RefreshToJson(const RefreshRecord& r) {
  return Json{{"username", r.username},
              {"family", r.family},
              {"generation", r.generation},
              {"expires_ms", absl::ToUnixMillis(r.expires)}}
      .dump();
}

absl::StatusOr<RefreshRecord> RefreshFromJson(const std::string& text, bool used) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("refresh token record");
  RefreshRecord r;
  try {
    r.username = j.at("username").get<std::string>();
    r.family = j.at("family").get<std::string>();
    r.generation = j.at("generation").get<int64_t>();
    r.expires = absl::FromUnixMillis(j.at("expires_ms").get<int64_t>());
  } catch (const Json::exception&) {
    return Corrupt("refresh token record");
  }
  r.used = used;
  return r;
}

// Seconds until `t` from now, at least one (Redis keeps the key at least that long; the
// service checks the exact time itself).
int64_t SecondsUntil(absl::Time t) {
  int64_t s = absl::ToInt64Seconds(t - absl::Now()) + 60;
  return s < 1 ? 1 : s;
}

}  // namespace

std::string AccountToJson(const Account& a) {
  return Json{{"user", B64(a.user.SerializeAsString())},
              {"password_hash", a.password_hash},
              {"require_totp", a.require_totp},
              {"totp_secret", B64(a.totp_secret)},
              {"totp_pending", B64(a.totp_pending)},
              {"totp_last_step", a.totp_last_step},
              {"generation", a.generation}}
      .dump();
}

absl::StatusOr<Account> AccountFromJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("account");
  Account a;
  std::string user_bytes;
  if (!FromB64(j, "user", &user_bytes) || !a.user.ParseFromString(user_bytes) ||
      !FromB64(j, "totp_secret", &a.totp_secret) || !FromB64(j, "totp_pending", &a.totp_pending)) {
    return Corrupt("account");
  }
  try {
    a.password_hash = j.at("password_hash").get<std::string>();
    a.require_totp = j.at("require_totp").get<bool>();
    a.totp_last_step = j.at("totp_last_step").get<int64_t>();
    a.generation = j.at("generation").get<int64_t>();
  } catch (const Json::exception&) {
    return Corrupt("account");
  }
  return a;
}

std::string ThrottleToJson(const Throttle& t) {
  return Json{{"failures_ms", t.failures_ms}, {"locked_until_ms", t.locked_until_ms}}.dump();
}

absl::StatusOr<Throttle> ThrottleFromJson(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Corrupt("throttle");
  Throttle t;
  try {
    t.failures_ms = j.at("failures_ms").get<std::vector<int64_t>>();
    t.locked_until_ms = j.at("locked_until_ms").get<int64_t>();
  } catch (const Json::exception&) {
    return Corrupt("throttle");
  }
  return t;
}

std::string RedisStore::Key(absl::string_view kind, absl::string_view id) const {
  return absl::StrCat(prefix_, ":", kind, id.empty() ? "" : ":", id);
}

absl::StatusOr<std::optional<Account>> RedisStore::GetAccount(const std::string& username) {
  absl::StatusOr<redis::Reply> r = pool_->Command({"HGET", Key("user", username), "data"});
  if (!r.ok()) return r.status();
  if (r->IsNil()) return std::optional<Account>();
  absl::StatusOr<Account> a = AccountFromJson(r->str);
  if (!a.ok()) return a.status();
  return std::optional<Account>(*std::move(a));
}

absl::Status RedisStore::CreateAccount(const Account& account) {
  const std::string& name = account.user.username();
  AtomicWrite w;
  w.preconditions.push_back({.kind = Kind::kAbsent,
                             .key = Key("user", name),
                             .code_on_failure = absl::StatusCode::kAlreadyExists,
                             .message_on_failure = absl::StrCat("user ", name, " exists")});
  w.commands.push_back({"HSET", Key("user", name), "data", AccountToJson(account), "version",
                        absl::StrCat(account.user.version())});
  w.commands.push_back({"ZADD", Key("users", ""), "0", name});
  return redis::Execute(*pool_, w);
}

absl::Status RedisStore::PutAccount(const Account& account, int64_t expected_version) {
  const std::string& name = account.user.username();
  AtomicWrite w;
  w.preconditions.push_back({.kind = Kind::kExists,
                             .key = Key("user", name),
                             .code_on_failure = absl::StatusCode::kNotFound,
                             .message_on_failure = absl::StrCat("user ", name, " not found")});
  w.preconditions.push_back(
      {.kind = Kind::kEquals,
       .key = Key("user", name),
       .field = "version",
       .value = absl::StrCat(expected_version),
       .code_on_failure = absl::StatusCode::kAborted,
       .message_on_failure = absl::StrCat("user ", name, " changed meanwhile (not at version ",
                                          expected_version, ")")});
  w.commands.push_back({"HSET", Key("user", name), "data", AccountToJson(account), "version",
                        absl::StrCat(account.user.version())});
  return redis::Execute(*pool_, w);
}

absl::StatusOr<std::vector<Account>> RedisStore::ListAccounts(const std::string& after, int limit) {
  absl::StatusOr<redis::Reply> names =
      pool_->Command({"ZRANGEBYLEX", Key("users", ""), after.empty() ? "-" : "(" + after, "+",
                      "LIMIT", "0", absl::StrCat(limit)});
  if (!names.ok()) return names.status();
  std::vector<std::vector<std::string>> gets;
  for (const redis::Reply& n : names->elements) {
    gets.push_back({"HGET", Key("user", n.str), "data"});
  }
  std::vector<Account> out;
  if (gets.empty()) return out;
  absl::StatusOr<std::vector<redis::Reply>> replies = pool_->Pipeline(gets);
  if (!replies.ok()) return replies.status();
  for (const redis::Reply& r : *replies) {
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
    if (r.IsNil()) continue;
    absl::StatusOr<Account> a = AccountFromJson(r.str);
    if (!a.ok()) return a.status();
    out.push_back(*std::move(a));
  }
  return out;
}

absl::StatusOr<std::optional<Throttle>> RedisStore::GetThrottle(const std::string& username) {
  absl::StatusOr<redis::Reply> r = pool_->Command({"GET", Key("throttle", username)});
  if (!r.ok()) return r.status();
  if (r->IsNil()) return std::optional<Throttle>();
  absl::StatusOr<Throttle> t = ThrottleFromJson(r->str);
  if (!t.ok()) return t.status();
  return std::optional<Throttle>(*std::move(t));
}

absl::Status RedisStore::PutThrottle(const std::string& username,
                                     const std::optional<Throttle>& expected,
                                     const Throttle& next) {
  // The precondition compares the stored text; both sides are written by ThrottleToJson.
  AtomicWrite w;
  const std::string key = Key("throttle", username);
  if (expected.has_value()) {
    w.preconditions.push_back({.kind = Kind::kEquals,
                               .key = key,
                               .value = ThrottleToJson(*expected),
                               .message_on_failure = "sign-in throttle changed meanwhile"});
  } else {
    w.preconditions.push_back(
        {.kind = Kind::kAbsent, .key = key, .message_on_failure = "sign-in throttle changed"});
  }
  w.commands.push_back(
      {"SET", key, ThrottleToJson(next), "EX", absl::StrCat(kThrottleKeepSeconds)});
  return redis::Execute(*pool_, w);
}

absl::StatusOr<std::optional<RefreshRecord>> RedisStore::GetRefresh(const std::string& token_hash) {
  absl::StatusOr<redis::Reply> r = pool_->Command({"HMGET", Key("rt", token_hash), "data", "used"});
  if (!r.ok()) return r.status();
  if (r->elements.size() != 2 || r->elements[0].IsNil()) return std::optional<RefreshRecord>();
  absl::StatusOr<RefreshRecord> rec =
      RefreshFromJson(r->elements[0].str, r->elements[1].str == "1");
  if (!rec.ok()) return rec.status();
  return std::optional<RefreshRecord>(*std::move(rec));
}

absl::Status RedisStore::AddRefresh(const std::string& token_hash, const RefreshRecord& record) {
  AtomicWrite w;
  const std::string key = Key("rt", token_hash);
  w.preconditions.push_back({.kind = Kind::kAbsent,
                             .key = key,
                             .code_on_failure = absl::StatusCode::kAlreadyExists,
                             .message_on_failure = "refresh token exists"});
  w.commands.push_back({"HSET", key, "data", RefreshToJson(record), "used", "0"});
  w.commands.push_back({"EXPIRE", key, absl::StrCat(SecondsUntil(record.expires))});
  return redis::Execute(*pool_, w);
}

absl::Status RedisStore::RotateRefresh(const std::string& old_hash, const std::string& new_hash,
                                       const RefreshRecord& record) {
  AtomicWrite w;
  const std::string old_key = Key("rt", old_hash);
  const std::string new_key = Key("rt", new_hash);
  w.preconditions.push_back({.kind = Kind::kEquals,
                             .key = old_key,
                             .field = "used",
                             .value = "0",
                             .code_on_failure = absl::StatusCode::kAborted,
                             .message_on_failure = "refresh token already used"});
  w.preconditions.push_back({.kind = Kind::kAbsent,
                             .key = new_key,
                             .code_on_failure = absl::StatusCode::kAlreadyExists,
                             .message_on_failure = "refresh token exists"});
  w.commands.push_back({"HSET", old_key, "used", "1"});
  w.commands.push_back({"HSET", new_key, "data", RefreshToJson(record), "used", "0"});
  w.commands.push_back({"EXPIRE", new_key, absl::StrCat(SecondsUntil(record.expires))});
  return redis::Execute(*pool_, w);
}

absl::Status RedisStore::MarkRefreshUsed(const std::string& token_hash) {
  AtomicWrite w;
  const std::string key = Key("rt", token_hash);
  w.preconditions.push_back({.kind = Kind::kExists,
                             .key = key,
                             .code_on_failure = absl::StatusCode::kNotFound,
                             .message_on_failure = "no such refresh token"});
  w.commands.push_back({"HSET", key, "used", "1"});
  return redis::Execute(*pool_, w);
}

absl::Status RedisStore::RevokeFamily(const std::string& family, absl::Time until) {
  AtomicWrite w;
  w.commands.push_back(
      {"SET", Key("family", family), "revoked", "EX", absl::StrCat(SecondsUntil(until))});
  return redis::Execute(*pool_, w);
}

absl::StatusOr<bool> RedisStore::FamilyRevoked(const std::string& family) {
  absl::StatusOr<redis::Reply> r = pool_->Command({"EXISTS", Key("family", family)});
  if (!r.ok()) return r.status();
  return r->integer == 1;
}

}  // namespace firegrid::accounts
