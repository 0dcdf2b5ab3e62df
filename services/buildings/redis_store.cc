#include "services/buildings/redis_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/common/status.h"
#include "libs/events/outbox.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/lex_index.h"

namespace firegrid::buildings {
namespace {

using redis::AtomicWrite;
using Pre = redis::AtomicWrite::Precondition;

constexpr int kRequestTtlSeconds = 30 * 24 * 3600;

template <class T>
absl::StatusOr<T> ParseBytes(const std::string& bytes, const std::string& what) {
  T msg;
  if (!msg.ParseFromString(bytes)) return absl::DataLossError(absl::StrCat("corrupt ", what));
  return msg;
}

void AddOutbox(const std::string& outbox_key, const Outbox& outbox, AtomicWrite* w) {
  for (const auto& m : outbox) w->appends.push_back(events::OutboxAppend(outbox_key, m));
}

// Every digit of a double (absl::StrCat keeps 6 significant digits: 106.431234 → "106.431",
// ~100 m east–west at Chongqing's latitude).
std::string Num(double v) { return absl::StrFormat("%.17g", v); }

}  // namespace

RedisStore::RedisStore(redis::Pool* pool, std::string prefix, const Rules& rules)
    : pool_(pool),
      prefix_(std::move(prefix)),
      ledger_counters_(pool_, prefix_, LedgerCounting(rules)) {}

absl::StatusOr<std::optional<LedgerTally>> RedisStore::CountedLedger(const std::string& tier_path,
                                                                     absl::Time now) {
  return ledger_counters_.Tally(tier_path, now);
}

absl::StatusOr<std::optional<redis::CounterCheck>> RedisStore::CheckLedgerCounters() {
  FG_ASSIGN_OR_RETURN(redis::CounterCheck check, ledger_counters_.Check(*this));
  return check;
}

void RedisStore::AddBuildingGeo(const v1::Building& b, redis::AtomicWrite* w) const {
  const std::string key = prefix_ + ":geo:b";
  if (b.has_location()) {
    w->commands.push_back({"GEOADD", key, Num(b.location().longitude()),
                           Num(b.location().latitude()), b.building_id()});
  } else {
    w->commands.push_back({"ZREM", key, b.building_id()});
  }
}

absl::StatusOr<int> RedisStore::IndexBuildingLocations() {
  const std::string done_key = prefix_ + ":geo:b:built";
  FG_ASSIGN_OR_RETURN(redis::Reply done, pool_->Command({"EXISTS", done_key}));
  if (done.integer == 1) return 0;
  int indexed = 0;
  std::string cursor;
  do {
    FG_ASSIGN_OR_RETURN(BuildingPage page, ScanBuildings("", cursor, 200));
    for (const v1::Building& b : page.buildings) {
      // Only as the building is now: a write since the scan has indexed its own location (and
      // the stale one must not overwrite it).
      AtomicWrite w;
      w.preconditions.push_back(Pre{Pre::Kind::kEquals, Key("b", b.building_id()), "version",
                                    absl::StrCat(b.version()), absl::StatusCode::kAborted,
                                    "building changed since the scan"});
      AddBuildingGeo(b, &w);
      absl::Status s = redis::Execute(*pool_, w);
      if (s.code() == absl::StatusCode::kAborted) continue;
      FG_RETURN_IF_ERROR(s);
      ++indexed;
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  FG_RETURN_IF_ERROR(pool_->Command({"SET", done_key, "1"}).status());
  return indexed;
}

absl::Status RedisStore::PutOrgUnit(const v1::OrgUnit& unit) {
  const std::string key = Key("ou", unit.code());
  const std::string index = prefix_ + ":idx:ou";
  for (int attempt = 0; attempt < 5; ++attempt) {
    FG_ASSIGN_OR_RETURN(redis::Reply old, pool_->Command({"GET", key}));
    AtomicWrite w;
    if (old.IsNil()) {
      w.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "", "", absl::StatusCode::kAborted,
                                    "org unit changed concurrently"});
    } else {
      w.preconditions.push_back(Pre{Pre::Kind::kEquals, key, "", old.str,
                                    absl::StatusCode::kAborted, "org unit changed concurrently"});
      FG_ASSIGN_OR_RETURN(v1::OrgUnit prev, ParseBytes<v1::OrgUnit>(old.str, "org unit"));
      w.commands.push_back({"ZREM", index, prev.tier_path() + "|" + prev.code()});
    }
    w.commands.push_back({"SET", key, unit.SerializeAsString()});
    w.commands.push_back({"ZADD", index, "0", unit.tier_path() + "|" + unit.code()});
    absl::Status s = redis::Execute(*pool_, w);
    if (s.code() != absl::StatusCode::kAborted) return s;
  }
  return absl::AbortedError("org unit changed concurrently; retry");
}

absl::StatusOr<v1::OrgUnit> RedisStore::GetOrgUnit(const std::string& code) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"GET", Key("ou", code)}));
  if (r.IsNil()) return absl::NotFoundError(absl::StrCat("no org unit ", code));
  return ParseBytes<v1::OrgUnit>(r.str, "org unit");
}

