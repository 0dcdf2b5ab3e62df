#include "services/hazards/store.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/common/status.h"
#include "libs/events/outbox.h"
#include "libs/redis/lex_index.h"

namespace firegrid::hazards {
namespace {

using Pre = redis::AtomicWrite::Precondition;

const char* KindName(Timer::Kind k) {
  switch (k) {
    case Timer::Kind::kDueSoon:
      return "due_soon";
    case Timer::Kind::kOverdue:
      return "overdue";
    case Timer::Kind::kDistrict:
      return "district";
    case Timer::Kind::kEraseReporter:
      return "erase_reporter";
  }
  return "due_soon";
}

std::string Cursor(const v1::Hazard& h) { return h.tier_path() + "|" + h.hazard_id(); }

constexpr char kSubjectSeparator = '\x1f';

}  // namespace

std::string Timer::Member() const {
  return absl::StrCat(hazard_id, "|", KindName(kind), "|", deadline_ms);
}

absl::StatusOr<Timer> Timer::Parse(const std::string& member, int64_t fire_at_ms) {
  std::vector<std::string> parts = absl::StrSplit(member, '|');
  Timer t;
  t.fire_at_ms = fire_at_ms;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[2], &t.deadline_ms)) {
    return absl::DataLossError(absl::StrCat("bad timer member ", member));
  }
  t.hazard_id = parts[0];
  if (parts[1] == "due_soon") {
    t.kind = Kind::kDueSoon;
  } else if (parts[1] == "overdue") {
    t.kind = Kind::kOverdue;
  } else if (parts[1] == "district") {
    t.kind = Kind::kDistrict;
  } else if (parts[1] == "erase_reporter") {
    t.kind = Kind::kEraseReporter;
  } else {
    return absl::DataLossError(absl::StrCat("bad timer kind in ", member));
  }
  return t;
}

std::vector<std::string> DepartmentIndexes(const v1::Hazard& h) {
  std::vector<std::string> out = RoutedDepartments(h.routing());
  const std::string& sup = h.assignment().supervising_department();
  if (!sup.empty() && std::find(out.begin(), out.end(), sup) == out.end()) out.push_back(sup);
  return out;
}

HazardStore::HazardStore(redis::Pool* pool, std::string prefix)
    : pool_(pool), prefix_(std::move(prefix)), counters_(pool_, prefix_) {}

namespace {

// The building view in an HGETALL reply of its hash; NOT_FOUND when the hash is absent.
absl::StatusOr<BuildingView> BuildingFromReply(const std::string& id, const redis::Reply& r) {
  if (r.elements.empty()) {
    return absl::NotFoundError(
        absl::StrCat("building ", id,
                     " is not known to the hazards service (not registered, or its "
                     "registration has not arrived yet)"));
  }
  BuildingView v;
  v.building_id = id;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    const std::string& f = r.elements[i].str;
    const std::string& val = r.elements[i + 1].str;
    if (f == "name") v.name = val;
    if (f == "tier_path") v.tier_path = val;
    if (f == "use") (void)absl::SimpleAtoi(val, &v.use);
    if (f == "version") (void)absl::SimpleAtoi(val, &v.version);
    if (f == "subjects" && !val.empty()) v.subjects = absl::StrSplit(val, kSubjectSeparator);
    if (f == "liable_party" && !val.empty()) {
      ::firegrid::subjects::v1::Party party;
      if (!party.ParseFromString(val)) {
        return absl::DataLossError(absl::StrCat("corrupt liable party of building ", id));
      }
      v.liable_party = std::move(party);
    }
  }
  return v;
}

// The report an idempotency key names, from the GET reply of its key ("<hazard id> <digest>").
HazardStore::Idempotency IdempotencyFromReply(const redis::Reply& r) {
  HazardStore::Idempotency out;
  const size_t space = r.str.find(' ');
  out.hazard_id = r.str.substr(0, space);
  if (space != std::string::npos) out.request_digest = r.str.substr(space + 1);
  return out;
}

}  // namespace

absl::StatusOr<BuildingView> HazardStore::GetBuilding(const std::string& id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HGETALL", Key("bld", id)}));
  return BuildingFromReply(id, r);
}

