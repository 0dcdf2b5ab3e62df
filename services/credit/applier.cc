#include "services/credit/applier.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/events/topics.h"
#include "libs/redis/atomic_write.h"
#include "libs/subjects/party.h"
#include "services/credit/export_record.h"

namespace firegrid::credit {
namespace {

using Pre = redis::AtomicWrite::Precondition;
using TimeUtil = google::protobuf::util::TimeUtil;

// One atomic write carries at most this many commands and appends (a batch whose writes grow
// beyond it is split at a fact boundary): Redis runs a transaction's EXEC to the end, blocking
// every other client meanwhile, so a write must stay small.
constexpr size_t kMaxCommandsPerWrite = 4000;
// The replay reads the history in chunks of this many facts, and pipelines this many commands.
constexpr int kReplayChunk = 10000;
constexpr size_t kPipelineChunk = 10000;
// The replay writes the ledger every this many facts.
constexpr int64_t kLedgerGroup = 100000;
// Arguments of one variadic command (RPUSH, SADD, ZADD) in the replay.
constexpr size_t kMaxArgs = 4000;

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

bool IsOpen(v1::BlacklistState state) {
  return state == v1::BLACKLIST_STATE_PROPOSED || state == v1::BLACKLIST_STATE_OBJECTED ||
         state == v1::BLACKLIST_STATE_ACTIVE;
}

CreditStore::FactOutcome FactOutcomeOf(const Outcome& o) {
  CreditStore::FactOutcome f;
  f.status = o.status;
  f.entry_id = o.entry_id;
  if (!o.records.empty()) f.record_id = o.records.front().record_id();
  return f;
}

// Runs commands in pipelines of kPipelineChunk on a thread of its own, so that sending one
// chunk overlaps building the next (at most two chunks wait). The first error fails it; Flush()
// waits for everything sent so far.
class PipelineWriter {
 public:
  // `on_chunk` runs (on the caller's thread) each time a chunk is handed over; its error fails
  // the writer (the replay renews its lease there).
  PipelineWriter(redis::Pool* pool, std::function<absl::Status()> on_chunk)
      : pool_(pool), on_chunk_(std::move(on_chunk)), thread_([this] { Loop(); }) {}
  ~PipelineWriter() {
    {
      absl::MutexLock l(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }
  absl::Status Add(std::vector<std::string> cmd) {
    cmds_.push_back(std::move(cmd));
    if (cmds_.size() >= kPipelineChunk) return Hand();
    return absl::OkStatus();
  }
  // Hands what was added to the thread without waiting for it to be sent.
  absl::Status Send() { return Hand(); }
  absl::Status Flush() {
    FG_RETURN_IF_ERROR(Hand());
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](PipelineWriter* w) { return w->queue_.empty() && !w->busy_; }, this));
    return status_;
  }

 private:
  // Hands the commands gathered to the thread, waiting while two chunks are queued.
  absl::Status Hand() {
    if (on_chunk_ && !cmds_.empty()) FG_RETURN_IF_ERROR(on_chunk_());
    absl::MutexLock l(&mu_);
    if (!cmds_.empty()) {
      mu_.Await(absl::Condition(
          +[](PipelineWriter* w) { return w->queue_.size() < 2; }, this));
      queue_.push_back(std::move(cmds_));
      cmds_.clear();
    }
    return status_;
  }
  void Loop() {
    while (true) {
      std::vector<std::vector<std::string>> chunk;
      {
        absl::MutexLock l(&mu_);
        mu_.Await(absl::Condition(
            +[](PipelineWriter* w) { return !w->queue_.empty() || w->stopping_; }, this));
        if (queue_.empty()) return;
        chunk = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
      absl::Status st;
      if (status_ok_.load()) st = Send(chunk);
      absl::MutexLock l(&mu_);
      busy_ = false;
      if (!st.ok() && status_.ok()) {
        status_ = st;
        status_ok_ = false;
      }
    }
  }
  absl::Status Send(const std::vector<std::vector<std::string>>& chunk) {
    FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(chunk));
    for (const redis::Reply& r : replies) {
      if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
    }
    return absl::OkStatus();
  }

