#include "services/credit/store.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/status.h"
#include "libs/redis/lease.h"
#include "libs/redis/script.h"

namespace firegrid::credit {
namespace {

constexpr char kFactField[] = "fact";
constexpr char kExportField[] = "record";

// P:replay fields.
constexpr char kReplayState[] = "state";
constexpr char kReplayVersion[] = "version";
constexpr char kReplayApplied[] = "applied";
constexpr char kReplayHistory[] = "history";
constexpr char kReplayStarted[] = "started_ms";
constexpr char kReplayFinished[] = "finished_ms";

// KEYS[1] facts stream, KEYS[2] fact-ids hash; ARGV[1] fact id, ARGV[2] Fact bytes.
// The stream id of the fact with this id, appending it first if it is new.
constexpr char kAppendLua[] = R"lua(
local id = redis.call('HGET', KEYS[2], ARGV[1])
if id then return id end
id = redis.call('XADD', KEYS[1], '*', 'fact', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], id)
return id
)lua";

// KEYS: serving, the generation's cursor, facts, served, replay; ARGV: version, now (unix ms).
// Puts the version in force if its cursor is the last fact of the history.
constexpr char kSwitchLua[] = R"lua(
local cur = redis.call('GET', KEYS[2])
if not cur then
  return redis.error_reply('FAILED_PRECONDITION generation ' .. ARGV[1] .. ' is not written')
end
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local last_id = '0'
if #last > 0 then last_id = last[1][1] end
if cur ~= last_id then
  return redis.error_reply('ABORTED generation ' .. ARGV[1] .. ' is at ' .. cur ..
                           ', the history at ' .. last_id)
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
if redis.call('HGET', KEYS[5], 'version') == ARGV[1] then
  redis.call('HSET', KEYS[5], 'state', 'REPLAY_STATE_SWITCHED', 'finished_ms', ARGV[2])
end
return 1
)lua";

const redis::Script& AppendScript() {
  static const redis::Script* s = new redis::Script(kAppendLua);
  return *s;
}
const redis::Script& SwitchScript() {
  static const redis::Script* s = new redis::Script(kSwitchLua);
  return *s;
}

absl::Status Unexpected(absl::string_view what, const redis::Reply& r) {
  return absl::InternalError(absl::StrCat("credit store: unexpected reply to ", what, " (type ",
                                          static_cast<int>(r.type), ")"));
}

template <class M>
absl::Status Parse(const std::string& bytes, absl::string_view what, M* out) {
  if (!out->ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("credit store: ", what, " does not decode"));
  }
  return absl::OkStatus();
}

template <class M>
absl::StatusOr<std::optional<M>> LoadMessage(redis::Pool* pool, const std::string& key) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool->Command({"GET", key}));
  if (r.IsNil()) return std::optional<M>();
  if (r.type != redis::Reply::Type::kString) return Unexpected("GET", r);
  M m;
  FG_RETURN_IF_ERROR(Parse(r.str, key, &m));
  return std::optional<M>(std::move(m));
}

// "-" for "from the start", else the exclusive lower bound "(<id>".
std::string After(const std::string& after) {
  if (after.empty() || after == "0" || after == "0-0") return "-";
  return "(" + after;
}

// An XRANGE entry [id, [field, value, ...]]: the id and the value of `field`.
absl::Status EntryValue(const redis::Reply& entry, absl::string_view field, std::string* id,
                        const std::string** value) {
  if (entry.type != redis::Reply::Type::kArray || entry.elements.size() != 2 ||
      entry.elements[1].type != redis::Reply::Type::kArray) {
    return Unexpected("XRANGE", entry);
  }
  *id = entry.elements[0].str;
  const std::vector<redis::Reply>& kv = entry.elements[1].elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    if (kv[i].str == field) {
      *value = &kv[i + 1].str;
      return absl::OkStatus();
    }
  }
  return absl::DataLossError(absl::StrCat("credit store: stream entry ", *id, " without ", field));
}

// MATCH patterns take the key literally.
std::string GlobEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  (void)absl::SimpleAtoi(s, &v);
  return v;
}

}  // namespace

CreditStore::CreditStore(redis::Pool* pool, std::string key_prefix)
    : pool_(pool), prefix_(std::move(key_prefix)) {}

