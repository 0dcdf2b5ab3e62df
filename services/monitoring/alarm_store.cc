#include "services/monitoring/alarm_store.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/events/topics.h"
#include "libs/redis/atomic_write.h"

namespace firegrid::monitoring {
namespace {

using Pre = redis::AtomicWrite::Precondition;
using TimeUtil = google::protobuf::util::TimeUtil;

constexpr char kProducer[] = "monitoring";
// A transition whose alarm moved under it (a person acknowledged it meanwhile, or another
// replica won) is built again from a fresh read, at most this many times.
constexpr int kAttempts = 8;
constexpr int kScanBatch = 200;
// Alarms of one index raised in the same millisecond that one page boundary can tell apart.
constexpr int kMaxTies = 1000;
// How long the audit stream keeps a transition: a year, as libs/audit keeps its records
// (network-operation logs at least six months, Cybersecurity Law art. 21).
constexpr absl::Duration kAuditRetention = absl::Hours(24 * 365);
// Transitions an alarm keeps in its history: every one but the oldest repeats beyond this.
constexpr int kMaxHistory = 50;
// The message prefix of a failed alarm-version precondition (retried here, not by callers).
constexpr absl::string_view kAlarmMoved = "alarm moved:";

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

std::string Ms(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

bool IsActive(v1::AlarmState s) {
  return s == v1::ALARM_STATE_ACTIVE_UNACK || s == v1::ALARM_STATE_ACTIVE_ACK;
}

// Counted in the counters and kept in the open indexes.
bool IsOpen(v1::AlarmState s) {
  return s != v1::ALARM_STATE_UNSPECIFIED && s != v1::ALARM_STATE_CLEARED_ACK;
}

// The district, street and community codes of a community's tier path (its 6-, 9- and 12-digit
// prefixes, as far as it is long).
std::vector<std::string> Tiers(const std::string& tier_path) {
  std::vector<std::string> out;
  for (size_t n : {6u, 9u, 12u}) {
    if (tier_path.size() >= n) out.push_back(tier_path.substr(0, n));
  }
  return out;
}

std::string CounterField(v1::AlarmType type, v1::AlarmState state) {
  return absl::StrCat(v1::AlarmType_Name(type), ":", v1::AlarmState_Name(state));
}

std::string StateName(v1::AlarmState s) { return v1::AlarmState_Name(s); }

}  // namespace

struct AlarmStore::Loaded {
  v1::Alarm alarm;
  int64_t ver = 0;
};

// One atomic write of alarm transitions with everything that goes with them: the alarm hashes,
// indexes, counters, audit entries and outbox events.
class AlarmStore::Tx {
 public:
  Tx(AlarmStore* store, absl::Time now, std::string traceparent)
      : s_(store), now_(now), traceparent_(std::move(traceparent)) {}

  redis::AtomicWrite& write() { return w_; }

  // The alarm must still be at `ver` when the write runs (0: must not exist yet).
  void ExpectVersion(const std::string& alarm_id, int64_t ver) {
    if (ver == 0) {
      w_.preconditions.push_back(Pre{Pre::Kind::kAbsent, s_->Key("alm", alarm_id), "", "",
                                     absl::StatusCode::kAlreadyExists,
                                     absl::StrCat("alarm ", alarm_id, " exists already")});
    } else {
      w_.preconditions.push_back(Pre{Pre::Kind::kEquals, s_->Key("alm", alarm_id), "ver",
                                     absl::StrCat(ver), absl::StatusCode::kAborted,
                                     absl::StrCat(kAlarmMoved, " ", alarm_id, " is not at ", ver)});
    }
  }

