#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "firegrid/credit/v1/credit.pb.h"
#include "firegrid/credit/v1/history.pb.h"
#include "libs/redis/pool.h"

namespace firegrid::credit {

// The credit service's keys in Redis (prefix P, e.g. "fg:credit"). The history is shared by
// every rule-set generation; everything derived from it lives in the generation of a rules
// version V ("P:g:V:..."), so that a replay builds a new generation beside the one in force:
//
//   P:facts                  stream: the history, one field "fact" = Fact bytes, in order
//   P:fact-ids               hash: fact_id → stream id (a fact is appended once)
//   P:serving                string: the rules version reads are served from
//   P:replay                 hash: the replay in progress or last completed (RulesInfo fields)
//   P:export                 stream: ExportRecord bytes for the public credit platform
//   P:g:V:cursor             string: the stream id of the last fact applied to V
//   P:g:V:s:<subject>        string: SubjectState bytes
//   P:g:V:h:<hazard>         string: HazardState bytes
//   P:g:V:ledger:<subject>   list: LedgerRecord bytes, index = seq - 1
//   P:g:V:subjects           set: every subject id
//   P:g:V:due                zset: blacklist entry id → due time (unix ms)
//   P:g:V:rank:<tier>:<type> zset: subject id → score, for every district, street and community
//                            code of the subject's buildings (tier "all" for subjects without)
//   P:g:V:blacklist          zset: entry id → proposed time (unix ms), entries not ended
//   P:g:V:outcome:<fact id>  hash {code, message, entry, record}: what applying a fact did
//                            (kept a day: what a waiting RPC reads)
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
  // Up to `count` facts after stream id `after` ("0" = from the start), in order.
  absl::StatusOr<std::vector<std::pair<std::string, v1::Fact>>> ReadFacts(const std::string& after,
                                                                           int count);
  // The stream id of the last fact ("0" when none) and the number of facts.
  absl::StatusOr<std::string> LastFactId();
  absl::StatusOr<int64_t> FactCount();

  // ---- generations ----
  // The rules version reads are served from; "" before the first start.
  absl::StatusOr<std::string> ServingVersion();
  // The stream id of the last fact applied to generation `version` ("0" when none).
  absl::StatusOr<std::string> Cursor(const std::string& version);

  // ---- reads of a generation ----
  absl::StatusOr<std::optional<v1::SubjectState>> LoadSubject(const std::string& version,
                                                              const std::string& subject_id);
  absl::StatusOr<std::optional<v1::HazardState>> LoadHazard(const std::string& version,
                                                            const std::string& hazard_id);
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
  absl::StatusOr<std::vector<std::string>> OpenBlacklist(const std::string& version,
                                                         int64_t offset, int limit);

  struct FactOutcome {
    absl::Status status;
    std::string entry_id;
    std::string record_id;  // the first ledger record, if any
  };
  // What applying the fact did in `version`; nullopt until it has been applied there.
  absl::StatusOr<std::optional<FactOutcome>> Outcome(const std::string& version,
                                                     const std::string& fact_id);

  // ---- export ----
  struct ExportPage {
    std::vector<std::pair<std::string, v1::ExportRecord>> records;  // stream id, record
    bool more = false;
  };
  // Export records after stream id `after` ("" or "0" = from the start).
  absl::StatusOr<ExportPage> ExportAfter(const std::string& after, int limit);

  // ---- the rule sets ----
  absl::StatusOr<v1::RulesInfo> Info();

  // Key helpers (also for tests and the applier).
  std::string Key(absl::string_view suffix) const;                           // P:<suffix>
  std::string GenKey(const std::string& version, absl::string_view suffix) const;  // P:g:V:<suffix>

 private:
  redis::Pool* pool_;
  std::string prefix_;
};

}  // namespace firegrid::credit
