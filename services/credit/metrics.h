#pragma once

#include <string>

#include "firegrid/credit/v1/history.pb.h"
#include "libs/server/metrics.h"
#include "services/credit/engine.h"

namespace firegrid::credit {

// The credit domain metrics, counted by the replica whose applier applied a fact to the
// generation in force:
//   firegrid_credit_facts_applied_total{kind,outcome}  facts applied: kind = the Fact's kind
//                                                      ("hazard", "manual", "clock", ...),
//                                                      outcome = "ok" or the status code in
//                                                      lower case ("failed_precondition")
//   firegrid_credit_records_total{kind}                ledger records written ("score",
//                                                      "blacklist_active", ...)
class CreditMetrics {
 public:
  explicit CreditMetrics(server::MetricsRegistry* registry);
  void Applied(const v1::Fact& fact, const Outcome& outcome);

 private:
  server::Family<server::Counter>& facts_;
  server::Family<server::Counter>& records_;
};

// "hazard", "building", "registration", "manual", "proposal", "objection", "objection_review",
// "repair_request", "repair_review", "clock"; "unknown" for a fact without a kind.
std::string FactKindLabel(const v1::Fact& fact);

}  // namespace firegrid::credit