std::string CreditStore::Key(absl::string_view suffix) const {
  return absl::StrCat(prefix_, ":", suffix);
}
std::string CreditStore::GenKey(const std::string& version, absl::string_view suffix) const {
  return absl::StrCat(prefix_, ":g:", version, ":", suffix);
}
std::string CreditStore::LeaseKey(const std::string& version) const {
  return absl::StrCat(prefix_, ":lease:", version);
}
std::string CreditStore::SubjectKey(const std::string& version,
                                    const std::string& subject_id) const {
  return GenKey(version, absl::StrCat("s:", subject_id));
}
std::string CreditStore::HazardKey(const std::string& version, const std::string& hazard_id) const {
  return GenKey(version, absl::StrCat("h:", hazard_id));
}
std::string CreditStore::BuildingKey(const std::string& version,
                                     const std::string& building_id) const {
  return GenKey(version, absl::StrCat("b:", building_id));
}
std::string CreditStore::LedgerKey(const std::string& version,
                                   const std::string& subject_id) const {
  return GenKey(version, absl::StrCat("ledger:", subject_id));
}
std::string CreditStore::RankKey(const std::string& version, const std::string& tier,
                                 const std::string& type) const {
  return GenKey(version, absl::StrCat("rank:", tier, ":", type));
}
std::string CreditStore::OutcomeKey(const std::string& version, const std::string& fact_id) const {
  return GenKey(version, absl::StrCat("outcome:", fact_id));
}

// ---- the history ----

absl::StatusOr<std::string> CreditStore::AppendFact(const v1::Fact& fact) {
  if (fact.fact_id().empty()) return InvalidField("fact.fact_id", "required");
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      AppendScript().Run(*pool_, {FactsKey(), FactIdsKey()},
                                         {fact.fact_id(), fact.SerializeAsString()}));
  if (r.type != redis::Reply::Type::kString) return Unexpected("append fact", r);
  return r.str;
}

absl::StatusOr<std::vector<std::string>> CreditStore::AppendFacts(
    const std::vector<v1::Fact>& facts) {
  std::vector<std::string> ids;
  if (facts.empty()) return ids;
  for (const v1::Fact& f : facts) {
    if (f.fact_id().empty()) return InvalidField("fact.fact_id", "required");
  }
  // EVALSHA in a pipeline needs the script loaded (it is after a restart only once asked).
  FG_ASSIGN_OR_RETURN(redis::Reply loaded,
                      pool_->Command({"SCRIPT", "LOAD", AppendScript().source()}));
  if (loaded.str != AppendScript().sha1()) return Unexpected("SCRIPT LOAD", loaded);
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(facts.size());
  const std::string facts_key = FactsKey(), ids_key = FactIdsKey();
  for (const v1::Fact& f : facts) {
    cmds.push_back({"EVALSHA", AppendScript().sha1(), "2", facts_key, ids_key, f.fact_id(),
                    f.SerializeAsString()});
  }
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  ids.reserve(replies.size());
  for (const redis::Reply& r : replies) {
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
    if (r.type != redis::Reply::Type::kString) return Unexpected("append fact", r);
    ids.push_back(r.str);
  }
  return ids;
}

namespace {

// XRANGE of the facts after `after`; `add(id, bytes)` decodes each.
absl::Status ReadFactEntries(
    redis::Pool* pool, const std::string& key, const std::string& after, int count,
    const std::function<absl::Status(std::string id, const std::string& bytes)>& add) {
  if (count <= 0) return absl::OkStatus();
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool->Command({"XRANGE", key, After(after), "+", "COUNT",
                                                     absl::StrCat(count)}));
  if (r.type != redis::Reply::Type::kArray) return Unexpected("XRANGE", r);
  for (const redis::Reply& e : r.elements) {
    std::string id;
    const std::string* value = nullptr;
    FG_RETURN_IF_ERROR(EntryValue(e, kFactField, &id, &value));
    FG_RETURN_IF_ERROR(add(std::move(id), *value));
  }
  return absl::OkStatus();
}