absl::Status HazardStore::PutBuilding(const BuildingView& v, const std::string& event_id) {
  const std::string key = Key("bld", v.building_id);
  for (int attempt = 0; attempt < 5; ++attempt) {
    FG_ASSIGN_OR_RETURN(redis::Reply cur, pool_->Command({"HGET", key, "version"}));
    int64_t stored = -1;
    if (!cur.IsNil()) (void)absl::SimpleAtoi(cur.str, &stored);
    redis::AtomicWrite w;
    w.once_key = Key("seen", event_id);
    if (cur.IsNil()) {
      w.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "version", "",
                                    absl::StatusCode::kAborted, "projection changed"});
    } else {
      w.preconditions.push_back(Pre{Pre::Kind::kEquals, key, "version", cur.str,
                                    absl::StatusCode::kAborted, "projection changed"});
    }
    if (stored >= v.version) {
      // An older event arriving late: mark it seen, change nothing.
      w.commands.push_back({"SET", Key("seen", event_id) + ":stale", "1", "EX", "86400"});
    } else {
      w.commands.push_back(
          {"HSET", key, "name", v.name, "tier_path", v.tier_path, "use", absl::StrCat(v.use),
           "subjects", absl::StrJoin(v.subjects, std::string(1, kSubjectSeparator)), "liable_party",
           v.liable_party ? v.liable_party->SerializeAsString() : "", "version",
           absl::StrCat(v.version)});
    }
    absl::Status s = redis::Execute(*pool_, w);
    if (s.code() != absl::StatusCode::kAborted) return s;
  }
  return absl::AbortedError("building projection kept changing; retry");
}

absl::StatusOr<v1::Hazard> HazardStore::Get(const std::string& id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HGET", Key("h", id), "data"}));
  if (r.IsNil()) return absl::NotFoundError(absl::StrCat("no hazard ", id));
  v1::Hazard h;
  if (!h.ParseFromString(r.str)) return absl::DataLossError(absl::StrCat("corrupt hazard ", id));
  return h;
}

absl::StatusOr<std::string> HazardStore::OpenHazardId(const std::string& building_id,
                                                      int category) {
  FG_ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Command({"GET", Key("open", absl::StrCat(building_id, ":", category))}));
  if (r.IsNil()) return absl::NotFoundError("no open hazard");
  return r.str;
}

absl::StatusOr<HazardStore::Idempotency> HazardStore::IdempotentReport(const std::string& subject,
                                                                       const std::string& key) {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"GET", Key("idem", absl::StrCat(subject, ":", key))}));
  if (r.IsNil()) return absl::NotFoundError("unknown idempotency key");
  return IdempotencyFromReply(r);
}

absl::StatusOr<HazardStore::ReportReads> HazardStore::ReadForReport(
    const std::string& subject, const std::string& idempotency_key, const std::string& building_id,
    int category) {
  std::vector<std::vector<std::string>> cmds;
  if (!idempotency_key.empty()) {
    cmds.push_back({"GET", Key("idem", absl::StrCat(subject, ":", idempotency_key))});
  }
  if (!building_id.empty()) {
    cmds.push_back({"HGETALL", Key("bld", building_id)});
    cmds.push_back({"GET", Key("open", absl::StrCat(building_id, ":", category))});
  }
  ReportReads out;
  if (cmds.empty()) return out;
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  if (replies.size() != cmds.size()) return absl::InternalError("redis: short pipeline reply");
  for (const redis::Reply& r : replies) {
    if (r.IsError()) return absl::InternalError(r.str);
  }
  size_t next = 0;
  if (!idempotency_key.empty()) {
    const redis::Reply& r = replies[next++];
    if (!r.IsNil()) out.idempotent = IdempotencyFromReply(r);
  }
  if (!building_id.empty()) {
    out.building = BuildingFromReply(building_id, replies[next++]);
    const redis::Reply& open = replies[next++];
    if (!open.IsNil()) out.open_hazard_id = open.str;
  }
  return out;
}

