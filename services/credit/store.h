#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/credit/v1/credit.pb.h"
#include "firegrid/credit/v1/history.pb.h"
#include "google/protobuf/arena.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"

namespace firegrid::credit {

// The credit service's keys in Redis (prefix P, e.g. "fg:credit"). The history is shared by
// every rule-set generation; everything derived from it lives in the generation of a rules
// version V ("P:g:V:..."), so that a replay builds a new generation beside the one in force:
//
//   P:facts                  stream: the history, one field "fact" = Fact bytes, in order
//   P:fact-ids               hash: fact_id → stream id (a fact is appended once)
//   P:serving                string: the rules version reads are served from
//   P:served                 hash: rules version → when it went in force (unix ms); a version
//                            once in force is never replayed again by an older replica
//   P:replay                 hash: the replay in progress or last completed (state, version,
//                            applied, history, started_ms, finished_ms: RulesInfo's fields)
//   P:export                 stream: one field "record" = ExportRecord bytes, for the public
//                            credit platform (written only by the generation in force)
//   P:lease:V                string: the replica that applies facts to V (SET PX, renewed)
//   P:g:V:cursor             string: the stream id of the last fact applied to V; absent until
//                            a replay has written the whole generation
//   P:g:V:s:<subject>        string: SubjectState bytes
//   P:g:V:h:<hazard>         string: HazardState bytes
//   P:g:V:b:<building>       string: BuildingState bytes
//   P:g:V:ledger:<subject>   list: LedgerRecord bytes, index = seq - 1
//   P:g:V:subjects           set: every subject id
//   P:g:V:due                zset: blacklist entry id → due time (unix ms)
//   P:g:V:rank:<tier>:<type> zset: subject id → score, for every district, street and community
//                            code of the subject's buildings (tier "all" for subjects without)
//   P:g:V:blacklist          zset: entry id → proposed time (unix ms), entries not ended
//   P:g:V:outcome:<fact id>  hash {code, message, entry, record}: what applying a fact did
//                            (kept a day: what a waiting RPC reads; a replay writes it for the
//                            facts of the last day only)
//
// Applying a batch of facts to a generation is one AtomicWrite that also advances the cursor
// (precondition: the cursor is where the batch started), so a fact's effect, its ledger records,
// its export records and outbox events are written together or not at all, exactly once.
class CreditStore {
 public:
  CreditStore(redis::Pool* pool, std::string key_prefix);

  const std::string& prefix() const { return prefix_; }
  redis::Pool* pool() const { return pool_; }

  // ---- the history ----
  // Appends the fact unless a fact with its fact_id is there already; returns its stream id
  // (the existing one for a repeat). Atomic.
  absl::StatusOr<std::string> AppendFact(const v1::Fact& fact);
  // AppendFact for many facts in one pipelined round trip (each deduplicated as above, in
  // order); their stream ids. For loaders and benchmarks.
  absl::StatusOr<std::vector<std::string>> AppendFacts(const std::vector<v1::Fact>& facts);
  // Up to `count` facts after stream id `after` ("0" = from the start), in order.
  absl::StatusOr<std::vector<std::pair<std::string, v1::Fact>>> ReadFacts(const std::string& after,
                                                                          int count);
  // The same, the facts allocated on `arena` (decoded and freed in bulk: the replay's reads).
  absl::StatusOr<std::vector<std::pair<std::string, const v1::Fact*>>> ReadFacts(
      const std::string& after, int count, google::protobuf::Arena* arena);
  // The stream id of the first fact after stream id `after` ("0" = from the start), "" when
  // none; the fact itself is not read (so a fact that does not decode still has its id).
  absl::StatusOr<std::string> NextFactId(const std::string& after);
  // The fact appended under `fact_id`, if any (what a retried call compares itself with).
  absl::StatusOr<std::optional<v1::Fact>> FindFact(const std::string& fact_id);
  // The stream id of the last fact ("0" when none) and the number of facts.
  absl::StatusOr<std::string> LastFactId();
  absl::StatusOr<int64_t> FactCount();

  // ---- generations ----
  // The rules version reads are served from; "" before the first start.
  absl::StatusOr<std::string> ServingVersion();
  // The stream id of the last fact applied to generation `version` ("0" when none).
  absl::StatusOr<std::string> Cursor(const std::string& version);
  // True once generation `version` has been written whole (its cursor exists).
  absl::StatusOr<bool> HasGeneration(const std::string& version);
  // True when `version` has been in force at some time (P:served).
  absl::StatusOr<bool> WasServed(const std::string& version);

  // ---- reads of a generation ----
  // The subjects of `version` with these ids, in one round trip; nullopt for those missing.
  absl::StatusOr<std::vector<std::optional<v1::SubjectState>>> LoadSubjects(
      const std::string& version, const std::vector<std::string>& subject_ids);
  absl::StatusOr<std::optional<v1::SubjectState>> LoadSubject(const std::string& version,
                                                              const std::string& subject_id);
  // The read path's one round trip: the version in force and, read in the same pipeline, the
  // subject's state in generation `guess` (the version the caller saw in force last). `state` is
  // meaningful only when `version == guess`; otherwise the caller reads again from `version`.
  struct ServedSubject {
    std::string version;  // "" before the first start
    std::optional<v1::SubjectState> state;
  };
  absl::StatusOr<ServedSubject> LoadServedSubject(const std::string& guess,
                                                  const std::string& subject_id);
  absl::StatusOr<std::optional<v1::HazardState>> LoadHazard(const std::string& version,
                                                            const std::string& hazard_id);
  absl::StatusOr<std::optional<v1::BuildingState>> LoadBuilding(const std::string& version,
                                                                const std::string& building_id);
  // Ledger records with seq < `before_seq` (0: from the newest), newest first, at most `limit`.
  absl::StatusOr<std::vector<v1::LedgerRecord>> LoadLedger(const std::string& version,
                                                           const std::string& subject_id,
                                                           int64_t before_seq, int limit);
  struct RankingPage {
    std::vector<std::pair<std::string, int>> subjects;  // id, score; in rank order
    int64_t total = 0;
  };
  // Ranked subjects of `tier` (a district, street or community code) and `type` name
  // ("manager"...), from `offset`, best first (or worst first).
  absl::StatusOr<RankingPage> Ranking(const std::string& version, const std::string& tier,
                                      const std::string& type, int64_t offset, int limit,
                                      bool worst_first);
  // Entry ids of entries not ended, oldest proposal first, from `offset`.
  absl::StatusOr<std::vector<std::string>> OpenBlacklist(const std::string& version, int64_t offset,
                                                         int limit);