absl::Status Undecodable(const std::string& id) {
  return absl::DataLossError(absl::StrCat("credit store: fact ", id, " does not decode"));
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, v1::Fact>>> CreditStore::ReadFacts(
    const std::string& after, int count) {
  std::vector<std::pair<std::string, v1::Fact>> out;
  FG_RETURN_IF_ERROR(ReadFactEntries(
      pool_, FactsKey(), after, count, [&](std::string id, const std::string& bytes) {
        out.emplace_back(std::move(id), v1::Fact());
        if (!out.back().second.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          return Undecodable(out.back().first);
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, const v1::Fact*>>> CreditStore::ReadFacts(
    const std::string& after, int count, google::protobuf::Arena* arena) {
  std::vector<std::pair<std::string, const v1::Fact*>> out;
  FG_RETURN_IF_ERROR(ReadFactEntries(
      pool_, FactsKey(), after, count, [&](std::string id, const std::string& bytes) {
        v1::Fact* fact = google::protobuf::Arena::CreateMessage<v1::Fact>(arena);
        if (!fact->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          return Undecodable(id);
        }
        out.emplace_back(std::move(id), fact);
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::optional<v1::Fact>> CreditStore::FindFact(const std::string& fact_id) {
  FG_ASSIGN_OR_RETURN(redis::Reply id, pool_->Command({"HGET", FactIdsKey(), fact_id}));
  if (id.IsNil()) return std::nullopt;
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"XRANGE", FactsKey(), id.str, id.str}));
  // [[id, [field, value, ...]]]
  if (r.elements.empty() || r.elements[0].elements.size() < 2) return std::nullopt;
  const redis::Reply& fields = r.elements[0].elements[1];
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    if (fields.elements[i].str != kFactField) continue;
    v1::Fact fact;
    if (!fact.ParseFromString(fields.elements[i + 1].str)) return Undecodable(id.str);
    return fact;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> CreditStore::NextFactId(const std::string& after) {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"XRANGE", FactsKey(), After(after), "+", "COUNT", "1"}));
  if (r.type != redis::Reply::Type::kArray) return Unexpected("XRANGE", r);
  if (r.elements.empty()) return std::string();
  const redis::Reply& entry = r.elements[0];
  if (entry.type != redis::Reply::Type::kArray || entry.elements.empty()) {
    return Unexpected("XRANGE", entry);
  }
  return entry.elements[0].str;
}

absl::StatusOr<std::string> CreditStore::LastFactId() {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"XREVRANGE", FactsKey(), "+", "-", "COUNT", "1"}));
  if (r.type != redis::Reply::Type::kArray) return Unexpected("XREVRANGE", r);
  if (r.elements.empty()) return std::string("0");
  if (r.elements[0].elements.empty()) return Unexpected("XREVRANGE", r);
  return r.elements[0].elements[0].str;
}

absl::StatusOr<int64_t> CreditStore::FactCount() {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"XLEN", FactsKey()}));
  if (r.type != redis::Reply::Type::kInteger) return Unexpected("XLEN", r);
  return r.integer;
}

// ---- generations ----

absl::StatusOr<std::string> CreditStore::ServingVersion() {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"GET", ServingKey()}));
  if (r.IsNil()) return std::string();
  return r.str;
}

absl::StatusOr<std::string> CreditStore::Cursor(const std::string& version) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"GET", CursorKey(version)}));
  if (r.IsNil()) return std::string("0");
  return r.str;
}

absl::StatusOr<bool> CreditStore::HasGeneration(const std::string& version) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"EXISTS", CursorKey(version)}));
  return r.integer == 1;
}

absl::StatusOr<bool> CreditStore::WasServed(const std::string& version) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HEXISTS", ServedKey(), version}));
  return r.integer == 1;
}

// ---- reads of a generation ----

absl::StatusOr<std::optional<v1::SubjectState>> CreditStore::LoadSubject(
    const std::string& version, const std::string& subject_id) {
  return LoadMessage<v1::SubjectState>(pool_, SubjectKey(version, subject_id));
}

absl::StatusOr<std::vector<std::optional<v1::SubjectState>>> CreditStore::LoadSubjects(
    const std::string& version, const std::vector<std::string>& subject_ids) {
  std::vector<std::optional<v1::SubjectState>> out(subject_ids.size());
  if (subject_ids.empty()) return out;
  std::vector<std::string> mget = {"MGET"};
  for (const std::string& id : subject_ids) mget.push_back(SubjectKey(version, id));
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command(mget));
  for (size_t i = 0; i < subject_ids.size() && i < r.elements.size(); ++i) {
    if (r.elements[i].IsNil()) continue;
    out[i].emplace();
    FG_RETURN_IF_ERROR(Parse(r.elements[i].str, SubjectKey(version, subject_ids[i]), &*out[i]));
  }
  return out;
}

