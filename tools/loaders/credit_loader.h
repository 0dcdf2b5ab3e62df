#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "libs/auth/principal.h"

namespace firegrid::loaders {

// The demo's credit subjects beyond those the buildings name: fire technical service agencies and
// a builder, registered on demo buildings, and manual records (violations, a drill, a
// commendation) that put subjects at every level, A to D — and one agency whose false inspection
// reports bring it to D, whose automatic blacklist proposal it objects to, and whose objection the
// district dismisses, so it is blacklisted.
struct PlannedSubject {
  std::string key;  // stable name for request ids, e.g. "anxin"
  subjects::v1::Party party;
  std::string building_request_id;  // the demo building it is linked to
};
struct PlannedRecord {
  std::string subject_key;
  std::string rule_id;
  std::string reason;
  std::string legal_basis;
  std::string request_id;
  auth::Principal by;
};
struct CreditPlan {
  std::vector<PlannedSubject> subjects;
  std::vector<PlannedRecord> records;
  std::string blacklisted_key;  // the agency that ends up blacklisted
  auth::Principal blacklisted_account;  // its own account (files the objection)
};

// The plan over the dataset's building request ids (the first ones are used). Deterministic.
CreditPlan PlanBeibeiCredit(const std::vector<std::string>& building_request_ids);

struct CreditSummary {
  int subjects = 0;          // registered this run or before
  int records = 0;           // manual records (this run or before)
  std::map<credit::v1::Level, int> by_level;  // of the planned subjects
  int blacklisted = 0;
  // "5 subjects, 9 manual records; levels A 2, B 1, C 1, D 1; 1 blacklisted".
  std::string ToString() const;
};

// Loads the plan through the public CreditService API, idempotently (request ids; the blacklist
// steps only when the entry is in the state before them). The credit service learns the demo
// buildings from Kafka: registrations failing with INVALID_ARGUMENT on building_id (not known
// yet) or UNAVAILABLE (first rule set still being computed) are retried until `wait` after Load
// began.
class CreditLoader {
 public:
  using TokenFor = std::function<std::string(const auth::Principal&)>;
  CreditLoader(credit::v1::CreditService::StubInterface* stub, TokenFor token_for,
               absl::Duration timeout, absl::Duration wait)
      : stub_(stub), token_for_(std::move(token_for)), timeout_(timeout), wait_(wait) {}

  absl::StatusOr<CreditSummary> Load(const CreditPlan& plan,
                                     const std::map<std::string, std::string>& building_ids);

 private:
  credit::v1::CreditService::StubInterface* stub_;
  TokenFor token_for_;
  absl::Duration timeout_;
  absl::Duration wait_;
};

}  // namespace firegrid::loaders