absl::StatusOr<HazardStore::Page> HazardStore::Scan(const std::string& department,
                                                    const std::string& prefix,
                                                    const std::string& cursor, int limit) {
  const std::string index_key =
      department.empty() ? prefix_ + ":idx:tier" : Key("idx:dept", department);
  FG_ASSIGN_OR_RETURN(redis::LexPage index,
                      redis::ScanLexIndex(*pool_, index_key, prefix, cursor, limit));
  Page page;
  page.next_cursor = index.next_cursor;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& id : index.ids) cmds.push_back({"HGET", Key("h", id), "data"});
  FG_ASSIGN_OR_RETURN(std::vector<std::string> values, redis::FetchValues(*pool_, cmds));
  page.hazards.reserve(values.size());
  for (const auto& bytes : values) {
    if (!page.hazards.emplace_back().ParseFromString(bytes)) {
      return absl::DataLossError("corrupt hazard");
    }
  }
  return page;
}

absl::StatusOr<std::vector<Timer>> HazardStore::DueTimers(absl::Time now, int limit) {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"ZRANGEBYSCORE", prefix_ + ":timers", "-inf",
                                      absl::StrCat(absl::ToUnixMillis(now)), "WITHSCORES", "LIMIT",
                                      "0", absl::StrCat(limit)}));
  std::vector<Timer> out;
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
    double score = 0;
    (void)absl::SimpleAtod(r.elements[i + 1].str, &score);
    FG_ASSIGN_OR_RETURN(Timer t, Timer::Parse(r.elements[i].str, static_cast<int64_t>(score)));
    out.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<HazardStore::DayState> HazardStore::DailySnapshotState(const std::string& date) {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"HMGET", Key("stats:day", date), "_taken", "_final"}));
  DayState state;
  if (r.elements.size() == 2) {
    state.taken = !r.elements[0].IsNil();
    state.final = !r.elements[1].IsNil();
  }
  return state;
}

absl::Status HazardStore::PutDailySnapshot(const std::string& date,
                                           const std::map<std::string, v1::StatisticsRow>& rows,
                                           bool final) {
  const std::string key = Key("stats:day", date);
  redis::AtomicWrite w;
  if (final) {
    w.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "_final", "",
                                  absl::StatusCode::kAlreadyExists,
                                  absl::StrCat("the statistics of ", date, " are kept already")});
    w.commands.push_back({"DEL", key});
  } else {
    w.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "", "", absl::StatusCode::kAlreadyExists,
                                  absl::StrCat("the statistics of ", date, " are kept already")});
  }
  std::vector<std::string> hset = {"HSET", key, "_taken", "1"};
  if (final) {
    hset.push_back("_final");
    hset.push_back("1");
  }
  for (const auto& [field, row] : rows) {
    hset.push_back(field);
    hset.push_back(row.SerializeAsString());
  }
  w.commands.push_back(std::move(hset));
  w.commands.push_back({"EXPIRE", key, absl::StrCat(400 * 24 * 3600)});
  return redis::Execute(*pool_, w);
}

absl::StatusOr<std::vector<std::optional<v1::StatisticsRow>>> HazardStore::DailyRows(
    const std::vector<std::string>& dates, const std::string& row_key) {
  std::vector<std::vector<std::string>> cmds;
  for (const auto& d : dates) cmds.push_back({"HMGET", Key("stats:day", d), "_taken", row_key});
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(cmds));
  std::vector<std::optional<v1::StatisticsRow>> out;
  for (const redis::Reply& r : replies) {
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
    if (r.elements.size() != 2 || r.elements[0].IsNil()) {
      out.push_back(std::nullopt);
      continue;
    }
    v1::StatisticsRow row;
    if (!r.elements[1].IsNil() && !row.ParseFromString(r.elements[1].str)) {
      return absl::DataLossError("corrupt statistics snapshot");
    }
    if (r.elements[1].IsNil()) row.set_key(row_key.substr(0, row_key.find('/')));
    out.push_back(std::move(row));
  }
  return out;
}

// ----- Write -----------------------------------------------------------------------------------

void HazardStore::Write::Create(const v1::Hazard& h) {
  const std::string key = store_->Key("h", h.hazard_id());
  w_.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "", "", absl::StatusCode::kAlreadyExists,
                                 absl::StrCat("hazard ", h.hazard_id(), " exists")});
  w_.commands.push_back(
      {"HSET", key, "data", h.SerializeAsString(), "version", absl::StrCat(h.version())});
  w_.commands.push_back({"ZADD", store_->prefix() + ":idx:tier", "0", Cursor(h)});
  for (const auto& d : DepartmentIndexes(h)) {
    w_.commands.push_back({"ZADD", store_->Key("idx:dept", d), "0", Cursor(h)});
  }
  store_->counters_.AddDelta(nullptr, &h, &counters_);
}