  redis::Pool* pool_;
  std::function<absl::Status()> on_chunk_;
  std::vector<std::vector<std::string>> cmds_;  // the caller's, not yet handed over
  absl::Mutex mu_;
  std::deque<std::vector<std::vector<std::string>>> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> status_ok_{true};
  std::thread thread_;
};

// Reads the history in chunks on a thread of its own, one chunk ahead of the caller, so that
// reading the next chunk overlaps applying this one.
class HistoryReader {
 public:
  // Facts on an arena of their own: decoded and freed in bulk.
  struct Chunk {
    std::unique_ptr<google::protobuf::Arena> arena;
    std::vector<std::pair<std::string, const v1::Fact*>> facts;
  };
  explicit HistoryReader(CreditStore* store) : store_(store), thread_([this] { Loop(); }) {}
  ~HistoryReader() {
    {
      absl::MutexLock l(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }
  // The next chunk; empty at the end of the history (as it was when the reader got there).
  absl::StatusOr<Chunk> Next() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](HistoryReader* r) { return r->ready_.has_value(); }, this));
    absl::StatusOr<Chunk> out = std::move(*ready_);
    ready_.reset();
    return out;
  }

 private:
  void Loop() {
    std::string after = "0";
    while (true) {
      google::protobuf::ArenaOptions options;
      options.start_block_size = 1 << 20;
      options.max_block_size = 8 << 20;
      auto arena = std::make_unique<google::protobuf::Arena>(options);
      absl::StatusOr<Chunk> chunk;
      absl::StatusOr<std::vector<std::pair<std::string, const v1::Fact*>>> facts =
          store_->ReadFacts(after, kReplayChunk, arena.get());
      if (facts.ok()) {
        chunk = Chunk{std::move(arena), *std::move(facts)};
      } else {
        chunk = facts.status();
      }
      const bool last = !chunk.ok() || chunk->facts.empty();
      if (!last) after = chunk->facts.back().first;
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](HistoryReader* r) { return !r->ready_.has_value() || r->stopping_; }, this));
      if (stopping_) return;
      ready_ = std::move(chunk);
      if (last) return;
    }
  }

  CreditStore* store_;
  absl::Mutex mu_;
  std::optional<absl::StatusOr<Chunk>> ready_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Adds `name key member...` (or `name key score member...`) commands of at most kMaxArgs.
// An empty key: `name member...` (MSET).
class VariadicWriter {
 public:
  VariadicWriter(PipelineWriter* out, std::string name, std::string key)
      : out_(out), name_(std::move(name)), key_(std::move(key)) {}
  absl::Status Add(std::string a) { return Add2(std::move(a), std::nullopt); }
  absl::Status Add(std::string a, std::string b) { return Add2(std::move(a), std::move(b)); }
  absl::Status Flush() {
    if (cmd_.size() <= Head()) return absl::OkStatus();
    std::vector<std::string> cmd;
    cmd.swap(cmd_);
    return out_->Add(std::move(cmd));
  }

 private:
  size_t Head() const { return key_.empty() ? 1 : 2; }
  absl::Status Add2(std::string a, std::optional<std::string> b) {
    if (cmd_.empty()) {
      cmd_.reserve(kMaxArgs + 2);
      cmd_.push_back(name_);
      if (!key_.empty()) cmd_.push_back(key_);
    }
    cmd_.push_back(std::move(a));
    if (b) cmd_.push_back(std::move(*b));
    if (cmd_.size() >= kMaxArgs) return Flush();
    return absl::OkStatus();
  }
  PipelineWriter* out_;
  std::string name_, key_;
  std::vector<std::string> cmd_;
};