  // Moves `a` to state `to` by `action`: history, version, counters and the open indexes.
  v1::AlarmTransition Apply(v1::Alarm* a, absl::string_view action, v1::AlarmState to,
                            const std::string& actor, const std::string& note) {
    v1::AlarmTransition t;
    *t.mutable_at() = Ts(now_);
    t.set_action(std::string(action));
    t.set_from(a->state());
    t.set_to(to);
    t.set_actor(actor);
    t.set_note(note);
    const v1::AlarmState from = a->state();
    a->set_state(to);
    a->set_version(a->version() + 1);
    *a->add_history() = t;
    if (a->history_size() > kMaxHistory) {
      // A flapping condition must not grow the alarm (and every event carrying it) without
      // bound: the oldest repeat goes; the count and the audit stream keep them all.
      for (int i = 0; i < a->history_size() - 1; ++i) {
        if (a->history(i).action() == "repeat") {
          a->mutable_history()->DeleteSubrange(i, 1);
          break;
        }
      }
    }
    if (from != to) {
      std::vector<std::string> counters = Scopes(*a, "cnt");
      counters.push_back(s_->Key("cnt:all"));  // every open alarm, for the metrics
      for (const std::string& key : counters) {
        if (IsOpen(from)) {
          w_.commands.push_back({"HINCRBY", key, CounterField(a->type(), from), "-1"});
        }
        if (IsOpen(to)) {
          w_.commands.push_back({"HINCRBY", key, CounterField(a->type(), to), "1"});
        }
      }
      if (IsOpen(from) && !IsOpen(to)) {
        for (const std::string& key : Scopes(*a, "open")) {
          w_.commands.push_back({"ZREM", key, a->alarm_id()});
        }
      }
    }
    // Kept for the audit retention (entries older than it are trimmed as new ones arrive).
    std::vector<std::string> audit = {"XADD",
                                      s_->Key("audit"),
                                      "MINID",
                                      "~",
                                      Ms(std::max(now_ - kAuditRetention, absl::UnixEpoch())),
                                      "*"};
    const std::pair<const char*, std::string> fields[] = {{"alarm", a->alarm_id()},
                                                          {"device", a->device_id()},
                                                          {"building", a->building_id()},
                                                          {"action", t.action()},
                                                          {"from", StateName(from)},
                                                          {"to", StateName(to)},
                                                          {"actor", actor},
                                                          {"note", note},
                                                          {"at_ms", Ms(now_)}};
    for (const auto& [field, value] : fields) {
      audit.push_back(field);
      audit.push_back(value);
    }
    w_.commands.push_back(std::move(audit));
    return t;
  }

  // A new alarm in the every-alarm and open indexes of its building and tiers.
  void Index(const v1::Alarm& a) {
    const std::string score = absl::StrCat(TimeUtil::TimestampToMilliseconds(a.raised_at()));
    for (const char* kind : {"alms", "open"}) {
      for (const std::string& key : Scopes(a, kind)) {
        w_.commands.push_back({"ZADD", key, score, a.alarm_id()});
      }
    }
  }

  void Put(const v1::Alarm& a) {
    w_.commands.push_back({"HSET", s_->Key("alm", a.alarm_id()), "data", a.SerializeAsString(),
                           "ver", absl::StrCat(a.version())});
  }

  // The event on the outbox (topic: monitoring, key: the building); returns the envelope.
  events::Envelope Publish(const google::protobuf::Message& payload, const v1::Alarm& a) {
    events::Envelope env = events::NewEnvelope(payload, kProducer, a.building_id(), a.tier_path(),
                                               now_, s_->ids_, traceparent_);
    w_.appends.push_back(events::OutboxAppend(
        s_->outbox_key_, events::Message{std::string(events::kMonitoringTopic), a.building_id(),
                                         events::SerializeEnvelope(env)}));
    return env;
  }

  absl::Status Run() { return redis::Execute(*s_->pool_, w_); }

  std::vector<std::string> Scopes(const v1::Alarm& a, absl::string_view kind) const {
    std::vector<std::string> out = {s_->Key(absl::StrCat(kind, ":b"), a.building_id())};
    for (const std::string& t : Tiers(a.tier_path())) {
      out.push_back(s_->Key(absl::StrCat(kind, ":t"), t));
    }
    return out;
  }