void HazardStore::Write::Update(const v1::Hazard& before, const v1::Hazard& after) {
  const std::string key = store_->Key("h", before.hazard_id());
  w_.preconditions.push_back(
      Pre{Pre::Kind::kEquals, key, "version", absl::StrCat(before.version()),
          absl::StatusCode::kAborted,
          absl::StrCat("hazard ", before.hazard_id(), " changed since version ", before.version(),
                       "; read it again")});
  w_.commands.push_back(
      {"HSET", key, "data", after.SerializeAsString(), "version", absl::StrCat(after.version())});
  const std::vector<std::string> old_depts = DepartmentIndexes(before);
  const std::vector<std::string> new_depts = DepartmentIndexes(after);
  const bool moved = Cursor(before) != Cursor(after);
  if (moved) {
    w_.commands.push_back({"ZREM", store_->prefix() + ":idx:tier", Cursor(before)});
    w_.commands.push_back({"ZADD", store_->prefix() + ":idx:tier", "0", Cursor(after)});
  }
  for (const auto& d : old_depts) {
    if (moved || std::find(new_depts.begin(), new_depts.end(), d) == new_depts.end()) {
      w_.commands.push_back({"ZREM", store_->Key("idx:dept", d), Cursor(before)});
    }
  }
  for (const auto& d : new_depts) {
    if (moved || std::find(old_depts.begin(), old_depts.end(), d) == old_depts.end()) {
      w_.commands.push_back({"ZADD", store_->Key("idx:dept", d), "0", Cursor(after)});
    }
  }
  store_->counters_.AddDelta(&before, &after, &counters_);
}

void HazardStore::Write::ClaimOpen(const std::string& building_id, int category,
                                   const std::string& id) {
  const std::string key = store_->Key("open", absl::StrCat(building_id, ":", category));
  w_.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "", "", absl::StatusCode::kAlreadyExists,
                                 "an open hazard of this building and category exists"});
  w_.commands.push_back({"SET", key, id});
}

void HazardStore::Write::ReleaseOpen(const std::string& building_id, int category,
                                     const std::string& id) {
  const std::string key = store_->Key("open", absl::StrCat(building_id, ":", category));
  w_.preconditions.push_back(
      Pre{Pre::Kind::kEquals, key, "", id, absl::StatusCode::kAborted, "open-hazard key changed"});
  w_.commands.push_back({"DEL", key});
}

void HazardStore::Write::SetIdempotency(const std::string& subject, const std::string& key,
                                        const std::string& id, const std::string& request_digest) {
  const std::string k = store_->Key("idem", absl::StrCat(subject, ":", key));
  w_.preconditions.push_back(
      Pre{Pre::Kind::kAbsent, k, "", "", absl::StatusCode::kAlreadyExists, "idempotency key used"});
  w_.commands.push_back(
      {"SET", k, absl::StrCat(id, " ", request_digest), "EX", absl::StrCat(30 * 24 * 3600)});
}

void HazardStore::Write::Schedule(const Timer& t) {
  w_.commands.push_back({"SET", store_->Key("timer", t.Member()), absl::StrCat(t.fire_at_ms)});
  w_.commands.push_back(
      {"ZADD", store_->prefix() + ":timers", absl::StrCat(t.fire_at_ms), t.Member()});
}

void HazardStore::Write::Cancel(const Timer& t) {
  w_.commands.push_back({"DEL", store_->Key("timer", t.Member())});
  w_.commands.push_back({"ZREM", store_->prefix() + ":timers", t.Member()});
}

void HazardStore::Write::Consume(const Timer& t) {
  w_.preconditions.push_back(Pre{Pre::Kind::kExists, store_->Key("timer", t.Member()), "", "",
                                 absl::StatusCode::kAborted, "timer already consumed"});
  Cancel(t);
}

void HazardStore::Write::Publish(events::Message m) {
  w_.appends.push_back(events::OutboxAppend(store_->outbox_key(), m));
}

absl::Status HazardStore::Write::Commit() {
  counters_.AppendTo(store_->counters_.counters_prefix(), &w_);
  counters_ = redis::CounterDelta();  // appended once, whatever happens next
  return redis::Execute(*store_->pool_, w_);
}

}  // namespace firegrid::hazards