absl::StatusOr<CreditStore::ServedSubject> CreditStore::LoadServedSubject(
    const std::string& guess, const std::string& subject_id) {
  const std::string key = SubjectKey(guess, subject_id);
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> r,
                      pool_->Pipeline({{"GET", ServingKey()}, {"GET", key}}));
  for (const redis::Reply& x : r) {
    if (x.IsError()) return redis::ErrorReplyToStatus(x.str);
  }
  ServedSubject out;
  if (!r[0].IsNil()) out.version = r[0].str;
  if (out.version != guess || r[1].IsNil()) return out;
  if (r[1].type != redis::Reply::Type::kString) return Unexpected("GET", r[1]);
  v1::SubjectState state;
  FG_RETURN_IF_ERROR(Parse(r[1].str, key, &state));
  out.state = std::move(state);
  return out;
}

absl::StatusOr<std::optional<v1::HazardState>> CreditStore::LoadHazard(
    const std::string& version, const std::string& hazard_id) {
  return LoadMessage<v1::HazardState>(pool_, HazardKey(version, hazard_id));
}

absl::StatusOr<std::optional<v1::BuildingState>> CreditStore::LoadBuilding(
    const std::string& version, const std::string& building_id) {
  return LoadMessage<v1::BuildingState>(pool_, BuildingKey(version, building_id));
}

absl::StatusOr<std::vector<v1::LedgerRecord>> CreditStore::LoadLedger(const std::string& version,
                                                                      const std::string& subject_id,
                                                                      int64_t before_seq,
                                                                      int limit) {
  std::vector<v1::LedgerRecord> out;
  if (limit <= 0 || before_seq == 1) return out;
  // Record seq s is at list index s - 1.
  int64_t stop = before_seq > 1 ? before_seq - 2 : -1;
  int64_t start = before_seq > 1 ? std::max<int64_t>(0, stop - limit + 1) : -limit;
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"LRANGE", LedgerKey(version, subject_id),
                                                      absl::StrCat(start), absl::StrCat(stop)}));
  if (r.type != redis::Reply::Type::kArray) return Unexpected("LRANGE", r);
  out.resize(r.elements.size());
  for (size_t i = 0; i < r.elements.size(); ++i) {
    FG_RETURN_IF_ERROR(Parse(r.elements[i].str, "ledger record", &out[out.size() - 1 - i]));
  }
  return out;
}

absl::StatusOr<CreditStore::RankingPage> CreditStore::Ranking(const std::string& version,
                                                              const std::string& tier,
                                                              const std::string& type,
                                                              int64_t offset, int limit,
                                                              bool worst_first) {
  RankingPage page;
  const std::string key = RankKey(version, tier, type);
  std::vector<std::vector<std::string>> cmds = {{"ZCARD", key}};
  if (limit > 0 && offset >= 0) {
    cmds.push_back({worst_first ? "ZRANGE" : "ZREVRANGE", key, absl::StrCat(offset),
                    absl::StrCat(offset + limit - 1), "WITHSCORES"});
  }
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> r, pool_->Pipeline(cmds));
  for (const redis::Reply& x : r) {
    if (x.IsError()) return redis::ErrorReplyToStatus(x.str);
  }
  page.total = r[0].integer;
  if (r.size() > 1) {
    const std::vector<redis::Reply>& e = r[1].elements;
    for (size_t i = 0; i + 1 < e.size(); i += 2) {
      double score = 0;
      if (!absl::SimpleAtod(e[i + 1].str, &score)) return Unexpected("ZRANGE score", e[i + 1]);
      page.subjects.emplace_back(e[i].str, static_cast<int>(std::lround(score)));
    }
  }
  return page;
}

absl::StatusOr<std::vector<std::string>> CreditStore::OpenBlacklist(const std::string& version,
                                                                    int64_t offset, int limit) {
  std::vector<std::string> out;
  if (limit <= 0 || offset < 0) return out;
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"ZRANGE", BlacklistKey(version), absl::StrCat(offset),
                                      absl::StrCat(offset + limit - 1)}));
  if (r.type != redis::Reply::Type::kArray) return Unexpected("ZRANGE", r);
  for (const redis::Reply& e : r.elements) out.push_back(e.str);
  return out;
}