 private:
  AlarmStore* s_;
  absl::Time now_;
  std::string traceparent_;
  redis::AtomicWrite w_;
};

AlarmStore::AlarmStore(redis::Pool* pool, std::string prefix, std::string outbox_key,
                       const Rules* rules)
    : pool_(pool), prefix_(std::move(prefix)), outbox_key_(std::move(outbox_key)), rules_(rules) {}

std::string AlarmStore::Key(const std::string& a, const std::string& b) const {
  if (b.empty()) return absl::StrCat(prefix_, ":", a);
  return absl::StrCat(prefix_, ":", a, ":", b);
}

namespace {

// The device's registry hash (DeviceStore::DeviceKey) holds its handled state.
std::string DevKey(const std::string& prefix, const std::string& device_id) {
  return absl::StrCat(prefix, ":dev:", device_id);
}

std::string ActiveKey(const std::string& prefix, const std::string& device_id, v1::AlarmType type) {
  return absl::StrCat(prefix, ":active:", device_id, ":", v1::AlarmType_Name(type));
}

absl::StatusOr<StoredState> ParseState(const std::string& device_id, const redis::Reply& r) {
  StoredState out;
  if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
  if (r.type != redis::Reply::Type::kArray || r.elements.size() != 2) {
    return absl::InternalError(absl::StrCat("HMGET st sver of ", device_id, ": bad reply"));
  }
  const redis::Reply& st = r.elements[0];
  const redis::Reply& sver = r.elements[1];
  if (!sver.IsNil() && !absl::SimpleAtoi(sver.str, &out.version)) {
    return absl::DataLossError(absl::StrCat("device ", device_id, ": sver ", sver.str));
  }
  if (!st.IsNil() && !out.state.ParseFromString(st.str)) {
    // One device's damaged state must not stop the batches it is in: it starts afresh (its
    // next commit, at the stored version, overwrites it).
    log::Error("device state does not decode; starting it afresh",
               {{"device_id", device_id}, {"sver", out.version}});
    out.state.Clear();
  }
  return out;
}

// The device's state must still be at `version` (0: never written).
Pre StatePrecondition(const std::string& key, const std::string& device_id, int64_t version) {
  const std::string msg =
      absl::StrCat("device ", device_id, " state is no longer at version ", version);
  if (version == 0) {
    return Pre{Pre::Kind::kAbsent, key, "sver", "", absl::StatusCode::kAborted, msg};
  }
  return Pre{Pre::Kind::kEquals,         key, "sver", absl::StrCat(version),
             absl::StatusCode::kAborted, msg};
}

absl::StatusOr<std::vector<std::string>> Strings(absl::StatusOr<redis::Reply> r) {
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (const redis::Reply& e : r->elements) out.push_back(e.str);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<StoredState>> AlarmStore::LoadStates(
    const std::vector<std::string>& device_ids) {
  std::vector<StoredState> out;
  if (device_ids.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(device_ids.size());
  for (const std::string& id : device_ids) {
    cmds.push_back({"HMGET", DevKey(prefix_, id), "st", "sver"});
  }
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  out.reserve(replies.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    FG_ASSIGN_OR_RETURN(StoredState s, ParseState(device_ids[i], replies[i]));
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::optional<AlarmStore::Loaded>> AlarmStore::Load(const std::string& alarm_id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"HMGET", Key("alm", alarm_id), "data", "ver"}));
  if (r.type != redis::Reply::Type::kArray || r.elements.size() != 2) {
    return absl::InternalError("HMGET data ver: bad reply");
  }
  if (r.elements[0].IsNil()) return std::nullopt;
  Loaded l;
  if (!l.alarm.ParseFromString(r.elements[0].str) || !absl::SimpleAtoi(r.elements[1].str, &l.ver)) {
    return absl::DataLossError(absl::StrCat("alarm ", alarm_id, " does not decode"));
  }
  return l;
}

absl::StatusOr<CommitResult> AlarmStore::Commit(const DeviceCommit& commit) {
  if (commit.device.device_id().empty()) return InvalidField("device.device_id", "required");
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    absl::StatusOr<CommitResult> r = CommitOnce(commit);
    if (r.ok() || r.status().code() != absl::StatusCode::kAborted ||
        !absl::StartsWith(r.status().message(), kAlarmMoved)) {
      return r;
    }
    last = r.status();
  }
  return last;
}

absl::StatusOr<CommitResult> AlarmStore::CommitOnce(const DeviceCommit& c) {
  const std::string& device_id = c.device.device_id();
  const std::string dev_key = DevKey(prefix_, device_id);

  // The alarms the actions repeat or clear that this commit does not raise itself, read first.
  std::set<std::string> raised_here;
  std::vector<std::string> to_read;
  for (const AlarmAction& a : c.actions) {
    if (a.kind == AlarmAction::Kind::kRaise) {
      raised_here.insert(a.alarm_id);
    } else if (!raised_here.count(a.alarm_id) &&
               std::find(to_read.begin(), to_read.end(), a.alarm_id) == to_read.end()) {
      to_read.push_back(a.alarm_id);
    }
  }
  std::map<std::string, Loaded> stored;
  if (!to_read.empty()) {
    std::vector<std::vector<std::string>> cmds;
    for (const std::string& id : to_read) cmds.push_back({"HMGET", Key("alm", id), "data", "ver"});
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
    for (size_t i = 0; i < replies.size(); ++i) {
      const redis::Reply& r = replies[i];
      if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
      if (r.elements.size() != 2 || r.elements[0].IsNil()) continue;
      Loaded l;
      if (!l.alarm.ParseFromString(r.elements[0].str) ||
          !absl::SimpleAtoi(r.elements[1].str, &l.ver)) {
        return absl::DataLossError(absl::StrCat("alarm ", to_read[i], " does not decode"));
      }
      stored.emplace(to_read[i], std::move(l));
    }
  }

  Tx tx(this, c.now, c.traceparent);
  redis::AtomicWrite& w = tx.write();
  w.preconditions.push_back(StatePrecondition(dev_key, device_id, c.expected_version));
  w.commands.push_back({"HSET", dev_key, "st", c.state.SerializeAsString(), "sver",
                        absl::StrCat(c.expected_version + 1)});

  std::map<std::string, v1::Alarm> touched;
  std::vector<std::string> order;
  std::set<std::string> active_deleted;  // active keys this commit deletes before a raise
  CommitResult result;

  auto find = [&](const std::string& id) -> v1::Alarm* {
    if (auto it = touched.find(id); it != touched.end()) return &it->second;
    auto it = stored.find(id);
    if (it == stored.end()) return nullptr;
    tx.ExpectVersion(id, it->second.ver);
    order.push_back(id);
    return &touched.emplace(id, it->second.alarm).first->second;
  };
  auto skip = [&](const AlarmAction& a, absl::string_view why) {
    log::Warn("alarm action skipped", {{"device_id", device_id},
                                       {"alarm_id", a.alarm_id},
                                       {"rule_id", a.rule_id},
                                       {"reason", std::string(why)}});
  };

  for (const AlarmAction& act : c.actions) {
    switch (act.kind) {
      case AlarmAction::Kind::kRaise: {
        if (touched.count(act.alarm_id) || stored.count(act.alarm_id)) {
          return absl::InternalError(absl::StrCat("alarm id ", act.alarm_id, " raised twice"));
        }
        const std::string ak = ActiveKey(prefix_, device_id, act.type);
        if (active_deleted.erase(ak) == 0) {
          w.preconditions.push_back(Pre{Pre::Kind::kAbsent, ak, "", "",
                                        absl::StatusCode::kAlreadyExists,
                                        absl::StrCat("device ", device_id, " has an active ",
                                                     v1::AlarmType_Name(act.type), " alarm")});
        }
        tx.ExpectVersion(act.alarm_id, 0);
        v1::Alarm a;
        a.set_alarm_id(act.alarm_id);
        a.set_device_id(device_id);
        a.set_device_type(c.device.type());
        a.set_type(act.type);
        a.set_severity(act.severity);
        a.set_building_id(c.building.building_id().empty() ? c.device.building_id()
                                                           : c.building.building_id());
        a.set_building_name(c.building.name().empty() ? c.device.building_name()
                                                      : c.building.name());
        a.set_tier_path(c.building.tier_path().empty() ? c.device.tier_path()
                                                       : c.building.tier_path());
        a.set_floor(c.device.floor());
        a.set_point(c.state.point().empty() ? c.device.point() : c.state.point());
        a.set_rule_id(act.rule_id);
        if (act.at != absl::InfinitePast()) *a.mutable_started_at() = Ts(act.at);
        *a.mutable_raised_at() = Ts(c.now);
        *a.mutable_last_at() = Ts(c.now);
        a.set_count(1);
        a.set_value(act.value);
        a.set_limit(act.limit);
        a.set_details(act.details);
        v1::AlarmTransition t = tx.Apply(&a, "raise", v1::ALARM_STATE_ACTIVE_UNACK, c.actor, "");
        w.commands.push_back({"SET", ak, a.alarm_id()});
        tx.Index(a);
        if (const config::v1::HazardFiling* f = rules_->HazardFilingOf(act.rule_id)) {
          const absl::Duration after =
              absl::Seconds(f->after().seconds()) + absl::Nanoseconds(f->after().nanos());
          w.commands.push_back({"ZADD", Key("hazard-due"), Ms(c.now + after), a.alarm_id()});
        }
        v1::AlarmRaised ev;
        *ev.mutable_alarm() = a;
        *ev.mutable_transition() = t;
        auto d = c.dispatch.find(a.alarm_id());
        if (d != c.dispatch.end()) *ev.mutable_dispatch() = d->second;
        events::Envelope env = tx.Publish(ev, a);
        if (d != c.dispatch.end()) result.dispatch_events.push_back(std::move(env));
        order.push_back(a.alarm_id());
        touched.emplace(a.alarm_id(), std::move(a));
        break;
      }
      case AlarmAction::Kind::kRepeat: {
        v1::Alarm* a = find(act.alarm_id);
        if (a == nullptr) {
          skip(act, "repeat of an unknown alarm");
          break;
        }
        if (!IsActive(a->state())) {
          skip(act, "repeat of an alarm no longer active");
          break;
        }
        a->set_count(a->count() + 1);
        *a->mutable_last_at() = Ts(c.now);
        if (act.value != 0 || act.limit != 0) {
          a->set_value(act.value);
          a->set_limit(act.limit);
        }
        if (!act.details.empty()) a->set_details(act.details);
        v1::AlarmTransition t = tx.Apply(a, "repeat", a->state(), c.actor, "");
        v1::AlarmRepeated ev;
        *ev.mutable_alarm() = *a;
        *ev.mutable_transition() = t;
        tx.Publish(ev, *a);
        break;
      }
      case AlarmAction::Kind::kClear: {
        v1::Alarm* a = find(act.alarm_id);
        if (a == nullptr) {
          skip(act, "clear of an unknown alarm");
          break;
        }
        if (!IsActive(a->state())) {
          skip(act, "clear of an alarm no longer active");
          break;
        }
        const v1::AlarmState to = a->state() == v1::ALARM_STATE_ACTIVE_ACK
                                      ? v1::ALARM_STATE_CLEARED_ACK
                                      : v1::ALARM_STATE_CLEARED_UNACK;
        *a->mutable_cleared_at() = Ts(c.now);
        a->set_cleared_by(c.actor);
        v1::AlarmTransition t = tx.Apply(a, "clear", to, c.actor, act.details);
        const std::string ak = ActiveKey(prefix_, device_id, a->type());
        w.commands.push_back({"DEL", ak});
        active_deleted.insert(ak);
        w.commands.push_back({"ZREM", Key("hazard-due"), a->alarm_id()});
        if (!a->hazard_id().empty()) {
          w.commands.push_back({"ZADD", Key("hazard-clear"), Ms(c.now), a->alarm_id()});
        }
        v1::AlarmCleared ev;
        *ev.mutable_alarm() = *a;
        *ev.mutable_transition() = t;
        tx.Publish(ev, *a);
        break;
      }
    }
  }
  for (const std::string& id : order) tx.Put(touched.at(id));
  FG_RETURN_IF_ERROR(tx.Run());
  for (const std::string& id : order) result.alarms.push_back(touched.at(id));
  return result;
}

absl::StatusOr<v1::Alarm> AlarmStore::Get(const std::string& alarm_id) {
  FG_ASSIGN_OR_RETURN(std::optional<Loaded> l, Load(alarm_id));
  if (!l) return absl::NotFoundError(absl::StrCat("alarm ", alarm_id, " not found"));
  return l->alarm;
}

namespace {

struct Cursor {
  int64_t score = 0;
  std::string member;
};

std::string EncodeCursor(const Cursor& c) { return absl::StrCat(c.score, ":", c.member); }

absl::StatusOr<std::optional<Cursor>> DecodeCursor(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::pair<std::string, std::string> parts = absl::StrSplit(s, absl::MaxSplits(':', 1));
  Cursor c;
  if (!absl::SimpleAtoi(parts.first, &c.score) || parts.second.empty()) {
    return InvalidField("page_token", "malformed");
  }
  c.member = parts.second;
  return c;
}

// ZREVRANGEBYSCORE ... WITHSCORES (RESP2: member, score, member, score, ...).
absl::StatusOr<std::vector<Cursor>> ParseScored(absl::StatusOr<redis::Reply> r) {
  if (!r.ok()) return r.status();
  std::vector<Cursor> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    Cursor c;
    c.member = r->elements[i].str;
    double score = 0;
    if (!absl::SimpleAtod(r->elements[i + 1].str, &score)) {
      return absl::InternalError("sorted set score does not parse");
    }
    c.score = static_cast<int64_t>(score);
    out.push_back(std::move(c));
  }
  return out;
}

template <class T>
bool Wanted(const std::vector<T>& filter, T value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

}  // namespace

absl::StatusOr<AlarmStore::Page> AlarmStore::List(const Query& q) {
  std::string key;
  const char* kind = q.open_only ? "open" : "alms";
  if (!q.building_id.empty()) {
    key = Key(absl::StrCat(kind, ":b"), q.building_id);
  } else if (!q.tier_prefix.empty()) {
    key = Key(absl::StrCat(kind, ":t"), q.tier_prefix);
  } else {
    return InvalidField("tier_path_prefix", "a building or a tier prefix is required");
  }
  const int limit = std::clamp(q.limit, 1, 500);
  FG_ASSIGN_OR_RETURN(std::optional<Cursor> cursor, DecodeCursor(q.after));

  const int budget = std::max(q.scan_budget, 1);
  Page page;
  int examined = 0;
  while (true) {
    const int room = std::min(kScanBatch, budget - examined);
    // The next entries after the cursor, newest first: the rest of the cursor's millisecond
    // (members below it: ZREVRANGEBYSCORE orders ties by member, descending), then older ones.
    std::vector<Cursor> batch;
    if (cursor) {
      const std::string s = absl::StrCat(cursor->score);
      FG_ASSIGN_OR_RETURN(std::vector<Cursor> ties,
                          ParseScored(pool_->Command({"ZREVRANGEBYSCORE", key, s, s, "WITHSCORES",
                                                      "LIMIT", "0", absl::StrCat(kMaxTies)})));
      for (Cursor& t : ties) {
        if (t.member < cursor->member && batch.size() < static_cast<size_t>(room)) {
          batch.push_back(std::move(t));
        }
      }
    }
    const int want = room - static_cast<int>(batch.size());
    bool more = true;
    if (want > 0) {
      const std::string max = cursor ? absl::StrCat("(", cursor->score) : "+inf";
      FG_ASSIGN_OR_RETURN(
          std::vector<Cursor> older,
          ParseScored(pool_->Command({"ZREVRANGEBYSCORE", key, max, "-inf", "WITHSCORES", "LIMIT",
                                      "0", absl::StrCat(want)})));
      more = static_cast<int>(older.size()) == want;
      for (Cursor& o : older) batch.push_back(std::move(o));
    }
    if (batch.empty()) return page;

    std::vector<std::vector<std::string>> cmds;
    for (const Cursor& e : batch) cmds.push_back({"HGET", Key("alm", e.member), "data"});
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
    for (size_t i = 0; i < batch.size(); ++i) {
      cursor = batch[i];
      ++examined;
      const redis::Reply& r = replies[i];
      if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
      v1::Alarm a;
      if (r.IsNil() || !a.ParseFromString(r.str)) continue;
      if (!Wanted(q.states, a.state()) || !Wanted(q.types, a.type()) ||
          (!q.device_id.empty() && a.device_id() != q.device_id)) {
        continue;
      }
      page.alarms.push_back(std::move(a));
      if (static_cast<int>(page.alarms.size()) == limit) {
        if (i + 1 < batch.size() || more) page.next = EncodeCursor(*cursor);
        return page;
      }
    }
    if (!more) return page;
    if (examined >= budget) {
      // The call is bounded: a short page with a cursor to go on from.
      page.next = EncodeCursor(*cursor);
      return page;
    }
  }
}

absl::StatusOr<v1::AlarmCounts> AlarmStore::Count(const std::string& building_id,
                                                  const std::string& tier) {
  if (!building_id.empty()) return CountKey(Key("cnt:b", building_id), building_id);
  if (!tier.empty()) return CountKey(Key("cnt:t", tier), tier);
  return InvalidField("tier_path_prefix", "a building or a tier is required");
}

absl::StatusOr<v1::AlarmCounts> AlarmStore::CountAll() { return CountKey(Key("cnt:all"), ""); }

absl::StatusOr<v1::AlarmCounts> AlarmStore::CountKey(const std::string& key,
                                                     const std::string& scope) {
  v1::AlarmCounts out;
  out.set_scope(scope);
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HGETALL", key}));
  std::vector<v1::AlarmCount> counts;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    std::pair<std::string, std::string> f = absl::StrSplit(r.elements[i].str, ':');
    v1::AlarmType type;
    v1::AlarmState state;
    int64_t n = 0;
    if (!v1::AlarmType_Parse(f.first, &type) || !v1::AlarmState_Parse(f.second, &state) ||
        !absl::SimpleAtoi(r.elements[i + 1].str, &n) || n <= 0) {
      continue;
    }
    v1::AlarmCount c;
    c.set_type(type);
    c.set_state(state);
    c.set_count(n);
    counts.push_back(c);
    if (IsActive(state)) out.set_active(out.active() + n);
    if (state == v1::ALARM_STATE_ACTIVE_UNACK) {
      out.set_active_unacknowledged(out.active_unacknowledged() + n);
    }
  }
  std::sort(counts.begin(), counts.end(), [](const v1::AlarmCount& a, const v1::AlarmCount& b) {
    return std::pair(a.type(), a.state()) < std::pair(b.type(), b.state());
  });
  for (v1::AlarmCount& c : counts) *out.add_counts() = std::move(c);
  return out;
}

absl::StatusOr<v1::Alarm> AlarmStore::Acknowledge(const std::string& alarm_id,
                                                  const std::string& actor, const std::string& note,
                                                  absl::Time now, const std::string& traceparent) {
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::optional<Loaded> l, Load(alarm_id));
    if (!l) return absl::NotFoundError(absl::StrCat("alarm ", alarm_id, " not found"));
    v1::Alarm a = std::move(l->alarm);
    v1::AlarmState to;
    switch (a.state()) {
      case v1::ALARM_STATE_ACTIVE_UNACK:
        to = v1::ALARM_STATE_ACTIVE_ACK;
        break;
      case v1::ALARM_STATE_CLEARED_UNACK:
        to = v1::ALARM_STATE_CLEARED_ACK;
        break;
      default:
        return absl::FailedPreconditionError(
            absl::StrCat("alarm ", alarm_id, " is acknowledged already"));
    }
    Tx tx(this, now, traceparent);
    tx.ExpectVersion(alarm_id, l->ver);
    *a.mutable_acknowledged_at() = Ts(now);
    a.set_acknowledged_by(actor);
    v1::AlarmTransition t = tx.Apply(&a, "acknowledge", to, actor, note);
    tx.Put(a);
    v1::AlarmAcknowledged ev;
    *ev.mutable_alarm() = a;
    *ev.mutable_transition() = t;
    tx.Publish(ev, a);
    last = tx.Run();
    if (last.ok()) return a;
    if (last.code() != absl::StatusCode::kAborted) return last;
  }
  return last;
}