std::string DefaultInstanceId() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  absl::BitGen gen;
  return absl::StrCat(host, ":", getpid(), ":", absl::Uniform<uint64_t>(gen));
}

// The tiers a subject is ranked in: every district (6), street (9) and community (12) code of
// its buildings; "all" for a subject without buildings.
std::set<std::string> RankTiers(const v1::SubjectState& s) {
  std::set<std::string> tiers;
  for (const v1::BuildingLink& b : s.subject().buildings()) {
    for (size_t len : {6u, 9u, 12u}) {
      if (b.tier_path().size() >= len) tiers.insert(b.tier_path().substr(0, len));
    }
  }
  if (tiers.empty()) tiers.insert(std::string(CreditStore::kAllTier));
  return tiers;
}

}  // namespace

std::set<std::string> RankKeys(const CreditStore& store, const std::string& version,
                               const v1::SubjectState& s) {
  std::set<std::string> keys;
  const std::string type(subjects::SubjectTypeName(s.subject().type()));
  if (type.empty()) return keys;
  for (const std::string& tier : RankTiers(s)) keys.insert(store.RankKey(version, tier, type));
  return keys;
}

bool StreamIdLess(const std::string& a, const std::string& b) {
  auto parse = [](const std::string& id) {
    std::pair<uint64_t, uint64_t> v{0, 0};
    std::vector<absl::string_view> parts = absl::StrSplit(id, '-');
    if (!parts.empty()) (void)absl::SimpleAtoi(parts[0], &v.first);
    if (parts.size() > 1) (void)absl::SimpleAtoi(parts[1], &v.second);
    return v;
  };
  return parse(a) < parse(b);
}

Applier::Applier(CreditStore* store, const Rules* rules, const SubjectIds* ids, Clock* clock,
                 ApplierOptions options)
    : store_(store), rules_(rules), ids_(ids), clock_(clock), options_(std::move(options)) {
  if (options_.instance_id.empty()) options_.instance_id = DefaultInstanceId();
  if (options_.batch_size <= 0) options_.batch_size = 1;
}

std::string Applier::Owner() const { return options_.instance_id; }

absl::StatusOr<int> Applier::RunOnce() {
  const std::string& version = rules_->version();
  FG_ASSIGN_OR_RETURN(std::string serving, store_->ServingVersion());
  if (serving == version) {
    FG_ASSIGN_OR_RETURN(bool exists, store_->HasGeneration(version));
    if (exists) return ApplyBatch(version, /*publish=*/true);
    // The generation in force is gone (e.g. Redis lost it): rebuild it, then follow.
  } else if (!serving.empty()) {
    // Another rule set is in force. A version that was in force before it is an older one
    // (a replica not yet upgraded): it must not take the service back.
    FG_ASSIGN_OR_RETURN(bool served_before, store_->WasServed(version));
    FG_ASSIGN_OR_RETURN(bool serving_exists, store_->HasGeneration(serving));
    if (served_before && serving_exists) {
      if (!said_superseded_.exchange(true)) {
        log::Warn(
            "this replica's rule set is older than the one in force: it applies nothing "
            "(roll it out with the rules in force)",
            {{"loaded", version}, {"in_force", serving}});
      }
      return 0;
    }
  }
  FG_ASSIGN_OR_RETURN(bool leader, store_->TakeLease(version, Owner(), options_.lease));
  if (!leader) return 0;
  FG_ASSIGN_OR_RETURN(bool built, store_->HasGeneration(version));
  if (!built) {
    FG_ASSIGN_OR_RETURN(int64_t replayed, ReplayAll());
    return static_cast<int>(std::min<int64_t>(replayed, std::numeric_limits<int>::max()));
  }
  // Follow the history, publishing nothing, until caught up; then switch.
  FG_ASSIGN_OR_RETURN(int applied, ApplyBatch(version, /*publish=*/serving == version));
  if (applied > 0) return applied;
  absl::Status switched = store_->SwitchServing(version, clock_->Now());
  if (switched.code() == absl::StatusCode::kAborted) return 0;  // facts arrived: next round
  FG_RETURN_IF_ERROR(switched);
  return 0;
}

