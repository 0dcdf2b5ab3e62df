#include "services/hazards/redaction.h"

#include "libs/subjects/party.h"
#include "libs/subjects/personal_data.h"

namespace firegrid::hazards {

v1::Hazard PublicView(const v1::Hazard& h) {
  v1::Hazard out;
  out.set_hazard_id(h.hazard_id());
  out.set_building_id(h.building_id());
  out.set_building_name(h.building_name());
  out.set_tier_path(h.tier_path());
  out.set_category(h.category());
  out.set_severity(h.severity());
  out.set_source(h.source());
  out.set_description(h.description());
  *out.mutable_evidence() = h.evidence();
  out.mutable_reporter()->set_anonymous(h.reporter().anonymous());
  out.set_status(h.status());
  *out.mutable_routing() = h.routing();
  if (h.assignment().has_deadline()) {
    *out.mutable_assignment()->mutable_deadline() = h.assignment().deadline();
  }
  out.mutable_assignment()->set_supervising_department(h.assignment().supervising_department());
  if (out.assignment().ByteSizeLong() == 0) out.clear_assignment();
  out.set_rejection_reason(h.rejection_reason());
  out.set_duplicate_of(h.duplicate_of());
  out.set_escalation(h.escalation());
  out.set_overdue(h.overdue());
  for (const v1::AuditEntry& e : h.audit()) {
    if (e.action() == "name_liable_party") continue;
    v1::AuditEntry* shown = out.add_audit();
    *shown = e;
    shown->clear_actor();
  }
  if (h.has_reported_at()) *out.mutable_reported_at() = h.reported_at();
  if (h.has_closed_at()) *out.mutable_closed_at() = h.closed_at();
  out.set_closed_on_time(h.closed_on_time());
  out.set_version(h.version());
  if (h.has_updated_at()) *out.mutable_updated_at() = h.updated_at();
  if (h.has_location()) *out.mutable_location() = h.location();
  out.set_channel(h.channel());
  out.set_unmatched(h.unmatched());
  return out;
}

void RedactInPlace(const auth::Principal& p, v1::Hazard* h) {
  if (p.role == auth::Role::kPublicChannel) {
    *h = PublicView(*h);
    return;
  }
  v1::Reporter* r = h->mutable_reporter();
  r->set_name(subjects::MaskName(r->name()));
  r->set_contact(subjects::MaskContact(r->contact()));
  if (h->has_liable_party() && p.role != auth::Role::kInternalService) {
    subjects::MaskParty(h->mutable_liable_party());
  }
}

v1::Hazard Redact(v1::Hazard h, const auth::Principal& p) {
  RedactInPlace(p, &h);
  return h;
}

std::vector<std::string> PersonalFields(const v1::Hazard& h) {
  std::vector<std::string> out;
  if (!h.reporter().name().empty()) out.push_back("reporter.name");
  if (!h.reporter().contact().empty()) out.push_back("reporter.contact");
  if (!h.liable_party().person_id().empty()) out.push_back("liable_party.person_id");
  return out;
}

v1::Hazard ForEvent(v1::Hazard h) {
  h.clear_audit();
  h.mutable_reporter()->clear_name();
  h.mutable_reporter()->clear_contact();
  return h;
}

}  // namespace firegrid::hazards
