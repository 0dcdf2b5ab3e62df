#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "firegrid/credit/v1/credit.pb.h"
#include "libs/audit/personal_data.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "services/credit/directory.h"
#include "services/credit/rules.h"
#include "services/credit/store.h"
#include "services/credit/subject_ids.h"

namespace firegrid::credit {

struct ServiceOptions {
  // How long a call that appends a fact waits for the applier to apply it before answering
  // UNAVAILABLE (the fact is kept; the same request_id returns its result later).
  absl::Duration apply_wait = absl::Seconds(10);
  absl::Duration poll_interval = absl::Milliseconds(2);
};

// The credit use cases. Who may do what (services/credit/README.md):
// The reads are in service_reads.cc; who may see which subject in access.h; the checks of
// free-text fields in request_checks.h.
// - read a subject (profile, ledger): district admins and internal services all; street
//   officers, community workers and department officers the subjects with a building in their
//   tier (department officers also subjects without buildings); building managers and service
//   agencies the subjects they act for or manage buildings of (SubjectState.notify_subjects).
//   Person ids unmasked for district admins only.
// - rankings and the blacklist: every role but building managers and agencies, within its tier.
// - register subjects: district admins, department and street officers, internal services.
// - manual records: as the rule set's manual rule says (roles and departments).
// - propose a blacklist entry: district admins, fire rescue officers; objections and repair
//   requests: the subject's own principals and its building managers, or a district admin on
//   their behalf; reviews of objections and repairs: district admins.
// - export: district admins, internal services, development & reform officers (the public
//   credit platform's department).
// - the read-model check: district admins.
// A write appends a fact to the history and waits until the applier has applied it to the
// generation in force; its result is that fact's outcome.
class CreditApi {
 public:
  CreditApi(CreditStore* store, const Rules* rules, const SubjectIds* ids,
            const BuildingDirectory* directory, Clock* clock, IdGenerator* id_gen,
            ServiceOptions options = {});

  // Where reads that reveal personal data are recorded (the service's audit log). Without one,
  // such reads are refused (UNAVAILABLE).
  void set_personal_data_audit(audit::RecordSink sink) { personal_data_audit_ = std::move(sink); }

  using P = auth::Principal;
  absl::StatusOr<v1::Subject> RegisterSubject(const P& p, const v1::RegisterSubjectRequest& req);
  absl::StatusOr<v1::Profile> GetProfile(const P& p, const v1::GetProfileRequest& req);
  absl::StatusOr<v1::ListLedgerResponse> ListLedger(const P& p, const v1::ListLedgerRequest& req);
  absl::StatusOr<v1::ListRankingResponse> ListRanking(const P& p,
                                                      const v1::ListRankingRequest& req);
  absl::StatusOr<v1::LedgerRecord> RecordManual(const P& p, const v1::RecordManualRequest& req);
  absl::StatusOr<v1::BlacklistEntry> ProposeBlacklist(const P& p,
                                                      const v1::ProposeBlacklistRequest& req);
  absl::StatusOr<v1::BlacklistEntry> FileObjection(const P& p, const v1::FileObjectionRequest& req);
  absl::StatusOr<v1::BlacklistEntry> ReviewObjection(const P& p,
                                                     const v1::ReviewObjectionRequest& req);
  absl::StatusOr<v1::BlacklistEntry> RequestRepair(const P& p, const v1::RequestRepairRequest& req);
  absl::StatusOr<v1::BlacklistEntry> ReviewRepair(const P& p, const v1::ReviewRepairRequest& req);
  absl::StatusOr<v1::ListBlacklistResponse> ListBlacklist(const P& p,
                                                          const v1::ListBlacklistRequest& req);
  absl::StatusOr<v1::ExportResponse> Export(const P& p, const v1::ExportRequest& req);
  absl::StatusOr<v1::RulesInfo> GetRules(const P& p, const v1::GetRulesRequest& req);
  // Scores, levels and rankings in force against a replay of the history (district admins;
  // nothing is written; read_model_check.h): firegridctl rebuild --check.
  absl::StatusOr<readmodels::v1::CheckReadModelsResponse> CheckReadModels(
      const P& p, const readmodels::v1::CheckReadModelsRequest& req);

 private:
  struct Loaded {
    std::string version;
    v1::SubjectState state;
  };
  // The subject in the generation in force, if the caller may read it (NOT_FOUND otherwise:
  // a caller learns nothing of subjects it may not see).
  absl::StatusOr<Loaded> LoadVisible(const P& p, const std::string& subject_id_or_code);
  // Appends the fact and waits for its outcome in the generation in force. A `retryable` fact
  // (its id from the caller's request id) that is already in the history must be the same
  // request (FAILED_PRECONDITION naming request_id otherwise); it then gets the first result.
  absl::StatusOr<std::pair<std::string, CreditStore::FactOutcome>> AppendAndWait(v1::Fact fact,
                                                                                 bool retryable);
  v1::Fact NewFact(const P& p, const std::string& request_id);
  absl::StatusOr<v1::BlacklistEntry> EntryResult(const P& p, const std::string& version,
                                                 const std::string& entry_id);
  // For objections and repair requests: the entry's subject, visible and acted for by `p`.
  absl::StatusOr<Loaded> EntrySubject(const P& p, const std::string& entry_id, bool own_only);

  CreditStore* store_;
  const Rules* rules_;
  const SubjectIds* ids_;
  const BuildingDirectory* directory_;
  Clock* clock_;
  IdGenerator* id_gen_;
  ServiceOptions options_;
  audit::RecordSink personal_data_audit_;
  // The version last seen in force: LoadVisible reads the subject from it in the same round
  // trip as the version in force, and reads again only when it has changed.
  absl::Mutex serving_mu_;
  std::string last_serving_ ABSL_GUARDED_BY(serving_mu_);
};

}  // namespace firegrid::credit