absl::StatusOr<v1::Alarm> AlarmStore::Clear(const std::string& alarm_id, const std::string& actor,
                                            const std::string& note, absl::Time now,
                                            const std::string& traceparent) {
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::optional<Loaded> l, Load(alarm_id));
    if (!l) return absl::NotFoundError(absl::StrCat("alarm ", alarm_id, " not found"));
    v1::Alarm a = std::move(l->alarm);
    if (!IsActive(a.state())) {
      return absl::FailedPreconditionError(absl::StrCat("alarm ", alarm_id, " is cleared already"));
    }
    const std::string dev_key = DevKey(prefix_, a.device_id());
    const std::string ak = ActiveKey(prefix_, a.device_id(), a.type());
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> reads,
                        pool_->Pipeline({{"HMGET", dev_key, "st", "sver"}, {"GET", ak}}));
    FG_ASSIGN_OR_RETURN(StoredState st, ParseState(a.device_id(), reads[0]));

    const v1::AlarmState to = a.state() == v1::ALARM_STATE_ACTIVE_ACK
                                  ? v1::ALARM_STATE_CLEARED_ACK
                                  : v1::ALARM_STATE_CLEARED_UNACK;
    Tx tx(this, now, traceparent);
    redis::AtomicWrite& w = tx.write();
    tx.ExpectVersion(alarm_id, l->ver);
    // The device's state forgets the alarm, so that the condition rising again raises anew.
    v1::DeviceState after = Engine::AfterManualClear(st.state, alarm_id);
    if (st.version != 0 && after.SerializeAsString() != st.state.SerializeAsString()) {
      w.preconditions.push_back(StatePrecondition(dev_key, a.device_id(), st.version));
      w.commands.push_back(
          {"HSET", dev_key, "st", after.SerializeAsString(), "sver", absl::StrCat(st.version + 1)});
    }
    if (!reads[1].IsNil() && reads[1].str == alarm_id) {
      w.preconditions.push_back(Pre{Pre::Kind::kEquals, ak, "", alarm_id,
                                    absl::StatusCode::kAborted, "active alarm moved"});
      w.commands.push_back({"DEL", ak});
    }
    *a.mutable_cleared_at() = Ts(now);
    a.set_cleared_by(actor);
    v1::AlarmTransition t = tx.Apply(&a, "clear", to, actor, note);
    tx.Put(a);
    w.commands.push_back({"ZREM", Key("hazard-due"), alarm_id});
    if (!a.hazard_id().empty()) {
      w.commands.push_back({"ZADD", Key("hazard-clear"), Ms(now), alarm_id});
    }
    v1::AlarmCleared ev;
    *ev.mutable_alarm() = a;
    *ev.mutable_transition() = t;
    tx.Publish(ev, a);
    last = tx.Run();
    if (last.ok()) return a;
    if (last.code() != absl::StatusCode::kAborted) return last;
  }
  return last;
}

