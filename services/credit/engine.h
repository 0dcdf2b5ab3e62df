#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "firegrid/credit/v1/events.pb.h"
#include "firegrid/credit/v1/history.pb.h"
#include "services/credit/rules.h"
#include "services/credit/state.h"
#include "services/credit/subject_ids.h"

namespace firegrid::credit {

// An event to publish on the credit topic, keyed by subject id.
struct Publication {
  std::string subject_id;
  // One of ScoreChanged, LevelChanged, BlacklistProposed, Blacklisted, BlacklistRemoved.
  std::unique_ptr<google::protobuf::Message> payload;
};

// What applying one fact did.
struct Outcome {
  // OK; or why the fact had no effect (the same in every replay): NOT_FOUND for an unknown
  // subject or entry, FAILED_PRECONDITION for a state that does not allow it (objection after
  // the period, repair too early or with an overdue hazard open, an entry already open...),
  // PERMISSION_DENIED for a manual rule the actor's role may not record; INVALID_ARGUMENT for a
  // fact without a kind or a registration whose party names no one. Facts from events
  // that simply do not matter (e.g. a hazard without a liable party) are OK with no records.
  absl::Status status;
  // The ledger records appended, in order (record ids and seqs assigned).
  std::vector<v1::LedgerRecord> records;
  // The events to publish (when the generation is in force).
  std::vector<Publication> publications;
  // Subjects whose exported state (level, score band, blacklist) changed.
  std::vector<std::string> exported_subjects;
  // The blacklist entry the fact created or changed, if any (what the RPC returns).
  std::string entry_id;
};

// The credit rules applied to one fact: pure and deterministic. Reads no clock but fact.time(),
// no randomness; ids are derived (record "<subject>#<seq>", entry "<subject>#bl<n>"). The same
// facts in the same order under the same rules give the same state, records and publications.
//
// - HazardFact VERIFIED: once per hazard, the liable subject (created from the party if new)
//   gets the matching TRIGGER_VERIFIED rule's delta, or its repeat_delta when it had a hazard of
//   the same category verified within repeat_window_days before. ASSIGNED with another liable
//   party: the verified (and overdue) deductions move: a reversing record for the old subject, the
//   deduction for the new one. OVERDUE: once per hazard, TRIGGER_OVERDUE. CLOSED on time: once
//   per hazard, TRIGGER_CLOSED_ON_TIME; closing clears the hazard from open_overdue_hazards.
// - BuildingFact / RegistrationFact: subjects created or renamed, links and notify subjects
//   updated; no score change (a new subject starts at base_score, level from the bands, with no
//   ledger record).
// - ManualFact: the manual rule's delta; PERMISSION_DENIED when actor_role (and the actor's
//   department, ManualFact.org_unit's slug) is not allowed, FAILED_PRECONDITION for a subject
//   type the rule excludes.
// - Every deduction that leaves the level at auto_propose_level or worse proposes a blacklist
//   entry (automatic) unless one is open (proposed, objected or active): the fall to D, and a
//   new violation at D after an earlier entry ended. Credits (repair) never propose.
// - ProposalFact: a proposed entry; the objection deadline = time + objection_days.
// - ObjectionFact (before the deadline, entry PROPOSED) → OBJECTED; ObjectionReviewFact: upheld →
//   WITHDRAWN, dismissed → ACTIVE from then. ClockFact: PROPOSED entries past their deadline
//   become ACTIVE (effective_at = the deadline, expires_at = effective_at + duration); ACTIVE
//   entries past expires_at become EXPIRED. RepairRequestFact on an ACTIVE entry → recorded;
//   RepairReviewFact approved (entry ACTIVE for at least repair_min_days, no open overdue
//   hazard) → REPAIRED and repair_delta; refused → recorded.
// Every blacklist change is a ledger record (delta 0 unless a rule applies); proposals,
// taking effect and endings are published (BlacklistProposed, Blacklisted, BlacklistRemoved);
// objections, repair requests and refusals are recorded only (there is no event for them).
//
// Details the rules leave open:
// - A score change is recorded even when clamping makes it 0; ScoreChanged is published only
//   when the score moved. The record's delta is the actual change.
// - A hazard's charges are kept on HazardState as the actual changes made; when the liable
//   party changes (on any hazard fact naming another valid party), the old subject gets
//   reversing records (cause "hazard.reassigned") and the new one the rules applied afresh
//   (its own repeat marks). A closed hazard has no further effect. Every hazard fact links a
//   new liable subject to the hazard's building (not re-linked if already linked); a building
//   credit has not heard of yet takes its managers from the hazard's building_subjects.
// - A party whose identifier is not valid (e.g. a masked identity number) names no subject.
// - BuildingFact: the registry's parties of the building are its party subjects; those no
//   longer named are unlinked from it; subjects linked by hazards or registrations stay.
//   notify_subjects = the subject's account subjects + the manager subjects of every building
//   it is linked to (BuildingState), sorted.
// - Manual records: Cause.description = the rule's description + ": " + the reason;
//   Cause.legal_basis = the legal basis given with the record (else the rule's).
// - Blacklist records: Cause.description = the reason, objection text, note or statement;
//   legal basis = the entry's. An automatic proposal's record has the cause kind of the fact
//   that moved the level. Repair approval records RECORD_KIND_BLACKLIST_REPAIRED with rule id
//   "blacklist.repair" and the repair delta. ProposalFact.duration_days 0 = the default;
//   outside 1..max → FAILED_PRECONDITION. An entry's duration is on BlacklistEntry.duration_days.
// - ClockFact: the record's `at` is the fact time; effective_at / ended_at are the due times.
// `publish` false leaves Outcome.publications empty (everything else is the same): a replay
// not in force publishes nothing and saves building them.
Outcome Apply(const Rules& rules, const SubjectIds& ids, const v1::Fact& fact, StateView* state,
              bool publish = true);

}  // namespace firegrid::credit