absl::StatusOr<int> Applier::ApplyBatch(const std::string& version, bool publish) {
  FG_ASSIGN_OR_RETURN(bool leader, store_->TakeLease(version, Owner(), options_.lease));
  if (!leader) return 0;
  FG_ASSIGN_OR_RETURN(std::string cursor, store_->Cursor(version));
  FG_ASSIGN_OR_RETURN(auto facts, store_->ReadFacts(cursor, options_.batch_size));
  if (facts.empty()) return 0;

  // What the subjects loaded from Redis were ranked under, to move them when their links change.
  absl::flat_hash_map<std::string, std::set<std::string>> ranked_before;
  absl::Status load_error;
  MemoryState::Loader loader;
  loader.subject = [&](const std::string& id, v1::SubjectState* out) {
    absl::StatusOr<std::optional<v1::SubjectState>> s = store_->LoadSubject(version, id);
    if (!s.ok()) {
      load_error.Update(s.status());
      return false;
    }
    if (!s->has_value()) return false;
    *out = std::move(**s);
    ranked_before[id] = RankKeys(*store_, version, *out);
    return true;
  };
  loader.hazard = [&](const std::string& id, v1::HazardState* out) {
    absl::StatusOr<std::optional<v1::HazardState>> h = store_->LoadHazard(version, id);
    if (!h.ok()) {
      load_error.Update(h.status());
      return false;
    }
    if (!h->has_value()) return false;
    *out = std::move(**h);
    return true;
  };
  loader.building = [&](const std::string& id, v1::BuildingState* out) {
    absl::StatusOr<std::optional<v1::BuildingState>> b = store_->LoadBuilding(version, id);
    if (!b.ok()) {
      load_error.Update(b.status());
      return false;
    }
    if (!b->has_value()) return false;
    *out = std::move(**b);
    return true;
  };
  loader.due = [&](absl::Time until) {
    absl::StatusOr<std::vector<std::pair<std::string, absl::Time>>> d =
        store_->LoadDue(version, until);
    if (!d.ok()) {
      load_error.Update(d.status());
      return std::vector<std::pair<std::string, absl::Time>>();
    }
    return *std::move(d);
  };
  MemoryState state(std::move(loader));

  int applied = 0;
  std::string write_from = cursor;  // the cursor the pending write starts from
  redis::AtomicWrite pending;
  std::vector<std::pair<const v1::Fact*, Outcome>> pending_outcomes;

  auto flush = [&](const std::string& last_id) -> absl::Status {
    MemoryState::Dirty dirty = state.TakeDirty();
    for (const std::string& id : dirty.subjects) {
      const v1::SubjectState* s = state.FindSubject(id);
      if (s == nullptr) continue;
      pending.commands.push_back({"SET", store_->SubjectKey(version, id), s->SerializeAsString()});
      pending.commands.push_back({"SADD", store_->SubjectsKey(version), id});
      std::set<std::string> keys = RankKeys(*store_, version, *s);
      for (const std::string& old : ranked_before[id]) {
        if (!keys.contains(old)) pending.commands.push_back({"ZREM", old, id});
      }
      for (const std::string& key : keys) {
        pending.commands.push_back({"ZADD", key, absl::StrCat(s->score()), id});
      }
      ranked_before[id] = std::move(keys);
      for (const v1::BlacklistEntry& e : s->blacklist()) {
        if (IsOpen(e.state())) {
          pending.commands.push_back(
              {"ZADD", store_->BlacklistKey(version),
               absl::StrCat(TimeUtil::TimestampToMilliseconds(e.proposed_at())), e.entry_id()});
        } else {
          pending.commands.push_back({"ZREM", store_->BlacklistKey(version), e.entry_id()});
        }
      }
    }
    for (const std::string& id : dirty.hazards) {
      const v1::HazardState* h = state.FindHazard(id);
      if (h == nullptr) continue;
      pending.commands.push_back({"SET", store_->HazardKey(version, id), h->SerializeAsString()});
    }
    for (const std::string& id : dirty.buildings) {
      const v1::BuildingState* b = state.FindBuilding(id);
      if (b == nullptr) continue;
      pending.commands.push_back({"SET", store_->BuildingKey(version, id), b->SerializeAsString()});
    }
    for (const auto& [entry, due] : dirty.due) {
      if (due == absl::InfinitePast()) {
        pending.commands.push_back({"ZREM", store_->DueKey(version), entry});
      } else {
        pending.commands.push_back(
            {"ZADD", store_->DueKey(version), absl::StrCat(CreditStore::DueScore(due)), entry});
      }
    }
    pending.commands.push_back({"SET", store_->CursorKey(version), last_id});
    pending.preconditions.push_back(Pre{
        Pre::Kind::kEquals, store_->CursorKey(version), "", write_from, absl::StatusCode::kAborted,
        absl::StrCat("generation ", version, " moved on from ", write_from)});
    if (publish) {
      pending.preconditions.push_back(Pre{Pre::Kind::kEquals, store_->ServingKey(), "", version,
                                          absl::StatusCode::kAborted,
                                          absl::StrCat(version, " is no longer in force")});
    }
    FG_RETURN_IF_ERROR(redis::Execute(*store_->pool(), pending));
    if (publish && options_.on_applied) {
      for (const auto& [fact, outcome] : pending_outcomes) options_.on_applied(*fact, outcome);
    }
    pending = redis::AtomicWrite();
    pending_outcomes.clear();
    write_from = last_id;
    return absl::OkStatus();
  };

  for (size_t i = 0; i < facts.size(); ++i) {
    const auto& [id, fact] = facts[i];
    Outcome outcome = Apply(*rules_, *ids_, fact, &state);
    FG_RETURN_IF_ERROR(load_error);  // the engine saw a partial state: write nothing
    for (const v1::LedgerRecord& r : outcome.records) {
      pending.commands.push_back(
          {"RPUSH", store_->LedgerKey(version, r.subject_id()), r.SerializeAsString()});
    }
    for (auto& c : store_->OutcomeCommands(version, fact.fact_id(), FactOutcomeOf(outcome))) {
      pending.commands.push_back(std::move(c));
    }
    if (publish) {
      for (const std::string& subject_id : outcome.exported_subjects) {
        const v1::SubjectState* s = state.FindSubject(subject_id);
        if (s == nullptr) continue;
        pending.appends.push_back(store_->ExportAppend(ExportRecordOf(*s, fact, version)));
      }
      if (!options_.outbox_key.empty()) {
        for (const Publication& p : outcome.publications) {
          if (p.payload == nullptr) continue;
          const v1::SubjectState* s = state.FindSubject(p.subject_id);
          std::string tier;
          if (s != nullptr && s->subject().buildings_size() > 0) {
            tier = s->subject().buildings(0).tier_path();
          }
          events::Envelope envelope =
              events::NewEnvelope(*p.payload, "credit", "", tier, clock_->Now(), event_ids_);
          pending.appends.push_back(events::OutboxAppend(
              options_.outbox_key, events::Message{std::string(events::kCreditTopic), p.subject_id,
                                                   events::SerializeEnvelope(envelope)}));
        }
      }
    }
    pending_outcomes.emplace_back(&fact, std::move(outcome));
    ++applied;
    const bool last = i + 1 == facts.size();
    if (last || pending.commands.size() + pending.appends.size() >= kMaxCommandsPerWrite) {
      FG_RETURN_IF_ERROR(flush(id));
    }
  }
  return applied;
}