absl::StatusOr<std::optional<CreditStore::FactOutcome>> CreditStore::Outcome(
    const std::string& version, const std::string& fact_id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HGETALL", OutcomeKey(version, fact_id)}));
  if (r.type != redis::Reply::Type::kArray) return Unexpected("HGETALL", r);
  if (r.elements.empty()) return std::optional<FactOutcome>();
  FactOutcome o;
  int64_t code = 0;
  std::string message;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string& f = r.elements[i].str;
    const std::string& v = r.elements[i + 1].str;
    if (f == "code") code = ToInt(v);
    if (f == "message") message = v;
    if (f == "entry") o.entry_id = v;
    if (f == "record") o.record_id = v;
  }
  if (code != 0) o.status = absl::Status(static_cast<absl::StatusCode>(code), message);
  return std::optional<FactOutcome>(std::move(o));
}

absl::StatusOr<std::vector<std::pair<std::string, absl::Time>>> CreditStore::LoadDue(
    const std::string& version, absl::Time until) {
  std::vector<std::pair<std::string, absl::Time>> out;
  if (until == absl::InfinitePast()) return out;
  // Due times are stored rounded up to the millisecond (DueScore), so an entry due at or
  // before `until` rounded down is due at or before `until`.
  std::string max =
      until == absl::InfiniteFuture() ? "+inf" : absl::StrCat(absl::ToUnixMillis(until));
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"ZRANGEBYSCORE", DueKey(version), "-inf", max,
                                                      "WITHSCORES"}));
  if (r.type != redis::Reply::Type::kArray) return Unexpected("ZRANGEBYSCORE", r);
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    double ms = 0;
    if (!absl::SimpleAtod(r.elements[i + 1].str, &ms)) return Unexpected("due score", r);
    out.emplace_back(r.elements[i].str, absl::FromUnixMillis(static_cast<int64_t>(ms)));
  }
  return out;
}

// ---- export ----

absl::StatusOr<CreditStore::ExportPage> CreditStore::ExportAfter(const std::string& after,
                                                                 int limit) {
  ExportPage page;
  if (limit <= 0) return page;
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"XRANGE", ExportKey(), After(after), "+",
                                                      "COUNT", absl::StrCat(limit + 1)}));
  if (r.type != redis::Reply::Type::kArray) return Unexpected("XRANGE", r);
  for (const redis::Reply& e : r.elements) {
    if (static_cast<int>(page.records.size()) == limit) {
      page.more = true;
      break;
    }
    std::string id;
    const std::string* value = nullptr;
    FG_RETURN_IF_ERROR(EntryValue(e, kExportField, &id, &value));
    v1::ExportRecord rec;
    FG_RETURN_IF_ERROR(Parse(*value, "export record", &rec));
    page.records.emplace_back(std::move(id), std::move(rec));
  }
  return page;
}

redis::AtomicWrite::StreamAppend CreditStore::ExportAppend(const v1::ExportRecord& record) const {
  return redis::AtomicWrite::StreamAppend{ExportKey(),
                                          {{kExportField, record.SerializeAsString()}}};
}

// ---- the rule sets ----

absl::StatusOr<v1::RulesInfo> CreditStore::Info() {
  FG_ASSIGN_OR_RETURN(
      std::vector<redis::Reply> r,
      pool_->Pipeline({{"GET", ServingKey()}, {"HGETALL", ReplayKey()}, {"XLEN", FactsKey()}}));
  for (const redis::Reply& x : r) {
    if (x.IsError()) return redis::ErrorReplyToStatus(x.str);
  }
  v1::RulesInfo info;
  if (!r[0].IsNil()) info.set_version(r[0].str);
  info.set_history_facts(r[2].integer);
  info.set_replay(v1::REPLAY_STATE_IDLE);
  using google::protobuf::util::TimeUtil;
  for (size_t i = 0; i + 1 < r[1].elements.size(); i += 2) {
    const std::string& f = r[1].elements[i].str;
    const std::string& v = r[1].elements[i + 1].str;
    if (f == kReplayState) {
      v1::ReplayState state;
      if (v1::ReplayState_Parse(v, &state)) info.set_replay(state);
    } else if (f == kReplayVersion) {
      info.set_replay_version(v);
    } else if (f == kReplayApplied) {
      info.set_replay_applied(ToInt(v));
    } else if (f == kReplayStarted && !v.empty()) {
      *info.mutable_replay_started_at() = TimeUtil::MillisecondsToTimestamp(ToInt(v));
    } else if (f == kReplayFinished && !v.empty()) {
      *info.mutable_replay_finished_at() = TimeUtil::MillisecondsToTimestamp(ToInt(v));
    }
  }
  return info;
}