  struct FactOutcome {
    absl::Status status;
    std::string entry_id;
    std::string record_id;  // the first ledger record, if any
  };
  // What applying the fact did in `version`; nullopt until it has been applied there.
  absl::StatusOr<std::optional<FactOutcome>> Outcome(const std::string& version,
                                                     const std::string& fact_id);

  // Blacklist entries of `version` due at or before `until`, earliest first (ties by id).
  absl::StatusOr<std::vector<std::pair<std::string, absl::Time>>> LoadDue(
      const std::string& version, absl::Time until);

  // ---- export ----
  struct ExportPage {
    std::vector<std::pair<std::string, v1::ExportRecord>> records;  // stream id, record
    bool more = false;
  };
  // Export records after stream id `after` ("" or "0" = from the start).
  absl::StatusOr<ExportPage> ExportAfter(const std::string& after, int limit);

  // ---- the rule sets ----
  absl::StatusOr<v1::RulesInfo> Info();

  // ---- what the applier writes besides its atomic batches ----
  // Takes the lease on generation `version` for `owner` (or renews it when `owner` holds it);
  // false while another owner holds it.
  absl::StatusOr<bool> TakeLease(const std::string& version, const std::string& owner,
                                 absl::Duration lease);
  // Gives the lease up if `owner` holds it.
  absl::Status ReleaseLease(const std::string& version, const std::string& owner);
  // Deletes every key of generation `version` (a stale or half-written one).
  // FAILED_PRECONDITION for the version in force, unless its generation is not written (lost).
  absl::Status DropGeneration(const std::string& version);
  // P:replay: a replay of `version` over `history_facts` facts started / has applied `applied`.
  absl::Status ReplayStarted(const std::string& version, int64_t history_facts, absl::Time now);
  absl::Status ReplayProgress(const std::string& version, int64_t applied, int64_t history_facts);
  // Puts `version` in force, in one atomic step that checks that its cursor is at the end of
  // the history (ABORTED when facts arrived since: apply them first); records it in P:served
  // and, when a replay of `version` is recorded in P:replay, marks it switched.
  absl::Status SwitchServing(const std::string& version, absl::Time now);

  // The score of a due time in P:g:V:due: unix ms rounded up (LoadDue(until) then returns
  // exactly the entries due at or before `until` whenever `until` is a whole millisecond, as
  // ClockFact times are).
  static int64_t DueScore(absl::Time due);
  // The commands that record a fact's outcome in `version` (HSET + EXPIRE of a day).
  std::vector<std::vector<std::string>> OutcomeCommands(const std::string& version,
                                                        const std::string& fact_id,
                                                        const FactOutcome& outcome) const;
  // The append of an export record to P:export.
  redis::AtomicWrite::StreamAppend ExportAppend(const v1::ExportRecord& record) const;

  // Key names (the one home of the keyspace above; also for tests and the applier).
  std::string Key(absl::string_view suffix) const;                                 // P:<suffix>
  std::string GenKey(const std::string& version, absl::string_view suffix) const;  // P:g:V:<suffix>
  std::string FactsKey() const { return Key("facts"); }
  std::string FactIdsKey() const { return Key("fact-ids"); }
  std::string ServingKey() const { return Key("serving"); }
  std::string ServedKey() const { return Key("served"); }
  std::string ReplayKey() const { return Key("replay"); }
  std::string ExportKey() const { return Key("export"); }
  std::string LeaseKey(const std::string& version) const;
  std::string CursorKey(const std::string& version) const { return GenKey(version, "cursor"); }
  std::string SubjectKey(const std::string& version, const std::string& subject_id) const;
  std::string HazardKey(const std::string& version, const std::string& hazard_id) const;
  std::string BuildingKey(const std::string& version, const std::string& building_id) const;
  std::string LedgerKey(const std::string& version, const std::string& subject_id) const;
  std::string SubjectsKey(const std::string& version) const { return GenKey(version, "subjects"); }
  std::string DueKey(const std::string& version) const { return GenKey(version, "due"); }
  std::string RankKey(const std::string& version, const std::string& tier,
                      const std::string& type) const;
  std::string BlacklistKey(const std::string& version) const {
    return GenKey(version, "blacklist");
  }
  std::string OutcomeKey(const std::string& version, const std::string& fact_id) const;
  // The tier a subject without buildings is ranked in.
  static constexpr absl::string_view kAllTier = "all";
  // How long an outcome is kept.
  static constexpr absl::Duration kOutcomeTtl = absl::Hours(24);

 private:
  redis::Pool* pool_;
  std::string prefix_;
};

}  // namespace firegrid::credit