absl::StatusOr<std::vector<std::string>> AlarmStore::HazardsDue(absl::Time now, int limit) {
  return Strings(pool_->Command({"ZRANGEBYSCORE", Key("hazard-due"), "-inf", Ms(now), "LIMIT", "0",
                                 absl::StrCat(std::max(limit, 1))}));
}

absl::StatusOr<v1::Alarm> AlarmStore::MarkHazardFiled(const std::string& alarm_id,
                                                      const std::string& hazard_id,
                                                      absl::Time now) {
  if (hazard_id.empty()) return InvalidField("hazard_id", "required");
  absl::Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::optional<Loaded> l, Load(alarm_id));
    if (!l) {
      FG_RETURN_IF_ERROR(DropHazardDue(alarm_id));
      return absl::NotFoundError(absl::StrCat("alarm ", alarm_id, " not found"));
    }
    v1::Alarm a = std::move(l->alarm);
    if (a.hazard_id() == hazard_id) {
      FG_RETURN_IF_ERROR(DropHazardDue(alarm_id));
      return a;
    }
    if (!a.hazard_id().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("alarm ", alarm_id, " has hazard ", a.hazard_id(), " already"));
    }
    Tx tx(this, now, "");
    redis::AtomicWrite& w = tx.write();
    tx.ExpectVersion(alarm_id, l->ver);
    a.set_hazard_id(hazard_id);
    v1::AlarmTransition t = tx.Apply(&a, "hazard_filed", a.state(), kProducer, hazard_id);
    tx.Put(a);
    w.commands.push_back({"ZREM", Key("hazard-due"), alarm_id});
    if (!IsActive(a.state())) {
      // It cleared while the hazard was being filed: the hazard must hear of it.
      w.commands.push_back({"ZADD", Key("hazard-clear"), Ms(now), alarm_id});
    }
    v1::AlarmHazardFiled ev;
    *ev.mutable_alarm() = a;
    *ev.mutable_transition() = t;
    tx.Publish(ev, a);
    last = tx.Run();
    if (last.ok()) return a;
    if (last.code() != absl::StatusCode::kAborted) return last;
  }
  return last;
}

