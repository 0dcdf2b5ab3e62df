#include "services/credit/metrics.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/proto_json.h"
#include "libs/common/status.h"

namespace firegrid::credit {

namespace {
constexpr char kUnappliedAge[] = "firegrid_credit_unapplied_age_seconds";
}  // namespace

CreditMetrics::CreditMetrics(server::MetricsRegistry* registry)
    : registry_(registry),
      facts_(registry->AddCounter("firegrid_credit_facts_applied_total",
                                  "Credit history facts applied to the rule set in force.")),
      records_(registry->AddCounter("firegrid_credit_records_total",
                                    "Credit ledger records written by the rule set in force.")) {}

std::string FactKindLabel(const v1::Fact& fact) {
  const google::protobuf::OneofDescriptor* oneof = v1::Fact::descriptor()->FindOneofByName("kind");
  const google::protobuf::FieldDescriptor* field =
      fact.GetReflection()->GetOneofFieldDescriptor(fact, oneof);
  return field == nullptr ? "unknown" : field->name();
}

void CreditMetrics::Applied(const v1::Fact& fact, const Outcome& outcome) {
  const std::string result =
      outcome.status.ok() ? "ok"
                          : absl::AsciiStrToLower(absl::StatusCodeToString(outcome.status.code()));
  facts_.Get({{"kind", FactKindLabel(fact)}, {"outcome", result}}).Increment();
  for (const v1::LedgerRecord& r : outcome.records) {
    records_
        .Get({{"kind", EnumLabel(v1::RecordKind_descriptor(), static_cast<int>(r.kind()))}})
        .Increment();
  }
}

absl::Status CreditMetrics::WatchUnappliedAge(std::function<absl::StatusOr<absl::Duration>()> age) {
  absl::Status st = registry_->AddGaugeCallback(
      kUnappliedAge,
      "How long the oldest credit fact not yet applied to the rule set in force has waited (0 "
      "when caught up)",
      [age = std::move(age)]() -> std::vector<std::pair<server::Labels, double>> {
        absl::StatusOr<absl::Duration> a = age();
        if (!a.ok()) return {};  // Redis unreachable: no sample rather than a wrong one
        return {{server::Labels{{"generation", "serving"}}, absl::ToDoubleSeconds(*a)}};
      });
  if (st.ok()) watching_ = true;
  return st;
}

void CreditMetrics::Close() {
  if (!watching_) return;
  registry_->RemoveGaugeCallback(kUnappliedAge);
  watching_ = false;
}

absl::StatusOr<absl::Duration> UnappliedAge(CreditStore& store, absl::Time now) {
  FG_ASSIGN_OR_RETURN(std::string serving, store.ServingVersion());
  std::string cursor = "0";
  if (!serving.empty()) {
    FG_ASSIGN_OR_RETURN(cursor, store.Cursor(serving));
  }
  FG_ASSIGN_OR_RETURN(std::string id, store.NextFactId(cursor));  // "<unix ms>-<seq>"
  if (id.empty()) return absl::ZeroDuration();
  int64_t ms = 0;
  if (!absl::SimpleAtoi(id.substr(0, id.find('-')), &ms)) {
    return absl::DataLossError(absl::StrCat("credit store: stream id ", id, " is malformed"));
  }
  return std::max(absl::ZeroDuration(), now - absl::FromUnixMillis(ms));
}

}  // namespace firegrid::credit