absl::StatusOr<int64_t> Applier::ReplayAll() {
  const std::string& version = rules_->version();
  FG_ASSIGN_OR_RETURN(bool leader, store_->TakeLease(version, Owner(), options_.lease));
  if (!leader) {
    return absl::AbortedError(
        absl::StrCat("another replica holds the lease on generation ", version));
  }
  // Starts from nothing: a half-written generation of an interrupted replay is dropped (and
  // the generation in force is refused).
  FG_RETURN_IF_ERROR(store_->DropGeneration(version));
  FG_ASSIGN_OR_RETURN(int64_t history, store_->FactCount());
  FG_RETURN_IF_ERROR(store_->ReplayStarted(version, history, clock_->Now()));

  // Outcomes are kept a day; older facts' outcomes would expire at once.
  const absl::Time outcomes_from = clock_->Now() - CreditStore::kOutcomeTtl;
  redis::Pool* pool = store_->pool();
  // The lease lasts a few seconds: renew it with every chunk read and every chunk written, so
  // that no other replica starts this generation over while this one writes it.
  auto keep_lease = [&]() -> absl::Status {
    FG_ASSIGN_OR_RETURN(bool still, store_->TakeLease(version, Owner(), options_.lease));
    if (!still) {
      return absl::AbortedError(
          absl::StrCat("lost the lease on generation ", version, " during its replay"));
    }
    return absl::OkStatus();
  };
  PipelineWriter out(pool, keep_lease);
  HistoryReader reader(store_);
  auto memory = std::make_unique<MemoryState>();
  MemoryState& state = *memory;
  // The ledger is append-only: records go out as the replay goes, grouped per subject over
  // several chunks (fewer, longer RPUSHes), in order.
  std::map<std::string, std::vector<std::string>> ledger;
  int64_t facts_since_ledger = 0;  // facts since the ledger was last written
  auto write_ledger = [&]() -> absl::Status {
    for (auto& [subject, records] : ledger) {
      VariadicWriter push(&out, "RPUSH", store_->LedgerKey(version, subject));
      for (std::string& r : records) FG_RETURN_IF_ERROR(push.Add(std::move(r)));
      FG_RETURN_IF_ERROR(push.Flush());
    }
    ledger.clear();
    facts_since_ledger = 0;
    return absl::OkStatus();
  };
  std::string last = "0";
  int64_t applied = 0;
  while (true) {
    FG_ASSIGN_OR_RETURN(HistoryReader::Chunk chunk, reader.Next());
    const auto& facts = chunk.facts;
    if (facts.empty()) break;
    for (const auto& [id, fact_on_arena] : facts) {
      const v1::Fact& fact = *fact_on_arena;
      Outcome outcome = Apply(*rules_, *ids_, fact, &state);
      for (const v1::LedgerRecord& r : outcome.records) {
        ledger[r.subject_id()].push_back(r.SerializeAsString());
      }
      if (TimeOf(fact.time()) >= outcomes_from) {
        for (auto& c : store_->OutcomeCommands(version, fact.fact_id(), FactOutcomeOf(outcome))) {
          FG_RETURN_IF_ERROR(out.Add(std::move(c)));
        }
      }
    }
    facts_since_ledger += static_cast<int64_t>(facts.size());
    if (facts_since_ledger >= kLedgerGroup) FG_RETURN_IF_ERROR(write_ledger());
    applied += static_cast<int64_t>(facts.size());
    last = facts.back().first;
    if (applied > history) history = applied;
    FG_RETURN_IF_ERROR(store_->ReplayProgress(version, applied, history));
    FG_RETURN_IF_ERROR(keep_lease());
  }

  FG_RETURN_IF_ERROR(write_ledger());

  // The final state: subjects, rankings, blacklist, hazards, due times.
  MemoryState::Dirty dirty = state.TakeDirty();
  VariadicWriter mset(&out, "MSET", "");  // states, many per command
  {
    VariadicWriter all_subjects(&out, "SADD", store_->SubjectsKey(version));
    VariadicWriter blacklist(&out, "ZADD", store_->BlacklistKey(version));
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> ranks;
    for (const std::string& id : dirty.subjects) {
      const v1::SubjectState* s = state.FindSubject(id);
      if (s == nullptr) continue;
      FG_RETURN_IF_ERROR(mset.Add(store_->SubjectKey(version, id), s->SerializeAsString()));
      FG_RETURN_IF_ERROR(all_subjects.Add(id));
      for (const std::string& key : RankKeys(*store_, version, *s)) {
        ranks[key].emplace_back(absl::StrCat(s->score()), id);
      }
      for (const v1::BlacklistEntry& e : s->blacklist()) {
        if (!IsOpen(e.state())) continue;
        FG_RETURN_IF_ERROR(blacklist.Add(
            absl::StrCat(TimeUtil::TimestampToMilliseconds(e.proposed_at())), e.entry_id()));
      }
    }
    FG_RETURN_IF_ERROR(all_subjects.Flush());
    FG_RETURN_IF_ERROR(blacklist.Flush());
    for (auto& [key, members] : ranks) {
      VariadicWriter zadd(&out, "ZADD", key);
      for (auto& [score, id] : members) FG_RETURN_IF_ERROR(zadd.Add(score, id));
      FG_RETURN_IF_ERROR(zadd.Flush());
    }
  }
  for (const std::string& id : dirty.hazards) {
    const v1::HazardState* h = state.FindHazard(id);
    if (h == nullptr) continue;
    FG_RETURN_IF_ERROR(mset.Add(store_->HazardKey(version, id), h->SerializeAsString()));
  }
  for (const std::string& id : dirty.buildings) {
    const v1::BuildingState* b = state.FindBuilding(id);
    if (b == nullptr) continue;
    FG_RETURN_IF_ERROR(mset.Add(store_->BuildingKey(version, id), b->SerializeAsString()));
  }
  FG_RETURN_IF_ERROR(mset.Flush());
  {
    VariadicWriter due(&out, "ZADD", store_->DueKey(version));
    for (const auto& [entry, at] : dirty.due) {
      if (at == absl::InfinitePast()) continue;
      FG_RETURN_IF_ERROR(due.Add(absl::StrCat(CreditStore::DueScore(at)), entry));
    }
    FG_RETURN_IF_ERROR(due.Flush());
  }
  // Everything is in commands: free the state while the last of them are sent.
  FG_RETURN_IF_ERROR(out.Send());
  dirty = MemoryState::Dirty();
  memory.reset();
  FG_RETURN_IF_ERROR(out.Flush());
  // Last: the cursor says the generation is whole.
  FG_RETURN_IF_ERROR(pool->Command({"SET", store_->CursorKey(version), last}).status());
  return applied;
}

absl::StatusOr<bool> Applier::AppendClockIfDue() {
  FG_ASSIGN_OR_RETURN(std::string serving, store_->ServingVersion());
  if (serving.empty()) return false;
  const absl::Time now = absl::FromUnixMillis(absl::ToUnixMillis(clock_->Now()));
  FG_ASSIGN_OR_RETURN(auto due, store_->LoadDue(serving, now));
  if (due.empty()) return false;
  if (!last_clock_id_.empty()) {
    FG_ASSIGN_OR_RETURN(std::string cursor, store_->Cursor(serving));
    if (StreamIdLess(cursor, last_clock_id_)) return false;  // still waiting to be applied
  }
  v1::Fact fact;
  fact.set_fact_id(absl::StrCat("clock:", absl::ToUnixMillis(now)));
  *fact.mutable_time() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(now));
  fact.set_actor("credit");
  fact.mutable_clock();
  FG_ASSIGN_OR_RETURN(last_clock_id_, store_->AppendFact(fact));
  return true;
}

}  // namespace firegrid::credit
