#include "services/credit/metrics.h"

#include "absl/strings/ascii.h"
#include "libs/common/proto_json.h"

namespace firegrid::credit {

CreditMetrics::CreditMetrics(server::MetricsRegistry* registry)
    : facts_(registry->AddCounter("firegrid_credit_facts_applied_total",
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

}  // namespace firegrid::credit