absl::StatusOr<std::vector<v1::OrgUnit>> RedisStore::ListOrgUnits(const std::string& prefix,
                                                                  const std::string& cursor,
                                                                  int limit,
                                                                  std::string* next_cursor) {
  next_cursor->clear();
  FG_ASSIGN_OR_RETURN(redis::LexPage page,
                      redis::ScanLexIndex(*pool_, prefix_ + ":idx:ou", prefix, cursor, limit));
  *next_cursor = page.next_cursor;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& code : page.ids) cmds.push_back({"GET", Key("ou", code)});
  FG_ASSIGN_OR_RETURN(std::vector<std::string> values, redis::FetchValues(*pool_, cmds));
  std::vector<v1::OrgUnit> out;
  for (const auto& bytes : values) {
    FG_ASSIGN_OR_RETURN(v1::OrgUnit u, ParseBytes<v1::OrgUnit>(bytes, "org unit"));
    out.push_back(std::move(u));
  }
  return out;
}

absl::StatusOr<v1::Building> RedisStore::GetBuilding(const std::string& id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"HGET", Key("b", id), "data"}));
  if (r.IsNil()) return absl::NotFoundError(absl::StrCat("no building ", id));
  return ParseBytes<v1::Building>(r.str, "building");
}

absl::StatusOr<std::string> RedisStore::BuildingForRequest(const std::string& request_id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"GET", Key("req", request_id)}));
  if (r.IsNil()) return absl::NotFoundError("unknown request id");
  return r.str;
}

absl::Status RedisStore::CreateBuildings(const std::vector<v1::Building>& buildings,
                                         const std::vector<std::string>& request_ids,
                                         const Outbox& outbox) {
  AtomicWrite w;
  redis::CounterDelta counters;  // summed over the buildings
  for (size_t i = 0; i < buildings.size(); ++i) {
    const auto& b = buildings[i];
    const std::string key = Key("b", b.building_id());
    w.preconditions.push_back(Pre{Pre::Kind::kAbsent, key, "", "", absl::StatusCode::kAlreadyExists,
                                  absl::StrCat("building ", b.building_id(), " exists")});
    w.commands.push_back(
        {"HSET", key, "data", b.SerializeAsString(), "version", absl::StrCat(b.version())});
    w.commands.push_back({"ZADD", prefix_ + ":idx:b", "0", BuildingCursor(b)});
    AddBuildingGeo(b, &w);
    ledger_counters_.AddDelta(nullptr, &b, &counters);
    if (i < request_ids.size() && !request_ids[i].empty()) {
      const std::string rkey = Key("req", request_ids[i]);
      w.preconditions.push_back(Pre{Pre::Kind::kAbsent, rkey, "", "",
                                    absl::StatusCode::kAlreadyExists,
                                    absl::StrCat("request ", request_ids[i], " already used")});
      w.commands.push_back({"SET", rkey, b.building_id(), "EX", absl::StrCat(kRequestTtlSeconds)});
    }
  }
  counters.AppendTo(ledger_counters_.counters_prefix(), &w);
  AddOutbox(outbox_key(), outbox, &w);
  return redis::Execute(*pool_, w);
}

absl::Status RedisStore::UpdateBuilding(const v1::Building& previous, const v1::Building& next,
                                        const v1::ResponsibilityRecord* record,
                                        const Outbox& outbox) {
  const std::string key = Key("b", previous.building_id());
  AtomicWrite w;
  w.preconditions.push_back(Pre{Pre::Kind::kExists, key, "version", "", absl::StatusCode::kNotFound,
                                absl::StrCat("no building ", previous.building_id())});
  w.preconditions.push_back(
      Pre{Pre::Kind::kEquals, key, "version", absl::StrCat(previous.version()),
          absl::StatusCode::kAborted,
          absl::StrCat("building ", previous.building_id(), " changed since version ",
                       previous.version(), "; read it again")});
  w.commands.push_back(
      {"HSET", key, "data", next.SerializeAsString(), "version", absl::StrCat(next.version())});
  if (BuildingCursor(previous) != BuildingCursor(next)) {
    w.commands.push_back({"ZREM", prefix_ + ":idx:b", BuildingCursor(previous)});
    w.commands.push_back({"ZADD", prefix_ + ":idx:b", "0", BuildingCursor(next)});
  }
  AddBuildingGeo(next, &w);
  redis::CounterDelta counters;
  ledger_counters_.AddDelta(&previous, &next, &counters);
  counters.AppendTo(ledger_counters_.counters_prefix(), &w);
  if (record != nullptr) {
    w.commands.push_back({"RPUSH", Key("hist", next.building_id()), record->SerializeAsString()});
  }
  AddOutbox(outbox_key(), outbox, &w);
  return redis::Execute(*pool_, w);
}

