#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/credit/v1/history.pb.h"
#include "libs/server/metrics.h"
#include "services/credit/engine.h"
#include "services/credit/store.h"

namespace firegrid::credit {

// The credit domain metrics, counted by the replica whose applier applied a fact to the
// generation in force:
//   firegrid_credit_facts_applied_total{kind,outcome}  facts applied: kind = the Fact's kind
//                                                      ("hazard", "manual", "clock", ...),
//                                                      outcome = "ok" or the status code in
//                                                      lower case ("failed_precondition")
//   firegrid_credit_records_total{kind}                ledger records written ("score",
//                                                      "blacklist_active", ...)
// and, on every replica once WatchUnappliedAge was called:
//   firegrid_credit_unapplied_age_seconds{generation="serving"}  how long the oldest fact of
//                                                      the history not yet applied to the
//                                                      generation in force has waited (0 when
//                                                      caught up; no sample while it cannot be
//                                                      read)
class CreditMetrics {
 public:
  explicit CreditMetrics(server::MetricsRegistry* registry);
  ~CreditMetrics() { Close(); }
  CreditMetrics(const CreditMetrics&) = delete;
  CreditMetrics& operator=(const CreditMetrics&) = delete;

  void Applied(const v1::Fact& fact, const Outcome& outcome);
  // The unapplied-age gauge calls `age` at every scrape (e.g. UnappliedAge of the store); an
  // error gives no sample rather than a wrong one.
  absl::Status WatchUnappliedAge(std::function<absl::StatusOr<absl::Duration>()> age);
  // Stops calling it (before what it reads goes away). Idempotent.
  void Close();

 private:
  server::MetricsRegistry* const registry_;
  server::Family<server::Counter>& facts_;
  server::Family<server::Counter>& records_;
  bool watching_ = false;
};

// The age at `now` of the oldest fact after the cursor of the generation in force (the first
// fact of the history while none is in force): its stream id's milliseconds, as Redis appended
// it. Zero when that generation is caught up (or the history is empty).
absl::StatusOr<absl::Duration> UnappliedAge(CreditStore& store, absl::Time now);

// "hazard", "building", "registration", "manual", "proposal", "objection", "objection_review",
// "repair_request", "repair_review", "clock"; "unknown" for a fact without a kind.
std::string FactKindLabel(const v1::Fact& fact);

}  // namespace firegrid::credit