absl::Status AlarmStore::DropHazardDue(const std::string& alarm_id) {
  return pool_->Command({"ZREM", Key("hazard-due"), alarm_id}).status();
}

absl::StatusOr<std::vector<std::string>> AlarmStore::ClearNotesDue(absl::Time now, int limit) {
  return Strings(pool_->Command({"ZRANGEBYSCORE", Key("hazard-clear"), "-inf", Ms(now), "LIMIT",
                                 "0", absl::StrCat(std::max(limit, 1))}));
}

absl::Status AlarmStore::PostponeHazardDue(const std::string& alarm_id, absl::Time when) {
  return pool_->Command({"ZADD", Key("hazard-due"), "XX", Ms(when), alarm_id}).status();
}

absl::Status AlarmStore::PostponeClearNote(const std::string& alarm_id, absl::Time when) {
  return pool_->Command({"ZADD", Key("hazard-clear"), "XX", Ms(when), alarm_id}).status();
}

absl::Status AlarmStore::MarkClearNoted(const std::string& alarm_id) {
  return pool_->Command({"ZREM", Key("hazard-clear"), alarm_id}).status();
}

absl::Status AlarmStore::RecordSeen(
    const std::vector<std::pair<std::string, absl::Time>>& deadlines) {
  constexpr size_t kChunk = 500;
  std::vector<std::vector<std::string>> cmds;
  for (size_t i = 0; i < deadlines.size(); i += kChunk) {
    std::vector<std::string> cmd = {"ZADD", Key("seen"), "GT"};
    for (size_t j = i; j < std::min(deadlines.size(), i + kChunk); ++j) {
      cmd.push_back(Ms(deadlines[j].second));
      cmd.push_back(deadlines[j].first);
    }
    cmds.push_back(std::move(cmd));
  }
  if (cmds.empty()) return absl::OkStatus();
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  for (const redis::Reply& r : replies) {
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> AlarmStore::OfflineDue(absl::Time now, int limit) {
  return Strings(pool_->Command({"ZRANGEBYSCORE", Key("seen"), "-inf", Ms(now), "LIMIT", "0",
                                 absl::StrCat(std::max(limit, 1))}));
}

absl::Status AlarmStore::Unwatch(const std::string& device_id) {
  return pool_->Command({"ZREM", Key("seen"), device_id}).status();
}

}  // namespace firegrid::monitoring