absl::StatusOr<BuildingPage> RedisStore::ScanBuildings(const std::string& prefix,
                                                       const std::string& cursor, int limit) {
  FG_ASSIGN_OR_RETURN(redis::LexPage index,
                      redis::ScanLexIndex(*pool_, prefix_ + ":idx:b", prefix, cursor, limit));
  BuildingPage page;
  page.next_cursor = index.next_cursor;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& id : index.ids) cmds.push_back({"HGET", Key("b", id), "data"});
  FG_ASSIGN_OR_RETURN(std::vector<std::string> values, redis::FetchValues(*pool_, cmds));
  for (const auto& bytes : values) {
    FG_ASSIGN_OR_RETURN(v1::Building b, ParseBytes<v1::Building>(bytes, "building"));
    page.buildings.push_back(std::move(b));
  }
  return page;
}

absl::StatusOr<std::vector<v1::ResponsibilityRecord>> RedisStore::GetHistory(
    const std::string& building_id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r,
                      pool_->Command({"LRANGE", Key("hist", building_id), "0", "-1"}));
  std::vector<v1::ResponsibilityRecord> out;
  for (const auto& e : r.elements) {
    FG_ASSIGN_OR_RETURN(auto rec, ParseBytes<v1::ResponsibilityRecord>(e.str, "history record"));
    out.push_back(std::move(rec));
  }
  return out;
}

absl::Status RedisStore::PutHydrant(const v1::Hydrant& h) {
  AtomicWrite w;
  w.commands.push_back({"SET", Key("hyd", h.hydrant_id()), h.SerializeAsString()});
  w.commands.push_back({"GEOADD", prefix_ + ":geo:hyd", Num(h.location().longitude()),
                        Num(h.location().latitude()), h.hydrant_id()});
  return redis::Execute(*pool_, w);
}

absl::StatusOr<v1::Hydrant> RedisStore::GetHydrant(const std::string& id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"GET", Key("hyd", id)}));
  if (r.IsNil()) return absl::NotFoundError(absl::StrCat("no hydrant ", id));
  return ParseBytes<v1::Hydrant>(r.str, "hydrant");
}

absl::Status RedisStore::PutStation(const v1::MicroStation& s, const Outbox& outbox) {
  AtomicWrite w;
  w.commands.push_back({"SET", Key("mfs", s.station_id()), s.SerializeAsString()});
  w.commands.push_back({"GEOADD", prefix_ + ":geo:mfs", Num(s.location().longitude()),
                        Num(s.location().latitude()), s.station_id()});
  AddOutbox(outbox_key(), outbox, &w);
  return redis::Execute(*pool_, w);
}

absl::StatusOr<v1::MicroStation> RedisStore::GetStation(const std::string& id) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"GET", Key("mfs", id)}));
  if (r.IsNil()) return absl::NotFoundError(absl::StrCat("no micro station ", id));
  return ParseBytes<v1::MicroStation>(r.str, "micro station");
}

absl::StatusOr<std::vector<Store::Near>> RedisStore::FindNearby(v1::NearbyKind kind,
                                                                double latitude, double longitude,
                                                                double radius_m, int limit) {
  const std::string key = prefix_ + (kind == v1::NEARBY_KIND_HYDRANT    ? ":geo:hyd"
                                     : kind == v1::NEARBY_KIND_BUILDING ? ":geo:b"
                                                                        : ":geo:mfs");
  FG_ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Command({"GEOSEARCH", key, "FROMLONLAT", Num(longitude), Num(latitude), "BYRADIUS",
                      Num(radius_m), "m", "ASC", "COUNT", absl::StrCat(limit), "WITHDIST"}));
  std::vector<Near> out;
  for (const auto& e : r.elements) {
    if (e.elements.size() != 2) return absl::InternalError("unexpected GEOSEARCH reply");
    Near n;
    n.id = e.elements[0].str;
    if (!absl::SimpleAtod(e.elements[1].str, &n.distance_m)) {
      return absl::InternalError("unexpected GEOSEARCH distance");
    }
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace firegrid::buildings