// ---- the applier's other writes ----

absl::StatusOr<bool> CreditStore::TakeLease(const std::string& version, const std::string& owner,
                                            absl::Duration lease) {
  return redis::TakeLease(*pool_, LeaseKey(version), owner, lease);
}

absl::Status CreditStore::ReleaseLease(const std::string& version, const std::string& owner) {
  return redis::ReleaseLease(*pool_, LeaseKey(version), owner);
}

absl::Status CreditStore::DropGeneration(const std::string& version) {
  FG_ASSIGN_OR_RETURN(std::string serving, ServingVersion());
  if (serving == version) {
    FG_ASSIGN_OR_RETURN(bool written, HasGeneration(version));
    if (written) {
      return absl::FailedPreconditionError(
          absl::StrCat("generation ", version, " is in force; it cannot be dropped"));
    }
  }
  const std::string pattern = GlobEscape(GenKey(version, "")) + "*";
  std::string cursor = "0";
  do {
    FG_ASSIGN_OR_RETURN(redis::Reply r,
                        pool_->Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "5000"}));
    if (r.type != redis::Reply::Type::kArray || r.elements.size() != 2)
      return Unexpected("SCAN", r);
    cursor = r.elements[0].str;
    if (!r.elements[1].elements.empty()) {
      std::vector<std::string> unlink = {"UNLINK"};
      for (const redis::Reply& k : r.elements[1].elements) unlink.push_back(k.str);
      FG_RETURN_IF_ERROR(pool_->Command(unlink).status());
    }
  } while (cursor != "0");
  return absl::OkStatus();
}

absl::Status CreditStore::ReplayStarted(const std::string& version, int64_t history_facts,
                                        absl::Time now) {
  FG_ASSIGN_OR_RETURN(
      std::vector<redis::Reply> r,
      pool_->Pipeline({{"DEL", ReplayKey()},
                       {"HSET", ReplayKey(), kReplayState, "REPLAY_STATE_RUNNING", kReplayVersion,
                        version, kReplayApplied, "0", kReplayHistory, absl::StrCat(history_facts),
                        kReplayStarted, absl::StrCat(absl::ToUnixMillis(now))}}));
  for (const redis::Reply& x : r) {
    if (x.IsError()) return redis::ErrorReplyToStatus(x.str);
  }
  return absl::OkStatus();
}

absl::Status CreditStore::ReplayProgress(const std::string& version, int64_t applied,
                                         int64_t history_facts) {
  return pool_
      ->Command({"HSET", ReplayKey(), kReplayVersion, version, kReplayApplied,
                 absl::StrCat(applied), kReplayHistory, absl::StrCat(history_facts)})
      .status();
}

absl::Status CreditStore::SwitchServing(const std::string& version, absl::Time now) {
  return SwitchScript()
      .Run(*pool_, {ServingKey(), CursorKey(version), FactsKey(), ServedKey(), ReplayKey()},
           {version, absl::StrCat(absl::ToUnixMillis(now))})
      .status();
}

int64_t CreditStore::DueScore(absl::Time due) {
  int64_t ms = absl::ToUnixMillis(due);  // rounds down
  if (absl::FromUnixMillis(ms) < due) ++ms;
  return ms;
}

std::vector<std::vector<std::string>> CreditStore::OutcomeCommands(
    const std::string& version, const std::string& fact_id, const FactOutcome& outcome) const {
  const std::string key = OutcomeKey(version, fact_id);
  return {{"HSET", key, "code", absl::StrCat(static_cast<int>(outcome.status.code())), "message",
           std::string(outcome.status.message()), "entry", outcome.entry_id, "record",
           outcome.record_id},
          {"EXPIRE", key, absl::StrCat(absl::ToInt64Seconds(kOutcomeTtl))}};
}

}  // namespace firegrid::credit
