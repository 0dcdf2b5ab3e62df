#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "services/buildings/access.h"
#include "services/buildings/registry.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using google::protobuf::util::MessageDifferencer;
using internal::FromTs;
using internal::Ts;

absl::StatusOr<v1::Building> Registry::FileResponsibility(
    const P& p, const v1::FileResponsibilityRequest& req) {
  const absl::Time now = clock_->Now();
  if (req.expected_version() <= 0) {
    return InvalidField("expected_version", "is required (the version you read)");
  }
  FG_ASSIGN_OR_RETURN(v1::Building before, Load(req.building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, before));
  FG_RETURN_IF_ERROR(CanManageArea(p, before.tier_path(), "file responsibility"));
  FG_RETURN_IF_ERROR(ValidateChain(req.chain(), before.three_nos(), "chain."));
  if (before.version() != req.expected_version()) {
    return absl::AbortedError(absl::StrCat("building ", before.building_id(), " is at version ",
                                           before.version(), ", not ", req.expected_version(),
                                           "; read it again"));
  }
  const bool changed = !before.responsibility().has_chain() ||
                       !MessageDifferencer::Equals(before.responsibility().chain(), req.chain());
  v1::Building after = before;
  v1::Responsibility* r = after.mutable_responsibility();
  if (changed) {
    *r->mutable_chain() = req.chain();
    *r->mutable_changed_at() = Ts(now);
    r->clear_filing();
  }
  if (req.has_filing()) {
    const v1::Filing& f = req.filing();
    FG_RETURN_IF_ERROR(ValidateText(f.document_number(), "filing.document_number", true, 64));
    if (!f.has_filed_at()) return InvalidField("filing.filed_at", "is required");
    if (!f.filed_with().empty()) return InvalidField("filing.filed_with", "is server-owned");
    const absl::Time filed = FromTs(f.filed_at());
    if (filed > now) return InvalidField("filing.filed_at", "is in the future");
    if (absl::ToCivilDay(filed, calendar_.zone) <
        absl::ToCivilDay(FromTs(r->changed_at()), calendar_.zone)) {
      return InvalidField("filing.filed_at", "is before the chain's last change");
    }
    *r->mutable_filing() = f;
    r->mutable_filing()->set_filed_with(before.tier_path().substr(0, 9));
  } else if (!changed) {
    return InvalidField("filing", "is required when the chain is unchanged");
  }
  Derive(&after, now);
  v1::ResponsibilityRecord record;
  *record.mutable_chain() = r->chain();
  if (r->has_filing()) *record.mutable_filing() = r->filing();
  *record.mutable_recorded_at() = Ts(now);
  record.set_recorded_by(p.subject);
  record.set_chain_changed(changed);
  record.set_building_version(after.version());
  v1::ResponsibilityFiled payload;
  payload.set_building_id(after.building_id());
  *payload.mutable_chain() = r->chain();
  if (r->has_filing()) *payload.mutable_filing() = r->filing();
  payload.set_chain_changed(changed);
  payload.set_building_version(after.version());
  FG_RETURN_IF_ERROR(store_->UpdateBuilding(before, after, &record, {Event(payload, after, now)}));
  Decorate(&after);
  RedactForCaller(p, &after);
  return after;
}

absl::StatusOr<v1::GetResponsibilityHistoryResponse> Registry::GetResponsibilityHistory(
    const P& p, const v1::GetResponsibilityHistoryRequest& req) {
  FG_ASSIGN_OR_RETURN(v1::Building b, Load(req.building_id()));
  FG_RETURN_IF_ERROR(CanRead(p, b));
  FG_ASSIGN_OR_RETURN(auto records, store_->GetHistory(b.building_id()));
  v1::GetResponsibilityHistoryResponse resp;
  for (auto& r : records) {
    RedactChain(p, r.mutable_chain());
    *resp.add_records() = std::move(r);
  }
  return resp;
}

}  // namespace firegrid::buildings
